//! A generation stream: a clone of the model's `ModelWeights` (shared weights, its own KV
//! cache) and the number of positions it holds. candle's `forward(tokens, index_pos)` appends
//! to the cache and returns the last position's logits; `index_pos == 0` starts a new cache,
//! which is exactly what a fresh session's first call passes.
//!
//! Inputs are checked before candle sees them. If candle fails half-way, some layers may
//! have extended their cache and others not, so the session refuses further calls.

use crate::guard::{guarded, runtime};
use crate::model::CandleModel;
use crate::quantized_llama::ModelWeights;
use candle_core::{Device, Tensor};
use edgebench_backend::{BackendError, Logits, Session};

pub(crate) struct CandleSession<'m> {
    model: &'m CandleModel,
    weights: ModelWeights,
    position: usize,
    /// Why the session is unusable, after a failure inside candle.
    broken: Option<String>,
}

impl<'m> CandleSession<'m> {
    pub(crate) fn new(model: &'m CandleModel) -> Self {
        CandleSession {
            model,
            weights: model.template.clone(),
            position: 0,
            broken: None,
        }
    }

    fn check(&self, tokens: &[u32]) -> Result<(), BackendError> {
        if let Some(why) = &self.broken {
            return Err(runtime(format!(
                "this session failed earlier ({why}); open a new session"
            )));
        }
        if tokens.is_empty() {
            return Err(BackendError::InvalidInput(
                "prefill needs at least one token".into(),
            ));
        }
        let vocab = self.model.info.vocab_size;
        if let Some(bad) = tokens.iter().find(|&&t| t as usize >= vocab) {
            return Err(BackendError::InvalidInput(format!(
                "token id {bad} is outside the vocabulary (size {vocab})"
            )));
        }
        let limit = self.model.max_positions;
        if self.position + tokens.len() > limit {
            return Err(BackendError::InvalidInput(format!(
                "context full: the session holds {} positions, {} more would exceed the limit \
                 of {limit} set by {}",
                self.position,
                tokens.len(),
                self.model.limit_reason
            )));
        }
        Ok(())
    }
}

impl Session for CandleSession<'_> {
    fn prefill(&mut self, tokens: &[u32]) -> Result<Logits, BackendError> {
        self.check(tokens)?;
        let index_pos = self.position;
        let weights = &mut self.weights;
        let result = guarded(|| {
            let input = Tensor::new(tokens, &Device::Cpu)?.unsqueeze(0)?;
            weights
                .forward(&input, index_pos)?
                .flatten_all()?
                .to_vec1::<f32>()
        });
        match result {
            Ok(logits) if logits.len() == self.model.info.vocab_size => {
                self.position += tokens.len();
                Ok(logits)
            }
            Ok(logits) => {
                let why = format!(
                    "candle returned {} logits for a vocabulary of {}",
                    logits.len(),
                    self.model.info.vocab_size
                );
                self.broken = Some(why.clone());
                Err(runtime(why))
            }
            Err(why) => {
                self.broken = Some(why.clone());
                Err(runtime(why))
            }
        }
    }

    fn position(&self) -> usize {
        self.position
    }
}
