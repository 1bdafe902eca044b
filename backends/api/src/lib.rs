//! The backend contract: a [`Backend`] loads a [`Model`], a model opens [`Session`]s, and a
//! session turns token ids into logits. Backends only compute; the harness owns every clock,
//! the sampling (greedy) and the process each measurement runs in.

pub mod agreement;
mod cache_dir;
pub mod conformance;
mod error;
pub mod mock;
#[cfg(feature = "testing")]
pub mod pycheck;
mod spec;

pub use cache_dir::user_cache_dir;
pub use error::BackendError;
pub use spec::{LoadOptions, ModelFormat, ModelInfo, ModelSpec};

use std::collections::BTreeMap;

/// Logits over the vocabulary for one position (the last one of a prefill).
pub type Logits = Vec<f32>;

/// A runtime that can load models of some formats.
pub trait Backend: Send + Sync {
    /// Stable short name used in scenarios and reports: `reference`, `tract`, `ort`, `candle`.
    fn name(&self) -> &'static str;
    /// File formats this backend loads.
    fn formats(&self) -> &'static [ModelFormat];
    /// Whether the backend can run here (library present, CPU features), without loading a model.
    fn check(&self) -> Result<(), BackendError>;
    /// Load a model file. Must not panic on a corrupt file: return [`BackendError::InvalidModel`].
    fn load(&self, spec: &ModelSpec, opts: &LoadOptions) -> Result<Box<dyn Model>, BackendError>;
    /// Version, kernel set, thread count, execution providers... written into every report.
    fn describe(&self) -> BTreeMap<String, String>;
}

/// A loaded model; sessions borrow it, so weights are shared and loaded once.
pub trait Model: Send {
    fn info(&self) -> ModelInfo;
    /// A fresh session with an empty KV cache.
    fn session(&self) -> Result<Box<dyn Session + '_>, BackendError>;
}

/// One generation stream with its KV cache.
pub trait Session {
    /// Feed `tokens` after whatever the session already holds; return the logits of the last one.
    fn prefill(&mut self, tokens: &[u32]) -> Result<Logits, BackendError>;
    /// Feed one token; return its logits.
    fn step(&mut self, token: u32) -> Result<Logits, BackendError> {
        self.prefill(&[token])
    }
    /// Number of positions held in the KV cache.
    fn position(&self) -> usize;
}

/// The input checks every session makes before computing: at least one token, every id inside
/// the vocabulary, and room left in a context of `max_seq_len` positions (`position` held).
pub fn check_tokens(
    tokens: &[u32],
    vocab_size: usize,
    position: usize,
    max_seq_len: usize,
) -> Result<(), BackendError> {
    if tokens.is_empty() {
        return Err(BackendError::InvalidInput(
            "prefill needs at least one token".into(),
        ));
    }
    if let Some(&bad) = tokens.iter().find(|&&t| t as usize >= vocab_size) {
        return Err(BackendError::InvalidInput(format!(
            "token id {bad} is outside the vocabulary (size {vocab_size})"
        )));
    }
    if position + tokens.len() > max_seq_len {
        return Err(BackendError::InvalidInput(format!(
            "context full: {position} positions held + {} new > max_seq_len {max_seq_len}",
            tokens.len()
        )));
    }
    Ok(())
}

/// Index of the largest logit (ties go to the lowest index, as llama.cpp's greedy sampler does).
/// NaN never wins. Returns `None` for an empty slice.
pub fn argmax(logits: &[f32]) -> Option<u32> {
    let mut best: Option<(usize, f32)> = None;
    for (i, &v) in logits.iter().enumerate() {
        if v.is_nan() {
            continue;
        }
        match best {
            Some((_, b)) if v <= b => {}
            _ => best = Some((i, v)),
        }
    }
    best.map(|(i, _)| i as u32)
}

#[cfg(test)]
mod tests {
    use super::argmax;

    #[test]
    fn argmax_picks_first_max_and_skips_nan() {
        assert_eq!(argmax(&[]), None);
        assert_eq!(argmax(&[1.0, 3.0, 3.0, 2.0]), Some(1));
        assert_eq!(argmax(&[f32::NAN, -1.0, f32::NAN]), Some(1));
        assert_eq!(argmax(&[f32::NAN]), None);
    }
}
