//! edgebench's candle backend: GGUF llama models through candle 0.11.1's
//! `quantized_llama::ModelWeights` on the CPU device (the graph is vendored from
//! candle-transformers, see `src/quantized_llama.rs`, so a release build compiles candle-core and
//! candle-nn but not candle's whole model zoo).
//!
//! The one design decision: candle keeps the KV cache *inside* `ModelWeights`, so a
//! [`Model`](edgebench_backend::Model) keeps one loaded `ModelWeights` as a template and each
//! session clones it. The clone is cheap: every weight is an `Arc<QTensor>` or an
//! `Arc`-backed `Tensor`, so sessions share the weights and only own their KV cache
//! (2 × layers × kv_heads × head_dim × positions × 4 bytes) and a few attention masks.
//!
//! Everything candle could panic on (malformed files, shape surprises) runs under
//! `catch_unwind` and comes back as a [`BackendError`](edgebench_backend::BackendError).

mod backend;
mod describe;
mod guard;
mod inspect;
mod model;
mod quantized_llama;

/// The vendored graph, public only for the A/B bench against candle-transformers
/// (`benches/vendored_ab.rs`); not an API.
#[doc(hidden)]
pub mod vendored {
    pub use crate::quantized_llama::ModelWeights;
}
mod session;
mod strict;
mod threads;
#[cfg(test)]
mod vendored_tests;

pub use backend::CandleBackend;

/// The candle version this crate is pinned to (`=0.11.1` in the workspace `Cargo.toml`).
pub const CANDLE_VERSION: &str = "0.11.1";

/// The backend's name in scenarios and reports.
pub(crate) const NAME: &str = "candle";
