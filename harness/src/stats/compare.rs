//! Statistics for comparing two samples: a bootstrap interval of the ratio of two medians (or
//! p99s), the Mann-Whitney U test, Tukey-fence outlier classes, and asv's rule that a change
//! counts only when it is larger than a threshold factor and statistically significant.

use rand::{Rng, SeedableRng};

use super::percentile_sorted;

/// Which order statistic a comparison is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Statistic {
    Median,
    P99,
}

impl Statistic {
    /// The statistic of `xs` (`None` when empty). Sorts a copy.
    pub fn of(self, xs: &[f64]) -> Option<f64> {
        let mut v = xs.to_vec();
        v.sort_by(f64::total_cmp);
        percentile_sorted(&v, self.percent())
    }

    fn percent(self) -> f64 {
        match self {
            Statistic::Median => 50.0,
            Statistic::P99 => 99.0,
        }
    }
}

/// Resamples per bootstrap interval.
pub const BOOTSTRAP_RESAMPLES: usize = 2000;
/// Seed of every comparison bootstrap: the same samples always give the same interval.
pub const BOOTSTRAP_SEED: u64 = 0xC0_4D_A7_E5;

/// 95% percentile-bootstrap interval of `stat(new) / stat(base)`: both sides are resampled
/// independently ([`BOOTSTRAP_RESAMPLES`] times, seeded by `seed`). `None` when either side
/// has fewer than 2 samples (no interval from one value) or a base statistic is 0.
pub fn bootstrap_ratio_ci95(
    base: &[f64],
    new: &[f64],
    stat: Statistic,
    seed: u64,
) -> Option<[f64; 2]> {
    if base.len() < 2 || new.len() < 2 {
        return None;
    }
    let mut rng = rand_pcg::Pcg64Mcg::seed_from_u64(seed);
    let mut ratios = Vec::with_capacity(BOOTSTRAP_RESAMPLES);
    let mut bb = vec![0.0; base.len()];
    let mut nb = vec![0.0; new.len()];
    for _ in 0..BOOTSTRAP_RESAMPLES {
        for b in bb.iter_mut() {
            *b = base[rng.random_range(0..base.len())];
        }
        for n in nb.iter_mut() {
            *n = new[rng.random_range(0..new.len())];
        }
        bb.sort_by(f64::total_cmp);
        nb.sort_by(f64::total_cmp);
        let d = percentile_sorted(&bb, stat.percent())?;
        if d == 0.0 {
            return None;
        }
        ratios.push(percentile_sorted(&nb, stat.percent())? / d);
    }
    ratios.sort_by(f64::total_cmp);
    Some([
        percentile_sorted(&ratios, 2.5)?,
        percentile_sorted(&ratios, 97.5)?,
    ])
}

/// 95% percentile-bootstrap interval of one sample's statistic (same scheme as the ratio).
pub fn bootstrap_ci95(xs: &[f64], stat: Statistic, seed: u64) -> Option<[f64; 2]> {
    if xs.len() < 2 {
        return None;
    }
    let mut rng = rand_pcg::Pcg64Mcg::seed_from_u64(seed);
    let mut out = Vec::with_capacity(BOOTSTRAP_RESAMPLES);
    let mut buf = vec![0.0; xs.len()];
    for _ in 0..BOOTSTRAP_RESAMPLES {
        for b in buf.iter_mut() {
            *b = xs[rng.random_range(0..xs.len())];
        }
        buf.sort_by(f64::total_cmp);
        out.push(percentile_sorted(&buf, stat.percent())?);
    }
    out.sort_by(f64::total_cmp);
    Some([
        percentile_sorted(&out, 2.5)?,
        percentile_sorted(&out, 97.5)?,
    ])
}

/// Result of a two-sided Mann-Whitney U test.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct MannWhitney {
    /// U of the first sample (the number of pairs where it is larger, ties counting ½).
    pub u: f64,
    /// Two-sided p-value.
    pub p: f64,
    /// True when `p` is exact (small samples without ties), false for the normal
    /// approximation (with tie and continuity correction).
    pub exact: bool,
}

