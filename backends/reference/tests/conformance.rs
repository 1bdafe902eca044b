//! The shared conformance suite on every tiny file type, plus the synthesizer's promise that
//! random weights give usable, non-degenerate models.

mod common;

use edgebench_backend::{conformance, Backend};
use edgebench_reference::synth::SynthQuant;
use edgebench_reference::ReferenceBackend;

/// Batched and step-wise kernels compute each output with the same dot product: exact.
const TOL: f32 = 0.0;

#[test]
fn conformance_suite_passes_on_every_tiny_file() {
    let dir = tempfile::tempdir().unwrap();
    for q in SynthQuant::ALL {
        let path = common::tiny(dir.path(), q);
        conformance::run_all(&ReferenceBackend, &common::spec(&path), TOL);
    }
}

#[test]
fn greedy_does_not_collapse_and_logits_spread() {
    let dir = tempfile::tempdir().unwrap();
    let model = common::load(&common::tiny(dir.path(), SynthQuant::F32), 64);
    let mut s = model.session().unwrap();
    let prompt = common::prompt(256);
    let (tokens, logits) = conformance::greedy(s.as_mut(), &prompt, 32).unwrap();
    let mut distinct = tokens.clone();
    distinct.sort_unstable();
    distinct.dedup();
    println!("greedy: {tokens:?} ({} distinct)", distinct.len());
    assert!(
        distinct.len() >= 8,
        "only {} distinct tokens in {tokens:?}",
        distinct.len()
    );
    for l in &logits {
        let mean = l.iter().sum::<f32>() / l.len() as f32;
        let std = (l.iter().map(|v| (v - mean).powi(2)).sum::<f32>() / l.len() as f32).sqrt();
        assert!((1.0..=5.0).contains(&std), "logit std {std} outside 1..5");
    }
}

#[test]
fn describe_and_info_report_what_was_loaded() {
    let d = ReferenceBackend.describe();
    assert_eq!(
        d["kernels"],
        edgebench_reference::kernels::select_auto().name
    );
    assert_eq!(d["threads"], "1");
    assert!(d.contains_key("version"));
    assert_eq!(ReferenceBackend.name(), "reference");

    let dir = tempfile::tempdir().unwrap();
    let info = common::load(&common::tiny(dir.path(), SynthQuant::Q8_0), 64).info();
    assert_eq!(info.architecture, "llama");
    assert_eq!(
        (info.vocab_size, info.embedding_length, info.block_count),
        (256, 64, 2)
    );
    assert_eq!(
        (
            info.head_count,
            info.head_count_kv,
            info.feed_forward_length
        ),
        (4, 2, 176)
    );
    assert_eq!(info.context_length, 256);
    // ffn_down (rows of 176) falls back to F16 like llama.cpp's converter.
    assert_eq!(info.weight_types, "q8_0+f16+f32");
    let c = edgebench_reference::synth::Preset::Tiny.config();
    assert_eq!(info.parameter_count, c.parameter_count());
    let wb = info.weight_bytes.unwrap();
    // Untied: everything but the embedding matrix, plus one of its rows.
    let embd_bytes = 256 * 64 / 32 * 34;
    let f = edgebench_reference::GgufFile::open(dir.path().join("tiny-q8_0.gguf")).unwrap();
    let total: u64 = f.tensors().iter().map(|t| t.len as u64).sum();
    assert_eq!(wb, total - embd_bytes + 64 / 32 * 34);
}
