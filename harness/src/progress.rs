//! The plain progress bar (indicatif) for non-interactive runs: one bar over the matrix, a
//! message naming the running point, and a line per finished point. Hidden when stderr is not a
//! terminal, but the per-point lines are still printed so CI logs show progress.

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

use crate::events::{HarnessEvent, LogLevel, Observer, WorkerEvent};
use crate::results::PointStatus;

pub struct Progress {
    bar: ProgressBar,
    labels: Vec<String>,
}

impl Progress {
    pub fn new(quiet: bool) -> Self {
        let bar = ProgressBar::with_draw_target(
            Some(0),
            if quiet {
                ProgressDrawTarget::hidden()
            } else {
                ProgressDrawTarget::stderr()
            },
        );
        bar.set_style(
            ProgressStyle::with_template(
                "{spinner} [{elapsed_precise}] {bar:30} {pos}/{len} {msg}",
            )
            .expect("static template")
            .progress_chars("=> "),
        );
        Progress {
            bar,
            labels: Vec::new(),
        }
    }
}

impl Observer for Progress {
    fn on_event(&mut self, e: &HarnessEvent) {
        match e {
            HarnessEvent::PlanStarted {
                points, scenario, ..
            } => {
                self.labels = points.iter().map(ToString::to_string).collect();
                self.bar.set_length(points.len() as u64);
                self.bar
                    .println(format!("scenario `{scenario}`: {} points", points.len()));
            }
            HarnessEvent::PointStarted { index, .. } => {
                let l = self.labels.get(*index).cloned().unwrap_or_default();
                self.bar.set_message(format!("{l}: loading"));
            }
            HarnessEvent::Worker {
                index,
                event: WorkerEvent::RunStarted { run, kind, .. },
            } => {
                let l = self.labels.get(*index).cloned().unwrap_or_default();
                self.bar.set_message(format!("{l}: {kind:?} run {run}"));
            }
            HarnessEvent::PointFinished { result, .. } => {
                self.bar.inc(1);
                let line = match result.status {
                    PointStatus::Ok => {
                        let tok_s = result
                            .latency
                            .as_ref()
                            .and_then(|l| l.decode_tok_s)
                            .map_or_else(|| "n/a".into(), |v| format!("{v:.1}"));
                        format!("  ok      {}: decode {tok_s} tok/s", result.label)
                    }
                    s => format!(
                        "  {:<7} {}: {}",
                        if s == PointStatus::Failed {
                            "FAILED"
                        } else {
                            "skipped"
                        },
                        result.label,
                        result.error.as_ref().map_or("", |e| e.message.as_str())
                    ),
                };
                self.bar.println(line);
            }
            HarnessEvent::Log { level, message } => {
                let tag = match level {
                    LogLevel::Info => "info",
                    LogLevel::Warn => "warning",
                    LogLevel::Error => "error",
                };
                self.bar.println(format!("{tag}: {message}"));
            }
            HarnessEvent::PlanFinished { out_dir } => {
                self.bar.finish_and_clear();
                eprintln!("results in {}", out_dir.display());
            }
            _ => {}
        }
    }
}
