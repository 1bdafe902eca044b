//! A library that is not there is `Unavailable` with a one-line reason and fix, never a panic
//! and never a download: an explicit `ORT_DYLIB_PATH` wins over every other place. Its own
//! test binary, because it sets `ORT_DYLIB_PATH` for the whole process.

use edgebench_backend::{Backend, LoadOptions, ModelFormat, ModelSpec};
use edgebench_ort::OrtBackend;

#[test]
fn nonexistent_library_is_unavailable_with_the_fix() {
    // The only test in this binary, so no other thread reads the environment meanwhile.
    std::env::set_var("ORT_DYLIB_PATH", "/nonexistent/libonnxruntime.so.1.32.0");
    let b = OrtBackend::default();
    let err = b.check().unwrap_err();
    println!("{err}");
    assert_eq!(err.kind(), "unavailable");
    let msg = err.to_string();
    assert_eq!(msg.lines().count(), 1, "{msg}");
    assert!(
        msg.contains("ORT_DYLIB_PATH is `/nonexistent/libonnxruntime.so.1.32.0`"),
        "{msg}"
    );
    assert!(msg.contains("; fix: point ORT_DYLIB_PATH at"), "{msg}");

    // `ensure` does not fetch either: the explicit setting is an error to fix, not a gap.
    let e = edgebench_ort::library::ensure().unwrap_err();
    assert_eq!(e.to_string(), msg);
    assert!(matches!(
        edgebench_ort::library::status(),
        edgebench_ort::library::Status::Unavailable(_)
    ));

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
