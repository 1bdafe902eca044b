//! Turn one worker's event stream (plus the parent's RSS samples) into a [`PointResult`].

use crate::events::{RunKind, WorkerEvent};
use crate::results::{
    LatencySummary, LoadMetrics, MemoryMetrics, PointError, PointResult, PointStatus, RssSample,
    RunRecord,
};
use crate::stats;

/// What the parent gathered while a worker ran.
#[derive(Debug, Default)]
pub struct Collected {
    pub events: Vec<WorkerEvent>,
    /// (t_ns, rss_bytes) sampled by the parent.
    pub rss: Vec<(u64, u64)>,
    pub started_t_ns: u64,
    pub wall_ns: u64,
    /// Peak RSS the kernel reported when the worker exited (wait4's ru_maxrss).
    pub exit_peak_rss_bytes: Option<u64>,
}

/// Build the measured part of a result. `failure` is set when the worker did not finish.
pub fn summarize(
    mut base: PointResult,
    c: &Collected,
    budget_ms: Option<f64>,
    cold_requested: bool,
    failure: Option<PointError>,
) -> PointResult {
    let mut runs: Vec<RunRecord> = Vec::new();
    let mut current: Option<RunRecord> = None;
    let mut peak_load = None;
    let mut peak_end = None;
    for e in &c.events {
        match e {
            WorkerEvent::Loaded {
                load_ns,
                model_info,
                backend_info,
                peak_rss_bytes,
                cold_evicted,
                cold_note,
                ..
            } => {
                base.load = Some(LoadMetrics {
                    load_ns: *load_ns,
                    cold_requested,
                    cold_evicted: *cold_evicted,
                    cold_note: cold_note.clone(),
                });
                if let Some(m) = base.model.as_mut() {
                    m.info = Some(model_info.clone());
                }
                base.backend_info = backend_info.clone();
                peak_load = *peak_rss_bytes;
            }
            WorkerEvent::RunStarted {
                run,
                kind: RunKind::Measured,
                ..
            } => {
                current = Some(RunRecord {
                    run: *run,
                    ttft_ns: 0,
                    decode_latency_ns: Vec::new(),
                    tokens: Vec::new(),
                    text: None,
                });
            }
            WorkerEvent::RunStarted {
                kind: RunKind::Warmup,
                ..
            } => current = None,
            WorkerEvent::Prefill { latency_ns, .. } => {
                if let Some(r) = current.as_mut() {
                    r.ttft_ns = *latency_ns;
                }
            }
            WorkerEvent::Token { latency_ns, .. } => {
                if let Some(r) = current.as_mut() {
                    r.decode_latency_ns.push(*latency_ns);
                }
            }
            WorkerEvent::RunFinished {
                tokens,
                kind: RunKind::Measured,
                ..
            } => {
                if let Some(mut r) = current.take() {
                    r.tokens = tokens.clone();
                    runs.push(r);
                }
            }
            WorkerEvent::Finished { peak_rss_bytes, .. } => peak_end = *peak_rss_bytes,
            _ => {}
        }
    }
    let prompt_tokens = base.label.prompt_tokens;
    base.latency = latency_summary(&runs, prompt_tokens, budget_ms);
    if let Some(l) = base.latency.as_mut() {
        l.harness_gap_p50_ns = harness_gap_p50_ns(&c.events);
    }
    base.runs = runs;
    let mut memory = MemoryMetrics {
        peak_rss_load_bytes: peak_load,
        peak_rss_steady_bytes: peak_end.or(c.exit_peak_rss_bytes),
        rss_timeline: c
            .rss
            .iter()
            .map(|&(t, b)| RssSample {
                t_ms: t.saturating_sub(c.started_t_ns) as f64 / 1e6,
                rss_bytes: b,
            })
            .collect(),
        note: None,
    };
    if memory.peak_rss_load_bytes.is_none() {
        memory.note = Some("the worker ended before reporting its post-load peak RSS".into());
    }
    base.memory = memory;
    base.wall_ns = c.wall_ns;
    match failure {
        Some(err) => {
            base.status = if err.kind.is_skip() {
                PointStatus::Skipped
            } else {
                PointStatus::Failed
            };
            base.error = Some(err);
        }
        None => {
            base.status = PointStatus::Ok;
            base.error = None;
        }
    }
    base
}

/// Median of (gap between consecutive measured decode-step events − the step's own latency).
pub fn harness_gap_p50_ns(events: &[WorkerEvent]) -> Option<f64> {
    let mut gaps = Vec::new();
    let mut last: Option<u64> = None;
    let mut measured = false;
    for e in events {
        match e {
            WorkerEvent::RunStarted { kind, .. } => {
                measured = *kind == RunKind::Measured;
                last = None;
            }
            WorkerEvent::Prefill { t_ns, .. } => last = Some(*t_ns),
            WorkerEvent::Token {
                t_ns, latency_ns, ..
            } if measured => {
                if let Some(prev) = last {
                    gaps.push(t_ns.saturating_sub(prev).saturating_sub(*latency_ns) as f64);
                }
                last = Some(*t_ns);
            }
            _ => {}
        }
    }
    stats::median(&gaps)
}

/// TTFT, decode-step and throughput statistics over `runs` (also used to merge the rounds of
/// an alternated run, [`crate::runner`]).
pub(crate) fn latency_summary(
    runs: &[RunRecord],
    prompt_tokens: usize,
    budget_ms: Option<f64>,
) -> Option<LatencySummary> {
    if runs.is_empty() {
        return None;
    }
    let ttfts: Vec<u64> = runs.iter().map(|r| r.ttft_ns).collect();
    let decode: Vec<u64> = runs
        .iter()
        .flat_map(|r| r.decode_latency_ns.iter().copied())
        .collect();
    let ttft = stats::latency_stats(&ttfts)?;
    let decode_stats = stats::latency_stats(&decode);
    // Per-run decode throughput: steps / sum of step latencies.
    let per_run_tok_s: Vec<f64> = runs.iter().filter_map(|r| r.decode_tok_s()).collect();
    let within_budget_fraction = budget_ms.and_then(|b| {
        let limit = b * 1e6;
        (!decode.is_empty()).then(|| {
            decode.iter().filter(|&&ns| ns as f64 <= limit).count() as f64 / decode.len() as f64
        })
    });
    let first = &runs[0].tokens;
    Some(LatencySummary {
        prefill_tok_s: prompt_tokens as f64 / (ttft.p50_ns / 1e9),
        ttft,
        decode: decode_stats,
        decode_tok_s: stats::median(&per_run_tok_s),
        decode_tok_s_ci95: stats::bootstrap_median_ci95(&per_run_tok_s),
        within_budget_fraction,
        runs_agree: runs.iter().all(|r| &r.tokens == first),
        harness_gap_p50_ns: None,
    })
}
