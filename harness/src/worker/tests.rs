//! Unit tests of the worker's checks on what a backend returns.

use super::{check_context, logits_problem};

#[test]
fn non_finite_or_all_equal_logits_are_a_problem() {
    assert_eq!(logits_problem(&[0.5, -1.0, 2.0]), None);
    assert_eq!(logits_problem(&[3.0]), None, "one logit is trivially equal");
    assert_eq!(logits_problem(&[]), None);
    let nan = logits_problem(&[0.5, f32::NAN, 2.0]).unwrap();
    assert!(nan.contains("1 of 3 logits are not finite"), "{nan}");
    let inf = logits_problem(&[f32::NEG_INFINITY; 4]).unwrap();
    assert!(inf.contains("4 of 4"), "{inf}");
    let flat = logits_problem(&[0.25; 8]).unwrap();
    assert!(flat.contains("all 8 logits are equal"), "{flat}");
}

#[test]
fn a_point_past_the_models_context_is_refused_naming_the_figures() {
    let m = std::path::Path::new("/m/kjv-micro-int4.onnx");
    // The last generated token is never fed back: prompt + gen - 1 positions.
    assert!(check_context(9, 120, 128, m).is_ok());
    assert!(check_context(0, 0, 0, m).is_ok());
    let e = check_context(9, 121, 128, m).unwrap_err().to_string();
    assert!(
        e.contains("9 tokens and 121 generated need 129 positions"),
        "{e}"
    );
    assert!(e.contains("kjv-micro-int4.onnx (128 positions)"), "{e}");
    assert!(e.contains("lower `gen_tokens`"), "{e}");
}
