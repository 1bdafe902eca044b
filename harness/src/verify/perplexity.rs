//! Perplexity and KL divergence over a held-out passage, from teacher-forced logits: the
//! figures llama.cpp's `perplexity` tool prints (its plain mode and its `--kl-divergence` mode).
//!
//! Scoring follows llama.cpp's `perplexity` ([`super::passage::windows`]): the passage is
//! tokenized once (BOS first when the model's tokenizer has one) and cut into consecutive
//! windows of the model's context (at most [`MAX_WINDOW_TOKENS`], at most [`MAX_PASSAGE_TOKENS`]
//! fed in all), each window evaluated from an empty cache with BOS as its first token, and only
//! the second half of each window scored, so every scored token has at least half a window of
//! context. The one difference: the backend API returns one position's logits per call, so a
//! window is teacher-forced token by token instead of in one batch (the same logits). All sums
//! are in f64.

use edgebench_backend::agreement::{kl_divergence, log_softmax};
use edgebench_backend::argmax;

use crate::stats::percentile_sorted;

/// The most tokens fed per variant (windows × width): a few hundred decode steps keep the gate's
/// cost small next to the timed points, and score about half as many tokens.
pub const MAX_PASSAGE_TOKENS: usize = 512;

/// The widest window, whatever the model's context.
pub const MAX_WINDOW_TOKENS: usize = 256;

/// The percentile of per-position KL the report carries (llama.cpp prints 99.0%).
pub const KL_PERCENTILE: f64 = 99.0;

/// Perplexity of `targets` under teacher-forced `logits` (`vocab` values per row, row `k`
/// predicting `targets[k]`): exp(mean over rows of −log p(targets[k] | row k)). `None` when
/// there is nothing to score, the shapes do not fit, or a target lies outside the vocabulary.
/// Non-finite logits give an infinite perplexity (a NaN never reads as a good score).
pub fn perplexity(logits: &[f32], vocab: usize, targets: &[u32]) -> Option<f64> {
    let scored = targets.len();
    if scored == 0 || vocab == 0 || logits.len() < scored * vocab {
        return None;
    }
    let mut nll = 0.0f64;
    for (row, &target) in logits.chunks_exact(vocab).zip(targets) {
        let t = usize::try_from(target).ok().filter(|&t| t < vocab)?;
        if !row.iter().all(|v| v.is_finite()) {
            return Some(f64::INFINITY);
        }
        nll -= log_softmax(row)[t];
    }
    let ppl = (nll / scored as f64).exp();
    Some(if ppl.is_nan() { f64::INFINITY } else { ppl })
}

/// KL(p_reference ‖ p_other) over the first `positions` rows of two teacher-forced runs.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct KlStats {
    pub mean_nats: f64,
    /// [`KL_PERCENTILE`] of the per-position KL, linear interpolation (numpy's default).
    pub p99_nats: f64,
    /// Fraction of positions with the same argmax.
    pub top1_agreement: f64,
}

/// [`KlStats`] over the first `positions` rows. `None` when either run has fewer rows or there
/// are none. Non-finite logits make that position's KL infinite and never count as agreement.
pub fn kl_stats(
    reference: &[f32],
    other: &[f32],
    vocab: usize,
    positions: usize,
) -> Option<KlStats> {
    let need = positions.checked_mul(vocab)?;
    if positions == 0 || vocab == 0 || reference.len() < need || other.len() < need {
        return None;
    }
    let rows = reference.chunks_exact(vocab).zip(other.chunks_exact(vocab));
    let (mut kls, mut top1) = (Vec::with_capacity(positions), 0usize);
    for (r, o) in rows.take(positions) {
        kls.push(kl_divergence(r, o));
        let finite = r.iter().chain(o).all(|v| v.is_finite());
        top1 += usize::from(finite && argmax(r) == argmax(o));
    }
    let mean_nats = kls.iter().sum::<f64>() / positions as f64;
    kls.sort_by(f64::total_cmp);
    Some(KlStats {
        mean_nats,
        p99_nats: percentile_sorted(&kls, KL_PERCENTILE)?,
        top1_agreement: top1 as f64 / positions as f64,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uniform_logits_have_the_vocabulary_as_perplexity() {
        // Every row uniform over 4 tokens: p = 1/4 for any target, PPL = 4 exactly.
        let logits = vec![0.5f32; 4 * 3];
        let ppl = perplexity(&logits, 4, &[1, 2, 3]).unwrap();
        assert!((ppl - 4.0).abs() < 1e-12, "{ppl}");
    }

    #[test]
    fn perplexity_is_exp_of_the_mean_nll_over_the_targets() {
        // Row 0 predicts 1 with p = e/(e+1); row 1 predicts 0 with p = 1/2; row 2 has no
        // target and is not scored, whatever it holds.
        let logits = [0.0f32, 1.0, /**/ 3.0, 3.0, /**/ f32::NAN, 0.0];
        let e = std::f64::consts::E;
        let nll = -(e / (e + 1.0)).ln() + 2f64.ln();
        let want = (nll / 2.0).exp();
        let got = perplexity(&logits, 2, &[1, 0]).unwrap();
        assert!((got - want).abs() < 1e-9, "{got} vs {want}");
    }

    #[test]
    fn perplexity_rejects_what_it_cannot_score() {
        assert_eq!(perplexity(&[0.0; 4], 2, &[]), None, "no target");
        assert_eq!(perplexity(&[0.0; 2], 2, &[1, 1]), None, "too few rows");
        assert_eq!(
            perplexity(&[0.0; 4], 2, &[5]),
            None,
            "outside the vocabulary"
        );
        assert_eq!(perplexity(&[0.0; 4], 0, &[1]), None);
        let bad = [f32::NAN, 0.0];
        assert_eq!(perplexity(&bad, 2, &[1]), Some(f64::INFINITY));
    }

    #[test]
    fn kl_stats_known_values() {
        // Position 0 identical (KL 0, same argmax); position 1: p = (1/2, 1/2) vs
        // q = (1/4, 3/4), KL = ½ln2 + ½ln(2/3), argmax 0 vs 1 (differs).
        let r = [0.0f32, 2.0, /**/ 0.0, 0.0, /**/ 9.0, 9.0];
        let o = [0.0f32, 2.0, /**/ 0.0, 3f32.ln(), /**/ 0.0, 0.0];
        let kl1 = 0.5 * 2f64.ln() + 0.5 * (2.0f64 / 3.0).ln();
        let s = kl_stats(&r, &o, 2, 2).unwrap();
        assert!((s.mean_nats - kl1 / 2.0).abs() < 1e-7, "{s:?}");
        // numpy: percentile([0, kl1], 99) = 0 + 0.99 · kl1.
        assert!((s.p99_nats - 0.99 * kl1).abs() < 1e-7, "{s:?}");
        assert_eq!(s.top1_agreement, 0.5);
        // Identical runs: zero KL, full agreement, over all three rows.
        let same = kl_stats(&r, &r, 2, 3).unwrap();
        assert_eq!(
            (same.mean_nats, same.p99_nats, same.top1_agreement),
            (0.0, 0.0, 1.0)
        );
    }

    #[test]
    fn kl_stats_shape_and_non_finite() {
        assert_eq!(kl_stats(&[0.0; 4], &[0.0; 2], 2, 2), None);
        assert_eq!(kl_stats(&[0.0; 4], &[0.0; 4], 2, 0), None);
        let s = kl_stats(&[0.0, 1.0], &[f32::NAN, 1.0], 2, 1).unwrap();
        assert_eq!(s.mean_nats, f64::INFINITY);
        assert_eq!(s.top1_agreement, 0.0);
    }
}
