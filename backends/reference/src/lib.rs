//! edgebench's reference engine: a bounds-checked GGUF reader and llama.cpp-compatible writer,
//! ggml-compatible F32/F16/Q8_0/Q4_0/Q5_0/Q4_K/Q6_K tensors (what Q4_K_M files hold), a
//! runtime-dispatched kernel table with a scalar oracle (x86 AVX2/AVX-512 VNNI and aarch64 NEON
//! sets), Q4_0/Q5_0/Q8_0/Q4_K/Q6_K matrices interleaved by 8 rows at load, a llama forward
//! pass with batched prefill, and a synthesizer of deterministic random llamas in real shapes.
//!
//! The one design decision worth knowing: the engine computes what llama.cpp computes for the
//! `llama` architecture (adjacent-pair RoPE on Q/K rows permuted by the converter), and the
//! synthesizer writes files with exactly llama.cpp's conventions, so the same files run
//! unchanged in llama.cpp and candle. See `README.md`.

mod backend;
pub mod gguf;
// SIMD kernels, the thread pool and raw-pointer attention: the crate's reviewed `unsafe`.
#[allow(unsafe_code)]
pub mod kernels;
pub mod model;
pub mod quant;
pub mod synth;

pub use backend::{ReferenceBackend, INTERLEAVE_ENV};
pub use gguf::{inspect, GgufError, GgufFile, InspectReport};
