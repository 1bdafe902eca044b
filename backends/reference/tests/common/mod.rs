//! Shared helpers for the integration tests: synthesize tiny models into a temp dir, load them.
#![allow(dead_code)]

use edgebench_backend::{Backend, LoadOptions, Model, ModelFormat, ModelSpec};
use edgebench_reference::synth::{self, LlamaConfig, Preset, SynthQuant};
use edgebench_reference::ReferenceBackend;
use std::path::{Path, PathBuf};

pub const SEED: u64 = 42;

/// Write the tiny preset with `SEED` in quantization `q` into `dir`.
pub fn tiny(dir: &Path, q: SynthQuant) -> PathBuf {
    let path = dir.join(format!("tiny-{}.gguf", q.name()));
    synth::write_preset_gguf(Preset::Tiny, SEED, q, &path).expect("write tiny gguf");
    path
}

pub fn spec(path: &Path) -> ModelSpec {
    ModelSpec {
        path: path.to_path_buf(),
        format: ModelFormat::Gguf,
        quant: None,
    }
}

pub fn load(path: &Path, max_seq_len: usize) -> Box<dyn Model> {
    ReferenceBackend
        .load(
            &spec(path),
            &LoadOptions {
                threads: 1,
                max_seq_len,
            },
        )
        .unwrap_or_else(|e| panic!("load {}: {e}", path.display()))
}

/// A 256-wide llama: every matrix row is one or two K-quant super-blocks, so its Q4_K_M file
/// holds real Q4_K and Q6_K tensors.
pub fn k256() -> LlamaConfig {
    LlamaConfig {
        name: "k256".into(),
        hidden_size: 256,
        num_hidden_layers: 2,
        num_attention_heads: 4,
        num_key_value_heads: 2,
        intermediate_size: 512,
        vocab_size: 320,
        max_position_embeddings: 64,
        rope_theta: 10000.0,
        rms_norm_eps: 1e-5,
        tie_word_embeddings: false,
    }
}

/// Proptest cases: `PROPTEST_CASES` when set (CI trims the count under emulation), else
/// `default`. (An explicit `cases` in a `ProptestConfig` would override the variable.)
pub fn proptest_cases(default: u32) -> u32 {
    std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or(default)
}

/// The 12-token prompt the oracle and budget tests use.
pub fn prompt(vocab: u32) -> Vec<u32> {
    (0..12u32).map(|i| (i * 53 + 7) % vocab).collect()
}

/// `n` roughly N(0, 1) values from `seed` (a small LCG and Irwin–Hall; enough for test data).
pub fn gaussian(n: usize, seed: u64) -> Vec<f32> {
    let mut s = seed
        .wrapping_mul(6364136223846793005)
        .wrapping_add(1442695040888963407);
    (0..n)
        .map(|_| {
            let mut acc = 0f32;
            for _ in 0..4 {
                s = s
                    .wrapping_mul(6364136223846793005)
                    .wrapping_add(1442695040888963407);
                acc += (s >> 40) as f32 / (1u64 << 24) as f32;
            }
            (acc - 2.0) * 1.732_050_8
        })
        .collect()
}

/// Σ a·b in f32, in order (the plain reference a quantized dot is held against).
pub fn naive_dot(a: &[f32], b: &[f32]) -> f32 {
    a.iter().zip(b).map(|(x, y)| x * y).sum()
}
