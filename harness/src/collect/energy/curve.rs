//! The cumulative energy curve E(t) behind every phase figure: trapezoids for power samples,
//! differences (with wrap-around) for counters, exact interpolation between samples.

use crate::collect::sampler::SampleSeries;

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
