//! Measuring how closely two sessions agree: the numbers the ONNX backends' tests print
//! (greedy-token match, max |Δlogit|, top-1 agreement and mean KL on a shared token stream).

use edgebench_backend::{argmax, conformance, BackendError, Logits, Session};

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

/// Largest |Δlogit| over all positions.
pub fn max_abs_diff_all(a: &[Logits], b: &[Logits]) -> f32 {
    if a.len() != b.len() {
        return f32::INFINITY;
    }
    a.iter()
        .zip(b)
        .map(|(x, y)| conformance::max_abs_diff(x, y))
        .fold(0.0, f32::max)
}

/// Fraction of positions whose argmax agrees.
pub fn top1_agreement(a: &[Logits], b: &[Logits]) -> f64 {
    let same = a
        .iter()
        .zip(b)
        .filter(|(x, y)| argmax(x) == argmax(y))
        .count();
    same as f64 / a.len().max(1) as f64
}

fn log_softmax(x: &[f32]) -> Vec<f64> {
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

/// KL(p || q) in nats between the softmax distributions of two logit vectors.
pub fn kl_divergence(p: &[f32], q: &[f32]) -> f64 {
    let (lp, lq) = (log_softmax(p), log_softmax(q));
    lp.iter().zip(&lq).map(|(a, b)| a.exp() * (a - b)).sum()
}

/// Mean KL(reference || other) over positions.
pub fn mean_kl(reference: &[Logits], other: &[Logits]) -> f64 {
    let n = reference.len().min(other.len()).max(1);
    reference
        .iter()
        .zip(other)
        .map(|(p, q)| kl_divergence(p, q))
        .sum::<f64>()
        / n as f64
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kl_is_zero_for_equal_and_positive_otherwise() {
        assert!(kl_divergence(&[1.0, 2.0, 3.0], &[1.0, 2.0, 3.0]).abs() < 1e-12);
        // Shift invariance: softmax ignores a constant.
        assert!(kl_divergence(&[1.0, 2.0, 3.0], &[11.0, 12.0, 13.0]).abs() < 1e-9);
        assert!(kl_divergence(&[1.0, 2.0, 3.0], &[3.0, 2.0, 1.0]) > 0.1);
        assert_eq!(top1_agreement(&[vec![0.0, 1.0]], &[vec![2.0, 1.0]]), 0.0);
    }
}
