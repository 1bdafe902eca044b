//! The harness's own per-token cost: run the zero-cost mock backend through the same worker
//! path and take the gap between consecutive token events minus the timed backend call: what
//! is left is the harness (clock reads, argmax over a 32000-entry vocabulary, event
//! serialization and the pipe), paid between tokens but outside every reported latency.

use std::time::Duration;

use crate::events::{Observer, WorkerEvent};
use crate::plan::PromptSpec;
use crate::results::Overhead;
use crate::spawn::{spawn_worker, RunOptions};
use crate::worker::WorkerPoint;

struct Silent;
impl Observer for Silent {}

pub fn measure(opts: &RunOptions) -> Option<Overhead> {
    let wp = WorkerPoint {
        backend: "mock".into(),
        spec: edgebench_backend::ModelSpec {
            path: "mock:vocab=32000".into(),
            format: edgebench_backend::ModelFormat::Mock,
            quant: None,
        },
        load: edgebench_backend::LoadOptions::default(),
        prompt: PromptSpec::Random { n: 8, seed: 1 },
        gen_tokens: 257,
        runs: crate::scenario::Repetitions::exactly(1, 1),
        cold_load: false,
        verify: None,
    };
    let o = spawn_worker(
        &wp,
        opts,
        usize::MAX,
        Duration::from_secs(60),
        None,
        &mut Silent,
    )
    .ok()?;
    let mut measured = false;
    let mut last = None;
    let mut gaps = Vec::new();
    for e in &o.events {
        match e {
            WorkerEvent::RunStarted { kind, .. } => {
                measured = *kind == crate::events::RunKind::Measured;
                last = None;
            }
            WorkerEvent::Token {
                t_ns, latency_ns, ..
            } if measured => {
                if let Some(prev) = last {
                    gaps.push(t_ns.saturating_sub(prev).saturating_sub(*latency_ns));
                }
                last = Some(*t_ns);
            }
            _ => {}
        }
    }
    let s = crate::stats::latency_stats(&gaps)?;
    Some(Overhead {
        per_token_ns: s.p50_ns,
        per_token_p99_ns: s.p99_ns,
        samples: s.n,
    })
}
