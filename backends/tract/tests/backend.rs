//! tract on synthesized ONNX files: the conformance suite, agreement with the reference engine
//! on the same weights, quantized variants against fp32, and clear errors on bad files.

use edgebench_onnx_export::testing as common;

use common::*;
use edgebench_backend::{conformance, Backend, BackendError};
use edgebench_onnx_export::OnnxVariant;
use edgebench_reference::synth::Preset;
use edgebench_tract::TractBackend;

/// Batched prefill and single-token steps sum in different orders: f32 rounding only.
const TOL: f32 = 1e-4;

#[test]
fn conformance_suite_passes_on_tiny_fp32() {
    let dir = tempfile::tempdir().unwrap();
    let path = onnx(&weights(Preset::Tiny), dir.path(), OnnxVariant::Fp32);
    conformance::run_all(&TractBackend, &spec(&path), TOL);
}

#[test]
fn f32_matches_the_reference_engine_on_tiny() {
    let (d, same, _) = f32_agreement(&TractBackend, Preset::Tiny, 32);
    assert!(same, "greedy tokens differ from the reference engine");
    assert!(d <= 1e-3, "max |dlogit| {d} > 1e-3");
}

#[test]
fn f32_matches_the_reference_engine_on_stories15m() {
    let (d, same, _) = f32_agreement(&TractBackend, Preset::Stories15m, 32);
    assert!(same, "greedy tokens differ from the reference engine");
    assert!(d <= 1e-3, "max |dlogit| {d} > 1e-3");
}

#[test]
fn int8_stays_close_to_fp32() {
    let (top1, kl) = quant_agreement(&TractBackend, Preset::Stories15m, OnnxVariant::Int8, 16);
    assert!(top1 >= 0.8 && kl < 0.1, "int8: top-1 {top1}, KL {kl}");
}

#[test]
fn int4_stays_close_to_fp32() {
    let (top1, kl) = quant_agreement(&TractBackend, Preset::Stories15m, OnnxVariant::Int4, 16);
    assert!(top1 >= 0.3 && kl < 1.0, "int4: top-1 {top1}, KL {kl}");
}

#[test]
fn describe_and_info() {
    let d = TractBackend.describe();
    assert!(d["version"].contains("0.23.9"));
    assert!(d["threads"].starts_with('1'));
    tiny_model_info_is_right(&TractBackend, OnnxVariant::Int4, "int4");
}

#[test]
fn truncated_file_is_invalid_model() {
    let dir = tempfile::tempdir().unwrap();
    let err = TractBackend
        .load(&spec(&truncated_model(dir.path())), &Default::default())
        .err()
        .expect("a truncated file must not load");
    println!("{err}");
    assert!(matches!(err, BackendError::InvalidModel { .. }), "{err}");
}

#[test]
fn unknown_op_is_unsupported_with_its_name() {
    let dir = tempfile::tempdir().unwrap();
    let err = TractBackend
        .load(&spec(&unknown_op_model(dir.path())), &Default::default())
        .err()
        .expect("an unknown op must not load");
    println!("{err}");
    assert!(matches!(err, BackendError::Unsupported { .. }), "{err}");
    assert!(err.to_string().contains("com.example::Frobnicate"), "{err}");
}

#[test]
fn missing_file_is_an_io_error() {
    let err = TractBackend
        .load(
            &spec(std::path::Path::new("/nonexistent/model.onnx")),
            &Default::default(),
        )
        .err()
        .unwrap();
    assert_eq!(err.kind(), "io", "{err}");
}

#[test]
fn external_data_file_loads_and_matches() {
    external_data_matches(&TractBackend);
}
