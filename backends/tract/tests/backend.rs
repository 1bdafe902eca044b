//! tract on synthesized ONNX files: the ONNX backend suite (conformance, agreement with the
//! reference engine on the same weights, quantized variants against fp32, model facts, clear
//! errors on bad files) and what tract reports about itself.

use edgebench_backend::Backend;
use edgebench_tract::TractBackend;

#[test]
fn describe_reports_version_and_threads() {
    let d = TractBackend.describe();
    assert!(d["version"].contains("0.23.9"));
    assert!(d["threads"].starts_with('1'));
}

edgebench_onnx_export::onnx_backend_tests! {
    backend: TractBackend,
    int8: { min_top1: 0.8, max_kl: 0.1 },
    int4: { min_top1: 0.3, max_kl: 1.0 },
    model_info: (Int4, "int4"),
    unknown_op_error_names: "com.example::Frobnicate",
}
