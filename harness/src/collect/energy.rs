//! Energy per phase from a sample series. Power sources are integrated with the trapezoid rule;
//! counter sources (RAPL) are differenced, with wrap-around. Both become one cumulative curve
//! E(t), so a phase's energy is E(end) − E(start) with exact interpolation at the boundaries
//! (power is linear between samples, so E is quadratic there). Spans with the same name add up
//! (one `decode` span per measured run).

mod curve;

pub use curve::{wrapping_delta, EnergyCurve};

use std::collections::BTreeMap;

use crate::collect::sampler::SampleSeries;
use crate::results::power::{PhaseEnergy, PhaseSpanMs, PowerMeasured, PowerMetrics, PowerPoint};

pub const IDLE: &str = "idle";
pub const LOAD: &str = "load";
pub const PREFILL: &str = "prefill";
pub const DECODE: &str = "decode";

/// The timeline in a report keeps at most this many points (bucket means).
pub const TIMELINE_MAX_POINTS: usize = 2000;

/// A named time span on CLOCK_MONOTONIC.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PhaseSpan {
    pub name: String,
    pub start_ns: u64,
    pub end_ns: u64,
}

impl PhaseSpan {
    pub fn new(name: &str, start_ns: u64, end_ns: u64) -> PhaseSpan {
        PhaseSpan {
            name: name.to_string(),
            start_ns,
            end_ns: end_ns.max(start_ns),
        }
    }
}

/// Average power over `[start_ns, end_ns]`, e.g. an idle window before the worker starts.
pub fn average_power_w(series: &SampleSeries, start_ns: u64, end_ns: u64) -> Option<f64> {
    let curve = EnergyCurve::from_series(series)?;
    (end_ns > start_ns)
        .then(|| curve.energy_j(start_ns, end_ns) / ((end_ns - start_ns) as f64 * 1e-9))
}

