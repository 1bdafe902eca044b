//! ONNX Runtime on synthesized ONNX files: the conformance suite, agreement with the reference
//! engine on the same weights, quantized variants against fp32, and clear errors on bad files.
//! Every test skips (with a printed reason) when the ONNX Runtime library is not installed;
//! CI installs it with `bash scripts/setup-onnxruntime.sh`.

use edgebench_onnx_export::testing as common;

use common::*;
use edgebench_backend::{conformance, Backend, BackendError};
use edgebench_onnx_export::OnnxVariant;
use edgebench_ort::OrtBackend;
use edgebench_reference::synth::Preset;

/// Batched prefill and single-token steps sum in different orders: f32 rounding only.
const TOL: f32 = 1e-4;

/// `false` (and a printed reason) when the library is missing.
fn available() -> bool {
    match OrtBackend::default().check() {
        Ok(()) => true,
        Err(e) => {
            eprintln!("SKIPPED: {e}");
            false
        }
    }
}

#[test]
fn conformance_suite_passes_on_tiny_fp32() {
    if !available() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let path = onnx(&weights(Preset::Tiny), dir.path(), OnnxVariant::Fp32);
    conformance::run_all(&OrtBackend::default(), &spec(&path), TOL);
}

#[test]
fn f32_matches_the_reference_engine_on_tiny() {
    if !available() {
        return;
    }
    let (d, same, _) = f32_agreement(&OrtBackend::default(), Preset::Tiny, 32);
    assert!(same, "greedy tokens differ from the reference engine");
    assert!(d <= 1e-3, "max |dlogit| {d} > 1e-3");
}

#[test]
fn f32_matches_the_reference_engine_on_stories15m() {
    if !available() {
        return;
    }
    let (d, same, _) = f32_agreement(&OrtBackend::default(), Preset::Stories15m, 32);
    assert!(same, "greedy tokens differ from the reference engine");
    assert!(d <= 1e-3, "max |dlogit| {d} > 1e-3");
}

#[test]
fn int8_stays_close_to_fp32() {
    if !available() {
        return;
    }
    let (top1, kl) = quant_agreement(
        &OrtBackend::default(),
        Preset::Stories15m,
        OnnxVariant::Int8,
        16,
    );
    // Loose: ORT's u8×s8 kernel saturates on AVX2 machines without VNNI (see NOTES).
    assert!(top1 >= 0.5 && kl < 0.5, "int8: top-1 {top1}, KL {kl}");
}

#[test]
fn int4_stays_close_to_fp32() {
    if !available() {
        return;
    }
    let (top1, kl) = quant_agreement(
        &OrtBackend::default(),
        Preset::Stories15m,
        OnnxVariant::Int4,
        16,
    );
    assert!(top1 >= 0.3 && kl < 1.0, "int4: top-1 {top1}, KL {kl}");
}

#[test]
fn describe_reports_the_loaded_library() {
    if !available() {
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
    tiny_model_info_is_right(&OrtBackend::default(), OnnxVariant::Int8, "int8");
}

#[test]
fn truncated_file_is_invalid_model() {
    if !available() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let err = OrtBackend::default()
        .load(&spec(&truncated_model(dir.path())), &Default::default())
        .err()
        .expect("a truncated file must not load");
    println!("{err}");
    assert!(matches!(err, BackendError::InvalidModel { .. }), "{err}");
}

#[test]
fn unknown_op_is_unsupported_with_its_name() {
    if !available() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let err = OrtBackend::default()
        .load(&spec(&unknown_op_model(dir.path())), &Default::default())
        .err()
        .expect("an unknown op must not load");
    println!("{err}");
    assert!(matches!(err, BackendError::Unsupported { .. }), "{err}");
    assert!(err.to_string().contains("Frobnicate"), "{err}");
}

#[test]
fn missing_file_is_an_io_error() {
    if !available() {
        return;
    }
    let err = OrtBackend::default()
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
    if !available() {
        return;
    }
    external_data_matches(&OrtBackend::default());
}
