//! The shared conformance suite on the synthesizer's tiny preset in f32, f16, q8_0 and q4_0.
//!
//! Tolerance (largest |Δlogit| between batched prefill and step-by-step): 1e-4 for every
//! type. Measured on x86_64 AVX2: f32 1.5e-6 (the `gemm` crate blocks an m-row matmul
//! differently from a single row), q8_0 and q4_0 exactly 0 (candle quantizes each
//! activation row to q8_0 and runs the same integer dot product whatever the row count).
//! The faster paths that do depend on the row count (aarch64 q4_0 tiles: integer sums, only
//! the float block order changes; x86 VNNI q8_0 tiles: need rows of 256, not these shapes)
//! stay far inside 1e-4 on these files.

mod common;

use edgebench_backend::conformance::run_all;
use edgebench_candle::CandleBackend;
use edgebench_reference::synth::SynthQuant;

#[test]
fn conformance_f32() {
    let (_d, p) = common::tiny(SynthQuant::F32);
    run_all(&CandleBackend, &common::spec(&p), 1e-4);
}

#[test]
fn conformance_q8_0() {
    let (_d, p) = common::tiny(SynthQuant::Q8_0);
    run_all(&CandleBackend, &common::spec(&p), 1e-4);
}

#[test]
fn conformance_q4_0() {
    let (_d, p) = common::tiny(SynthQuant::Q4_0);
    run_all(&CandleBackend, &common::spec(&p), 1e-4);
}

#[test]
fn conformance_f16() {
    let (_d, p) = common::tiny(SynthQuant::F16);
    run_all(&CandleBackend, &common::spec(&p), 1e-4);
}
