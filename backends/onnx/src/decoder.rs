//! The [`ModelInfo`] of a decoder-with-past ONNX file that a runtime has loaded, derived once
//! for every ONNX backend: the shape the runtime read from the graph's inputs and outputs, the
//! llama shape from the file's `metadata_props` (as the runtime reads them), and the weight facts
//! from the graph ([`weight_facts`]), with the llama parameter formula as the fallback when the
//! graph cannot be read here although the runtime loaded it.

use crate::weight_facts;
use edgebench_backend::{LoadOptions, ModelInfo, ModelSpec};

/// What a runtime found on the loaded graph's inputs and outputs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DecoderShape {
    /// The fixed last dimension of `logits`.
    pub vocab_size: usize,
    /// Layers: the number of `past_key_values.*` inputs over 2 (a key and a value each).
    pub block_count: usize,
    /// Dimension 1 of the `past_key_values.*` inputs.
    pub head_count_kv: usize,
}

/// The model facts of the decoder-with-past file `spec.path`, loaded with `opts`.
///
/// `metadata` looks a key up in the file's `metadata_props` (through the runtime that loaded
/// it). The shape keys edgebench writes (`llama.hidden_size`, `llama.num_attention_heads`,
/// `llama.intermediate_size`) give the dimensions the graph's interface does not carry (0 when
/// absent), `edgebench.variant` the weight types (else `spec.quant`, else `unknown`). The
/// parameter count and the weight bytes read per token come from the graph; when it cannot be
/// read here, the parameters of a llama of this shape ([`llama_parameter_count`], tied when
/// `llama.tie_word_embeddings` is `true`) and no bandwidth figure.
pub fn decoder_info(
    spec: &ModelSpec,
    opts: &LoadOptions,
    shape: DecoderShape,
    metadata: impl Fn(&str) -> Option<String>,
) -> ModelInfo {
    let num = |k: &str| metadata(k).and_then(|v| v.parse().ok()).unwrap_or(0);
    let mut info = ModelInfo {
        architecture: "llama".into(),
        vocab_size: shape.vocab_size,
        // The context the model was built for (edgebench's exports carry it); else what the
        // session was opened for.
        context_length: match num("llama.max_position_embeddings") {
            0 => opts.max_seq_len,
            n => n,
        },
        embedding_length: num("llama.hidden_size"),
        block_count: shape.block_count,
        head_count: num("llama.num_attention_heads"),
        head_count_kv: shape.head_count_kv,
        feed_forward_length: num("llama.intermediate_size"),
        weight_types: metadata("edgebench.variant")
            .or_else(|| spec.quant.clone())
            .unwrap_or_else(|| "unknown".into()),
        parameter_count: 0,
        weight_bytes: None,
    };
    match weight_facts(&spec.path) {
        Ok(f) => {
            info.parameter_count = f.parameter_count;
            info.weight_bytes = Some(f.decode_bytes);
        }
        Err(_) => {
            let tied = metadata("llama.tie_word_embeddings").is_some_and(|v| v == "true");
            info.parameter_count = llama_parameter_count(&info, tied);
        }
    }
    info
}

