//! Writes a llama as an ONNX decoder-with-past graph, named and shaped like Hugging Face
//! optimum's `text-generation-with-past` export, so that the ONNX backends run the same kind of
//! file a user would export themselves.
//!
//! The one design decision: the graph uses the Hugging Face formulation (rotate-half RoPE,
//! unpermuted q/k weights), so the same `LlamaWeights` give the same function here and in the
//! GGUF file the reference engine reads (whose writer permutes q/k rows for llama.cpp's
//! adjacent-pair RoPE). The protobuf is encoded by hand ([`proto`], from `edgebench-onnx`, which
//! also reads files back: [`weight_facts`]); no `protoc`, no `prost`.
//!
//! See the crate README for the ops each variant uses.

mod builder;
mod linear;
mod llama;
pub mod source;
#[cfg(feature = "testing")]
pub mod testing;

pub use edgebench_onnx::{proto, weight_facts, WeightFacts};
pub use edgebench_reference::synth::{LlamaConfig, LlamaWeights, Preset};
pub use source::{PresetWeights, WeightSource};

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

/// Above this many (estimated) initializer bytes the weights go to `<file>_data`, well below
/// protobuf's 2 GB message limit.
const EXTERNAL_DATA_THRESHOLD: u64 = 1 << 30;

/// Write the synthesizer's canonical weights (Hugging Face layout) as an ONNX model at `path`.
pub fn write_onnx(
    weights: &LlamaWeights,
    variant: OnnxVariant,
    path: &Path,
) -> Result<ExportSummary, ExportError> {
    write_onnx_from(weights, variant, path)
}

/// Generate `preset`'s canonical weights for `seed` tensor by tensor and write them: the same
/// file as `write_onnx(&canonical_weights(preset, seed), ..)` without holding the whole model.
pub fn write_preset_onnx(
    preset: Preset,
    seed: u64,
    variant: OnnxVariant,
    path: &Path,
) -> Result<ExportSummary, ExportError> {
    write_onnx_from(&PresetWeights::new(preset, seed), variant, path)
}

/// Rough initializer bytes, to choose external data before writing.
fn estimated_bytes(c: &LlamaConfig, variant: OnnxVariant) -> u64 {
    let embed = (c.vocab_size * c.hidden_size) as u64;
    let linear = c.parameter_count() - embed + if c.tie_word_embeddings { embed } else { 0 };
    match variant {
        OnnxVariant::Fp32 => 4 * (embed + linear),
        OnnxVariant::Int8 => embed + linear,
        OnnxVariant::Int4 => 4 * embed + linear * 5 / 8,
    }
}

/// Where initializers go.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ExternalData {
    /// Inside the `.onnx` file unless they would exceed ~1 GiB (then as `Always`).
    #[default]
    Auto,
    /// In `<file>_data` next to the model (tensors of 1 KiB or more), as `onnx.save(...,
    /// save_as_external_data=True)` writes them.
    Always,
    /// Always inside the `.onnx` file (fails for models over protobuf's 2 GB limit).
    Never,
}

/// Write any [`WeightSource`] as an ONNX model at `path` (plus `<file>_data` for big models).
pub fn write_onnx_from(
    weights: &dyn WeightSource,
    variant: OnnxVariant,
    path: &Path,
) -> Result<ExportSummary, ExportError> {
    write_onnx_with(weights, variant, path, ExternalData::Auto)
}

/// [`write_onnx_from`] with a choice of where the weights go.
pub fn write_onnx_with(
    weights: &dyn WeightSource,
    variant: OnnxVariant,
    path: &Path,
    external: ExternalData,
) -> Result<ExportSummary, ExportError> {
    let c = weights.config().clone();
    source::validate(&c).map_err(ExportError::InvalidWeights)?;
    let io = |p: &Path| {
        let p = p.to_path_buf();
        move |source| ExportError::Io { path: p, source }
    };
    let mut b = builder::Builder::default();
    let mut external_data = None;
    let use_external = match external {
        ExternalData::Auto => estimated_bytes(&c, variant) > EXTERNAL_DATA_THRESHOLD,
        ExternalData::Always => true,
        ExternalData::Never => false,
    };
    if use_external {
        let location = path
            .file_name()
            .map(|n| format!("{}_data", n.to_string_lossy()))
            .unwrap_or_else(|| "model.onnx_data".into());
        let data_path = path.with_file_name(&location);
        let file = std::fs::File::create(&data_path).map_err(io(&data_path))?;
        b.external = Some(builder::ExternalData {
            location,
            file: std::io::BufWriter::new(file),
            offset: 0,
            error: None,
        });
        external_data = Some(data_path);
    }
    let (graph, b) = llama::build(weights, variant, b).map_err(ExportError::InvalidWeights)?;
    let mut bytes_written = 0;
    if let (Some(mut ext), Some(data_path)) = (b.external, external_data.as_ref()) {
        if let Some(e) = ext.error.take() {
            return Err(io(data_path)(e));
        }
        ext.file.flush().map_err(io(data_path))?;
        bytes_written += ext.offset;
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
            "Synthesized llama `{}` (decoder with past, Hugging Face layout), {} weights",
            c.name,
            variant.as_str()
        ),
        metadata: metadata(&c, variant),
        graph,
    };
    let bytes = model.to_bytes();
    std::fs::write(path, &bytes).map_err(io(path))?;
    bytes_written += bytes.len() as u64;
    Ok(ExportSummary {
        path: path.to_path_buf(),
        external_data,
        bytes_written,
        node_count,
    })
}

