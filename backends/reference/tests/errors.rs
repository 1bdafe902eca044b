//! Bad models and bad input are typed errors that name the problem, never panics.

mod common;

use edgebench_backend::{Backend, BackendError, LoadOptions, ModelFormat, ModelSpec};
use edgebench_reference::gguf::{GgmlType, GgufFile, GgufWriter, MetaValue, TensorSpec};
use edgebench_reference::synth::{self, LlamaConfig, SynthQuant};
use edgebench_reference::ReferenceBackend;
use std::borrow::Cow;
use std::path::Path;

/// Copy `src` to `dst`, letting `edit` drop or replace tensors (name → new spec and bytes).
fn rewrite(
    src: &Path,
    dst: &Path,
    meta: &[(&str, MetaValue)],
    mut edit: impl FnMut(&str, &TensorSpec) -> Option<Option<(TensorSpec, Vec<u8>)>>,
) {
    let f = GgufFile::open(src).unwrap();
    let mut w = GgufWriter::new();
    for (k, v) in f.metadata() {
        w.meta(k.clone(), v.clone());
    }
    for (k, v) in meta {
        w.meta(*k, v.clone());
    }
    let mut data = Vec::new();
    for t in f.tensors() {
        let spec = TensorSpec::new(&t.name, &t.dims, t.ggml_type);
        match edit(&t.name, &spec) {
            None => {
                w.tensor(spec);
                data.push(f.view(t).data.to_vec());
            }
            Some(None) => {}
            Some(Some((s, bytes))) => {
                w.tensor(s);
                data.push(bytes);
            }
        }
    }
    w.write(dst, |i, _| Ok(Cow::Borrowed(&data[i][..])))
        .unwrap();
}

fn load_err(path: &Path) -> BackendError {
    match ReferenceBackend.load(&common::spec(path), &LoadOptions::default()) {
        Ok(_) => panic!("{} loaded but should not", path.display()),
        Err(e) => e,
    }
}

fn assert_invalid(e: &BackendError, needles: &[&str]) {
    assert_eq!(e.kind(), "invalid_model", "{e}");
    println!("{e}");
    let msg = e.to_string();
    for n in needles {
        assert!(msg.contains(n), "`{msg}` does not mention `{n}`");
    }
}

#[test]
fn missing_tensor_is_named() {
    let dir = tempfile::tempdir().unwrap();
    let src = common::tiny(dir.path(), SynthQuant::F32);
    let dst = dir.path().join("missing.gguf");
    rewrite(&src, &dst, &[], |n, _| {
        (n == "blk.1.ffn_up.weight").then_some(None)
    });
    assert_invalid(
        &load_err(&dst),
        &["`blk.1.ffn_up.weight`", "missing", "missing.gguf"],
    );
}

#[test]
fn wrong_shape_is_named() {
    let dir = tempfile::tempdir().unwrap();
    let src = common::tiny(dir.path(), SynthQuant::F32);
    let dst = dir.path().join("shape.gguf");
    rewrite(&src, &dst, &[], |n, s| {
        (n == "blk.0.attn_k.weight").then(|| {
            let t = TensorSpec::new(n, &[s.dims[1], s.dims[0]], s.ggml_type);
            Some((t, vec![0u8; s.n_bytes().unwrap() as usize]))
        })
    });
    assert_invalid(
        &load_err(&dst),
        &["`blk.0.attn_k.weight`", "shape [32, 64]", "[64, 32]"],
    );
}

#[test]
fn unsupported_types_name_the_fix() {
    // A shape whose rows hold whole 256-element K-quant blocks.
    let c = LlamaConfig {
        name: "k-quant-test".into(),
        hidden_size: 256,
        num_hidden_layers: 1,
        num_attention_heads: 2,
        num_key_value_heads: 2,
        intermediate_size: 256,
        vocab_size: 32,
        max_position_embeddings: 16,
        rope_theta: 10000.0,
        rms_norm_eps: 1e-5,
        tie_word_embeddings: true,
    };
    let dir = tempfile::tempdir().unwrap();
    let src = dir.path().join("f32.gguf");
    synth::write_gguf(&synth::generate(&c, 1), SynthQuant::F32, &src).unwrap();
    // The tied model loads as is.
    common::load(&src, 16);
    for ty in [GgmlType::Q5K, GgmlType::Q4_1] {
        let dst = dir.path().join(format!("{}.gguf", ty.name()));
        rewrite(&src, &dst, &[], |n, s| {
            (n == "blk.0.ffn_gate.weight").then(|| {
                let t = TensorSpec::new(n, &s.dims, ty);
                let bytes = vec![0u8; t.n_bytes().unwrap() as usize];
                Some((t, bytes))
            })
        });
        let e = load_err(&dst);
        assert_invalid(
            &e,
            &[
                "`blk.0.ffn_gate.weight`",
                &ty.to_string(),
                "supported types: F32, F16, Q8_0, Q4_0, Q5_0, Q4_K, Q6_K",
                "requantize",
            ],
        );
    }
}

