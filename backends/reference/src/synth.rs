//! Deterministic random llamas in real shapes, written as GGUF with llama.cpp's conventions.
//!
//! [`canonical_weights`] returns one f32 weight set in **Hugging Face layout** (matrices
//! row-major `[out_features, in_features]`, `q_proj`/`k_proj` rows in HF order, to be used with
//! rotate-half RoPE). Every exporter starts from it: [`write_gguf`] here, the ONNX exporter
//! elsewhere.
//!
//! # The RoPE / permutation convention
//!
//! Hugging Face's llama rotates *halves* of each head: pair `(i, i + d/2)` turns by
//! `pos · base^(-2i/d)`. llama.cpp's `llama` architecture rotates *adjacent* pairs
//! `(2i, 2i+1)` by the same angle. llama.cpp's converter therefore permutes the rows of
//! `q_proj` (with `n_head`) and `k_proj` (with `n_kv_head`): view the rows as
//! `[n_head, 2, d/2]`, swap the two middle axes, flatten back. After it, GGUF row `h·d + 2i`
//! is HF row `h·d + i` and GGUF row `h·d + 2i + 1` is HF row `h·d + d/2 + i`, so the
//! adjacent-pair rotation of the GGUF model equals the rotate-half rotation of the HF model
//! and both compute the same function. [`write_gguf`] applies exactly this permutation
//! ([`permute_qk_rows`]); an ONNX exporter writes the canonical rows unchanged.
//!
//! # Weight scaling
//!
//! Values are approximately normal (sum of four uniforms, computed with exactly rounded IEEE
//! operations so the bytes are identical on every platform). Matrices have standard deviation
//! `1/sqrt(fan_in)`, which keeps every projection at unit scale; the output projection has
//! `LOGIT_GAIN/sqrt(dim)` so logits spread by a few units; norms are `1 ± 0.1`; the embedding
//! has standard deviation 1 (or `LOGIT_GAIN/sqrt(dim)` when it doubles as the output matrix).
//! Each tensor has its own random stream (seed, tensor index), so a tensor can be generated
//! alone: writing a 1.1B model holds one tensor in memory at a time.

mod gguf_out;
mod preset;
mod rng;
mod weights;

pub use gguf_out::{
    permute_qk_rows, write_gguf, write_gguf_with_vocab, write_preset_gguf, SynthQuant,
};
pub use preset::{LlamaConfig, Preset};
pub use weights::{canonical_weights, generate, LayerWeights, LlamaWeights, Matrix, TensorId};