/// `metadata_props` written into every file: the variant and the llama shape (Hugging Face
/// config names), so backends can report shape facts that the graph's inputs do not carry.
fn metadata(c: &LlamaConfig, variant: OnnxVariant) -> Vec<(String, String)> {
    let mut m = vec![
        (
            "edgebench.variant".to_string(),
            variant.as_str().to_string(),
        ),
        ("llama.name".to_string(), c.name.clone()),
    ];
    for (k, v) in [
        ("vocab_size", c.vocab_size),
        ("hidden_size", c.hidden_size),
        ("intermediate_size", c.intermediate_size),
        ("num_hidden_layers", c.num_hidden_layers),
        ("num_attention_heads", c.num_attention_heads),
        ("num_key_value_heads", c.num_key_value_heads),
        ("head_dim", c.head_dim()),
        ("max_position_embeddings", c.max_position_embeddings),
    ] {
        m.push((format!("llama.{k}"), v.to_string()));
    }
    m.push(("llama.rms_norm_eps".into(), c.rms_norm_eps.to_string()));
    m.push(("llama.rope_theta".into(), c.rope_theta.to_string()));
    m.push((
        "llama.tie_word_embeddings".into(),
        c.tie_word_embeddings.to_string(),
    ));
    m
}

#[cfg(test)]
mod tests {
    use super::*;
    use edgebench_reference::synth::{canonical_weights, generate};

    #[test]
    fn streaming_a_preset_writes_the_same_bytes_as_its_weights() {
        let dir = tempfile::tempdir().unwrap();
        let w = canonical_weights(Preset::Tiny, 7);
        for v in [OnnxVariant::Fp32, OnnxVariant::Int8, OnnxVariant::Int4] {
            let a = dir.path().join("a.onnx");
            let b = dir.path().join("b.onnx");
            write_onnx(&w, v, &a).unwrap();
            write_preset_onnx(Preset::Tiny, 7, v, &b).unwrap();
            assert_eq!(
                std::fs::read(&a).unwrap(),
                std::fs::read(&b).unwrap(),
                "{v:?}"
            );
        }
        // Tied embeddings: lm_head is the embedding in both paths.
        let mut c = Preset::Tiny.config();
        c.tie_word_embeddings = true;
        let tied = generate(&c, 7);
        let src = PresetWeights { config: c, seed: 7 };
        let a = dir.path().join("ta.onnx");
        let b = dir.path().join("tb.onnx");
        write_onnx(&tied, OnnxVariant::Fp32, &a).unwrap();
        write_onnx_from(&src, OnnxVariant::Fp32, &b).unwrap();
        assert_eq!(std::fs::read(&a).unwrap(), std::fs::read(&b).unwrap());
    }

    #[test]
    fn external_data_goes_next_to_the_model() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("m.onnx");
        let src = PresetWeights::new(Preset::Tiny, 1);
        let s = write_onnx_with(&src, OnnxVariant::Fp32, &path, ExternalData::Always).unwrap();
        let data = s.external_data.unwrap();
        assert_eq!(data, dir.path().join("m.onnx_data"));
        let model_len = std::fs::metadata(&path).unwrap().len();
        let data_len = std::fs::metadata(&data).unwrap().len();
        assert!(
            model_len < 100_000 && data_len > 400_000,
            "{model_len} {data_len}"
        );
        assert_eq!(s.bytes_written, model_len + data_len);
    }

    #[test]
    fn bad_shapes_are_errors() {
        let mut c = Preset::Tiny.config();
        c.num_key_value_heads = 3;
        let src = PresetWeights { config: c, seed: 1 };
        let dir = tempfile::tempdir().unwrap();
        let e = write_onnx_from(&src, OnnxVariant::Fp32, &dir.path().join("x.onnx")).unwrap_err();
        assert!(e.to_string().contains("num_key_value_heads"), "{e}");
    }

    #[test]
    fn shape_fallback_matches_the_config() {
        use edgebench_backend::ModelInfo;
        use edgebench_onnx::llama_parameter_count;
        for p in Preset::ALL {
            let c = p.config();
            let info = ModelInfo {
                vocab_size: c.vocab_size,
                embedding_length: c.hidden_size,
                block_count: c.num_hidden_layers,
                head_count: c.num_attention_heads,
                head_count_kv: c.num_key_value_heads,
                feed_forward_length: c.intermediate_size,
                ..ModelInfo::default()
            };
            assert_eq!(
                llama_parameter_count(&info, c.tie_word_embeddings),
                c.parameter_count(),
                "{p}"
            );
        }
    }

    #[test]
    fn tinyllama_estimate_picks_external_data() {
        let c = Preset::Tinyllama1_1b.config();
        assert!(estimated_bytes(&c, OnnxVariant::Fp32) > EXTERNAL_DATA_THRESHOLD);
        assert!(
            estimated_bytes(&Preset::Stories15m.config(), OnnxVariant::Fp32)
                < EXTERNAL_DATA_THRESHOLD
        );
    }
}
