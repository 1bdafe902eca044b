//! Agreement metrics between two logit sequences over the same positions: greedy-token
//! agreement, max |Δlogit|, top-1 agreement rate and mean KL(p_ref ‖ p_other), the measure
//! llama.cpp's perplexity tool reports in its KL-divergence mode.

use serde::{Deserialize, Serialize};

/// log-softmax in f64 for numerical headroom.
fn log_softmax(x: &[f32]) -> Vec<f64> {
    let m = x.iter().copied().fold(f32::NEG_INFINITY, f32::max) as f64;
    let lse = x.iter().map(|&v| (v as f64 - m).exp()).sum::<f64>().ln() + m;
    x.iter().map(|&v| v as f64 - lse).collect()
}

/// KL(softmax(p) ‖ softmax(q)) in nats.
pub fn kl_divergence(p_logits: &[f32], q_logits: &[f32]) -> f64 {
    let lp = log_softmax(p_logits);
    let lq = log_softmax(q_logits);
    lp.iter()
        .zip(&lq)
        .map(|(a, b)| a.exp() * (a - b))
        .sum::<f64>()
        .max(0.0)
}

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

/// Compare `other` against `reference`, row by row (`vocab` logits per row).
pub fn compare(reference: &[f32], other: &[f32], vocab: usize) -> Option<Agreement> {
    if vocab == 0
        || reference.len() != other.len()
        || !reference.len().is_multiple_of(vocab)
        || reference.is_empty()
    {
        return None;
    }
    let positions = reference.len() / vocab;
    let (mut top1, mut prefix, mut prefix_open) = (0, 0, true);
    let (mut max_abs, mut kl_sum, mut kl_max) = (0.0f64, 0.0, 0.0f64);
    for (r, o) in reference.chunks_exact(vocab).zip(other.chunks_exact(vocab)) {
        let same = edgebench_backend::argmax(r) == edgebench_backend::argmax(o);
        top1 += usize::from(same);
        if same && prefix_open {
            prefix += 1;
        } else {
            prefix_open = false;
        }
        let d = r
            .iter()
            .zip(o)
            .map(|(a, b)| (a - b).abs() as f64)
            .fold(0.0, f64::max);
        max_abs = max_abs.max(if d.is_nan() { f64::INFINITY } else { d });
        let kl = kl_divergence(r, o);
        kl_sum += kl;
        kl_max = kl_max.max(kl);
    }
    Some(Agreement {
        positions,
        top1_agree: top1,
        top1_rate: top1 as f64 / positions as f64,
        greedy_prefix: prefix,
        max_abs_logit_diff: max_abs,
        mean_kl: kl_sum / positions as f64,
        max_kl: kl_max,
    })
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
    }
}
