//! Scenario files: the shipped ones parse and expand as documented; bad ones give errors that
//! name the file, the line and the field.

use edgebench::plan::{self, PromptSpec};
use edgebench::scenario::{self, OneOrMany};
use std::path::Path;

fn err_of(text: &str) -> String {
    scenario::parse(text, Some(Path::new("bad.toml")))
        .unwrap_err()
        .to_string()
}

const MINIMAL: &str = r#"
name = "t"
backends = ["reference"]
prompt_tokens = 4
gen_tokens = 4

[[models]]
synth = "tiny"
"#;

#[test]
fn shipped_scenarios_parse() {
    for f in ["quick", "smoke", "decode-sweep"] {
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join(format!("../scenarios/{f}.toml"));
        let s = scenario::load(&path).unwrap_or_else(|e| panic!("{f}: {e}"));
        assert_eq!(s.scenario.name, f);
    }
}

#[test]
fn defaults_apply() {
    let s = scenario::parse(MINIMAL, None).unwrap().scenario;
    assert_eq!(s.threads, OneOrMany::One(1));
    assert_eq!((s.warmup, s.repetitions, s.seed), (1, 3, 42));
    assert!(!s.cold_load);
}

#[test]
fn unknown_field_names_line_and_suggests() {
    let text = MINIMAL.replace("gen_tokens = 4", "gen_tokens = 4\ntreads = 2");
    let e = err_of(&text);
    assert!(e.contains("bad.toml"), "{e}");
    assert!(e.contains("line 6"), "{e}");
    assert!(e.contains("unknown field `treads`"), "{e}");
    assert!(e.contains("did you mean `threads`?"), "{e}");
}

#[test]
fn unknown_model_field_suggests() {
    let e = err_of(&MINIMAL.replace("synth = \"tiny\"", "synt = \"tiny\""));
    assert!(e.contains("did you mean `synth`?"), "{e}");
}

#[test]
fn bad_values_name_the_field_and_line() {
    let e = err_of(&MINIMAL.replace("gen_tokens = 4", "gen_tokens = 4\nthreads = 0"));
    assert!(
        e.contains("line 6") && e.contains("`threads`") && e.contains("at least 1"),
        "{e}"
    );
    let e = err_of(&MINIMAL.replace("prompt_tokens = 4", "prompt_tokens = \"four\""));
    assert!(e.contains("line 4"), "{e}");
    let e = err_of(&MINIMAL.replace(
        "gen_tokens = 4",
        "gen_tokens = 4\nlatency_budget_ms_per_token = -1.0",
    ));
    assert!(
        e.contains("latency_budget_ms_per_token") && e.contains("positive"),
        "{e}"
    );
    let e = err_of(&MINIMAL.replace("synth = \"tiny\"", "synth = \"tiny\"\npath = \"x.gguf\""));
    assert!(e.contains("not several"), "{e}");
    let e = err_of("name = \"x\"\n");
    assert!(e.contains("missing field"), "{e}");
}

#[test]
fn unknown_backend_and_quant_are_scenario_errors_with_their_line() {
    let e = scenario::parse(
        &MINIMAL.replace("[\"reference\"]", "[\"refrence\"]"),
        Some(Path::new("b.toml")),
    )
    .unwrap_err()
    .to_string();
    assert!(
        e.contains("b.toml line") && e.contains("did you mean `reference`?"),
        "{e}"
    );
    let e = scenario::parse(
        &MINIMAL.replace("synth = \"tiny\"", "synth = \"tiny\"\nquant = \"q3\""),
        None,
    )
    .unwrap_err()
    .to_string();
    assert!(
        e.contains("unknown quantization `q3`") && e.contains("line"),
        "{e}"
    );
}

