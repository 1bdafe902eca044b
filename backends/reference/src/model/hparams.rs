//! Hyperparameters of a llama GGUF: read from `llama.*` metadata with llama.cpp's defaults,
//! validated so the forward pass can index without further checks.

use crate::gguf::GgufFile;
use edgebench_backend::BackendError;

/// Shapes and constants of a llama model.
#[derive(Debug, Clone, PartialEq)]
pub struct Hparams {
    pub n_vocab: usize,
    pub n_ctx: usize,
    pub n_embd: usize,
    pub n_layer: usize,
    pub n_ff: usize,
    pub n_head: usize,
    pub n_head_kv: usize,
    pub head_dim: usize,
    /// Dimensions of each head that RoPE rotates (`llama.rope.dimension_count`).
    pub rot_dim: usize,
    pub rope_freq_base: f32,
    pub rms_eps: f32,
}

impl Hparams {
    /// Query heads sharing one KV head.
    pub fn group(&self) -> usize {
        self.n_head / self.n_head_kv
    }
    pub fn q_dim(&self) -> usize {
        self.n_head * self.head_dim
    }
    pub fn kv_dim(&self) -> usize {
        self.n_head_kv * self.head_dim
    }

    /// Read from metadata; `n_vocab` comes from `token_embd.weight`'s second dimension.
    pub fn from_gguf(f: &GgufFile) -> Result<Self, BackendError> {
        let bad = |r: String| BackendError::invalid_model(f.path(), r);
        let arch = f.get_str("general.architecture").ok_or_else(|| {
            bad("metadata `general.architecture` is missing; is this a model GGUF?".into())
        })?;
        if arch != "llama" {
            return Err(BackendError::Unsupported {
                backend: "reference".into(),
                what: format!(
                    "architecture `{arch}` in {} (the reference engine runs `llama`)",
                    f.path().display()
                ),
            });
        }
        let req = |k: &str| -> Result<usize, BackendError> {
            let v = f
                .get_u32(&format!("llama.{k}"))
                .ok_or_else(|| bad(format!("metadata `llama.{k}` is missing or not an integer")))?;
            Ok(v as usize)
        };
        let n_embd = req("embedding_length")?;
        let n_head = req("attention.head_count")?;
        let n_head_kv = match f.get("llama.attention.head_count_kv") {
            None => n_head,
            Some(_) => req("attention.head_count_kv")?,
        };
        if n_head == 0 || n_head_kv == 0 || n_embd % n_head != 0 || n_head % n_head_kv != 0 {
            return Err(bad(format!(
                "inconsistent heads: embedding_length {n_embd}, head_count {n_head}, head_count_kv {n_head_kv} (need head_count | embedding_length and head_count_kv | head_count)"
            )));
        }
        let head_dim = n_embd / n_head;
        let rot_dim = match f.get("llama.rope.dimension_count") {
            None => head_dim,
            Some(_) => req("rope.dimension_count")?,
        };
        if rot_dim > head_dim || rot_dim % 2 != 0 || head_dim % 2 != 0 {
            return Err(bad(format!(
                "`llama.rope.dimension_count` {rot_dim} must be even and at most the head size {head_dim}"
            )));
        }
        let embd = f.tensor_info("token_embd.weight").ok_or_else(|| {
            bad(
                "tensor `token_embd.weight` is missing; the file is not a complete llama model"
                    .into(),
            )
        })?;
        let n_vocab = match embd.dims.as_slice() {
            [d0, d1] if *d0 as usize == n_embd && *d1 > 0 => *d1 as usize,
            dims => {
                return Err(bad(format!(
                    "tensor `token_embd.weight` has dims {dims:?}, expected [{n_embd}, n_vocab]"
                )))
            }
        };
        let hp = Hparams {
            n_vocab,
            n_ctx: req("context_length")?,
            n_embd,
            n_layer: req("block_count")?,
            n_ff: req("feed_forward_length")?,
            n_head,
            n_head_kv,
            head_dim,
            rot_dim,
            rope_freq_base: f.get_f32("llama.rope.freq_base").unwrap_or(10000.0),
            rms_eps: f
                .get_f32("llama.attention.layer_norm_rms_epsilon")
                .unwrap_or(1e-5),
        };
        if hp.n_ctx == 0 || hp.n_layer == 0 || hp.n_ff == 0 {
            return Err(bad(format!(
                "context_length {}, block_count {} and feed_forward_length {} must be positive",
                hp.n_ctx, hp.n_layer, hp.n_ff
            )));
        }
        let base_ok = hp.rope_freq_base.is_finite() && hp.rope_freq_base > 0.0;
        let eps_ok = hp.rms_eps.is_finite() && hp.rms_eps >= 0.0;
        if !base_ok || !eps_ok {
            return Err(bad(format!(
                "rope.freq_base {} must be positive and layer_norm_rms_epsilon {} non-negative",
                hp.rope_freq_base, hp.rms_eps
            )));
        }
        Ok(hp)
    }
}
