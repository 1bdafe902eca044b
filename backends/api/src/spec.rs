//! What to load ([`ModelSpec`]), how ([`LoadOptions`]) and what was loaded ([`ModelInfo`]).

use serde::{Deserialize, Serialize};
use std::path::PathBuf;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ModelFormat {
    Gguf,
    Onnx,
    /// The mock backend's pseudo-format: no file is read.
    Mock,
}

impl ModelFormat {
    /// Guess the format from a file extension (`.gguf`, `.onnx`).
    pub fn from_path(path: &std::path::Path) -> Option<Self> {
        match path.extension()?.to_str()?.to_ascii_lowercase().as_str() {
            "gguf" => Some(ModelFormat::Gguf),
            "onnx" => Some(ModelFormat::Onnx),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            ModelFormat::Gguf => "gguf",
            ModelFormat::Onnx => "onnx",
            ModelFormat::Mock => "mock",
        }
    }
}

/// A model file to load. `quant` is the label the scenario or synthesizer gave it
/// (`f32`, `q8_0`, `int4`...); backends read the real tensor types from the file.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ModelSpec {
    pub path: PathBuf,
    pub format: ModelFormat,
    pub quant: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LoadOptions {
    /// Compute threads the backend may use (intra-op threads).
    pub threads: usize,
    /// Longest sequence (prompt + generated) the session will see; sizes the KV cache.
    pub max_seq_len: usize,
}

impl Default for LoadOptions {
    fn default() -> Self {
        LoadOptions {
            threads: 1,
            max_seq_len: 512,
        }
    }
}

/// Shape facts about a loaded model, reported next to its results.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct ModelInfo {
    pub architecture: String,
    pub vocab_size: usize,
    pub context_length: usize,
    pub embedding_length: usize,
    pub block_count: usize,
    pub head_count: usize,
    pub head_count_kv: usize,
    pub feed_forward_length: usize,
    /// Tensor types found in the file, e.g. `q8_0` or `q4_0+f32`.
    pub weight_types: String,
    pub parameter_count: u64,
    /// Bytes of weights read per decoded token (for the bandwidth roofline), if known.
    pub weight_bytes: Option<u64>,
}
