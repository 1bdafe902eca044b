//! The test suite every ONNX backend runs, written once: [`onnx_backend_tests!`] expands to
//! its `#[test]` functions in the calling test file, each a call of one check below (as
//! candle's own tests are generated once per device). A backend file then holds the invocation,
//! with its thresholds, and only the tests that are its own.
//!
//! [`onnx_backend_tests!`]: crate::onnx_backend_tests

use super::{
    f32_agreement, onnx, quant_agreement, spec, truncated_model, unknown_op_model, weights,
};
use crate::{OnnxVariant, Preset};
use edgebench_backend::{conformance, Backend, BackendError};
use std::path::Path;

/// Batched prefill and single-token steps sum in different orders: f32 rounding only.
pub const CONFORMANCE_TOL: f32 = 1e-4;
/// Largest |Δlogit| accepted between an ONNX fp32 backend and the reference engine.
pub const F32_TOL: f64 = 1e-3;

/// The backend test suite, as `#[test]` functions of the calling file:
///
/// - the conformance suite on the tiny fp32 model;
/// - f32 agreement with the reference engine on tiny and stories15m (32 greedy tokens identical,
///   max |Δlogit| ≤ [`F32_TOL`]);
/// - int8 and int4 on stories15m close to fp32 on the same backend (top-1 agreement at least
///   `min_top1`, mean KL below `max_kl`, per backend);
/// - the model facts of the tiny model (`model_info: (variant, weight types)`);
/// - a truncated file is `InvalidModel`, an unknown op `Unsupported` with a message containing
///   `unknown_op_error_names`, a missing file an `io` error;
/// - an external data file loads and gives the same results.
///
/// `backend` is an expression that builds the backend (evaluated once per test). With
/// `skip_unless`, an expression of type `Result<(), impl Display>` evaluated at the start of
/// each test, an `Err` prints `SKIPPED: <reason>` and the test returns (ONNX Runtime without its
/// library).
///
/// ```ignore
/// edgebench_onnx_export::onnx_backend_tests! {
///     backend: TractBackend,
///     int8: { min_top1: 0.8, max_kl: 0.1 },
///     int4: { min_top1: 0.3, max_kl: 1.0 },
///     model_info: (Int4, "int4"),
///     unknown_op_error_names: "com.example::Frobnicate",
/// }
/// ```
#[macro_export]
macro_rules! onnx_backend_tests {
    (
        backend: $backend:expr,
        $(skip_unless: $available:expr,)?
        int8: { min_top1: $int8_top1:expr, max_kl: $int8_kl:expr $(,)? },
        int4: { min_top1: $int4_top1:expr, max_kl: $int4_kl:expr $(,)? },
        model_info: ($info_variant:ident, $info_types:expr),
        unknown_op_error_names: $op:expr $(,)?
    ) => {
        $crate::onnx_backend_tests!(@test conformance_suite_passes_on_tiny_fp32 $(, $available)?
            => $crate::testing::suite::conformance_on_tiny(&$backend));
        $crate::onnx_backend_tests!(@test f32_matches_the_reference_engine_on_tiny $(, $available)?
            => $crate::testing::suite::f32_matches_reference(&$backend, $crate::Preset::Tiny));
        $crate::onnx_backend_tests!(@test f32_matches_the_reference_engine_on_stories15m $(, $available)?
            => $crate::testing::suite::f32_matches_reference(&$backend, $crate::Preset::Stories15m));
        $crate::onnx_backend_tests!(@test int8_stays_close_to_fp32 $(, $available)?
            => $crate::testing::suite::quant_close_to_fp32(
                &$backend, $crate::OnnxVariant::Int8, $int8_top1, $int8_kl));
        $crate::onnx_backend_tests!(@test int4_stays_close_to_fp32 $(, $available)?
            => $crate::testing::suite::quant_close_to_fp32(
                &$backend, $crate::OnnxVariant::Int4, $int4_top1, $int4_kl));
        $crate::onnx_backend_tests!(@test tiny_model_info_is_right $(, $available)?
            => $crate::testing::tiny_model_info_is_right(
                &$backend, $crate::OnnxVariant::$info_variant, $info_types));
        $crate::onnx_backend_tests!(@test truncated_file_is_invalid_model $(, $available)?
            => $crate::testing::suite::truncated_file_is_invalid_model(&$backend));
        $crate::onnx_backend_tests!(@test unknown_op_is_unsupported_with_its_name $(, $available)?
            => $crate::testing::suite::unknown_op_is_unsupported(&$backend, $op));
        $crate::onnx_backend_tests!(@test missing_file_is_an_io_error $(, $available)?
            => $crate::testing::suite::missing_file_is_an_io_error(&$backend));
        $crate::onnx_backend_tests!(@test external_data_file_loads_and_matches $(, $available)?
            => $crate::testing::external_data_matches(&$backend));
    };
    (@test $name:ident $(, $available:expr)? => $check:expr) => {
        #[test]
        fn $name() {
            $(
                if $crate::testing::suite::skipped($available) {
                    return;
                }
            )?
            $check;
        }
    };
}

