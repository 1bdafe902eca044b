//! The synthesizer: deterministic bytes, streaming equals materialised, llama.cpp metadata
//! and tensor layout, tied embeddings, and the inspection report.

mod common;

use edgebench_reference::gguf::{GgmlType, GgufFile};
use edgebench_reference::synth::{self, canonical_weights, Preset, SynthQuant};

#[test]
fn same_seed_gives_byte_identical_files() {
    let dir = tempfile::tempdir().unwrap();
    for q in SynthQuant::ALL {
        let a = dir.path().join("a.gguf");
        let b = dir.path().join("b.gguf");
        let c = dir.path().join("c.gguf");
        synth::write_preset_gguf(Preset::Tiny, 7, q, &a).unwrap();
        // Materialised weights written through `write_gguf` give the same bytes.
        synth::write_gguf(&canonical_weights(Preset::Tiny, 7), q, &b).unwrap();
        synth::write_preset_gguf(Preset::Tiny, 8, q, &c).unwrap();
        let (a, b, c) = (
            std::fs::read(a).unwrap(),
            std::fs::read(b).unwrap(),
            std::fs::read(c).unwrap(),
        );
        assert!(a == b, "{q}: streamed and materialised files differ");
        assert!(a != c, "{q}: seeds 7 and 8 gave the same file");
    }
    assert_eq!(
        canonical_weights(Preset::Tiny, 3),
        canonical_weights(Preset::Tiny, 3)
    );
}

#[test]
fn metadata_and_tensors_follow_llama_cpp() {
    let dir = tempfile::tempdir().unwrap();
    let path = common::tiny(dir.path(), SynthQuant::Q4_0);
    let f = GgufFile::open(&path).unwrap();
    assert_eq!(f.get_str("general.architecture"), Some("llama"));
    assert_eq!(f.get_str("general.name"), Some("tiny"));
    assert_eq!(f.get_u32("general.file_type"), Some(2));
    assert_eq!(f.get_u32("general.alignment"), Some(32));
    for (k, v) in [
        ("context_length", 256),
        ("embedding_length", 64),
        ("block_count", 2),
        ("feed_forward_length", 176),
        ("attention.head_count", 4),
        ("attention.head_count_kv", 2),
        ("rope.dimension_count", 16),
        ("vocab_size", 256),
    ] {
        assert_eq!(f.get_u32(&format!("llama.{k}")), Some(v), "llama.{k}");
    }
    assert_eq!(f.get_f32("llama.rope.freq_base"), Some(10000.0));
    assert_eq!(
        f.get_f32("llama.attention.layer_norm_rms_epsilon"),
        Some(1e-5)
    );
    assert_eq!(f.get_str("tokenizer.ggml.model"), Some("llama"));
    let toks = f.get("tokenizer.ggml.tokens").unwrap().as_array().unwrap();
    assert_eq!(toks.len(), 256);
    assert_eq!(toks.as_strings().unwrap().get(0), Some("<unk>"));
    assert_eq!(toks.get(3).unwrap().as_str(), Some("<0x00>"));
    assert_eq!(
        f.get("tokenizer.ggml.scores")
            .unwrap()
            .as_array()
            .unwrap()
            .len(),
        256
    );
    assert_eq!(
        f.get("tokenizer.ggml.token_type")
            .unwrap()
            .as_array()
            .unwrap()
            .len(),
        256
    );
    assert_eq!(f.get_u32("tokenizer.ggml.bos_token_id"), Some(1));
    assert_eq!(f.get_u32("tokenizer.ggml.eos_token_id"), Some(2));

    assert_eq!(f.tensors().len(), 1 + 2 * 9 + 2);
    let ty = |n: &str| f.tensor(n).unwrap().ggml_type;
    assert_eq!(ty("token_embd.weight"), GgmlType::Q4_0);
    assert_eq!(ty("output.weight"), GgmlType::Q4_0);
    assert_eq!(ty("blk.0.attn_norm.weight"), GgmlType::F32);
    assert_eq!(ty("output_norm.weight"), GgmlType::F32);
    assert_eq!(
        ty("blk.1.ffn_down.weight"),
        GgmlType::F16,
        "rows of 176 fall back to F16"
    );
    assert_eq!(f.tensor("blk.0.attn_k.weight").unwrap().dims, &[64, 32]);
    assert_eq!(f.tensor("blk.0.ffn_down.weight").unwrap().dims, &[176, 64]);
    assert_eq!(f.tensor("token_embd.weight").unwrap().dims, &[64, 256]);
}

#[test]
fn gguf_q_rows_are_the_permuted_hf_rows() {
    let dir = tempfile::tempdir().unwrap();
    let w = canonical_weights(Preset::Tiny, common::SEED);
    let f = GgufFile::open(common::tiny(dir.path(), SynthQuant::F32)).unwrap();
    let q = f.tensor("blk.0.attn_q.weight").unwrap().data;
    let row = |r: usize| -> Vec<f32> {
        q[r * 256..(r + 1) * 256]
            .chunks_exact(4)
            .map(|c| f32::from_le_bytes(c.try_into().unwrap()))
            .collect()
    };
    // head 1 (dim 16): GGUF row 16 + 2i = HF row 16 + i; 16 + 2i + 1 = HF row 16 + 8 + i.
    assert_eq!(row(16 + 2 * 3), w.layers[0].q_proj.row(16 + 3));
    assert_eq!(row(16 + 2 * 3 + 1), w.layers[0].q_proj.row(16 + 8 + 3));
}

#[test]
fn tied_presets_have_no_output_tensor() {
    let mut c = Preset::Tiny.config();
    c.tie_word_embeddings = true;
    let w = synth::generate(&c, 1);
    assert!(w.lm_head.is_none());
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("tied.gguf");
    synth::write_gguf(&w, SynthQuant::Q8_0, &path).unwrap();
    let f = GgufFile::open(&path).unwrap();
    assert!(f.tensor("output.weight").is_none());
    let m = common::load(&path, 32);
    let info = m.info();
    assert_eq!(info.parameter_count, c.parameter_count());
    let l = m.session().unwrap().prefill(&[1, 2, 3]).unwrap();
    assert!(l.iter().all(|v| v.is_finite()));
    assert!(Preset::Smollm135m.config().tie_word_embeddings);
}

#[test]
fn inspect_lists_metadata_tensors_and_totals() {
    let dir = tempfile::tempdir().unwrap();
    let path = common::tiny(dir.path(), SynthQuant::Q8_0);
    let r = edgebench_reference::inspect(&path).unwrap();
    assert_eq!(r.version, 3);
    assert_eq!(r.tensors.len(), 21);
    assert_eq!(r.parameter_count, Preset::Tiny.config().parameter_count());
    assert_eq!(
        r.tensor_bytes,
        r.tensors.iter().map(|t| t.bytes).sum::<u64>()
    );
    assert!(r.type_counts.contains(&("f32".to_string(), 5)));
    assert!(r.type_counts.contains(&("f16".to_string(), 2)));
    let text = r.to_string();
    assert!(text.contains("general.architecture = \"llama\""), "{text}");
    assert!(
        text.contains("tokenizer.ggml.tokens = [String; 256] [\"<unk>\", \"<s>\""),
        "{text}"
    );
    assert!(text.contains("blk.0.attn_q.weight"), "{text}");
    assert!(edgebench_reference::inspect(dir.path().join("missing.gguf")).is_err());
}
