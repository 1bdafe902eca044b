//! Trains a small llama on a text with candle: a byte-level BPE tokenizer trained on the same
//! text ([`edgebench_tokenizer`]), the llama forward pass written with differentiable candle ops
//! ([`model`]), AdamW with warm-up and cosine decay, a held-out split, deterministic data order.
//! The result is the synthesizer's [`LlamaWeights`] (Hugging Face layout), so every GGUF and
//! ONNX writer and quantizer takes it unchanged.
//!
//! Determinism: the initial weights and the batch order come from seeded PCG generators and
//! nothing reads a clock or a hash-map order, so the same seed on the same machine and thread
//! count gives byte-identical weights (tested on `kjv-micro`).

pub mod cache;
pub mod corpus;
mod data;
mod export;
pub mod model;
mod preset;
mod run;

pub use cache::{load_or_train, CachedModel};
pub use corpus::{Corpus, Split};
pub use export::{load_weights, save_weights, weights_of};
pub use preset::{Recipe, TrainPreset, UnknownTrainPreset};
pub use run::{train, CurvePoint, TrainOptions, TrainReport, Trained};

pub use edgebench_reference::synth::LlamaWeights;
pub use edgebench_tokenizer::Tokenizer;

use std::path::PathBuf;

/// Bumped whenever training output changes for the same preset, corpus and seed, so cached
/// models are retrained.
pub const TRAIN_CODE_VERSION: u32 = 1;

#[derive(Debug, thiserror::Error)]
pub enum TrainError {
    #[error("corpus: {0}")]
    Corpus(String),
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("candle: {0}")]
    Candle(#[from] candle_core::Error),
    #[error("{0}")]
    Invalid(String),
}
