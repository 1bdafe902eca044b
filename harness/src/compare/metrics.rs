//! The metrics `compare`, `history` and the BMF exporter read from a point: each with its
//! direction, its raw samples where the report keeps them (per-run decode tok/s, per-run TTFT,
//! every decode step) and its summary value. A metric the point did not measure is absent,
//! never 0; a metric with one value per run has no samples and so no interval.

use crate::results::{PointResult, PointStatus};
use crate::stats::compare::{bootstrap_ci95, Statistic};

/// One metric that runs are compared on.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct MetricDef {
    /// Name with its unit, as in reports and history: `decode_tok_s`, `ttft_p50_ms`, ...
    pub name: &'static str,
    pub higher_is_better: bool,
    /// What the samples are summarized by.
    pub stat: Statistic,
    /// A change smaller than this (in the metric's unit) never counts, whatever its ratio:
    /// identical runs' peak RSS differs by a few hundred KiB (allocator arenas, page
    /// granularity), which is 5% of a small process.
    pub min_abs_change: f64,
}

pub const DECODE_TOK_S: MetricDef = MetricDef {
    name: "decode_tok_s",
    higher_is_better: true,
    stat: Statistic::Median,
    min_abs_change: 0.0,
};

/// Every metric, in report order.
pub const METRICS: &[MetricDef] = &[
    DECODE_TOK_S,
    MetricDef {
        name: "prefill_tok_s",
        higher_is_better: true,
        stat: Statistic::Median,
        min_abs_change: 0.0,
    },
    MetricDef {
        name: "ttft_p50_ms",
        higher_is_better: false,
        stat: Statistic::Median,
        min_abs_change: 0.0,
    },
    MetricDef {
        name: "decode_p99_ms",
        higher_is_better: false,
        stat: Statistic::P99,
        min_abs_change: 0.0,
    },
    MetricDef {
        name: "peak_rss_steady_bytes",
        higher_is_better: false,
        stat: Statistic::Median,
        min_abs_change: 1024.0 * 1024.0,
    },
    MetricDef {
        name: "j_per_token",
        higher_is_better: false,
        stat: Statistic::Median,
        min_abs_change: 0.0,
    },
];

/// Look a metric up by name.
pub fn by_name(name: &str) -> Option<MetricDef> {
    METRICS.iter().copied().find(|m| m.name == name)
}

/// A metric's figures in one point.
#[derive(Debug, Clone, PartialEq)]
pub struct Measured {
    /// The statistic of the samples, or the report's single value.
    pub value: f64,
    /// Raw samples (empty when the report keeps one value only).
    pub samples: Vec<f64>,
    /// 95% bootstrap interval of the statistic; `None` without samples.
    pub ci95: Option<[f64; 2]>,
}

/// Seed of the per-side intervals (distinct from the ratio's).
const CI_SEED: u64 = 0x005E_EDC1;

fn from_samples(samples: Vec<f64>, stat: Statistic) -> Option<Measured> {
    let value = stat.of(&samples)?;
    Some(Measured {
        value,
        ci95: bootstrap_ci95(&samples, stat, CI_SEED),
        samples,
    })
}

fn single(value: Option<f64>) -> Option<Measured> {
    value.filter(|v| v.is_finite()).map(|value| Measured {
        value,
        samples: Vec::new(),
        ci95: None,
    })
}

/// `metric` of `point`, `None` when the point did not measure it (or did not run).
pub fn measure(point: &PointResult, metric: &MetricDef) -> Option<Measured> {
    if point.status != PointStatus::Ok {
        return None;
    }
    let runs = &point.runs;
    let prompt = point.label.prompt_tokens as f64;
    match metric.name {
        "decode_tok_s" => {
            let s: Vec<f64> = runs.iter().filter_map(|r| r.decode_tok_s()).collect();
            from_samples(s, metric.stat).or_else(|| single(point.latency.as_ref()?.decode_tok_s))
        }
        "prefill_tok_s" => {
            let s: Vec<f64> = runs
                .iter()
                .filter(|r| r.ttft_ns > 0)
                .map(|r| prompt / (r.ttft_ns as f64 / 1e9))
                .collect();
            from_samples(s, metric.stat)
                .or_else(|| single(Some(point.latency.as_ref()?.prefill_tok_s)))
        }
        "ttft_p50_ms" => {
            let s: Vec<f64> = runs.iter().map(|r| r.ttft_ns as f64 / 1e6).collect();
            from_samples(s, metric.stat)
                .or_else(|| single(Some(point.latency.as_ref()?.ttft.p50_ns / 1e6)))
        }
        "decode_p99_ms" => {
            let s: Vec<f64> = runs
                .iter()
                .flat_map(|r| r.decode_latency_ns.iter().map(|&ns| ns as f64 / 1e6))
                .collect();
            from_samples(s, metric.stat)
                .or_else(|| single(Some(point.latency.as_ref()?.decode.as_ref()?.p99_ns / 1e6)))
        }
        "peak_rss_steady_bytes" => single(point.memory.peak_rss_steady_bytes.map(|b| b as f64)),
        "j_per_token" => single(point.power.measured()?.energy_per_token_j),
        _ => None,
    }
}
