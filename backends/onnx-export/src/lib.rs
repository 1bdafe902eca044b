//! Writes a llama as an ONNX decoder-with-past graph, named and shaped like Hugging Face
//! optimum's `text-generation-with-past` export, so that the ONNX backends run the same kind of
//! file a user would export themselves.
//!
//! The one design decision: the graph uses the Hugging Face formulation (rotate-half RoPE,
//! unpermuted q/k weights), so the same `LlamaWeights` give the same function here and in the
//! GGUF file the reference engine reads (whose writer permutes q/k rows for llama.cpp's
//! adjacent-pair RoPE). The protobuf is encoded by hand ([`proto`]); no `protoc`, no `prost`.
//!
//! See the crate README for the ops each variant uses.

pub mod agreement;
mod builder;
mod linear;
mod llama;
pub mod proto;
pub mod source;

pub use edgebench_reference::synth::LlamaWeights;
pub use source::{LayerView, Shape, WeightsView};

use std::io::Write;
use std::path::{Path, PathBuf};

/// Weight encoding of the written file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum OnnxVariant {
    /// Plain `MatMul` on f32 weights.
    Fp32,
    /// `DynamicQuantizeLinear` + `MatMulInteger` on int8 weights (ORT `quantize_dynamic`).
    Int8,
    /// `com.microsoft::MatMulNBits`, 4-bit blocks of 32 (ORT `MatMulNBitsQuantizer`).
    Int4,
}

impl OnnxVariant {
    /// Short label for file names and reports: `fp32`, `int8`, `int4`.
    pub fn as_str(self) -> &'static str {
        match self {
            OnnxVariant::Fp32 => "fp32",
            OnnxVariant::Int8 => "int8",
            OnnxVariant::Int4 => "int4",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s.to_ascii_lowercase().as_str() {
            "fp32" | "f32" => Some(OnnxVariant::Fp32),
            "int8" | "q8" => Some(OnnxVariant::Int8),
            "int4" | "q4" => Some(OnnxVariant::Int4),
            _ => None,
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ExportError {
    #[error("cannot export these weights: {0}")]
    InvalidWeights(String),
    #[error("writing {path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
}

/// What was written.
#[derive(Debug, Clone, PartialEq)]
pub struct ExportSummary {
    pub path: PathBuf,
    /// The external data file, when the weights did not fit a 2 GB protobuf.
    pub external_data: Option<PathBuf>,
    pub bytes_written: u64,
    pub node_count: usize,
}

/// Above this many initializer bytes the weights go to `<file>_data` (protobuf's 2 GB limit).
const EXTERNAL_DATA_THRESHOLD: usize = 1 << 30;

/// Write the synthesizer's canonical weights (Hugging Face layout) as an ONNX model at `path`.
pub fn write_onnx(
    weights: &LlamaWeights,
    variant: OnnxVariant,
    path: &Path,
) -> Result<ExportSummary, ExportError> {
    write_onnx_view(&WeightsView::from(weights), variant, path)
}

/// Write borrowed weights as an ONNX model at `path`.
pub fn write_onnx_view(
    weights: &WeightsView<'_>,
    variant: OnnxVariant,
    path: &Path,
) -> Result<ExportSummary, ExportError> {
    weights.validate().map_err(ExportError::InvalidWeights)?;
    let mut graph = llama::build(weights, variant);
    let io = |source| ExportError::Io {
        path: path.to_path_buf(),
        source,
    };

    let total: usize = graph.initializers.iter().map(|t| t.raw.len()).sum();
    let mut external_data = None;
    let mut bytes_written = 0u64;
    if total > EXTERNAL_DATA_THRESHOLD {
        let file_name = path
            .file_name()
            .map(|n| format!("{}_data", n.to_string_lossy()))
            .unwrap_or_else(|| "model.onnx_data".into());
        let data_path = path.with_file_name(&file_name);
        let dio = |source| ExportError::Io {
            path: data_path.clone(),
            source,
        };
        let mut f = std::io::BufWriter::new(std::fs::File::create(&data_path).map_err(dio)?);
        let mut offset = 0u64;
        for t in graph
            .initializers
            .iter_mut()
            .filter(|t| t.raw.len() >= 1024)
        {
            // Align each tensor to 4 KiB so runtimes can mmap it.
            let pad = (4096 - offset % 4096) % 4096;
            f.write_all(&vec![0u8; pad as usize]).map_err(dio)?;
            offset += pad;
            f.write_all(&t.raw).map_err(dio)?;
            let len = t.raw.len() as u64;
            t.external = Some((file_name.clone(), offset, len));
            t.raw = Vec::new();
            offset += len;
        }
        f.flush().map_err(dio)?;
        bytes_written += offset;
        external_data = Some(data_path);
    }

    let node_count = graph.nodes.len();
    let model = proto::Model {
        ir_version: 8,
        opsets: match variant {
            OnnxVariant::Int4 => vec![(String::new(), 18), ("com.microsoft".into(), 1)],
            _ => vec![(String::new(), 18)],
        },
        producer_name: "edgebench".into(),
        producer_version: env!("CARGO_PKG_VERSION").into(),
        doc_string: format!(
            "Synthesized llama (decoder with past, Hugging Face layout), {} weights",
            variant.as_str()
        ),
        metadata: metadata(&weights.shape, variant),
        graph,
    };
    let bytes = model.to_bytes();
    std::fs::write(path, &bytes).map_err(io)?;
    bytes_written += bytes.len() as u64;
    Ok(ExportSummary {
        path: path.to_path_buf(),
        external_data,
        bytes_written,
        node_count,
    })
}

/// `metadata_props` written into every file: the variant and the llama shape (Hugging Face
/// config names), so backends can report [`Shape`] facts that the graph's inputs do not carry.
fn metadata(s: &Shape, variant: OnnxVariant) -> Vec<(String, String)> {
    let mut m = vec![(
        "edgebench.variant".to_string(),
        variant.as_str().to_string(),
    )];
    for (k, v) in [
        ("vocab_size", s.vocab_size),
        ("hidden_size", s.hidden_size),
        ("intermediate_size", s.intermediate_size),
        ("num_hidden_layers", s.num_layers),
        ("num_attention_heads", s.num_heads),
        ("num_key_value_heads", s.num_kv_heads),
        ("head_dim", s.head_dim),
    ] {
        m.push((format!("llama.{k}"), v.to_string()));
    }
    m.push(("llama.rms_norm_eps".into(), s.rms_norm_eps.to_string()));
    m.push(("llama.rope_theta".into(), s.rope_theta.to_string()));
    m
}