/// Largest `n1 * n2` for which the exact distribution of U is enumerated.
const EXACT_MAX_PAIRS: usize = 400;

/// Two-sided Mann-Whitney U test of `a` against `b`. Exact for small samples without ties,
/// otherwise the normal approximation with tie correction and a continuity correction.
/// `None` when a side is empty.
pub fn mann_whitney_u(a: &[f64], b: &[f64]) -> Option<MannWhitney> {
    let (n1, n2) = (a.len(), b.len());
    if n1 == 0 || n2 == 0 {
        return None;
    }
    // Midranks of the pooled sample.
    let mut pooled: Vec<(f64, bool)> = a
        .iter()
        .map(|&x| (x, true))
        .chain(b.iter().map(|&x| (x, false)))
        .collect();
    pooled.sort_by(|x, y| x.0.total_cmp(&y.0));
    let n = pooled.len();
    let mut rank_sum_a = 0.0;
    let mut tie_term = 0.0;
    let mut i = 0;
    while i < n {
        let mut j = i;
        while j + 1 < n && pooled[j + 1].0 == pooled[i].0 {
            j += 1;
        }
        let t = (j - i + 1) as f64;
        let rank = (i + j) as f64 / 2.0 + 1.0;
        rank_sum_a += rank * pooled[i..=j].iter().filter(|p| p.1).count() as f64;
        tie_term += t * t * t - t;
        i = j + 1;
    }
    let (f1, f2) = (n1 as f64, n2 as f64);
    let u = rank_sum_a - f1 * (f1 + 1.0) / 2.0;
    let mean_u = f1 * f2 / 2.0;
    if tie_term == 0.0 && n1 * n2 <= EXACT_MAX_PAIRS {
        let counts = u_distribution(n1, n2);
        let total: f64 = counts.iter().sum();
        let k = u.round() as usize;
        let lower: f64 = counts[..=k].iter().sum::<f64>() / total;
        let upper: f64 = counts[k..].iter().sum::<f64>() / total;
        return Some(MannWhitney {
            u,
            p: (2.0 * lower.min(upper)).min(1.0),
            exact: true,
        });
    }
    let nf = f1 + f2;
    let var = f1 * f2 / 12.0 * ((nf + 1.0) - tie_term / (nf * (nf - 1.0)));
    if var <= 0.0 {
        // Every value equal: no evidence of any difference.
        return Some(MannWhitney {
            u,
            p: 1.0,
            exact: false,
        });
    }
    let z = ((u - mean_u).abs() - 0.5).max(0.0) / var.sqrt();
    Some(MannWhitney {
        u,
        p: (2.0 * normal_sf(z)).min(1.0),
        exact: false,
    })
}

/// Number of arrangements giving each U = 0..=n1*n2 (no ties).
fn u_distribution(n1: usize, n2: usize) -> Vec<f64> {
    // f[m][n][u] = f[m-1][n][u-n] + f[m][n-1][u], built over n for each m.
    let max = n1 * n2;
    let mut prev: Vec<Vec<f64>> = (0..=n2)
        .map(|_| {
            let mut v = vec![0.0; max + 1];
            v[0] = 1.0;
            v
        })
        .collect(); // m = 0
    for _m in 1..=n1 {
        let mut cur: Vec<Vec<f64>> = vec![vec![0.0; max + 1]; n2 + 1];
        cur[0][0] = 1.0;
        for n in 1..=n2 {
            for u in 0..=max {
                let from_a = if u >= n { prev[n][u - n] } else { 0.0 };
                cur[n][u] = from_a + cur[n - 1][u];
            }
        }
        prev = cur;
    }
    prev.swap_remove(n2)
}

/// Smallest two-sided p-value the test can give with these sample sizes (asv checks it
/// before trusting the test): 2 / C(n1 + n2, n1), capped at 1.
pub fn smallest_p(n1: usize, n2: usize) -> f64 {
    let k = n1.min(n2);
    let mut c = 1.0f64;
    for i in 0..k {
        c = c * (n1 + n2 - i) as f64 / (i + 1) as f64;
    }
    (2.0 / c).min(1.0)
}