/// `true`, after printing `SKIPPED: <reason>`, when `available` is an error: the start of a
/// test that needs something the machine may lack (ONNX Runtime's library).
pub fn skipped(available: Result<(), impl std::fmt::Display>) -> bool {
    match available {
        Ok(()) => false,
        Err(e) => {
            eprintln!("SKIPPED: {e}");
            true
        }
    }
}

/// The conformance suite on the tiny fp32 model.
pub fn conformance_on_tiny(backend: &dyn Backend) {
    let dir = tempfile::tempdir().unwrap();
    let path = onnx(&weights(Preset::Tiny), dir.path(), OnnxVariant::Fp32);
    conformance::run_all(backend, &spec(&path), CONFORMANCE_TOL);
}

/// `preset` in fp32 gives the reference engine's 32 greedy tokens, logits within [`F32_TOL`].
pub fn f32_matches_reference(backend: &dyn Backend, preset: Preset) {
    let (d, same, _) = f32_agreement(backend, preset, 32);
    assert!(same, "greedy tokens differ from the reference engine");
    assert!(d <= F32_TOL, "max |dlogit| {d} > {F32_TOL}");
}

/// stories15m in `variant` against fp32 on the same backend over 16 teacher-forced steps:
/// top-1 agreement at least `min_top1`, mean KL below `max_kl`.
pub fn quant_close_to_fp32(
    backend: &dyn Backend,
    variant: OnnxVariant,
    min_top1: f64,
    max_kl: f64,
) {
    let (top1, kl) = quant_agreement(backend, Preset::Stories15m, variant, 16);
    assert!(
        top1 >= min_top1 && kl < max_kl,
        "{}: top-1 {top1} (at least {min_top1}), KL {kl} (below {max_kl})",
        variant.as_str()
    );
}

/// The error of loading `path`, which must fail (`why` says why it must).
fn load_error(backend: &dyn Backend, path: &Path, why: &str) -> BackendError {
    let err = backend
        .load(&spec(path), &Default::default())
        .err()
        .unwrap_or_else(|| panic!("{}: {why}", path.display()));
    println!("{err}");
    err
}

/// The tiny fp32 model cut in half does not load: `InvalidModel`.
pub fn truncated_file_is_invalid_model(backend: &dyn Backend) {
    let dir = tempfile::tempdir().unwrap();
    let path = truncated_model(dir.path());
    let err = load_error(backend, &path, "a truncated file must not load");
    assert!(matches!(err, BackendError::InvalidModel { .. }), "{err}");
}

/// A model with an op no runtime has does not load: `Unsupported`, and the message contains
/// `names` (the op as the backend names it).
pub fn unknown_op_is_unsupported(backend: &dyn Backend, names: &str) {
    let dir = tempfile::tempdir().unwrap();
    let path = unknown_op_model(dir.path());
    let err = load_error(backend, &path, "an unknown op must not load");
    assert!(matches!(err, BackendError::Unsupported { .. }), "{err}");
    assert!(err.to_string().contains(names), "{err}");
}

/// A path that does not exist is an `io` error.
pub fn missing_file_is_an_io_error(backend: &dyn Backend) {
    let path = Path::new("/nonexistent/model.onnx");
    let err = load_error(backend, path, "a missing file must not load");
    assert_eq!(err.kind(), "io", "{err}");
}
