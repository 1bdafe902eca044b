//! End-to-end runs on real backends with bad inputs: a truncated GGUF, a truncated ONNX file,
//! an ONNX graph with an op no runtime has, and a missing ONNX Runtime library. Each fails only
//! its own point, with a reason that says what is wrong; the other points complete.

use assert_cmd::Command;
use std::path::{Path, PathBuf};

fn edgebench() -> Command {
    Command::cargo_bin("edgebench").unwrap()
}

/// Synthesize a tiny model with the CLI; returns its path.
fn synth(dir: &Path, quant: &str, format: &str) -> PathBuf {
    let out = edgebench()
        .args([
            "model", "synth", "--preset", "tiny", "--quant", quant, "--format", format, "--out",
        ])
        .arg(dir)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let line = String::from_utf8(out.stdout).unwrap();
    PathBuf::from(line.split_whitespace().next().unwrap())
}

fn truncated_copy(src: &Path, name: &str) -> PathBuf {
    let bytes = std::fs::read(src).unwrap();
    let dst = src.with_file_name(name);
    std::fs::write(&dst, &bytes[..bytes.len() / 2]).unwrap();
    dst
}

fn run(dir: &Path, scenario: &str, envs: &[(&str, &str)]) -> serde_json::Value {
    let path = dir.join("s.toml");
    std::fs::write(&path, scenario).unwrap();
    let out = dir.join("out");
    let mut cmd = edgebench();
    cmd.args(["run", "--no-calibration", "-q", "--out"])
        .arg(&out)
        .arg(&path);
    for (k, v) in envs {
        cmd.env(k, v);
    }
    cmd.assert().success();
    serde_json::from_str(&std::fs::read_to_string(out.join("report.json")).unwrap()).unwrap()
}

fn points(r: &serde_json::Value) -> Vec<(String, String, String)> {
    r["points"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| {
            (
                p["status"].as_str().unwrap().to_string(),
                p["error"]["kind"].as_str().unwrap_or("").to_string(),
                p["error"]["message"].as_str().unwrap_or("").to_string(),
            )
        })
        .collect()
}

#[test]
fn truncated_gguf_fails_its_point_only() {
    let tmp = tempfile::tempdir().unwrap();
    let good = synth(tmp.path(), "q8_0", "gguf");
    let bad = truncated_copy(&good, "cut.gguf");
    let scenario = format!(
        "name = \"t\"\nbackends = [\"reference\"]\nprompt_tokens = 4\ngen_tokens = 4\nrepetitions = 1\n[[models]]\npath = \"{}\"\n[[models]]\npath = \"{}\"\n",
        bad.display(),
        good.display()
    );
    let p = points(&run(tmp.path(), &scenario, &[]));
    assert_eq!(p[0].0, "failed");
    assert_eq!(p[0].1, "invalid_model");
    assert!(
        p[0].2.contains("cut.gguf") && p[0].2.contains("truncated"),
        "{}",
        p[0].2
    );
    assert_eq!(p[1].0, "ok", "{:?}", p[1]);
}

#[cfg(feature = "tract")]
#[test]
fn truncated_onnx_and_unknown_op_fail_their_points_only() {
    let tmp = tempfile::tempdir().unwrap();
    let good = synth(tmp.path(), "f32", "onnx");
    let cut = truncated_copy(&good, "cut.onnx");
    let unknown = edgebench_onnx_export::testing::unknown_op_model(tmp.path());
    let scenario = format!(
        "name = \"t\"\nbackends = [\"tract\"]\nprompt_tokens = 4\ngen_tokens = 4\nrepetitions = 1\n[[models]]\npath = \"{}\"\n[[models]]\npath = \"{}\"\n[[models]]\npath = \"{}\"\n",
        cut.display(),
        unknown.display(),
        good.display()
    );
    let p = points(&run(tmp.path(), &scenario, &[]));
    assert_eq!(
        (p[0].0.as_str(), p[0].1.as_str()),
        ("failed", "invalid_model"),
        "{:?}",
        p[0]
    );
    assert!(p[0].2.contains("cut.onnx"), "{}", p[0].2);
    assert_eq!(
        (p[1].0.as_str(), p[1].1.as_str()),
        ("failed", "unsupported"),
        "{:?}",
        p[1]
    );
    assert!(p[1].2.contains("Frobnicate"), "{}", p[1].2);
    assert_eq!(p[2].0, "ok", "{:?}", p[2]);
}

#[cfg(feature = "ort")]
#[test]
fn missing_onnxruntime_library_fails_ort_points_with_the_fix() {
    let tmp = tempfile::tempdir().unwrap();
    let scenario = "name = \"t\"\nbackends = [\"ort\", \"reference\"]\nprompt_tokens = 4\ngen_tokens = 4\nrepetitions = 1\n[[models]]\nsynth = \"tiny\"\nquant = \"f32\"\n";
    let models = tmp.path().join("models");
    let r = run(
        tmp.path(),
        scenario,
        &[
            ("ORT_DYLIB_PATH", "/nonexistent/libonnxruntime.so"),
            ("EDGEBENCH_MODEL_DIR", models.to_str().unwrap()),
        ],
    );
    let p = points(&r);
    let labels: Vec<&str> = r["points"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["label"]["backend"].as_str().unwrap())
        .collect();
    let ort = labels.iter().position(|b| *b == "ort").unwrap();
    let reference = labels.iter().position(|b| *b == "reference").unwrap();
    assert_eq!(p[ort].1, "unavailable", "{:?}", p[ort]);
    assert!(
        p[ort].2.contains("fix: point ORT_DYLIB_PATH at"),
        "{}",
        p[ort].2
    );
    assert_eq!(p[reference].0, "ok", "{:?}", p[reference]);
}
