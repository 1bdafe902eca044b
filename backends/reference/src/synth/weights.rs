//! [`LlamaWeights`]: the canonical f32 weight set in Hugging Face layout, and the per-tensor
//! generator behind [`canonical_weights`].

use super::preset::{LlamaConfig, Preset};
use super::rng::Stream;

/// Ratio of logit standard deviation to unit scale: logits spread by about this many units.
pub(crate) const LOGIT_GAIN: f32 = 3.0;

/// A row-major f32 matrix `[rows, cols]` (`[out_features, in_features]` for projections,
/// `[vocab, hidden]` for the embedding).
#[derive(Debug, Clone, PartialEq)]
pub struct Matrix {
    pub rows: usize,
    pub cols: usize,
    pub data: Vec<f32>,
}

impl Matrix {
    pub fn row(&self, r: usize) -> &[f32] {
        &self.data[r * self.cols..(r + 1) * self.cols]
    }
}

/// One decoder layer, Hugging Face names (`model.layers.N.*`).
#[derive(Debug, Clone, PartialEq)]
pub struct LayerWeights {
    /// `input_layernorm.weight` `[hidden]`.
    pub input_layernorm: Vec<f32>,
    /// `self_attn.q_proj.weight` `[n_head·head_dim, hidden]`, HF row order (rotate-half RoPE).
    pub q_proj: Matrix,
    /// `self_attn.k_proj.weight` `[n_kv_head·head_dim, hidden]`, HF row order.
    pub k_proj: Matrix,
    /// `self_attn.v_proj.weight` `[n_kv_head·head_dim, hidden]`.
    pub v_proj: Matrix,
    /// `self_attn.o_proj.weight` `[hidden, n_head·head_dim]`.
    pub o_proj: Matrix,
    /// `post_attention_layernorm.weight` `[hidden]`.
    pub post_attention_layernorm: Vec<f32>,
    /// `mlp.gate_proj.weight` `[intermediate, hidden]`.
    pub gate_proj: Matrix,
    /// `mlp.up_proj.weight` `[intermediate, hidden]`.
    pub up_proj: Matrix,
    /// `mlp.down_proj.weight` `[hidden, intermediate]`.
    pub down_proj: Matrix,
}

/// A complete llama in Hugging Face layout: what `transformers`' `LlamaForCausalLM` holds.
/// Compute with rotate-half RoPE; see the module docs for how GGUF differs.
#[derive(Debug, Clone, PartialEq)]
pub struct LlamaWeights {
    pub config: LlamaConfig,
    /// `model.embed_tokens.weight` `[vocab, hidden]`.
    pub embed_tokens: Matrix,
    pub layers: Vec<LayerWeights>,
    /// `model.norm.weight` `[hidden]`.
    pub norm: Vec<f32>,
    /// `lm_head.weight` `[vocab, hidden]`; `None` when tied to `embed_tokens`.
    pub lm_head: Option<Matrix>,
}

impl LlamaWeights {
    /// The output projection (lm_head, or the embedding when tied).
    pub fn output(&self) -> &Matrix {
        self.lm_head.as_ref().unwrap_or(&self.embed_tokens)
    }

    /// The f32 values of one tensor (HF layout).
    pub fn get(&self, id: TensorId) -> &[f32] {
        let layer = |l: usize| &self.layers[l];
        match id {
            TensorId::Embed => &self.embed_tokens.data,
            TensorId::Norm => &self.norm,
            TensorId::LmHead => &self.output().data,
            TensorId::AttnNorm(l) => &layer(l).input_layernorm,
            TensorId::Q(l) => &layer(l).q_proj.data,
            TensorId::K(l) => &layer(l).k_proj.data,
            TensorId::V(l) => &layer(l).v_proj.data,
            TensorId::O(l) => &layer(l).o_proj.data,
            TensorId::FfnNorm(l) => &layer(l).post_attention_layernorm,
            TensorId::Gate(l) => &layer(l).gate_proj.data,
            TensorId::Up(l) => &layer(l).up_proj.data,
            TensorId::Down(l) => &layer(l).down_proj.data,
        }
    }
}

