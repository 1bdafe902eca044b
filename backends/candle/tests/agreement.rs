//! candle against the reference engine on the same synthesized files.
//!
//! f32 (tiny and stories15m shapes): greedy tokens must match for 32 steps and logits agree
//! within 1e-3 at every step. q8_0/q4_0: candle's quantized logits are compared with its own
//! f32 logits on the same token stream (top-1 agreement, mean KL(f32 ‖ quant)) and with the
//! reference engine on the same quantized file; the numbers are printed
//! (`cargo test -p edgebench-candle --test agreement -- --nocapture`) and loosely asserted.
//!
//! Why candle and the reference can disagree on quantized files while agreeing to 1e-5 on
//! f32 (measured on x86_64 with AVX512-VNNI, stories15m shape): both quantize activations to
//! q8_0 blocks before each quantized matmul, so an ulp-level difference in the f32 attention
//! (different exp/softmax code) occasionally moves an activation across a rounding boundary
//! and becomes a whole int8 step; and on VNNI CPUs candle runs q8_0 matmuls whose input
//! length is a multiple of 256 (stories15m's ffn_down, k = 768) on repacked tiles with q8_k
//! activations (256-value blocks) instead of q8_0, which differs already at position 0
//! (`MISTRALRS_FORCE_AVX2=1` turns that tier off). A single token at position 0 matches to
//! 2e-6 on both types with the AVX2 tier.

mod common;

use edgebench_backend::agreement::{compare_rows, teacher_forced};
use edgebench_backend::conformance::greedy;
use edgebench_backend::{Backend, LoadOptions, Logits, Model};
use edgebench_candle::CandleBackend;
use edgebench_reference::synth::{Preset, SynthQuant};
use edgebench_reference::ReferenceBackend;
use std::path::Path;

const STEPS: usize = 32;
const F32_TOL: f64 = 1e-3;

fn load(b: &dyn Backend, path: &Path) -> Box<dyn Model> {
    let opts = LoadOptions {
        threads: 1,
        max_seq_len: 64,
    };
    b.load(&common::spec(path), &opts)
        .unwrap_or_else(|e| panic!("{}: load {}: {e}", b.name(), path.display()))
}

fn prompt(vocab: usize) -> Vec<u32> {
    (0..12u32).map(|i| (i * 53 + 7) % vocab as u32).collect()
}

fn run(b: &dyn Backend, path: &Path) -> (Vec<u32>, Vec<Logits>) {
    let m = load(b, path);
    let mut s = m.session().unwrap();
    greedy(s.as_mut(), &prompt(m.info().vocab_size), STEPS).unwrap()
}

/// Greedy on both engines: (tokens matching before the first difference, max |Δlogit| over
/// the steps up to and including it).
fn compare_engines(path: &Path) -> (usize, f64) {
    let (tc, lc) = run(&CandleBackend, path);
    let (tr, lr) = run(&ReferenceBackend, path);
    let same = tc.iter().zip(&tr).take_while(|(a, b)| a == b).count();
    let n = (same + 1).min(lc.len()).min(lr.len());
    let worst = compare_rows(&lr[..n], &lc[..n]).map_or(f64::INFINITY, |a| a.max_abs_logit_diff);
    (same, worst)
}

fn f32_matches_reference(preset: Preset) {
    let dir = tempfile::tempdir().unwrap();
    let path = common::synth(dir.path(), preset, SynthQuant::F32);
    let (same, worst) = compare_engines(&path);
    println!("{preset} f32: candle vs reference: {same}/{STEPS} greedy tokens match, max |Δlogit| {worst:.3e}");
    assert_eq!(
        same, STEPS,
        "{preset} f32: greedy tokens diverge at step {same}"
    );
    assert!(
        worst <= F32_TOL,
        "{preset} f32: max |Δlogit| {worst} > {F32_TOL}"
    );
}

#[test]
fn f32_tiny_matches_reference() {
    f32_matches_reference(Preset::Tiny);
}

#[test]
fn f32_stories15m_matches_reference() {
    f32_matches_reference(Preset::Stories15m);
}

/// candle on `quant` against candle on f32, teacher-forced on the f32 greedy stream:
/// (top-1 agreement, mean KL(f32 ‖ quant)) over the 33 positions.
fn quant_vs_f32(dir: &Path, preset: Preset, quant: SynthQuant) -> (f64, f64) {
    let (tokens, reference) = run(&CandleBackend, &common::synth(dir, preset, SynthQuant::F32));
    let m = load(&CandleBackend, &common::synth(dir, preset, quant));
    let mut s = m.session().unwrap();
    let logits: Vec<Logits> =
        teacher_forced(s.as_mut(), &prompt(m.info().vocab_size), &tokens).unwrap();
    let a = compare_rows(&reference, &logits)
        .unwrap_or_else(|| panic!("{preset} {quant}: logits of another shape than f32's"));
    (a.top1_rate, a.mean_kl)
}

fn quantized_report(preset: Preset) {
    let dir = tempfile::tempdir().unwrap();
    for (quant, min_top1, max_kl) in [(SynthQuant::Q8_0, 0.8, 0.05), (SynthQuant::Q4_0, 0.4, 0.5)] {
        let (top1, mean_kl) = quant_vs_f32(dir.path(), preset, quant);
        let path = common::synth(dir.path(), preset, quant);
        let (same, worst) = compare_engines(&path);
        println!(
            "{preset} {quant}: vs candle f32: top-1 agreement {:.1}%, mean KL(f32 ‖ {quant}) {mean_kl:.2e}; \
             vs reference on the same file: {same}/{STEPS} greedy tokens match, max |Δlogit| {worst:.3e}",
            top1 * 100.0
        );
        assert!(
            top1 >= min_top1,
            "{preset} {quant}: top-1 agreement {top1} < {min_top1}"
        );
        assert!(
            mean_kl <= max_kl,
            "{preset} {quant}: mean KL {mean_kl} > {max_kl}"
        );
        assert!(worst.is_finite(), "{preset} {quant}: non-finite logits");
    }
}

#[test]
fn quantized_tiny_report() {
    quantized_report(Preset::Tiny);
}

#[test]
fn quantized_stories15m_report() {
    quantized_report(Preset::Stories15m);
}

#[test]
fn model_info_matches_the_reference_engine() {
    let dir = tempfile::tempdir().unwrap();
    for quant in SynthQuant::ALL {
        let path = common::synth(dir.path(), Preset::Tiny, quant);
        let c = load(&CandleBackend, &path).info();
        let r = load(&ReferenceBackend, &path).info();
        // Weight bytes differ by design where a file holds f16 tensors (candle holds them as
        // f32): the f16 file, and the tiny preset's ffn_down (rows of 176) in q8_0/q4_0.
        let strip = |mut i: edgebench_backend::ModelInfo| {
            i.weight_bytes = None;
            i
        };
        assert_eq!(strip(c.clone()), strip(r.clone()), "{quant}");
        if quant == SynthQuant::F32 {
            assert_eq!(c.weight_bytes, r.weight_bytes, "{quant}");
        } else {
            assert!(c.weight_bytes > r.weight_bytes, "{quant}");
        }
    }
}