/// Upper tail of the standard normal: erfc(z / √2) / 2.
fn normal_sf(z: f64) -> f64 {
    0.5 * erfc(z / std::f64::consts::SQRT_2)
}

/// Complementary error function (Numerical Recipes' `erfcc`, |relative error| < 1.2e-7).
fn erfc(x: f64) -> f64 {
    let z = x.abs();
    let t = 1.0 / (1.0 + 0.5 * z);
    let r = t
        * (-z * z - 1.265_512_23
            + t * (1.000_023_68
                + t * (0.374_091_96
                    + t * (0.096_784_18
                        + t * (-0.186_288_06
                            + t * (0.278_868_07
                                + t * (-1.135_203_98
                                    + t * (1.488_515_87
                                        + t * (-0.822_152_23 + t * 0.170_872_77)))))))))
            .exp();
    if x >= 0.0 {
        r
    } else {
        2.0 - r
    }
}

/// Tukey-fence classes of a sample: values beyond 1.5 IQR of the quartiles are mild outliers,
/// beyond 3 IQR severe. They are counted and reported; no value is ever dropped.
#[derive(Debug, Clone, Copy, Default, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Outliers {
    pub n: usize,
    pub low_severe: usize,
    pub low_mild: usize,
    pub high_mild: usize,
    pub high_severe: usize,
}

impl Outliers {
    pub fn total(&self) -> usize {
        self.low_severe + self.low_mild + self.high_mild + self.high_severe
    }
}

/// Classify `xs` by Tukey's fences (quartiles interpolated like numpy).
pub fn tukey_outliers(xs: &[f64]) -> Outliers {
    let mut v = xs.to_vec();
    v.sort_by(f64::total_cmp);
    let mut o = Outliers {
        n: v.len(),
        ..Outliers::default()
    };
    let (Some(q1), Some(q3)) = (percentile_sorted(&v, 25.0), percentile_sorted(&v, 75.0)) else {
        return o;
    };
    let iqr = q3 - q1;
    for &x in &v {
        if x < q1 - 3.0 * iqr {
            o.low_severe += 1;
        } else if x < q1 - 1.5 * iqr {
            o.low_mild += 1;
        } else if x > q3 + 3.0 * iqr {
            o.high_severe += 1;
        } else if x > q3 + 1.5 * iqr {
            o.high_mild += 1;
        }
    }
    o
}

/// Samples a side needs before a p99 is judged by its own bootstrap interval: 1000 puts 10
/// values above the 99th percentile. With fewer, the p99 is about the sample's maximum, one
/// scheduler hiccup moves it, and significance comes from the rank test like the medians'.
pub const TAIL_MIN_SAMPLES: usize = 1000;

/// asv's significance level for the Mann-Whitney test (`asv.statistics.is_different`).
pub const P_THRESHOLD: f64 = 0.002;

/// How significance was decided.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Basis {
    /// Mann-Whitney U p-value below [`P_THRESHOLD`].
    MannWhitney,
    /// Too few samples for the test to reach [`P_THRESHOLD`]: the two 95% intervals must not
    /// overlap.
    CiOverlap,
    /// A tail statistic (p99): the bootstrap interval of the ratio must exclude 1. A rank
    /// test says where the bulk of the samples sits, not where their tail does.
    RatioCi,
    /// One value per side: only the threshold factor decides.
    ThresholdOnly,
}

/// The evidence about one metric of two runs.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Evidence {
    /// `new / base` of the metric's statistic.
    pub ratio: f64,
    pub p_value: Option<f64>,
    /// Smallest p-value the sample sizes allow ([`smallest_p`]).
    pub p_min: Option<f64>,
    pub base_ci: Option<[f64; 2]>,
    pub new_ci: Option<[f64; 2]>,
    /// Bootstrap 95% interval of `ratio`.
    pub ratio_ci: Option<[f64; 2]>,
    /// The statistic is a tail (p99): with at least [`TAIL_MIN_SAMPLES`] a side it is judged
    /// by `ratio_ci` instead of the rank test; with fewer, by the rank test **and** `ratio_ci`.
    pub tail: bool,
    /// The smaller side's sample count.
    pub n_min: usize,
}

