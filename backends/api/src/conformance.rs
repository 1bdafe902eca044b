//! The conformance suite every backend runs from its own tests: load, prefill, step,
//! KV-cache continuity, independence of sessions, determinism and errors on bad input.
//! Each check panics with a message naming the backend and what differed.

use crate::{argmax, Backend, LoadOptions, Logits, ModelSpec};

/// Largest absolute difference between two logit vectors (infinite if lengths differ).
pub fn max_abs_diff(a: &[f32], b: &[f32]) -> f32 {
    if a.len() != b.len() {
        return f32::INFINITY;
    }
    a.iter()
        .zip(b)
        .map(|(x, y)| (x - y).abs())
        .fold(0.0, f32::max)
}

/// Greedy decoding: prefill `prompt`, then `n` steps feeding back the argmax.
/// Returns the generated token ids and the logits after the prompt and after each step.
pub fn greedy(
    session: &mut dyn crate::Session,
    prompt: &[u32],
    n: usize,
) -> Result<(Vec<u32>, Vec<Logits>), crate::BackendError> {
    let mut all = Vec::with_capacity(n + 1);
    let mut logits = session.prefill(prompt)?;
    let mut tokens = Vec::with_capacity(n);
    for _ in 0..n {
        let t = argmax(&logits).ok_or_else(|| {
            crate::BackendError::runtime("harness", "logits are empty or all NaN")
        })?;
        tokens.push(t);
        all.push(std::mem::take(&mut logits));
        logits = session.step(t)?;
    }
    all.push(logits);
    Ok((tokens, all))
}

/// Run every check. `tol` is the largest |Δlogit| accepted between two ways of computing the
/// same position (batched prefill vs step-by-step): 0 for exact backends, ~1e-4 for f32 engines
/// whose batched and single-row kernels sum in different orders.
pub fn run_all(backend: &dyn Backend, spec: &ModelSpec, tol: f32) {
    let name = backend.name();
    backend
        .check()
        .unwrap_or_else(|e| panic!("{name}: check failed: {e}"));
    let opts = LoadOptions {
        threads: 1,
        max_seq_len: 64,
    };
    let model = backend
        .load(spec, &opts)
        .unwrap_or_else(|e| panic!("{name}: load {} failed: {e}", spec.path.display()));
    let info = model.info();
    let vocab = info.vocab_size;
    assert!(vocab > 1, "{name}: vocab_size {vocab} is too small");
    let prompt: Vec<u32> = (0..7u32).map(|i| (i * 37 + 5) % vocab as u32).collect();

    // prefill returns one finite logit per vocabulary entry.
    let mut s = model.session().expect("session");
    assert_eq!(
        s.position(),
        0,
        "{name}: a new session must start at position 0"
    );
    let full = s
        .prefill(&prompt)
        .unwrap_or_else(|e| panic!("{name}: prefill failed: {e}"));
    assert_eq!(full.len(), vocab, "{name}: prefill logits length");
    assert!(
        full.iter().all(|v| v.is_finite()),
        "{name}: prefill logits not finite"
    );
    assert_eq!(s.position(), prompt.len(), "{name}: position after prefill");

    // KV-cache continuity: prefill(N-1) then step(last) == prefill(N).
    let mut s2 = model.session().expect("session");
    s2.prefill(&prompt[..prompt.len() - 1])
        .expect("prefill N-1");
    let stepped = s2.step(*prompt.last().unwrap()).expect("step");
    let d = max_abs_diff(&full, &stepped);
    assert!(
        d <= tol,
        "{name}: prefill(N-1)+step != prefill(N): max |Δlogit| {d} > {tol}"
    );
    assert_eq!(s2.position(), prompt.len(), "{name}: position after step");

    // Split prefill: prefill(a) then prefill(b) == prefill(a ++ b).
    let mut s3 = model.session().expect("session");
    s3.prefill(&prompt[..3]).expect("prefill a");
    let split = s3.prefill(&prompt[3..]).expect("prefill b");
    let d = max_abs_diff(&full, &split);
    assert!(
        d <= tol,
        "{name}: split prefill differs: max |Δlogit| {d} > {tol}"
    );

    // Determinism and session independence: a second model session repeats the first exactly.
    let mut a = model.session().expect("session");
    let mut b = model.session().expect("session");
    let (ta, la) =
        greedy(a.as_mut(), &prompt, 8).unwrap_or_else(|e| panic!("{name}: greedy failed: {e}"));
    let (tb, lb) = greedy(b.as_mut(), &prompt, 8).expect("greedy");
    assert_eq!(ta, tb, "{name}: two sessions generated different tokens");
    assert_eq!(
        la.last(),
        lb.last(),
        "{name}: two sessions produced different logits"
    );

    // Bad input is an error, never a panic.
    let mut bad = model.session().expect("session");
    let err = bad.prefill(&[vocab as u32 + 10]);
    assert!(
        err.is_err(),
        "{name}: a token id outside the vocabulary must be an error"
    );
}

#[cfg(test)]
mod tests {
    use super::max_abs_diff;

    #[test]
    fn max_abs_diff_handles_lengths() {
        assert_eq!(max_abs_diff(&[1.0, 2.0], &[1.5, 1.0]), 1.0);
        assert!(max_abs_diff(&[1.0], &[]).is_infinite());
    }
}
