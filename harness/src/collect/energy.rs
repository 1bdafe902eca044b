//! Energy per phase from a sample series. Power sources are integrated with the trapezoid rule;
//! counter sources (RAPL) are differenced, with wrap-around. Both become one cumulative curve
//! E(t), so a phase's energy is E(end) − E(start) with exact interpolation at the boundaries
//! (power is linear between samples, so E is quadratic there). Spans with the same name add up
//! (one `decode` span per measured run).

use std::collections::BTreeMap;

use crate::collect::metrics::{PhaseEnergy, PowerMeasured, PowerMetrics, PowerPoint};
use crate::collect::sampler::SampleSeries;

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

/// Increase of a counter from `prev` to `cur`; a decrease is a wrap when `wrap` is known.
pub fn wrapping_delta(prev: f64, cur: f64, wrap: Option<f64>) -> Option<f64> {
    match (cur >= prev, wrap) {
        (true, _) => Some(cur - prev),
        (false, Some(range)) => Some(range - prev + cur),
        (false, None) => None,
    }
}

/// Cumulative energy since the first sample, E(t), joules.
#[derive(Debug, Clone)]
pub struct EnergyCurve {
    t_ns: Vec<u64>,
    cum_j: Vec<f64>,
    /// Power at each sample for power sources; empty for counters (linear E between samples).
    power_w: Vec<f64>,
}

impl EnergyCurve {
    /// From `(t_ns, power_w)` in time order; `None` when empty.
    pub fn from_power(points: &[(u64, f64)]) -> Option<EnergyCurve> {
        points.first()?;
        let mut cum = vec![0.0];
        for w in points.windows(2) {
            let dt = (w[1].0 - w[0].0) as f64 * 1e-9;
            cum.push(cum.last().unwrap() + 0.5 * (w[0].1 + w[1].1) * dt);
        }
        Some(EnergyCurve {
            t_ns: points.iter().map(|p| p.0).collect(),
            cum_j: cum,
            power_w: points.iter().map(|p| p.1).collect(),
        })
    }

    /// From `(t_ns, counter_j)` in time order; a decrease is a wrap when `wrap_j` is known, else
    /// a reset that contributes nothing. `None` with fewer than two samples.
    pub fn from_counter(points: &[(u64, f64)], wrap_j: Option<f64>) -> Option<EnergyCurve> {
        if points.len() < 2 {
            return None;
        }
        let mut cum = vec![0.0];
        for w in points.windows(2) {
            let d = wrapping_delta(w[0].1, w[1].1, wrap_j).unwrap_or(0.0);
            cum.push(cum.last().unwrap() + d);
        }
        Some(EnergyCurve {
            t_ns: points.iter().map(|p| p.0).collect(),
            cum_j: cum,
            power_w: Vec::new(),
        })
    }

    /// The curve of a sampler's series (counter samples win over power samples).
    pub fn from_series(series: &SampleSeries) -> Option<EnergyCurve> {
        let counter: Vec<(u64, f64)> = series
            .samples
            .iter()
            .filter_map(|s| Some((s.t_ns, s.energy_counter_j?)))
            .collect();
        if !counter.is_empty() {
            return Self::from_counter(&counter, series.counter_wrap_j);
        }
        let power: Vec<(u64, f64)> = series
            .samples
            .iter()
            .filter_map(|s| Some((s.t_ns, s.power_w?)))
            .collect();
        Self::from_power(&power)
    }

    pub fn first_ns(&self) -> u64 {
        self.t_ns[0]
    }

    pub fn last_ns(&self) -> u64 {
        *self.t_ns.last().unwrap()
    }

    /// E(t); outside the samples the first/last power (or counter slope) is held.
    pub fn energy_at(&self, t_ns: u64) -> f64 {
        let n = self.t_ns.len();
        let i = self.t_ns.partition_point(|&x| x <= t_ns).saturating_sub(1);
        let i = if i + 1 >= n { n.saturating_sub(2) } else { i };
        if n == 1 {
            return self.power_w[0] * (t_ns as f64 - self.t_ns[0] as f64) * 1e-9;
        }
        let (t0, t1) = (self.t_ns[i] as f64, self.t_ns[i + 1] as f64);
        let span_s = (t1 - t0) * 1e-9;
        let dt = (t_ns as f64 - t0) * 1e-9;
        let inside = (0.0..=span_s).contains(&dt);
        if self.power_w.is_empty() {
            let slope = (self.cum_j[i + 1] - self.cum_j[i]) / span_s.max(1e-12);
            return self.cum_j[i] + slope * dt;
        }
        let (p0, p1) = (self.power_w[i], self.power_w[i + 1]);
        if inside {
            self.cum_j[i] + p0 * dt + 0.5 * (p1 - p0) / span_s.max(1e-12) * dt * dt
        } else if dt < 0.0 {
            self.cum_j[i] + p0 * dt
        } else {
            self.cum_j[i + 1] + p1 * (dt - span_s)
        }
    }

    /// Energy between two instants, joules.
    pub fn energy_j(&self, start_ns: u64, end_ns: u64) -> f64 {
        self.energy_at(end_ns) - self.energy_at(start_ns)
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
    PowerMetrics::Measured(PowerMeasured {
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
    })
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
            PowerPoint {
                t_ms: (t - series.started_ns as f64) * 1e-6,
                power_w: c.iter().map(|p| p.1).sum::<f64>() / n,
            }
        })
        .collect()
}
