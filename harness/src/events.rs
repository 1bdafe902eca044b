//! Events: what a worker streams to the parent (JSON lines on its stdout) and what the parent
//! hands to observers (progress bar, TUI, report writers). Every `t_ns` is CLOCK_MONOTONIC in
//! nanoseconds, the same clock in the parent and the worker, so token events, RSS samples and
//! power samples line up.

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

use crate::results::{PointLabel, PointResult};

/// Which kind of repetition a run is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RunKind {
    Warmup,
    Measured,
}

/// One line of a worker's stdout.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "event", rename_all = "snake_case")]
pub enum WorkerEvent {
    /// The model is about to be loaded.
    LoadStarted { t_ns: u64 },
    /// The model is loaded and a session can be opened.
    Loaded {
        t_ns: u64,
        load_ns: u64,
        model_info: edgebench_backend::ModelInfo,
        backend_info: BTreeMap<String, String>,
        /// VmHWM of the worker right after loading.
        peak_rss_bytes: Option<u64>,
        /// Cold load asked for: did evicting the file from the page cache work?
        cold_evicted: Option<bool>,
        cold_note: Option<String>,
    },
    /// A warmup or measured run begins (prefill comes next).
    RunStarted {
        t_ns: u64,
        run: usize,
        kind: RunKind,
    },
    /// Prefill of the prompt finished: `latency_ns` is the time to first token.
    Prefill {
        t_ns: u64,
        run: usize,
        prompt_tokens: usize,
        latency_ns: u64,
        /// The first generated token (argmax of the prefill logits).
        token: u32,
    },
    /// One decode step finished. `index` counts decode steps from 0.
    Token {
        t_ns: u64,
        run: usize,
        index: usize,
        token: u32,
        latency_ns: u64,
    },
    /// A run finished; `tokens` are every generated token id (prefill's first one included).
    RunFinished {
        t_ns: u64,
        run: usize,
        kind: RunKind,
        tokens: Vec<u32>,
    },
    /// The worker is done and about to exit 0.
    Finished {
        t_ns: u64,
        /// VmHWM of the worker at the end (load + generation).
        peak_rss_bytes: Option<u64>,
    },
    /// The worker failed; it exits non-zero after this line.
    Error {
        t_ns: u64,
        kind: String,
        message: String,
    },
}

impl WorkerEvent {
    pub fn t_ns(&self) -> u64 {
        match self {
            WorkerEvent::LoadStarted { t_ns }
            | WorkerEvent::Loaded { t_ns, .. }
            | WorkerEvent::RunStarted { t_ns, .. }
            | WorkerEvent::Prefill { t_ns, .. }
            | WorkerEvent::Token { t_ns, .. }
            | WorkerEvent::RunFinished { t_ns, .. }
            | WorkerEvent::Finished { t_ns, .. }
            | WorkerEvent::Error { t_ns, .. } => *t_ns,
        }
    }
}

/// What the parent tells its observers (`--events FILE` writes these as JSON lines).
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum HarnessEvent {
    PlanStarted {
        scenario: String,
        points: Vec<PointLabel>,
        out_dir: std::path::PathBuf,
        latency_budget_ms_per_token: Option<f64>,
    },
    PointStarted {
        index: usize,
        pid: u32,
    },
    /// A worker event, forwarded as it arrives.
    Worker {
        index: usize,
        event: WorkerEvent,
    },
    /// RSS of the running worker, sampled by the parent.
    Rss {
        index: usize,
        t_ns: u64,
        rss_bytes: u64,
    },
    /// A power/thermal/frequency sample; `None` fields were not available.
    Sensors {
        t_ns: u64,
        power_w: Option<f64>,
        temperature_c: Option<f64>,
        cpu_freq_mhz: Option<f64>,
    },
    /// A free-form warning for logs (e.g. "power unavailable: ...").
    Log {
        level: LogLevel,
        message: String,
    },
    /// A point finished (ok, failed or skipped); its full result.
    PointFinished {
        index: usize,
        result: Box<PointResult>,
    },
    PlanFinished {
        out_dir: std::path::PathBuf,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum LogLevel {
    Info,
    Warn,
    Error,
}

/// Anything that watches a run: progress bar, TUI, live event file.
/// All methods default to no-ops so an observer implements only what it needs.
pub trait Observer: Send {
    fn on_event(&mut self, _event: &HarnessEvent) {}
    /// Asked between points; return `Control::Stop` to end the run (finished points are kept).
    fn control(&mut self) -> Control {
        Control::Continue
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Control {
    Continue,
    /// Skip the point that is running now (kill its worker) and go on.
    SkipCurrent,
    /// Stop after the current point.
    Stop,
    /// Stop now: kill the running worker.
    Abort,
}
