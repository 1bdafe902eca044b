//! TUI state. Everything on screen is derived from an [`App`], and an `App` changes only through
//! [`App::apply`] (a harness event), [`App::on_key`] (a key press) and [`App::run_ended`] (the
//! benchmark thread returned). No clocks, no terminal: tests drive it with scripted events.

#[cfg(test)]
mod fuzz_tests;
mod keys;
pub mod live;
pub mod point;
pub mod results;

use std::collections::{BTreeSet, VecDeque};
use std::path::PathBuf;

use crate::events::{Control, HarnessEvent, LogLevel, WorkerEvent};
pub use keys::{Focus, UiAction, KEY_HELP};
use live::LiveState;
use point::PointState;
use results::{ResultRow, SortKey};

/// How many log lines are kept.
pub const LOG_CAPACITY: usize = 500;
/// How many power samples the sensors sparkline keeps.
pub const POWER_WINDOW: usize = 120;

#[derive(Debug, Clone, PartialEq)]
pub struct LogLine {
    pub level: LogLevel,
    pub message: String,
}

/// Latest power/thermal/frequency sample; `None` = not available (drawn "n/a", never 0).
#[derive(Debug, Clone, Default)]
pub struct Sensors {
    pub power_w: Option<f64>,
    pub temperature_c: Option<f64>,
    pub cpu_freq_mhz: Option<f64>,
    /// Recent power samples in milliwatts, for the sparkline.
    pub power_recent_mw: VecDeque<u64>,
}

/// How the benchmark thread ended.
#[derive(Debug, Clone, PartialEq)]
pub enum RunOutcome {
    Ok,
    Failed(String),
}

#[derive(Debug, Clone, Default)]
pub struct App {
    pub scenario: Option<String>,
    pub out_dir: Option<PathBuf>,
    pub budget_ms: Option<f64>,
    pub points: Vec<PointState>,
    /// Live numbers of the running (or last run) point.
    pub live: Option<LiveState>,
    pub sensors: Sensors,
    /// Results table rows in finish order; [`results::sorted_rows`] orders them for display.
    pub rows: Vec<ResultRow>,
    pub sort: SortKey,
    pub log: VecDeque<LogLine>,
    /// Lines scrolled back from the newest log line.
    pub log_scroll: usize,
    pub focus: Focus,
    /// The point the user picked with ↑/↓; `None` follows the running point.
    pub selected: Option<usize>,
    pub show_help: bool,
    /// The strongest control the user asked for (shown in the header).
    pub requested: Option<Control>,
    pub plan_finished: bool,
    pub outcome: Option<RunOutcome>,
    /// Point indices that events referred to but the plan does not have.
    pub unknown_indices: BTreeSet<usize>,
}

impl App {
    pub fn new() -> Self {
        App::default()
    }

    /// Fold one harness event into the state. Never panics: events for points the plan does not
    /// have are ignored and logged once per index.
    pub fn apply(&mut self, event: &HarnessEvent) {
        match event {
            HarnessEvent::PlanStarted {
                scenario,
                points,
                out_dir,
                latency_budget_ms_per_token,
            } => {
                let keep_log = std::mem::take(&mut self.log);
                let (focus, sort) = (self.focus, self.sort);
                *self = App {
                    scenario: Some(scenario.clone()),
                    out_dir: Some(out_dir.clone()),
                    budget_ms: *latency_budget_ms_per_token,
                    points: points.iter().cloned().map(PointState::new).collect(),
                    log: keep_log,
                    focus,
                    sort,
                    ..App::default()
                };
            }
            HarnessEvent::PointStarted { index, pid } => {
                if let Some(p) = self.point_mut(*index) {
                    p.start(*pid);
                    self.live = Some(LiveState::new(*index));
                }
            }
            HarnessEvent::Worker { index, event } => self.apply_worker(*index, event),
            HarnessEvent::Rss {
                index, rss_bytes, ..
            } => {
                if let Some(p) = self.point_mut(*index) {
                    p.observe_rss(*rss_bytes);
                    self.live_for(*index).push_rss(*rss_bytes);
                }
            }
            HarnessEvent::Sensors {
                power_w,
                temperature_c,
                cpu_freq_mhz,
                ..
            } => {
                let s = &mut self.sensors;
                s.power_w = power_w.filter(|w| w.is_finite());
                s.temperature_c = temperature_c.filter(|c| c.is_finite());
                s.cpu_freq_mhz = cpu_freq_mhz.filter(|f| f.is_finite());
                if let Some(w) = s.power_w {
                    if s.power_recent_mw.len() == POWER_WINDOW {
                        s.power_recent_mw.pop_front();
                    }
                    s.power_recent_mw.push_back((w.max(0.0) * 1000.0) as u64);
                }
            }
            HarnessEvent::Log { level, message } => self.log(*level, message.clone()),
            HarnessEvent::PointFinished { index, result } => self.finish_point(*index, result),
            HarnessEvent::PlanFinished { out_dir } => {
                self.plan_finished = true;
                self.out_dir = Some(out_dir.clone());
                self.log(LogLevel::Info, format!("results in {}", out_dir.display()));
            }
        }
    }

