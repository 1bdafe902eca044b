//! One matrix point as the TUI sees it: where it is in its life (queued → loading → warmup →
//! running → done/failed/skipped) and how far along. Terminal phases never regress, so a late
//! worker event cannot turn a finished point back into a running one.

use crate::events::{RunKind, WorkerEvent};
use crate::results::PointLabel;
use crate::results::{ErrorKind, PointResult, PointStatus};

#[derive(Debug, Clone, PartialEq)]
pub enum Phase {
    Queued,
    Loading,
    Warmup,
    Running,
    Done,
    Failed { reason: String },
    Skipped { reason: Option<String> },
}

impl Phase {
    pub fn is_terminal(&self) -> bool {
        matches!(
            self,
            Phase::Done | Phase::Failed { .. } | Phase::Skipped { .. }
        )
    }

    pub fn is_active(&self) -> bool {
        matches!(self, Phase::Loading | Phase::Warmup | Phase::Running)
    }

    /// Short status word for the matrix.
    pub fn word(&self) -> &'static str {
        match self {
            Phase::Queued => "queued",
            Phase::Loading => "loading",
            Phase::Warmup => "warmup",
            Phase::Running => "running",
            Phase::Done => "done",
            Phase::Failed { .. } => "failed",
            Phase::Skipped { .. } => "skipped",
        }
    }

    /// One-character marker for the matrix.
    pub fn symbol(&self) -> &'static str {
        match self {
            Phase::Queued => "·",
            Phase::Loading => "…",
            Phase::Warmup => "~",
            Phase::Running => "▶",
            Phase::Done => "✓",
            Phase::Failed { .. } => "✗",
            Phase::Skipped { .. } => "↷",
        }
    }
}

#[derive(Debug, Clone)]
pub struct PointState {
    pub label: PointLabel,
    pub phase: Phase,
    pub pid: Option<u32>,
    /// Measured runs that finished.
    pub measured_runs_done: usize,
    /// The run in progress and its kind.
    pub current_run: Option<(usize, RunKind)>,
    /// Tokens generated so far in the current run (the prefill's first token included).
    pub tokens_in_run: usize,
    pub peak_rss_bytes: Option<u64>,
    pub started_t_ns: Option<u64>,
    pub last_t_ns: Option<u64>,
    pub result: Option<Box<PointResult>>,
}

impl PointState {
    pub fn new(label: PointLabel) -> Self {
        PointState {
            label,
            phase: Phase::Queued,
            pid: None,
            measured_runs_done: 0,
            current_run: None,
            tokens_in_run: 0,
            peak_rss_bytes: None,
            started_t_ns: None,
            last_t_ns: None,
            result: None,
        }
    }

    pub fn start(&mut self, pid: u32) {
        if !self.phase.is_terminal() {
            self.phase = Phase::Loading;
            self.pid = Some(pid);
        }
    }

    /// Whether the run in progress is a measured one.
    pub fn in_measured_run(&self) -> bool {
        matches!(self.current_run, Some((_, RunKind::Measured)))
    }

    /// Update phase and progress from a worker event (no-op once the point is finished).
    pub fn apply_worker(&mut self, event: &WorkerEvent) {
        if self.phase.is_terminal() {
            return;
        }
        let t_ns = event.t_ns();
        self.started_t_ns.get_or_insert(t_ns);
        self.last_t_ns = Some(t_ns);
        match event {
            WorkerEvent::LoadStarted { .. } | WorkerEvent::Loaded { .. } => {
                self.phase = Phase::Loading
            }
            WorkerEvent::RunStarted { run, kind, .. } => {
                self.current_run = Some((*run, *kind));
                self.tokens_in_run = 0;
                self.phase = match kind {
                    RunKind::Warmup => Phase::Warmup,
                    RunKind::Measured => Phase::Running,
                };
            }
            WorkerEvent::Prefill { .. } => self.tokens_in_run = 1,
            WorkerEvent::Token { index, .. } => {
                self.tokens_in_run = self.tokens_in_run.max(index.saturating_add(2))
            }
            WorkerEvent::RunFinished { kind, .. } => {
                if *kind == RunKind::Measured {
                    self.measured_runs_done += 1;
                }
                self.current_run = None;
            }
            WorkerEvent::Finished { .. } => {}
            WorkerEvent::Error { kind, message, .. } => {
                self.phase = Phase::Failed {
                    reason: format!("{kind}: {message}"),
                }
            }
        }
    }

    pub fn observe_rss(&mut self, rss_bytes: u64) {
        self.peak_rss_bytes = Some(self.peak_rss_bytes.map_or(rss_bytes, |p| p.max(rss_bytes)));
    }

    /// The final word on a point: its result decides the phase.
    pub fn finish(&mut self, result: Box<PointResult>) {
        let reason = result.error.as_ref().map(|e| {
            if e.kind.is_skip() || e.kind == ErrorKind::Pending {
                e.message.clone()
            } else {
                format!("{}: {}", e.kind, e.message)
            }
        });
        self.phase = match result.status {
            PointStatus::Ok => Phase::Done,
            PointStatus::Failed => Phase::Failed {
                reason: reason.unwrap_or_else(|| "failed (no reason given)".into()),
            },
            PointStatus::Skipped => Phase::Skipped { reason },
        };
        self.current_run = None;
        if self.measured_runs_done == 0 {
            self.measured_runs_done = result.runs.len();
        }
        self.result = Some(result);
    }

    /// "r2 t34/64": measured runs done and tokens of the current run.
    pub fn progress(&self) -> String {
        let mut s = format!("r{}", self.measured_runs_done);
        if self.phase.is_active() && self.current_run.is_some() {
            s.push_str(&format!(
                " t{}/{}",
                self.tokens_in_run, self.label.gen_tokens
            ));
        }
        s
    }
}