/// asv's rule: a change counts when `ratio` is beyond the threshold factor (`1 + threshold`
/// either way) **and** it is significant: Mann-Whitney p < [`P_THRESHOLD`] when the sample
/// sizes allow such a p-value, else non-overlapping 95% intervals, else (a single value per
/// side) the factor alone. A tail statistic (p99) also needs its whole ratio interval beyond
/// the factor. Returns whether it counts and how significance was judged.
pub fn is_change(e: &Evidence, threshold: f64) -> (bool, Basis) {
    let factor = 1.0 + threshold;
    let beyond = e.ratio > factor || e.ratio < 1.0 / factor;
    // A tail's whole ratio interval must lie beyond the factor: a loaded machine stretches
    // tails first.
    let ci_beyond = e.ratio_ci.map(|[lo, hi]| hi < 1.0 / factor || lo > factor);
    if e.tail && e.n_min >= TAIL_MIN_SAMPLES {
        if let Some(x) = ci_beyond {
            return (beyond && x, Basis::RatioCi);
        }
    }
    let (significant, basis) = match (e.p_value, e.p_min) {
        (Some(p), Some(pmin)) if pmin < P_THRESHOLD => (p < P_THRESHOLD, Basis::MannWhitney),
        _ => match (e.base_ci, e.new_ci) {
            (Some(a), Some(b)) => (a[1] < b[0] || b[1] < a[0], Basis::CiOverlap),
            _ => (true, Basis::ThresholdOnly),
        },
    };
    // A p99 of few samples is about their maximum: the bulk must move and its own interval
    // must lie beyond the factor.
    let significant = significant && (!e.tail || ci_beyond.unwrap_or(true));
    (beyond && significant, basis)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn mann_whitney_matches_scipy() {
        // scipy.stats.mannwhitneyu([1,2,3,4,5],[6,7,8,9,10], method="exact") -> U=0, p=0.007937
        let r = mann_whitney_u(&[1., 2., 3., 4., 5.], &[6., 7., 8., 9., 10.]).unwrap();
        assert!(r.exact);
        assert_eq!(r.u, 0.0);
        assert!((r.p - 0.007_936_5).abs() < 1e-6, "{}", r.p);
        // With ties: asymptotic, tie + continuity corrected (scipy's `method="asymptotic"`):
        // midranks 1, 3, 3, 6 → U = 3; σ² = 16/12 · (9 − 48/56) → z = 4.5/3.295, p = 0.1720.
        let r = mann_whitney_u(&[1., 2., 2., 3.], &[2., 3., 3., 4.]).unwrap();
        assert!(!r.exact);
        assert_eq!(r.u, 3.0);
        assert!((r.p - 0.1720).abs() < 1e-3, "{}", r.p);
        let same = mann_whitney_u(&[1., 1.], &[1., 1.]).unwrap();
        assert_eq!(same.p, 1.0);
    }

    #[test]
    fn tukey_counts_but_keeps() {
        let xs = [10., 11., 10.5, 10.2, 10.8, 30., 10.1, 10.4];
        let o = tukey_outliers(&xs);
        assert_eq!((o.n, o.high_severe, o.total()), (8, 1, 1));
    }

    #[test]
    fn asv_rule_needs_both_factor_and_significance() {
        let e = Evidence {
            ratio: 0.9,
            p_value: Some(0.0001),
            p_min: Some(1e-5),
            base_ci: None,
            new_ci: None,
            ratio_ci: None,
            tail: false,
            n_min: 10,
        };
        assert_eq!(is_change(&e, 0.05), (true, Basis::MannWhitney));
        assert!(!is_change(&Evidence { ratio: 0.97, ..e }, 0.05).0);
        assert!(
            !is_change(
                &Evidence {
                    p_value: Some(0.3),
                    ..e
                },
                0.05
            )
            .0
        );
        let few = Evidence {
            ratio: 0.9,
            p_value: Some(0.1),
            p_min: Some(0.1),
            base_ci: Some([99.0, 101.0]),
            new_ci: Some([89.0, 91.0]),
            ratio_ci: None,
            tail: false,
            n_min: 3,
        };
        assert_eq!(is_change(&few, 0.05), (true, Basis::CiOverlap));
        let overlap = Evidence {
            new_ci: Some([89.0, 100.0]),
            ..few
        };
        assert!(!is_change(&overlap, 0.05).0);
        let tail = Evidence {
            ratio: 1.3,
            ratio_ci: Some([0.95, 1.6]),
            tail: true,
            n_min: TAIL_MIN_SAMPLES,
            ..e
        };
        assert_eq!(is_change(&tail, 0.05), (false, Basis::RatioCi));
        let tail = Evidence {
            ratio_ci: Some([1.1, 1.6]),
            ..tail
        };
        assert_eq!(is_change(&tail, 0.05), (true, Basis::RatioCi));
        // Excluding 1 is not enough for a tail: the interval must clear the factor.
        let near = Evidence {
            ratio_ci: Some([1.04, 1.6]),
            ..tail
        };
        assert_eq!(is_change(&near, 0.05), (false, Basis::RatioCi));
        // Few samples: the rank test and the ratio interval must both agree.
        let few_tail = Evidence {
            n_min: 77,
            ratio_ci: Some([0.9, 1.6]),
            ..tail
        };
        assert_eq!(is_change(&few_tail, 0.05), (false, Basis::MannWhitney));
        let few_tail = Evidence {
            ratio_ci: Some([1.1, 1.6]),
            ..few_tail
        };
        assert_eq!(is_change(&few_tail, 0.05), (true, Basis::MannWhitney));
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 32, ..ProptestConfig::default() })]

        #[test]
        fn ratio_ci_of_identical_samples_covers_one(
            xs in proptest::collection::vec(1.0f64..1000.0, 2..40),
        ) {
            let [lo, hi] = bootstrap_ratio_ci95(&xs, &xs, Statistic::Median, 1).unwrap();
            prop_assert!(lo <= 1.0 && 1.0 <= hi, "[{lo}, {hi}]");
        }

        #[test]
        fn scaling_new_by_k_scales_the_ratio_ci(
            base in proptest::collection::vec(1.0f64..1000.0, 2..30),
            new in proptest::collection::vec(1.0f64..1000.0, 2..30),
            k in 0.1f64..10.0,
        ) {
            let [a, b] = bootstrap_ratio_ci95(&base, &new, Statistic::P99, 7).unwrap();
            let scaled: Vec<f64> = new.iter().map(|x| x * k).collect();
            let [c, d] = bootstrap_ratio_ci95(&base, &scaled, Statistic::P99, 7).unwrap();
            prop_assert!((c - a * k).abs() <= 1e-9 * c.abs().max(1.0));
            prop_assert!((d - b * k).abs() <= 1e-9 * d.abs().max(1.0));
        }

        #[test]
        fn mann_whitney_p_is_symmetric(
            a in proptest::collection::vec(0u32..20, 1..25),
            b in proptest::collection::vec(0u32..20, 1..25),
        ) {
            let a: Vec<f64> = a.into_iter().map(f64::from).collect();
            let b: Vec<f64> = b.into_iter().map(f64::from).collect();
            let x = mann_whitney_u(&a, &b).unwrap();
            let y = mann_whitney_u(&b, &a).unwrap();
            prop_assert!((x.p - y.p).abs() < 1e-9, "{} {}", x.p, y.p);
            prop_assert!((x.u + y.u - (a.len() * b.len()) as f64).abs() < 1e-9);
            prop_assert!((0.0..=1.0).contains(&x.p));
        }
    }
}
