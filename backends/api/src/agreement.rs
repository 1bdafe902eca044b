//! Agreement between two logit sequences over the same positions — greedy-token agreement,
//! max |Δlogit|, top-1 agreement rate and mean/max KL(p_ref ‖ p_other), the measure llama.cpp's
//! perplexity tool reports in its KL-divergence mode — and the teacher-forced run that
//! produces such sequences. The one implementation: the harness's agreement gate and every
//! backend's tests use it.
//!
//! Non-finite logits never compare as agreement: a NaN or infinity on one side and not the
//! other makes |Δlogit| and KL infinite (a plain `f64::max` fold would drop the NaN).

use crate::{argmax, BackendError, Logits, Session};
use serde::{Deserialize, Serialize};

/// How closely `other` followed `reference`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Agreement {
    /// Positions compared (prefill's last position + each decode step).
    pub positions: usize,
    /// Positions where both pick the same argmax.
    pub top1_agree: usize,
    pub top1_rate: f64,
    /// Leading positions with identical greedy tokens.
    pub greedy_prefix: usize,
    pub max_abs_logit_diff: f64,
    pub mean_kl: f64,
    pub max_kl: f64,
}

/// log-softmax in f64 for numerical headroom.
pub fn log_softmax(x: &[f32]) -> Vec<f64> {
    let m = x
        .iter()
        .fold(f64::NEG_INFINITY, |m, &v| m.max(f64::from(v)));
    let lse = x
        .iter()
        .map(|&v| (f64::from(v) - m).exp())
        .sum::<f64>()
        .ln()
        + m;
    x.iter().map(|&v| f64::from(v) - lse).collect()
}

/// KL(softmax(p) ‖ softmax(q)) in nats; infinite when either side has a non-finite logit.
pub fn kl_divergence(p_logits: &[f32], q_logits: &[f32]) -> f64 {
    if !all_finite(p_logits) || !all_finite(q_logits) {
        return f64::INFINITY;
    }
    let (lp, lq) = (log_softmax(p_logits), log_softmax(q_logits));
    let kl = lp
        .iter()
        .zip(&lq)
        .map(|(a, b)| a.exp() * (a - b))
        .sum::<f64>();
    if kl.is_nan() {
        f64::INFINITY
    } else {
        kl.max(0.0)
    }
}

fn all_finite(x: &[f32]) -> bool {
    x.iter().all(|v| v.is_finite())
}

/// |a − b|, infinite when the two differ and either is not finite (NaN included).
fn abs_diff(a: f32, b: f32) -> f64 {
    let d = (f64::from(a) - f64::from(b)).abs();
    if d.is_nan() {
        if a.to_bits() == b.to_bits() {
            0.0
        } else {
            f64::INFINITY
        }
    } else {
        d
    }
}

/// Compare `other` against `reference`, row by row (`vocab` logits per row, rows back to
/// back). `None` when the shapes differ or there is nothing to compare.
pub fn compare(reference: &[f32], other: &[f32], vocab: usize) -> Option<Agreement> {
    if vocab == 0
        || reference.is_empty()
        || reference.len() != other.len()
        || !reference.len().is_multiple_of(vocab)
    {
        return None;
    }
    compare_iter(reference.chunks_exact(vocab), other.chunks_exact(vocab))
}

/// [`compare`] over per-position logit vectors (as [`teacher_forced`] returns them). `None`
/// when the position counts or any row length differ, or there are no positions.
pub fn compare_rows(reference: &[Logits], other: &[Logits]) -> Option<Agreement> {
    let same_shape = reference.len() == other.len()
        && reference
            .iter()
            .zip(other)
            .all(|(r, o)| r.len() == o.len() && !r.is_empty());
    if !same_shape || reference.is_empty() {
        return None;
    }
    compare_iter(
        reference.iter().map(Vec::as_slice),
        other.iter().map(Vec::as_slice),
    )
}

