//! ONNX Runtime on synthesized ONNX files: the ONNX backend suite (conformance, agreement with
//! the reference engine on the same weights, quantized variants against fp32, model facts,
//! clear errors on bad files) and what ONNX Runtime reports about itself. Every test skips
//! (with a printed reason) when the ONNX Runtime library is not installed; CI installs it with
//! `bash scripts/setup-onnxruntime.sh`.

use edgebench_backend::Backend;
use edgebench_onnx_export::testing::suite::skipped;
use edgebench_ort::OrtBackend;

#[test]
fn describe_reports_the_loaded_library() {
    if skipped(OrtBackend::default().check()) {
        return;
    }
    let d = OrtBackend::default().describe();
    println!("{d:#?}");
    assert!(d["version"].starts_with("1."), "{d:?}");
    assert!(
        d["available_providers"].contains("CPUExecutionProvider"),
        "{d:?}"
    );
    assert_eq!(d["graph_optimization"], "all (level 3)");
}

edgebench_onnx_export::onnx_backend_tests! {
    backend: OrtBackend::default(),
    skip_unless: OrtBackend::default().check(),
    // Loose: ORT's u8×s8 kernel saturates on AVX2 machines without VNNI (see NOTES).
    int8: { min_top1: 0.5, max_kl: 0.5 },
    int4: { min_top1: 0.3, max_kl: 1.0 },
    model_info: (Int8, "int8"),
    unknown_op_error_names: "Frobnicate",
}
