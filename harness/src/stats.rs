//! Small statistics: order statistics of latency samples, and a percentile bootstrap for
//! confidence intervals (fixed seed, so re-rendering a report gives the same interval).
//! Comparing two runs ([`compare`]) and finding steps in a nightly series ([`changepoint`])
//! live in submodules.

pub mod changepoint;
pub mod compare;

use rand::{Rng, SeedableRng};

use crate::results::LatencyStats;

/// Percentile `p` in [0, 100] of sorted data, linear interpolation between closest ranks
/// (numpy's default). `None` for empty input.
pub fn percentile_sorted(sorted: &[f64], p: f64) -> Option<f64> {
    if sorted.is_empty() {
        return None;
    }
    let rank = (p / 100.0).clamp(0.0, 1.0) * (sorted.len() - 1) as f64;
    let lo = rank.floor() as usize;
    let hi = rank.ceil() as usize;
    Some(sorted[lo] + (sorted[hi] - sorted[lo]) * (rank - lo as f64))
}

pub fn mean(xs: &[f64]) -> Option<f64> {
    (!xs.is_empty()).then(|| xs.iter().sum::<f64>() / xs.len() as f64)
}

pub fn median(xs: &[f64]) -> Option<f64> {
    let mut v = xs.to_vec();
    v.sort_by(f64::total_cmp);
    percentile_sorted(&v, 50.0)
}

/// Sample standard deviation (n - 1); 0 for a single sample.
pub fn stddev(xs: &[f64]) -> Option<f64> {
    let m = mean(xs)?;
    if xs.len() < 2 {
        return Some(0.0);
    }
    Some((xs.iter().map(|x| (x - m).powi(2)).sum::<f64>() / (xs.len() - 1) as f64).sqrt())
}

/// Summary of latencies in nanoseconds; `None` for an empty sample.
pub fn latency_stats(ns: &[u64]) -> Option<LatencyStats> {
    if ns.is_empty() {
        return None;
    }
    let mut v: Vec<f64> = ns.iter().map(|&x| x as f64).collect();
    v.sort_by(f64::total_cmp);
    Some(LatencyStats {
        n: v.len(),
        mean_ns: mean(&v)?,
        stddev_ns: stddev(&v)?,
        min_ns: *ns.iter().min()?,
        p50_ns: percentile_sorted(&v, 50.0)?,
        p90_ns: percentile_sorted(&v, 90.0)?,
        p99_ns: percentile_sorted(&v, 99.0)?,
        max_ns: *ns.iter().max()?,
    })
}

/// 95% percentile-bootstrap interval of the median of `xs` (2000 resamples, fixed seed).
/// `None` with fewer than 2 samples: one run gives no interval.
pub fn bootstrap_median_ci95(xs: &[f64]) -> Option<[f64; 2]> {
    if xs.len() < 2 {
        return None;
    }
    let mut rng = rand_pcg::Pcg64Mcg::seed_from_u64(0xB0_07_57_A9);
    let mut meds = Vec::with_capacity(2000);
    let mut buf = vec![0.0; xs.len()];
    for _ in 0..2000 {
        for b in buf.iter_mut() {
            *b = xs[rng.random_range(0..xs.len())];
        }
        meds.push(median(&buf)?);
    }
    meds.sort_by(f64::total_cmp);
    Some([
        percentile_sorted(&meds, 2.5)?,
        percentile_sorted(&meds, 97.5)?,
    ])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentiles_interpolate_like_numpy() {
        let v = [1.0, 2.0, 3.0, 4.0];
        assert_eq!(percentile_sorted(&v, 50.0), Some(2.5));
        assert_eq!(percentile_sorted(&v, 0.0), Some(1.0));
        assert_eq!(percentile_sorted(&v, 100.0), Some(4.0));
        assert!((percentile_sorted(&v, 90.0).unwrap() - 3.7).abs() < 1e-12);
        assert_eq!(percentile_sorted(&[], 50.0), None);
    }

    #[test]
    fn latency_stats_of_known_sample() {
        let s = latency_stats(&[10, 20, 30, 40, 50]).unwrap();
        assert_eq!((s.n, s.min_ns, s.max_ns), (5, 10, 50));
        assert_eq!(s.p50_ns, 30.0);
        assert_eq!(s.mean_ns, 30.0);
        assert!((s.stddev_ns - 15.811388).abs() < 1e-5);
        assert!(latency_stats(&[]).is_none());
    }

    #[test]
    fn bootstrap_interval_brackets_the_median() {
        let xs: Vec<f64> = (0..50).map(|i| 100.0 + (i % 7) as f64).collect();
        let [lo, hi] = bootstrap_median_ci95(&xs).unwrap();
        let m = median(&xs).unwrap();
        assert!(lo <= m && m <= hi, "{lo} {m} {hi}");
        assert!(bootstrap_median_ci95(&[1.0]).is_none());
        let [a, b] = bootstrap_median_ci95(&[5.0, 5.0, 5.0]).unwrap();
        assert_eq!((a, b), (5.0, 5.0));
    }
}