fn compare_iter<'a>(
    reference: impl Iterator<Item = &'a [f32]>,
    other: impl Iterator<Item = &'a [f32]>,
) -> Option<Agreement> {
    let (mut positions, mut top1, mut prefix, mut prefix_open) = (0usize, 0usize, 0usize, true);
    let (mut max_abs, mut kl_sum, mut kl_max) = (0.0f64, 0.0f64, 0.0f64);
    for (r, o) in reference.zip(other) {
        positions += 1;
        let same = all_finite(r) && all_finite(o) && argmax(r) == argmax(o);
        top1 += usize::from(same);
        if same && prefix_open {
            prefix += 1;
        } else {
            prefix_open = false;
        }
        let d = r
            .iter()
            .zip(o)
            .map(|(&a, &b)| abs_diff(a, b))
            .fold(0.0, f64::max);
        max_abs = max_abs.max(d);
        let kl = kl_divergence(r, o);
        kl_sum += kl;
        kl_max = kl_max.max(kl);
    }
    (positions > 0).then(|| Agreement {
        positions,
        top1_agree: top1,
        top1_rate: top1 as f64 / positions as f64,
        greedy_prefix: prefix,
        max_abs_logit_diff: max_abs,
        mean_kl: kl_sum / positions as f64,
        max_kl: kl_max,
    })
}

/// Feed `prompt` then each of `stream` one at a time; the logits after the prompt and after
/// each token (teacher forcing: both sessions see the same tokens whatever they predict).
pub fn teacher_forced(
    s: &mut dyn Session,
    prompt: &[u32],
    stream: &[u32],
) -> Result<Vec<Logits>, BackendError> {
    let mut out = vec![s.prefill(prompt)?];
    for &t in stream {
        out.push(s.step(t)?);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kl_of_identical_is_zero_and_known_value() {
        assert!(kl_divergence(&[1.0, 2.0, 3.0], &[1.0, 2.0, 3.0]).abs() < 1e-12);
        // p = (0.5, 0.5), q = softmax(0, ln 3) = (0.25, 0.75): KL = 0.5 ln 2 + 0.5 ln(2/3).
        let want = 0.5 * (2.0f64).ln() + 0.5 * (2.0f64 / 3.0).ln();
        assert!((kl_divergence(&[0.0, 0.0], &[0.0, 3.0f32.ln()]) - want).abs() < 1e-6);
        // Shifting all logits does not change the distribution.
        assert!(kl_divergence(&[1.0, 5.0], &[11.0, 15.0]).abs() < 1e-9);
        assert!(kl_divergence(&[1.0, 2.0, 3.0], &[3.0, 2.0, 1.0]) > 0.1);
    }

    #[test]
    fn compare_counts_top1_and_prefix() {
        let r = [0.0, 1.0, /**/ 1.0, 0.0, /**/ 0.0, 1.0];
        let o = [0.0, 1.5, /**/ 0.0, 1.0, /**/ 0.0, 1.0];
        let a = compare(&r, &o, 2).unwrap();
        assert_eq!((a.positions, a.top1_agree, a.greedy_prefix), (3, 2, 1));
        assert!((a.max_abs_logit_diff - 1.0).abs() < 1e-12);
        assert!(compare(&r, &o[..4], 2).is_none());
        assert!(compare(&r, &o, 4).is_none());
        assert!(compare(&[], &[], 2).is_none());
    }

    #[test]
    fn rows_and_flat_agree() {
        let r = vec![vec![0.0, 1.0], vec![1.0, 0.0], vec![0.0, 1.0]];
        let o = vec![vec![0.0, 1.5], vec![0.0, 1.0], vec![0.0, 1.0]];
        let flat = |v: &[Vec<f32>]| v.concat();
        assert_eq!(
            compare_rows(&r, &o),
            compare(&flat(&r), &flat(&o), 2),
            "the two entry points must agree"
        );
        assert!(compare_rows(&r, &o[..2]).is_none());
        assert!(compare_rows(&r, &[vec![0.0], vec![0.0], vec![0.0]]).is_none());
    }

    #[test]
    fn non_finite_logits_never_agree() {
        let r = [0.0, 1.0, 2.0];
        let nan = [0.0, f32::NAN, 2.0];
        let a = compare(&r, &nan, 3).unwrap();
        assert_eq!(a.max_abs_logit_diff, f64::INFINITY);
        assert_eq!(a.mean_kl, f64::INFINITY);
        assert_eq!((a.top1_agree, a.greedy_prefix), (0, 0));
        let inf = [f32::NEG_INFINITY; 3];
        let a = compare(&r, &inf, 3).unwrap();
        assert_eq!(a.max_abs_logit_diff, f64::INFINITY);
        assert_eq!(a.max_kl, f64::INFINITY);
        // Two identical non-finite rows differ by nothing but still are not a usable top-1.
        let a = compare(&nan, &nan, 3).unwrap();
        assert_eq!(a.max_abs_logit_diff, 0.0);
        assert_eq!(a.top1_agree, 0);
    }
}