/// Parameters of a llama of `info`'s shape (the synthesizer's `LlamaConfig::parameter_count`
/// formula: embedding, per layer two norms and the q/k/v/o and gate/up/down matrices, the final
/// norm, and the output matrix unless `tied`). 0 when a dimension is unknown (reported as 0),
/// as for files without edgebench's `llama.*` metadata.
pub fn llama_parameter_count(info: &ModelInfo, tied: bool) -> u64 {
    let dims = [
        info.vocab_size,
        info.embedding_length,
        info.block_count,
        info.head_count,
        info.head_count_kv,
        info.feed_forward_length,
    ];
    if dims.contains(&0) {
        return 0;
    }
    let (d, f, vocab) = (
        info.embedding_length,
        info.feed_forward_length,
        info.vocab_size,
    );
    let head_dim = d / info.head_count;
    let (q_dim, kv_dim) = (info.head_count * head_dim, info.head_count_kv * head_dim);
    let layer = 2 * d + 2 * d * q_dim + 2 * d * kv_dim + 3 * d * f;
    let output = if tied { 0 } else { vocab * d };
    (vocab * d + info.block_count * layer + d + output) as u64
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::proto::{DataType, Dim, Graph, Model, Node, Tensor, ValueInfo};
    use edgebench_backend::ModelFormat;
    use std::path::Path;

    /// The `metadata_props` of the test model.
    fn metadata(tied: bool) -> Vec<(String, String)> {
        [
            ("edgebench.variant", "fp32"),
            ("llama.hidden_size", "8"),
            ("llama.num_attention_heads", "2"),
            ("llama.intermediate_size", "16"),
            (
                "llama.tie_word_embeddings",
                if tied { "true" } else { "false" },
            ),
        ]
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
    }

    #[test]
    fn the_context_is_the_exported_one_when_the_file_says_it() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("m.onnx");
        let mut md = metadata(false);
        md.push(("llama.max_position_embeddings".into(), "128".into()));
        write_model(&path, md.clone());
        let opts = LoadOptions {
            threads: 1,
            max_seq_len: 4096,
        };
        let info = decoder_info(&spec(&path), &opts, SHAPE, lookup(md));
        assert_eq!(info.context_length, 128);
    }

    /// A runtime's metadata lookup over `pairs`.
    fn lookup(pairs: Vec<(String, String)>) -> impl Fn(&str) -> Option<String> {
        move |k: &str| pairs.iter().find(|(n, _)| n == k).map(|(_, v)| v.clone())
    }

    /// `logits = Gather(E, input_ids)`, a 4×8 table, with `metadata`.
    fn write_model(path: &Path, metadata: Vec<(String, String)>) {
        let vi = |name: &str, dt| ValueInfo {
            name: name.into(),
            elem_type: dt,
            dims: vec![Dim::Fixed(1), Dim::Param("s".into())],
        };
        let model = Model {
            ir_version: 8,
            opsets: vec![(String::new(), 18)],
            producer_name: "test".into(),
            producer_version: "0".into(),
            doc_string: String::new(),
            metadata,
            graph: Graph {
                name: "g".into(),
                nodes: vec![Node {
                    name: "gather".into(),
                    op_type: "Gather".into(),
                    domain: String::new(),
                    inputs: vec!["E".into(), "input_ids".into()],
                    outputs: vec!["logits".into()],
                    attrs: vec![],
                }],
                initializers: vec![Tensor {
                    name: "E".into(),
                    dims: vec![4, 8],
                    data_type: DataType::Float,
                    raw: vec![0; 4 * 4 * 8],
                    external: None,
                }],
                inputs: vec![vi("input_ids", DataType::Int64)],
                outputs: vec![vi("logits", DataType::Float)],
            },
        };
        std::fs::write(path, model.to_bytes()).unwrap();
    }

    fn spec(path: &Path) -> ModelSpec {
        ModelSpec {
            path: path.to_path_buf(),
            format: ModelFormat::Onnx,
            quant: Some("from-the-scenario".into()),
        }
    }

    const SHAPE: DecoderShape = DecoderShape {
        vocab_size: 4,
        block_count: 1,
        head_count_kv: 1,
    };

    #[test]
    fn shape_from_the_runtime_and_metadata_weights_from_the_graph() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("m.onnx");
        write_model(&path, metadata(false));
        let opts = LoadOptions {
            threads: 1,
            max_seq_len: 40,
        };
        let info = decoder_info(&spec(&path), &opts, SHAPE, lookup(metadata(false)));
        let facts = weight_facts(&path).unwrap();
        assert_eq!(
            info,
            ModelInfo {
                architecture: "llama".into(),
                vocab_size: 4,
                context_length: 40,
                embedding_length: 8,
                block_count: 1,
                head_count: 2,
                head_count_kv: 1,
                feed_forward_length: 16,
                weight_types: "fp32".into(),
                parameter_count: facts.parameter_count,
                weight_bytes: Some(facts.decode_bytes),
            }
        );
        // One row of the gathered table.
        assert_eq!(info.weight_bytes, Some(4 * 8));
        // Without metadata: the scenario's quantization name, unknown dimensions are 0.
        let bare = decoder_info(&spec(&path), &opts, SHAPE, |_| None);
        assert_eq!(bare.weight_types, "from-the-scenario");
        assert_eq!((bare.embedding_length, bare.head_count), (0, 0));
    }

    #[test]
    fn an_unreadable_graph_falls_back_to_the_llama_formula() {
        let dir = tempfile::tempdir().unwrap();
        for tied in [false, true] {
            let path = dir.path().join(format!("tied-{tied}.onnx"));
            write_model(&path, metadata(tied));
            // The runtime loaded it, but this crate cannot read the graph (cut short here).
            let bytes = std::fs::read(&path).unwrap();
            std::fs::write(&path, &bytes[..bytes.len() / 2]).unwrap();
            let info = decoder_info(
                &spec(&path),
                &LoadOptions::default(),
                SHAPE,
                lookup(metadata(tied)),
            );
            assert_eq!(info.weight_bytes, None);
            assert_eq!(info.parameter_count, llama_parameter_count(&info, tied));
            let (d, f, v) = (8, 16, 4);
            let layer = 2 * d + 2 * d * d + 2 * d * (d / 2) + 3 * d * f;
            let output = if tied { 0 } else { v * d };
            assert_eq!(info.parameter_count, v * d + layer + d + output, "{tied}");
        }
    }

    #[test]
    fn unknown_dimensions_give_no_parameter_count() {
        assert_eq!(llama_parameter_count(&ModelInfo::default(), false), 0);
    }
}
