//! Where the writer gets its weights: any [`WeightSource`] that hands out one tensor at a time
//! in Hugging Face layout (linear weights row-major `[out, in]`, q/k rows *not* permuted for
//! adjacent-pair RoPE). The synthesizer's [`LlamaWeights`] is one; [`PresetWeights`] generates
//! each tensor on demand so that a 1.1B model is never held in memory whole.

use edgebench_reference::synth::{LlamaConfig, LlamaWeights, Preset, TensorId};
use std::borrow::Cow;

/// A llama's shape plus its tensors by [`TensorId`].
pub trait WeightSource {
    fn config(&self) -> &LlamaConfig;
    /// The values of one tensor, HF layout. `LmHead` is the embedding when the model ties them.
    fn tensor(&self, id: TensorId) -> Cow<'_, [f32]>;
}

impl WeightSource for LlamaWeights {
    fn config(&self) -> &LlamaConfig {
        &self.config
    }
    fn tensor(&self, id: TensorId) -> Cow<'_, [f32]> {
        Cow::Borrowed(self.get(id))
    }
}

/// The canonical weights of a preset, generated tensor by tensor: the same values as
/// `canonical_weights(preset, seed)`.
#[derive(Debug, Clone)]
pub struct PresetWeights {
    pub config: LlamaConfig,
    pub seed: u64,
}

impl PresetWeights {
    pub fn new(preset: Preset, seed: u64) -> Self {
        PresetWeights {
            config: preset.config(),
            seed,
        }
    }
}

impl WeightSource for PresetWeights {
    fn config(&self) -> &LlamaConfig {
        &self.config
    }
    fn tensor(&self, id: TensorId) -> Cow<'_, [f32]> {
        let id = match id {
            TensorId::LmHead if self.config.tie_word_embeddings => TensorId::Embed,
            id => id,
        };
        Cow::Owned(id.generate(&self.config, self.seed))
    }
}

/// Check the shape can be exported (heads divide, even head size).
pub(crate) fn validate(c: &LlamaConfig) -> Result<(), String> {
    let (h, kv) = (c.num_attention_heads, c.num_key_value_heads);
    if h == 0 || kv == 0 || !h.is_multiple_of(kv) {
        return Err(format!(
            "num_attention_heads {h} must be a non-zero multiple of num_key_value_heads {kv}"
        ));
    }
    if !c.hidden_size.is_multiple_of(h) || !c.head_dim().is_multiple_of(2) {
        return Err(format!(
            "hidden_size {} must split into {h} heads of even size",
            c.hidden_size
        ));
    }
    if c.num_hidden_layers == 0 || c.vocab_size == 0 || c.intermediate_size == 0 {
        return Err("layers, vocab_size and intermediate_size must be positive".into());
    }
    Ok(())
}

/// Fetch a tensor and check its length against the config.
pub(crate) fn fetch<'a>(src: &'a dyn WeightSource, id: TensorId) -> Result<Cow<'a, [f32]>, String> {
    let (rows, cols) = id.shape(src.config());
    let t = src.tensor(id);
    if t.len() != rows * cols {
        return Err(format!(
            "tensor {id:?} has {} values, expected {rows}×{cols}",
            t.len()
        ));
    }
    Ok(t)
}
