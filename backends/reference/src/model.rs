//! The llama forward pass as llama.cpp computes it for the `llama` architecture: RMSNorm,
//! RoPE on adjacent pairs, grouped-query causal attention, SwiGLU, residuals. Weights stay in
//! the GGUF memory map; each session owns an f32 KV cache sized at load time.
//!
//! Difference from llama.cpp's defaults: the KV cache is f32 (llama.cpp defaults to f16), so
//! the engine matches an f32 reference to float rounding.

mod hparams;
mod load;
mod session;
pub mod tune;

pub use hparams::Hparams;
pub use load::LlamaModel;
pub use session::LlamaSession;
pub use tune::{Layout, Tuning};