    fn apply_worker(&mut self, index: usize, event: &WorkerEvent) {
        let Some(point) = self.point_mut(index) else {
            return;
        };
        let was_terminal = point.phase.is_terminal();
        point.apply_worker(event);
        let measured = point.in_measured_run();
        if was_terminal {
            return;
        }
        let label = point.label.to_string();
        match event {
            WorkerEvent::Loaded { load_ns, .. } => {
                self.live_for(index).load_ms = Some(*load_ns as f64 / 1e6)
            }
            WorkerEvent::Prefill { latency_ns, .. } => {
                self.live_for(index).push_ttft(*latency_ns, measured)
            }
            WorkerEvent::Token { latency_ns, .. } => {
                self.live_for(index).push_step(*latency_ns, measured)
            }
            WorkerEvent::Error { kind, message, .. } => {
                self.log(LogLevel::Error, format!("[{label}] {kind}: {message}"))
            }
            _ => {}
        }
    }

    fn finish_point(&mut self, index: usize, result: &crate::results::PointResult) {
        let Some(point) = self.point_mut(index) else {
            return;
        };
        point.finish(Box::new(result.clone()));
        let label = point.label.to_string();
        let (level, line) = match &point.phase {
            point::Phase::Failed { reason } => {
                (LogLevel::Error, format!("[{label}] failed: {reason}"))
            }
            point::Phase::Skipped { reason } => (
                LogLevel::Warn,
                format!(
                    "[{label}] skipped{}",
                    reason
                        .as_ref()
                        .map(|r| format!(": {r}"))
                        .unwrap_or_default()
                ),
            ),
            _ => (LogLevel::Info, format!("[{label}] done")),
        };
        self.log(level, line);
        self.rows.retain(|r| r.index != index);
        self.rows.extend(ResultRow::from_result(index, result));
        if self.requested == Some(Control::SkipCurrent) {
            self.requested = None;
        }
    }

    /// The benchmark thread returned; `error` is its error, if any.
    pub fn run_ended(&mut self, error: Option<String>) {
        self.outcome = Some(match error {
            None => RunOutcome::Ok,
            Some(e) => {
                self.log(LogLevel::Error, format!("run failed: {e}"));
                RunOutcome::Failed(e)
            }
        });
    }

    pub fn log(&mut self, level: LogLevel, message: String) {
        if self.log.len() == LOG_CAPACITY {
            self.log.pop_front();
        }
        self.log.push_back(LogLine { level, message });
    }

    /// The point state for `index`, or `None` (logged once) when the plan has no such point.
    fn point_mut(&mut self, index: usize) -> Option<&mut PointState> {
        if index >= self.points.len() {
            if self.unknown_indices.insert(index) {
                self.log(
                    LogLevel::Warn,
                    format!(
                        "ignored events for unknown point #{index} (plan has {})",
                        self.points.len()
                    ),
                );
            }
            return None;
        }
        self.points.get_mut(index)
    }

    /// Live state for `index`, starting a fresh one if the live pane showed another point.
    fn live_for(&mut self, index: usize) -> &mut LiveState {
        if self.live.as_ref().is_none_or(|l| l.index != index) {
            self.live = Some(LiveState::new(index));
        }
        self.live.get_or_insert_with(|| LiveState::new(index))
    }

    /// The point being measured now, if any.
    pub fn running_index(&self) -> Option<usize> {
        self.points.iter().position(|p| p.phase.is_active())
    }

    /// The point whose details are shown: the user's pick, else the running one, else the live one.
    pub fn focused_index(&self) -> Option<usize> {
        self.selected
            .filter(|&i| i < self.points.len())
            .or_else(|| self.running_index())
            .or_else(|| self.live.as_ref().map(|l| l.index))
    }

    /// Points that reached a terminal phase.
    pub fn finished_count(&self) -> usize {
        self.points.iter().filter(|p| p.phase.is_terminal()).count()
    }

    /// The run is over (the plan finished or the benchmark thread returned).
    pub fn is_over(&self) -> bool {
        self.outcome.is_some()
    }
}

#[cfg(test)]
mod tests;