/// The `power` block of a point: energy per phase, per decode token, gross and net of idle.
/// `idle_power_w` comes from a baseline measured before the run; when `None`, an `idle` span in
/// `phases` supplies it.
pub fn summarize(
    series: &SampleSeries,
    phases: &[PhaseSpan],
    decode_tokens: Option<u64>,
    idle_power_w: Option<f64>,
) -> PowerMetrics {
    let Some(source) = series.source.clone() else {
        let reason = series
            .unavailable
            .clone()
            .unwrap_or_else(|| "no power source".into());
        return PowerMetrics::unavailable(reason);
    };
    let Some(curve) = EnergyCurve::from_series(series) else {
        return PowerMetrics::unavailable(format!(
            "power source {source} gave no usable samples ({} read errors{})",
            series.read_errors,
            series
                .last_error
                .as_deref()
                .map(|e| format!("; last: {e}"))
                .unwrap_or_default()
        ));
    };
    let mut notes = series.notes.clone();
    let mut by_name: BTreeMap<String, (u64, f64, usize)> = BTreeMap::new();
    for p in phases {
        let slack = 2 * series.period_ns();
        if p.start_ns + slack < curve.first_ns() || p.end_ns > curve.last_ns() + slack {
            notes.push(format!(
                "phase {} extends beyond the sampled window; edge power was held",
                p.name
            ));
        }
        let n = series
            .samples
            .iter()
            .filter(|s| (p.start_ns..=p.end_ns).contains(&s.t_ns))
            .count();
        let e = by_name.entry(p.name.clone()).or_default();
        *e = (
            e.0 + (p.end_ns - p.start_ns),
            e.1 + curve.energy_j(p.start_ns, p.end_ns),
            e.2 + n,
        );
    }
    let idle_power_w = idle_power_w.or_else(|| {
        by_name
            .get(IDLE)
            .filter(|v| v.0 > 0)
            .map(|v| v.1 / (v.0 as f64 * 1e-9))
    });
    let phase_out: BTreeMap<String, PhaseEnergy> = by_name
        .iter()
        .map(|(name, &(dur_ns, energy_j, samples))| {
            let dur_s = dur_ns as f64 * 1e-9;
            let net = idle_power_w
                .filter(|_| name != IDLE)
                .map(|idle| energy_j - idle * dur_s);
            let avg = (dur_ns > 0).then(|| energy_j / dur_s);
            (
                name.clone(),
                PhaseEnergy {
                    duration_ms: dur_s * 1e3,
                    energy_j,
                    avg_power_w: avg,
                    net_energy_j: net,
                    samples,
                },
            )
        })
        .collect();
    let busy: Vec<&PhaseEnergy> = phase_out
        .iter()
        .filter(|(n, _)| *n != IDLE)
        .map(|(_, p)| p)
        .collect();
    let (energy_j, dur_s) = if busy.is_empty() {
        (
            curve.energy_j(curve.first_ns(), curve.last_ns()),
            (curve.last_ns() - curve.first_ns()) as f64 * 1e-9,
        )
    } else {
        (
            busy.iter().map(|p| p.energy_j).sum(),
            busy.iter().map(|p| p.duration_ms).sum::<f64>() * 1e-3,
        )
    };
    let avg_power_w = (dur_s > 0.0).then(|| energy_j / dur_s);
    let decode = phase_out.get(DECODE);
    let tokens = decode_tokens.filter(|&n| n > 0);
    if decode.is_none() {
        notes.push("no decode phase: energy per token not computed".into());
    } else if tokens.is_none() {
        notes.push("decode token count unknown or 0: energy per token not computed".into());
    }
    let per_token = |e: Option<f64>| Some(e? / tokens? as f64);
    let energy_per_token_j = per_token(decode.map(|d| d.energy_j));
    let net_energy_per_token_j = per_token(decode.and_then(|d| d.net_energy_j));
    if idle_power_w.is_none() {
        notes.push("no idle baseline: net figures not computed".into());
    }
    PowerMetrics::Measured(Box::new(PowerMeasured {
        available: true,
        source,
        source_info: series.source_info.clone(),
        sample_rate_hz: series.achieved_rate_hz(),
        samples: series.samples.len(),
        read_errors: series.read_errors,
        sampler_cpu_ns_per_sample: series.sampler_cpu_ns_per_sample(),
        phases: phase_out,
        energy_j,
        avg_power_w,
        idle_power_w,
        net_avg_power_w: avg_power_w.zip(idle_power_w).map(|(a, i)| a - i),
        decode_tokens,
        energy_per_token_j,
        net_energy_per_token_j,
        notes,
        timeline_t0_ns: series.started_ns,
        timeline: timeline(series, TIMELINE_MAX_POINTS),
        spans: phases
            .iter()
            .map(|p| {
                let ms = |ns: u64| ((ns as f64 - series.started_ns as f64) * 1e-3).round() / 1e3;
                PhaseSpanMs {
                    name: p.name.clone(),
                    start_ms: ms(p.start_ns),
                    end_ms: ms(p.end_ns),
                }
            })
            .collect(),
    }))
}

/// `(t_ms since series start, power_w)`, averaged into at most `max_points` buckets.
pub fn timeline(series: &SampleSeries, max_points: usize) -> Vec<PowerPoint> {
    let pts: Vec<(u64, f64)> = series
        .samples
        .iter()
        .filter_map(|s| Some((s.t_ns, s.power_w?)))
        .collect();
    let per = pts.len().div_ceil(max_points.max(1)).max(1);
    pts.chunks(per)
        .map(|c| {
            let n = c.len() as f64;
            let t = c.iter().map(|p| p.0 as f64).sum::<f64>() / n;
            let t_ms = (t - series.started_ns as f64) * 1e-6;
            let power_w = c.iter().map(|p| p.1).sum::<f64>() / n;
            // Microsecond and 0.1 mW resolution keep report.json small and readable.
            PowerPoint {
                t_ms: (t_ms * 1e3).round() / 1e3,
                power_w: (power_w * 1e4).round() / 1e4,
            }
        })
        .collect()
}
