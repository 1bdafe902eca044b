//! Model integrity end to end (`edgebench run` with pinned and signed models, and the
//! `model keygen/sign/verify` commands): a wrong sha256 pin or a bad or untrusted signature
//! fails that model's point before load with a clear reason, the other points still run, and a
//! good signature is recorded in the report with its key id.

use assert_cmd::Command;
use std::path::{Path, PathBuf};

fn edgebench() -> Command {
    Command::cargo_bin("edgebench").unwrap()
}

fn ok_stdout(cmd: &mut Command) -> String {
    let out = cmd.output().unwrap();
    assert!(
        out.status.success(),
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

/// A tiny GGUF and its sha256.
fn synth(dir: &Path) -> (PathBuf, String) {
    let line = ok_stdout(
        edgebench()
            .args([
                "model", "synth", "--preset", "tiny", "--quant", "q8_0", "--out",
            ])
            .arg(dir),
    );
    let mut w = line.split_whitespace();
    let path = PathBuf::from(w.next().unwrap());
    let sha = line.split("sha256 ").nth(1).unwrap().trim().to_string();
    (path, sha)
}

/// `model keygen --unencrypted`; returns the public key's base64 line.
fn keygen(stem: &Path) -> String {
    ok_stdout(
        edgebench()
            .args(["model", "keygen", "--unencrypted", "--out"])
            .arg(stem),
    );
    let text = std::fs::read_to_string(stem.with_extension("pub")).unwrap();
    text.lines().nth(1).unwrap().trim().to_string()
}

fn copy(src: &Path, name: &str) -> PathBuf {
    let dst = src.with_file_name(name);
    std::fs::copy(src, &dst).unwrap();
    dst
}

#[test]
fn pins_and_signatures_gate_each_point_and_are_recorded() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let (model, sha) = synth(dir);
    let lab = keygen(&dir.join("lab"));
    let stranger = keygen(&dir.join("stranger"));

    copy(&model, "pinned.gguf");
    copy(&model, "wrongpin.gguf");
    let signed = copy(&model, "signed.gguf");
    let untrusted = copy(&model, "untrusted.gguf");
    let tampered = copy(&model, "tampered.gguf");
    let sign = |key: &str, file: &Path| {
        ok_stdout(
            edgebench()
                .args(["model", "sign", "--key"])
                .arg(dir.join(key))
                .arg(file),
        )
    };
    assert!(sign("lab.key", &signed).contains("signed by key"));
    sign("stranger.key", &untrusted);
    sign("lab.key", &tampered);
    let mut bytes = std::fs::read(&tampered).unwrap();
    let last = bytes.len() - 1;
    bytes[last] ^= 1;
    std::fs::write(&tampered, bytes).unwrap();

    // `model verify` agrees, with exit 1 and the reason on failure.
    let v = ok_stdout(
        edgebench()
            .args(["model", "verify", "--pubkey"])
            .arg(dir.join("lab.pub"))
            .arg(&signed),
    );
    assert!(v.contains("is valid"), "{v}");
    let out = edgebench()
        .args(["model", "verify", "--pubkey", &lab])
        .arg(&tampered)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("does not match the file"));

    let zeros = "0".repeat(64);
    let scenario = format!(
        r#"name = "integrity"
backends = ["reference"]
prompt_tokens = 4
gen_tokens = 2
warmup = 0
repetitions = 1

[[models]]
path = "pinned.gguf"
sha256 = "{sha}"

[[models]]
path = "wrongpin.gguf"
sha256 = "{zeros}"

[[models]]
path = "signed.gguf"
trusted_keys = ["{lab}"]

[[models]]
path = "untrusted.gguf"
signature = "untrusted.gguf.minisig"
trusted_keys = ["{lab}"]

[[models]]
path = "tampered.gguf"
sha256 = "{sha}"
trusted_keys = ["{lab}", "{stranger}"]
"#
    );
    let s = dir.join("s.toml");
    std::fs::write(&s, scenario).unwrap();
    let out = dir.join("out");
    edgebench()
        .args(["run", "--no-calibration", "-q", "--out"])
        .arg(&out)
        .arg(&s)
        .assert()
        .success();
    let r: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("report.json")).unwrap()).unwrap();
    let point = |model: &str| {
        r["points"]
            .as_array()
            .unwrap()
            .iter()
            .find(|p| p["label"]["model"] == model)
            .unwrap_or_else(|| panic!("no point for {model}: {r}"))
            .clone()
    };
    let p = point("pinned");
    assert_eq!(p["status"], "ok", "{p}");
    assert_eq!(p["model"]["integrity"]["sha256_pinned"], true);
    assert!(p["model"]["integrity"].get("signed_by").is_none());

    let p = point("wrongpin");
    assert_eq!(p["status"], "failed", "{p}");
    let msg = p["error"]["message"].as_str().unwrap();
    assert!(
        msg.contains("wrongpin.gguf") && msg.contains(&zeros) && msg.contains(&sha),
        "{msg}"
    );

    let p = point("signed");
    assert_eq!(p["status"], "ok", "{p}");
    let id = p["model"]["integrity"]["signed_by"].as_str().unwrap();
    assert_eq!(id.len(), 16);
    assert!(
        v.contains(id),
        "`model verify` printed the same key id: {v}"
    );

    let p = point("untrusted");
    assert_eq!(p["status"], "failed", "{p}");
    let msg = p["error"]["message"].as_str().unwrap();
    assert!(msg.contains("not among the trusted keys"), "{msg}");

    // Tampering changed the digest: the pin catches it first.
    let p = point("tampered");
    assert_eq!(p["status"], "failed", "{p}");
    let msg = p["error"]["message"].as_str().unwrap();
    assert!(
        msg.contains("tampered.gguf") && msg.contains("pinned sha256"),
        "{msg}"
    );
}

#[test]
fn malformed_integrity_fields_are_refused_when_the_scenario_is_read() {
    let tmp = tempfile::tempdir().unwrap();
    let cases = [
        ("sha256 = \"abc\"", "not 64 hex digits"),
        (
            "signature = \"m.gguf.minisig\"",
            "`trusted_keys` is empty or missing",
        ),
        (
            "trusted_keys = [\"RWQnotakey\"]",
            "not a minisign public key",
        ),
        ("trusted_keys = []", "trusts no key"),
    ];
    for (field, want) in cases {
        let s = tmp.path().join("s.toml");
        std::fs::write(
            &s,
            format!(
                "name = \"x\"\nbackends = [\"reference\"]\nprompt_tokens = 4\ngen_tokens = 2\n[[models]]\npath = \"m.gguf\"\n{field}\n"
            ),
        )
        .unwrap();
        let out = edgebench().args(["run", "-q"]).arg(&s).output().unwrap();
        assert!(!out.status.success());
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains(want), "{field}: {err}");
    }
}
