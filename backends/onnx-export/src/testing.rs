//! Test fixtures shared by the ONNX backends' tests and the harness's end-to-end tests
//! (feature `testing`): synthesize a preset as ONNX and as f32 GGUF from one weight set, load,
//! compare, and build broken files (truncated, unknown op). They panic on failure, as tests do.
//! [`suite`] turns them into the test suite every ONNX backend runs
//! ([`onnx_backend_tests!`](crate::onnx_backend_tests)).

pub mod suite;

use crate::{write_onnx, LlamaWeights, OnnxVariant};
use edgebench_backend::agreement::{compare_rows, teacher_forced, Agreement};
use edgebench_backend::{conformance, Backend, LoadOptions, Logits, Model, ModelFormat, ModelSpec};
use edgebench_reference::synth::{canonical_weights, write_gguf, Preset, SynthQuant};
use edgebench_reference::ReferenceBackend;
use std::path::{Path, PathBuf};

pub const SEED: u64 = 42;

pub fn weights(preset: Preset) -> LlamaWeights {
    canonical_weights(preset, SEED)
}

pub fn onnx(w: &LlamaWeights, dir: &Path, variant: OnnxVariant) -> PathBuf {
    let path = dir.join(format!("{}-{}.onnx", w.config.name, variant.as_str()));
    write_onnx(w, variant, &path).expect("write onnx");
    path
}

pub fn gguf_f32(w: &LlamaWeights, dir: &Path) -> PathBuf {
    let path = dir.join(format!("{}-f32.gguf", w.config.name));
    write_gguf(w, SynthQuant::F32, &path).expect("write gguf");
    path
}

pub fn spec(path: &Path) -> ModelSpec {
    ModelSpec {
        path: path.to_path_buf(),
        format: ModelFormat::from_path(path).expect("extension"),
        quant: None,
    }
}

pub fn load(backend: &dyn Backend, path: &Path) -> Box<dyn Model> {
    backend
        .load(
            &spec(path),
            &LoadOptions {
                threads: 1,
                max_seq_len: 128,
            },
        )
        .unwrap_or_else(|e| panic!("{}: load {}: {e}", backend.name(), path.display()))
}

pub fn prompt(vocab: usize) -> Vec<u32> {
    (0..12u32).map(|i| (i * 53 + 7) % vocab as u32).collect()
}

/// [`compare_rows`] of two runs' logits; panics (naming `what`) when their shapes differ.
fn agreement(reference: &[Logits], other: &[Logits], what: &str) -> Agreement {
    compare_rows(reference, other).unwrap_or_else(|| {
        panic!(
            "{what}: {} positions against {}, or rows of different lengths",
            other.len(),
            reference.len()
        )
    })
}

/// Greedy `steps` tokens on `backend` (ONNX fp32) and on the reference engine (GGUF f32) from
/// the same weights; returns (max |Δlogit| over all positions, tokens equal, tokens).
pub fn f32_agreement(backend: &dyn Backend, preset: Preset, steps: usize) -> (f64, bool, Vec<u32>) {
    let dir = tempfile::tempdir().unwrap();
    let w = weights(preset);
    let onnx_path = onnx(&w, dir.path(), OnnxVariant::Fp32);
    let gguf_path = gguf_f32(&w, dir.path());
    let p = prompt(w.config.vocab_size);
    let ours = load(backend, &onnx_path);
    let refm = load(&ReferenceBackend, &gguf_path);
    let (t1, l1) = conformance::greedy(ours.session().unwrap().as_mut(), &p, steps).unwrap();
    let (t2, l2) = conformance::greedy(refm.session().unwrap().as_mut(), &p, steps).unwrap();
    let d = agreement(&l2, &l1, backend.name()).max_abs_logit_diff;
    println!(
        "{} vs reference, {preset} f32, {steps} greedy steps: tokens {}, max |dlogit| {d:.3e}",
        backend.name(),
        if t1 == t2 { "identical" } else { "DIFFER" }
    );
    if t1 != t2 {
        println!("  {}: {t1:?}\n  reference: {t2:?}", backend.name());
    }
    (d, t1 == t2, t1)
}