/// Names one tensor of a llama, independent of file format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TensorId {
    Embed,
    Norm,
    LmHead,
    AttnNorm(usize),
    Q(usize),
    K(usize),
    V(usize),
    O(usize),
    FfnNorm(usize),
    Gate(usize),
    Up(usize),
    Down(usize),
}

impl TensorId {
    /// `[rows, cols]` (vectors have one row).
    pub fn shape(self, c: &LlamaConfig) -> (usize, usize) {
        let (d, f, v) = (c.hidden_size, c.intermediate_size, c.vocab_size);
        match self {
            TensorId::Embed | TensorId::LmHead => (v, d),
            TensorId::Norm | TensorId::AttnNorm(_) | TensorId::FfnNorm(_) => (1, d),
            TensorId::Q(_) => (c.q_dim(), d),
            TensorId::K(_) | TensorId::V(_) => (c.kv_dim(), d),
            TensorId::O(_) => (d, c.q_dim()),
            TensorId::Gate(_) | TensorId::Up(_) => (f, d),
            TensorId::Down(_) => (d, f),
        }
    }

    fn stream(self) -> u64 {
        let l = |l: usize, k: u64| 3 + 9 * l as u64 + k;
        match self {
            TensorId::Embed => 0,
            TensorId::Norm => 1,
            TensorId::LmHead => 2,
            TensorId::AttnNorm(i) => l(i, 0),
            TensorId::Q(i) => l(i, 1),
            TensorId::K(i) => l(i, 2),
            TensorId::V(i) => l(i, 3),
            TensorId::O(i) => l(i, 4),
            TensorId::FfnNorm(i) => l(i, 5),
            TensorId::Gate(i) => l(i, 6),
            TensorId::Up(i) => l(i, 7),
            TensorId::Down(i) => l(i, 8),
        }
    }

    /// Generate this tensor's values (HF layout) for model `c` and `seed`.
    pub fn generate(self, c: &LlamaConfig, seed: u64) -> Vec<f32> {
        let (rows, cols) = self.shape(c);
        let mut s = Stream::new(seed, self.stream());
        let n = rows * cols;
        let is_norm = matches!(
            self,
            TensorId::Norm | TensorId::AttnNorm(_) | TensorId::FfnNorm(_)
        );
        if is_norm {
            return (0..n).map(|_| 0.9 + 0.2 * s.uniform()).collect();
        }
        let d = c.hidden_size as f32;
        let std = match self {
            TensorId::Embed if c.tie_word_embeddings => LOGIT_GAIN / d.sqrt(),
            TensorId::Embed => 1.0,
            TensorId::LmHead => LOGIT_GAIN / d.sqrt(),
            _ => 1.0 / (cols as f32).sqrt(),
        };
        (0..n).map(|_| s.normal() * std).collect()
    }
}

/// The canonical weights of `preset` for `seed` (same inputs → identical values).
pub fn canonical_weights(preset: Preset, seed: u64) -> LlamaWeights {
    generate(&preset.config(), seed)
}

/// Canonical weights for any shape.
pub fn generate(c: &LlamaConfig, seed: u64) -> LlamaWeights {
    let m = |id: TensorId| {
        let (rows, cols) = id.shape(c);
        Matrix {
            rows,
            cols,
            data: id.generate(c, seed),
        }
    };
    LlamaWeights {
        config: c.clone(),
        embed_tokens: m(TensorId::Embed),
        layers: (0..c.num_hidden_layers)
            .map(|l| LayerWeights {
                input_layernorm: TensorId::AttnNorm(l).generate(c, seed),
                q_proj: m(TensorId::Q(l)),
                k_proj: m(TensorId::K(l)),
                v_proj: m(TensorId::V(l)),
                o_proj: m(TensorId::O(l)),
                post_attention_layernorm: TensorId::FfnNorm(l).generate(c, seed),
                gate_proj: m(TensorId::Gate(l)),
                up_proj: m(TensorId::Up(l)),
                down_proj: m(TensorId::Down(l)),
            })
            .collect(),
        norm: TensorId::Norm.generate(c, seed),
        lm_head: (!c.tie_word_embeddings).then(|| m(TensorId::LmHead)),
    }
}
