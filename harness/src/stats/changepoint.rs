//! Step detection in a nightly series (one value per run, each with its 95% interval), after
//! asv's approach (`asv.step_detect`): fit a piecewise-constant function by minimizing the
//! weighted L1 distance of the points to their segment's level plus a penalty per segment,
//! solved exactly by dynamic programming (optimal partitioning). Each point is weighted by the
//! inverse of its noise: its interval's half-width ÷ 1.96, never below the series' robust
//! night-to-night noise (when there are enough nights to tell) nor 0.1% of the level.

/// One fitted segment: points `start..end` at level `level` (their weighted median).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Segment {
    pub start: usize,
    pub end: usize,
    pub level: f64,
}

/// Penalty per segment in units of one point's noise: `3 + 2 ln n` (BIC-like; a single
/// night must lie that many noise units off the level to form a segment of its own).
fn penalty(n: usize) -> f64 {
    3.0 + 2.0 * (n.max(1) as f64).ln()
}

/// Robust night-to-night noise: median |successive difference| ÷ (0.6745 √2). Only with 5 or
/// more points: with fewer, one real step dominates the median.
fn diff_sigma(ys: &[f64]) -> Option<f64> {
    if ys.len() < 5 {
        return None;
    }
    let d: Vec<f64> = ys.windows(2).map(|w| (w[1] - w[0]).abs()).collect();
    Some(super::median(&d)? / (0.6745 * std::f64::consts::SQRT_2))
}

/// Weighted median of `(value, weight)` pairs.
fn weighted_median(pts: &mut [(f64, f64)]) -> f64 {
    pts.sort_by(|a, b| a.0.total_cmp(&b.0));
    let total: f64 = pts.iter().map(|p| p.1).sum();
    let mut acc = 0.0;
    for p in pts.iter() {
        acc += p.1;
        if acc >= total / 2.0 {
            return p.0;
        }
    }
    pts.last().map_or(0.0, |p| p.0)
}

/// Segment `ys` (with optional 95% intervals `cis`, same length). Empty input → no segments.
pub fn segments(ys: &[f64], cis: &[Option<[f64; 2]>]) -> Vec<Segment> {
    let n = ys.len();
    if n == 0 {
        return Vec::new();
    }
    let level = super::median(ys).unwrap_or(0.0).abs();
    let floor = (diff_sigma(ys).unwrap_or(0.0))
        .max(level * 1e-3)
        .max(f64::MIN_POSITIVE);
    let w: Vec<f64> = (0..n)
        .map(|i| {
            let ci_sigma = cis
                .get(i)
                .copied()
                .flatten()
                .map_or(0.0, |[lo, hi]| (hi - lo).abs() / (2.0 * 1.96));
            1.0 / ci_sigma.max(floor)
        })
        .collect();
    // cost(i, j): weighted L1 distance of points i..j to their weighted median.
    let cost = |i: usize, j: usize| -> (f64, f64) {
        let mut pts: Vec<(f64, f64)> = (i..j).map(|k| (ys[k], w[k])).collect();
        let m = weighted_median(&mut pts);
        (pts.iter().map(|(y, wk)| wk * (y - m).abs()).sum(), m)
    };
    let gamma = penalty(n);
    let mut best = vec![f64::INFINITY; n + 1];
    let mut prev = vec![0usize; n + 1];
    best[0] = -gamma;
    for j in 1..=n {
        for i in 0..j {
            let c = best[i] + cost(i, j).0 + gamma;
            if c < best[j] {
                best[j] = c;
                prev[j] = i;
            }
        }
    }
    let mut out = Vec::new();
    let mut j = n;
    while j > 0 {
        let i = prev[j];
        out.push(Segment {
            start: i,
            end: j,
            level: cost(i, j).1,
        });
        j = i;
    }
    out.reverse();
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_flat_noisy_series_is_one_segment() {
        let ys = [100.0, 101.0, 99.5, 100.4, 99.8, 100.9, 100.1];
        let cis = vec![Some([98.0, 102.0]); ys.len()];
        assert_eq!(segments(&ys, &cis).len(), 1);
    }

    #[test]
    fn a_last_night_step_is_its_own_segment() {
        let ys = [100.0, 100.5, 80.0];
        let cis = vec![Some([99.0, 101.0]); 3];
        let s = segments(&ys, &cis);
        assert_eq!(s.len(), 2, "{s:?}");
        assert_eq!((s[1].start, s[1].level), (2, 80.0));
    }

    #[test]
    fn one_outlier_night_in_a_long_series_does_not_split_it_twice() {
        let mut ys = vec![100.0; 12];
        ys[5] = 101.5;
        ys.extend([90.0, 90.2, 89.9]);
        let cis = vec![Some([98.0, 102.0]); ys.len()];
        let s = segments(&ys, &cis);
        assert_eq!(s.len(), 2, "{s:?}");
        assert_eq!(s[1].start, 12);
    }
}
