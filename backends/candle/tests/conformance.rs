//! The shared conformance suite on tiny random llamas in f32, q8_0 and q4_0.

mod common;

use candle_core::quantized::GgmlDType;
use edgebench_backend::conformance::run_all;
use edgebench_candle::CandleBackend;

#[test]
fn conformance_f32() {
    let (_d, p) = common::tiny(GgmlDType::F32);
    run_all(&CandleBackend, &common::spec(&p), 1e-4);
}

#[test]
fn conformance_q8_0() {
    let (_d, p) = common::tiny(GgmlDType::Q8_0);
    run_all(&CandleBackend, &common::spec(&p), 1e-4);
}

#[test]
fn conformance_q4_0() {
    let (_d, p) = common::tiny(GgmlDType::Q4_0);
    run_all(&CandleBackend, &common::spec(&p), 1e-4);
}
