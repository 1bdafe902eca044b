//! Reading ONNX files without an inference engine: the protobuf wire format by hand
//! ([`proto`], an encoder and a streaming decoder side by side), the weight facts of a graph
//! ([`weight_facts`]: bytes read per decoded token, parameter count) and the [`ModelInfo`] an
//! ONNX backend reports for a decoder-with-past file ([`decoder_info`]).
//!
//! The one design decision: this is its own small crate, apart from `edgebench-onnx-export`
//! (the writer, which needs the synthesizer of `edgebench-reference`), so that the ONNX
//! backends (`edgebench-ort`, `edgebench-tract`) read the facts of a file without compiling the
//! reference engine, and both derive them through one function instead of a copy each. It
//! depends on the backend API only; no `prost`, no `protoc`.
//!
//! [`ModelInfo`]: edgebench_backend::ModelInfo

mod decoder;
mod facts;
pub mod proto;

pub use decoder::{decoder_info, llama_parameter_count, DecoderShape};
pub use facts::{weight_facts, weight_facts_of_bytes, WeightFacts};

use std::path::PathBuf;

/// Why [`weight_facts`] could not read a file.
#[derive(Debug, thiserror::Error)]
pub enum ReadError {
    #[error("reading {path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// A file that is not a readable ONNX model (truncated, corrupt, or another format).
    #[error("reading {path}: not a readable ONNX model: {reason}")]
    Unreadable { path: PathBuf, reason: String },
}