#[test]
fn wrong_architecture_and_format_are_unsupported() {
    let dir = tempfile::tempdir().unwrap();
    let src = common::tiny(dir.path(), SynthQuant::F32);
    let dst = dir.path().join("gpt2.gguf");
    rewrite(
        &src,
        &dst,
        &[("general.architecture", MetaValue::String("gpt2".into()))],
        |_, _| None,
    );
    assert_eq!(load_err(&dst).kind(), "unsupported");
    let onnx = ModelSpec {
        path: src.clone(),
        format: ModelFormat::Onnx,
        quant: None,
    };
    let e = ReferenceBackend
        .load(&onnx, &LoadOptions::default())
        .err()
        .unwrap();
    assert_eq!(e.kind(), "unsupported");
}

#[test]
fn unreadable_and_non_gguf_files() {
    let dir = tempfile::tempdir().unwrap();
    assert_eq!(load_err(&dir.path().join("nope.gguf")).kind(), "io");
    let junk = dir.path().join("junk.gguf");
    std::fs::write(&junk, b"not a gguf file at all").unwrap();
    assert_invalid(&load_err(&junk), &["not a GGUF file", "junk.gguf"]);
    let full = std::fs::read(common::tiny(dir.path(), SynthQuant::Q8_0)).unwrap();
    let cut = dir.path().join("cut.gguf");
    std::fs::write(&cut, &full[..full.len() - 100]).unwrap();
    assert_invalid(
        &load_err(&cut),
        &["`output.weight`", "truncated", "re-synthesize"],
    );
    let empty = dir.path().join("empty.gguf");
    std::fs::write(&empty, b"").unwrap();
    assert_invalid(&load_err(&empty), &["too short"]);
}

#[test]
fn token_out_of_range_and_empty_prefill_are_invalid_input() {
    let dir = tempfile::tempdir().unwrap();
    let m = common::load(&common::tiny(dir.path(), SynthQuant::Q4_0), 16);
    let mut s = m.session().unwrap();
    let e = s.prefill(&[1, 256]).unwrap_err();
    assert_eq!(e.kind(), "invalid_input");
    assert!(e.to_string().contains("token id 256"), "{e}");
    assert_eq!(
        s.position(),
        0,
        "a rejected prefill must not advance the session"
    );
    assert_eq!(s.prefill(&[]).unwrap_err().kind(), "invalid_input");
    s.prefill(&[1, 255]).unwrap();
    assert_eq!(s.step(u32::MAX).unwrap_err().kind(), "invalid_input");
    assert_eq!(s.position(), 2);
}

#[test]
fn context_overflow_is_invalid_input() {
    let dir = tempfile::tempdir().unwrap();
    let path = common::tiny(dir.path(), SynthQuant::F32);
    let m = common::load(&path, 8);
    let mut s = m.session().unwrap();
    assert_eq!(s.prefill(&[0; 9]).unwrap_err().kind(), "invalid_input");
    s.prefill(&[5; 7]).unwrap();
    s.step(3).unwrap();
    let e = s.step(3).unwrap_err();
    assert_eq!(e.kind(), "invalid_input");
    assert!(e.to_string().contains("KV cache of 8 positions"), "{e}");
    // max_seq_len beyond the context length is bounded by it (256 for tiny).
    let m = common::load(&path, 100_000);
    let mut s = m.session().unwrap();
    s.prefill(&[1; 256]).unwrap();
    assert_eq!(s.step(1).unwrap_err().kind(), "invalid_input");
    // Zero capacity is rejected at load.
    let e = ReferenceBackend
        .load(
            &common::spec(&path),
            &LoadOptions {
                threads: 1,
                max_seq_len: 0,
            },
        )
        .err()
        .unwrap();
    assert_eq!(e.kind(), "invalid_input");
}
