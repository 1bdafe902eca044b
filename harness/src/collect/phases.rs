//! Phase spans from the worker's event stream: `load` (LoadStarted → Loaded), and for each
//! measured run `prefill` (RunStarted → Prefill) and `decode` (Prefill → RunFinished); warmup
//! runs become `warmup`. The runner adds the `idle` span it measured before starting the worker.

use std::collections::BTreeMap;

use crate::collect::energy::{PhaseSpan, DECODE, LOAD, PREFILL};
use crate::events::{RunKind, WorkerEvent};

/// Label for warmup runs (kept out of `decode`).
pub const WARMUP: &str = "warmup";

/// Feed worker events as they arrive; `finish` gives the spans and the measured decode steps.
#[derive(Debug, Clone, Default)]
pub struct PhaseTracker {
    spans: Vec<PhaseSpan>,
    load_start: Option<u64>,
    /// run → (kind, run start, prefill end)
    runs: BTreeMap<usize, (RunKind, u64, Option<u64>)>,
    decode_tokens: u64,
}

impl PhaseTracker {
    pub fn new() -> PhaseTracker {
        PhaseTracker::default()
    }

    /// Add a span measured elsewhere (the idle baseline).
    pub fn add(&mut self, span: PhaseSpan) {
        self.spans.push(span);
    }

    pub fn on_event(&mut self, ev: &WorkerEvent) {
        match ev {
            WorkerEvent::LoadStarted { t_ns } => self.load_start = Some(*t_ns),
            WorkerEvent::Loaded { t_ns, .. } => {
                if let Some(start) = self.load_start.take() {
                    self.spans.push(PhaseSpan::new(LOAD, start, *t_ns));
                }
            }
            WorkerEvent::RunStarted { t_ns, run, kind } => {
                self.runs.insert(*run, (*kind, *t_ns, None));
            }
            WorkerEvent::Prefill { t_ns, run, .. } => {
                if let Some((kind, start, prefill_end)) = self.runs.get_mut(run) {
                    *prefill_end = Some(*t_ns);
                    let name = if *kind == RunKind::Measured {
                        PREFILL
                    } else {
                        WARMUP
                    };
                    self.spans.push(PhaseSpan::new(name, *start, *t_ns));
                }
            }
            WorkerEvent::Token { run, .. } => {
                if matches!(self.runs.get(run), Some((RunKind::Measured, _, _))) {
                    self.decode_tokens += 1;
                }
            }
            WorkerEvent::RunFinished { t_ns, run, .. } => {
                if let Some((kind, _, Some(prefill_end))) = self.runs.remove(run) {
                    let name = if kind == RunKind::Measured {
                        DECODE
                    } else {
                        WARMUP
                    };
                    self.spans.push(PhaseSpan::new(name, prefill_end, *t_ns));
                }
            }
            WorkerEvent::Finished { .. } | WorkerEvent::Error { .. } => {}
        }
    }

    /// The spans in time order and the number of measured decode steps.
    pub fn finish(mut self) -> (Vec<PhaseSpan>, u64) {
        self.spans.sort_by_key(|s| s.start_ns);
        (self.spans, self.decode_tokens)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn phase_tracker_turns_worker_events_into_spans() {
        let mut p = PhaseTracker::new();
        p.add(PhaseSpan::new("idle", 0, 10));
        let evs = [
            WorkerEvent::LoadStarted { t_ns: 10 },
            WorkerEvent::RunStarted {
                t_ns: 30,
                run: 0,
                kind: RunKind::Warmup,
            },
            WorkerEvent::Prefill {
                t_ns: 35,
                run: 0,
                prompt_tokens: 4,
                latency_ns: 5,
                token: 1,
            },
            WorkerEvent::Token {
                t_ns: 36,
                run: 0,
                index: 0,
                token: 2,
                latency_ns: 1,
            },
            WorkerEvent::RunFinished {
                t_ns: 37,
                run: 0,
                kind: RunKind::Warmup,
                tokens: vec![1, 2],
            },
            WorkerEvent::RunStarted {
                t_ns: 40,
                run: 1,
                kind: RunKind::Measured,
            },
            WorkerEvent::Prefill {
                t_ns: 45,
                run: 1,
                prompt_tokens: 4,
                latency_ns: 5,
                token: 1,
            },
            WorkerEvent::Token {
                t_ns: 46,
                run: 1,
                index: 0,
                token: 2,
                latency_ns: 1,
            },
            WorkerEvent::Token {
                t_ns: 47,
                run: 1,
                index: 1,
                token: 3,
                latency_ns: 1,
            },
            WorkerEvent::RunFinished {
                t_ns: 48,
                run: 1,
                kind: RunKind::Measured,
                tokens: vec![1, 2, 3],
            },
        ];
        for e in &evs {
            p.on_event(e);
        }
        let (spans, tokens) = p.finish();
        let got: Vec<(&str, u64, u64)> = spans
            .iter()
            .map(|s| (s.name.as_str(), s.start_ns, s.end_ns))
            .collect();
        assert_eq!(
            got,
            [
                ("idle", 0, 10),
                ("warmup", 30, 35),
                ("warmup", 35, 37),
                ("prefill", 40, 45),
                ("decode", 45, 48)
            ]
        );
        assert_eq!(tokens, 2);
    }
}