/// Top-1 agreement and mean KL of `variant` against fp32 on the same backend, both fed the
/// fp32 model's greedy tokens.
pub fn quant_agreement(
    backend: &dyn Backend,
    preset: Preset,
    variant: OnnxVariant,
    steps: usize,
) -> (f64, f64) {
    let dir = tempfile::tempdir().unwrap();
    let w = weights(preset);
    let p = prompt(w.config.vocab_size);
    let base = load(backend, &onnx(&w, dir.path(), OnnxVariant::Fp32));
    let (tokens, base_logits) =
        conformance::greedy(base.session().unwrap().as_mut(), &p, steps).unwrap();
    let q = load(backend, &onnx(&w, dir.path(), variant));
    let ql = teacher_forced(q.session().unwrap().as_mut(), &p, &tokens).unwrap();
    let a = agreement(&base_logits, &ql, variant.as_str());
    let (top1, kl) = (a.top1_rate, a.mean_kl);
    println!(
        "{} {preset} {} vs fp32 ({} positions): top-1 agreement {top1:.3}, mean KL {kl:.4}",
        backend.name(),
        variant.as_str(),
        base_logits.len()
    );
    (top1, kl)
}

/// Tokens and final logits of 8 greedy steps on the tiny fp32 model, with its weights inside
/// the `.onnx` file and in an external data file: both must give identical results.
pub fn external_data_matches(backend: &dyn Backend) {
    use crate::{write_onnx_with, ExternalData};
    let dir = tempfile::tempdir().unwrap();
    let w = weights(Preset::Tiny);
    let inside = onnx(&w, dir.path(), OnnxVariant::Fp32);
    let sub = dir.path().join("ext");
    std::fs::create_dir_all(&sub).unwrap();
    let outside = sub.join("model.onnx");
    let s = write_onnx_with(&w, OnnxVariant::Fp32, &outside, ExternalData::Always).unwrap();
    assert!(s.external_data.is_some());
    let p = prompt(w.config.vocab_size);
    let a = load(backend, &inside);
    let b = load(backend, &outside);
    let ra = conformance::greedy(a.session().unwrap().as_mut(), &p, 8).unwrap();
    let rb = conformance::greedy(b.session().unwrap().as_mut(), &p, 8).unwrap();
    assert_eq!(
        ra,
        rb,
        "{}: external data changed the results",
        backend.name()
    );
}

/// A one-node model whose op no runtime implements.
pub fn unknown_op_model(dir: &Path) -> PathBuf {
    use crate::proto::*;
    let vi = |n: &str| ValueInfo {
        name: n.into(),
        elem_type: DataType::Float,
        dims: vec![Dim::Fixed(1)],
    };
    let model = Model {
        ir_version: 8,
        opsets: vec![(String::new(), 18), ("com.example".into(), 1)],
        producer_name: "edgebench-test".into(),
        producer_version: "0".into(),
        doc_string: String::new(),
        metadata: vec![],
        graph: Graph {
            name: "g".into(),
            nodes: vec![Node {
                name: "frobnicate".into(),
                op_type: "Frobnicate".into(),
                domain: "com.example".into(),
                inputs: vec!["x".into()],
                outputs: vec!["y".into()],
                attrs: vec![],
            }],
            initializers: vec![],
            inputs: vec![vi("x")],
            outputs: vec![vi("y")],
        },
    };
    let path = dir.join("unknown-op.onnx");
    std::fs::write(&path, model.to_bytes()).unwrap();
    path
}

/// The tiny fp32 model cut to half its bytes.
pub fn truncated_model(dir: &Path) -> PathBuf {
    let full = onnx(&weights(Preset::Tiny), dir, OnnxVariant::Fp32);
    let bytes = std::fs::read(&full).unwrap();
    let path = dir.join("truncated.onnx");
    std::fs::write(&path, &bytes[..bytes.len() / 2]).unwrap();
    path
}

/// Loads the tiny preset as `variant` in `backend` and checks the model facts it reports: the
/// weight bytes a decoded token reads (below the file length), every parameter (packed ones
/// too), the shape, and the weight type name `weight_types`.
pub fn tiny_model_info_is_right(backend: &dyn Backend, variant: OnnxVariant, weight_types: &str) {
    let dir = tempfile::tempdir().unwrap();
    let path = onnx(&weights(Preset::Tiny), dir.path(), variant);
    let info = load(backend, &path).info();
    let facts = crate::weight_facts(&path).unwrap();
    assert_eq!(info.weight_bytes, Some(facts.decode_bytes));
    assert!(facts.decode_bytes < std::fs::metadata(&path).unwrap().len());
    assert_eq!(
        info.parameter_count,
        Preset::Tiny.config().parameter_count()
    );
    assert_eq!(
        (info.vocab_size, info.block_count, info.head_count_kv),
        (256, 2, 2)
    );
    assert_eq!((info.embedding_length, info.head_count), (64, 4));
    assert_eq!(info.weight_types, weight_types);
}
