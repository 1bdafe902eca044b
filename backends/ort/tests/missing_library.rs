//! A missing ONNX Runtime library is `Unavailable` with the fix, never a panic. Its own test
//! binary, because it sets `ORT_DYLIB_PATH` for the whole process.

use edgebench_backend::{Backend, LoadOptions, ModelFormat, ModelSpec};
use edgebench_ort::OrtBackend;

#[test]
fn nonexistent_library_is_unavailable_with_the_fix() {
    // SAFETY-free in effect: this binary has this one test, so no other thread reads the env.
    unsafe { std::env::set_var("ORT_DYLIB_PATH", "/nonexistent/libonnxruntime.so.1.32.0") };
    let b = OrtBackend::default();
    let err = b.check().unwrap_err();
    println!("{err}");
    assert_eq!(err.kind(), "unavailable");
    let msg = err.to_string();
    assert!(
        msg.contains("/nonexistent/libonnxruntime.so.1.32.0"),
        "{msg}"
    );
    assert!(msg.contains("bash scripts/setup-onnxruntime.sh"), "{msg}");
    assert!(msg.contains("ORT_DYLIB_PATH"), "{msg}");

    let spec = ModelSpec {
        path: "whatever.onnx".into(),
        format: ModelFormat::Onnx,
        quant: None,
    };
    let err = b.load(&spec, &LoadOptions::default()).err().unwrap();
    assert_eq!(err.kind(), "unavailable");
    let d = b.describe();
    assert_eq!(d["version"], "unavailable");
}