#[test]
fn matrix_expands_as_a_cartesian_product() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../scenarios/decode-sweep.toml");
    let p = plan::expand(&scenario::load(&path).unwrap(), None).unwrap();
    // 3 quantizations x 2 thread counts x 3 prompt lengths.
    assert_eq!(p.points.len(), 18);
    let lens: std::collections::BTreeSet<usize> = p.points.iter().map(|x| x.prompt.len()).collect();
    assert_eq!(lens.into_iter().collect::<Vec<_>>(), vec![16, 64, 128]);
    assert!(p.points.iter().all(|x| x.label.backend == "reference"));
    for (i, pt) in p.points.iter().enumerate() {
        assert_eq!(pt.label.index, i);
    }
}

#[test]
fn quantizations_go_to_the_backends_whose_format_has_them() {
    let text = MINIMAL
        .replace("[\"reference\"]", "[\"reference\", \"ort\"]")
        .replace(
            "synth = \"tiny\"",
            "synth = \"tiny\"\nquant = [\"f32\", \"q8_0\", \"int8\"]",
        );
    let p = plan::expand(&scenario::parse(&text, None).unwrap(), None).unwrap();
    let got: Vec<(String, String)> = p
        .points
        .iter()
        .map(|x| (x.label.backend.clone(), x.quant.clone()))
        .collect();
    assert!(got.contains(&("reference".into(), "f32".into())));
    assert!(got.contains(&("reference".into(), "q8_0".into())));
    assert!(!got.contains(&("reference".into(), "int8".into())));
    assert!(got.contains(&("ort".into(), "int8".into())));
    assert!(!got.contains(&("ort".into(), "q8_0".into())));
}

#[test]
fn text_prompt_and_eval_text() {
    let text = MINIMAL
        .replace("prompt_tokens = 4", "prompt = \"In the beginning\"")
        .replace(
            "synth = \"tiny\"",
            "path = \"m.gguf\"\neval_text = \"held-out.txt\"",
        );
    let s = scenario::parse(&text, Some(Path::new("dir/s.toml"))).unwrap();
    let p = plan::expand(&s, None).unwrap();
    assert_eq!(
        p.points[0].prompt,
        PromptSpec::Text("In the beginning".into())
    );
    assert_eq!(
        p.points[0].eval_text.as_deref(),
        Some(Path::new("dir/held-out.txt")),
        "relative to the scenario file"
    );
    // Token ids still parse as ids; empty text and both prompt kinds at once are errors.
    let ids = MINIMAL.replace("prompt_tokens = 4", "prompt = [5, 6]");
    let p = plan::expand(&scenario::parse(&ids, None).unwrap(), None).unwrap();
    assert_eq!(p.points[0].prompt, PromptSpec::Explicit(vec![5, 6]));
    let e = err_of(&MINIMAL.replace("prompt_tokens = 4", "prompt = \"  \""));
    assert!(e.contains("`prompt`") && e.contains("some text"), "{e}");
    let e = err_of(&MINIMAL.replace("prompt_tokens = 4", "prompt_tokens = 4\nprompt = \"x\""));
    assert!(e.contains("not both"), "{e}");
    let e = err_of(&MINIMAL.replace("prompt_tokens = 4", "prompt = 3"));
    assert!(e.contains("token ids or a text string"), "{e}");
}

#[test]
fn explicit_prompt_and_backend_filter() {
    let text = MINIMAL
        .replace("prompt_tokens = 4", "prompt = [5, 6, 7]")
        .replace("[\"reference\"]", "[\"reference\", \"mock\"]");
    let s = scenario::parse(&text, None).unwrap();
    let p = plan::expand(&s, Some(&["reference".to_string()])).unwrap();
    assert_eq!(p.points.len(), 1);
    assert_eq!(p.points[0].prompt, PromptSpec::Explicit(vec![5, 6, 7]));
    assert!(p.warnings.is_empty());
    let p = plan::expand(&s, None).unwrap();
    assert!(
        p.warnings.iter().any(|w| w.contains("`mock`")),
        "{:?}",
        p.warnings
    );
}
