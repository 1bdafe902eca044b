//! `trained = "kjv-micro"` end to end: the model is trained once into a cache shared by the
//! test runs (under the target directory), a text prompt is continued, the verify gate scores
//! the held-out passage at f32 and q4_0, and a second run finds the model in the cache instead
//! of retraining. Skipped with a message when the KJV cannot be fetched (no apt-get) and
//! `EDGEBENCH_CORPUS` is not set.

use assert_cmd::Command;
use std::path::PathBuf;

fn trained_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("trained")
}

#[test]
fn a_trained_model_runs_scores_its_passage_and_is_cached() {
    if let Err(e) = edgebench_train::corpus::load(edgebench_backend::user_cache_dir().as_deref()) {
        eprintln!("SKIPPED trained model run: {e}");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let scenario = dir.path().join("s.toml");
    std::fs::write(
        &scenario,
        "name = \"t\"\nbackends = [\"reference\"]\nprompt = \"In the beginning\"\n\
         gen_tokens = 8\nrepetitions = 1\nwarmup = 0\nverify = true\n\
         [[models]]\ntrained = \"kjv-micro\"\nquant = [\"f32\", \"q4_0\"]\n",
    )
    .unwrap();
    let run = |out: &str| {
        let out = dir.path().join(out);
        let a = Command::cargo_bin("edgebench")
            .unwrap()
            .env("EDGEBENCH_TRAINED_DIR", trained_dir())
            .args(["run", "--no-calibration", "-q", "--out"])
            .arg(&out)
            .arg(&scenario)
            .assert()
            .success();
        let stderr = String::from_utf8_lossy(&a.get_output().stderr).to_string();
        let json = std::fs::read_to_string(out.join("report.json")).unwrap();
        (
            serde_json::from_str::<serde_json::Value>(&json).unwrap(),
            stderr,
        )
    };
    let (r, _) = run("first");
    let p = &r["points"][0];
    assert_eq!(p["status"], "ok", "{p}");
    assert!(p.to_string().contains("trained:kjv-micro seed 42"), "{p}");
    let text = p["runs"][0]["text"].as_str().expect("generated text");
    assert!(!text.trim().is_empty(), "{p}");
    // The passage metrics: a trained model's perplexity is far below its vocabulary (512, what
    // a uniform guess scores), and q4_0 costs some of it.
    let rows = r["agreement"]["rows"].as_array().unwrap();
    let ppl = |quant: &str| {
        rows.iter()
            .find(|row| row["quant"] == quant)
            .and_then(|row| row["passage"]["perplexity"].as_f64())
            .unwrap_or_else(|| panic!("no perplexity for {quant}: {rows:?}"))
    };
    assert!(ppl("f32") < 150.0, "{rows:?}");
    assert!(ppl("q4_0") > 0.0, "{rows:?}");
    // Second run: found in the cache.
    let (_, stderr) = run("second");
    assert!(stderr.contains("not retraining"), "{stderr}");
}

#[test]
fn trained_is_validated_like_synth() {
    let dir = tempfile::tempdir().unwrap();
    let check = |model: &str, want: &str| {
        let path = dir.path().join("s.toml");
        std::fs::write(
            &path,
            format!("name = \"t\"\nbackends = [\"reference\"]\nprompt_tokens = 4\ngen_tokens = 2\n[[models]]\n{model}\n"),
        )
        .unwrap();
        let out = Command::cargo_bin("edgebench")
            .unwrap()
            .args(["run", "--no-calibration", "-q"])
            .arg(&path)
            .assert()
            .code(1);
        let stderr = String::from_utf8_lossy(&out.get_output().stderr).to_string();
        assert!(stderr.contains(want), "{stderr}");
    };
    check(
        "trained = \"kjv-large\"",
        "unknown training preset `kjv-large`; known: kjv-micro, kjv-small",
    );
    check(
        "trained = \"kjv-micro\"\nsynth = \"tiny\"",
        "a model has one of `synth`, `trained` or `path`, not several",
    );
    check(
        "trained = \"kjv-micro\"\nquant = \"q3_k\"",
        "unknown quantization `q3_k`",
    );
}
