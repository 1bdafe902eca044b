//! The aarch64 build, run under QEMU user-mode emulation, against this native build on the
//! same scenario (`scenarios/smoke.toml` with the agreement gate on): every point that ran
//! must produce the same greedy tokens, and the agreement figures, which are computed from
//! every logit, must be equal to the last bit. With QEMU's default CPU (dotprod) the reference
//! engine must run `neon-dotprod`, with `QEMU_CPU=cortex-a72` (a Pi 4 core) plain `neon`, and
//! each report must say it was emulated. Gated on `EDGEBENCH_AARCH64_BIN` (a statically linked
//! aarch64 `edgebench`, which `.ci/aarch64.sh` builds); without it the test says SKIPPED.

use assert_cmd::Command;
use serde_json::Value;
use std::path::Path;

/// smoke.toml with `verify = true`: the agreement table is where logits are compared.
fn scenario(dir: &Path) -> std::path::PathBuf {
    let smoke = Path::new(env!("CARGO_MANIFEST_DIR")).join("../scenarios/smoke.toml");
    let text = std::fs::read_to_string(&smoke).unwrap();
    let path = dir.join("smoke-verify.toml");
    std::fs::write(&path, format!("verify = true\n{text}")).unwrap();
    path
}

fn run(mut cmd: Command, dir: &Path, name: &str, scenario: &Path) -> Value {
    let out = dir.join(name);
    cmd.args(["run", "--quiet", "--no-calibration", "--model-dir"])
        .arg(dir.join("models"))
        .arg("--out")
        .arg(&out)
        .arg(scenario)
        .assert()
        .success();
    serde_json::from_str(&std::fs::read_to_string(out.join("report.json")).unwrap()).unwrap()
}

fn label(p: &Value) -> String {
    let l = &p["label"];
    format!("{} {} {}", l["backend"], l["model"], l["quant"])
}

/// `(label, kernel set, tokens of every run)` of the points that ran.
fn ok_points(r: &Value) -> Vec<(String, Value, Value)> {
    r["points"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|p| p["status"] == "ok")
        .map(|p| {
            let runs: Vec<Value> = p["runs"]
                .as_array()
                .unwrap()
                .iter()
                .map(|run| run["tokens"].clone())
                .collect();
            (label(p), p["backend_info"]["kernels"].clone(), runs.into())
        })
        .collect()
}

#[test]
fn emulated_aarch64_runs_give_the_native_tokens_and_agreement() {
    let Some(bin) = std::env::var_os("EDGEBENCH_AARCH64_BIN") else {
        println!(
            "SKIPPED: set EDGEBENCH_AARCH64_BIN to a static aarch64 edgebench (built by .ci/aarch64.sh) to compare it, under QEMU, with this build"
        );
        return;
    };
    let tmp = tempfile::tempdir().unwrap();
    let scenario = scenario(tmp.path());
    let native = run(
        Command::cargo_bin("edgebench").unwrap(),
        tmp.path(),
        "native",
        &scenario,
    );
    let want = ok_points(&native);
    assert!(want.len() >= 4, "the native smoke run: {want:?}");
    for (cpu, set) in [(None, "neon-dotprod"), (Some("cortex-a72"), "neon")] {
        let mut cmd = Command::new(&bin);
        cmd.env_remove("EDGEBENCH_KERNELS");
        match cpu {
            Some(c) => cmd.env("QEMU_CPU", c),
            None => cmd.env_remove("QEMU_CPU"),
        };
        let name = format!("aarch64-{}", cpu.unwrap_or("default"));
        let r = run(cmd, tmp.path(), &name, &scenario);
        let env = &r["environment"];
        assert_eq!(env["arch"], "aarch64", "{name}");
        assert_eq!(env["board"]["emulated"], true, "{name}: {}", env["board"]);
        let got = ok_points(&r);
        assert_eq!(got.len(), want.len(), "{name}: points that ran");
        for ((wl, wk, wt), (gl, gk, gt)) in want.iter().zip(&got) {
            assert_eq!(wl, gl, "{name}");
            assert_eq!(wt, gt, "{name} {wl}: tokens differ from {}", native_set(wk));
            if !gk.is_null() {
                assert_eq!(gk, set, "{name} {gl}: kernel set");
            }
        }
        let (wa, ga) = (&native["agreement"]["rows"], &r["agreement"]["rows"]);
        assert!(wa.as_array().is_some_and(|a| a.len() >= 3), "{wa}");
        assert_eq!(wa, ga, "{name}: agreement figures differ");
        println!(
            "{name}: {} points, tokens and agreement figures identical to native ({}) with the {set} set",
            got.len(),
            native_set(&want[0].1)
        );
    }
}

fn native_set(k: &Value) -> String {
    k.as_str().unwrap_or("?").to_string()
}

/// The nightly lab flow with two devices: this machine (`lab-host`, native binary) and the
/// static aarch64 build under QEMU (`qemu-aarch64`, the same `scripts/lab/nightly.sh` driving
/// the aarch64 binary for run, ingest, compare and check). Three nights each, the third with
/// a mock twice as slow under the same model name: on each device nights 1-2 pass and night 3
/// fails naming its run; the devices have different fingerprints, and the collector puts both
/// into one history and flags both. Gated on `EDGEBENCH_AARCH64_BIN` (built with `history`).
#[cfg(feature = "history")]
#[test]
fn nightly_lab_flow_with_the_emulated_aarch64_build_as_a_second_device() {
    let Some(aarch64) = std::env::var_os("EDGEBENCH_AARCH64_BIN") else {
        println!("SKIPPED: set EDGEBENCH_AARCH64_BIN to a static aarch64 edgebench built with the `history` feature (.ci/aarch64.sh builds one)");
        return;
    };
    let tmp = tempfile::tempdir().unwrap();
    let results = tmp.path().join("lab");
    let native = assert_cmd::cargo::cargo_bin("edgebench");
    let devices = [
        ("lab-host", native.clone()),
        ("qemu-aarch64", std::path::PathBuf::from(aarch64)),
    ];
    let mut ids = Vec::new();
    for (device, bin) in &devices {
        for (n, cost_us) in [(1, 20000), (2, 20000), (3, 40000)] {
            let scratch = tmp.path().join(format!("{device}-{n}"));
            std::fs::create_dir_all(&scratch).unwrap();
            let (code, text) =
                crate::lab_flow::run_night(bin, device, &results, &scratch, n, cost_us);
            let want = if n == 3 { 1 } else { 0 };
            assert_eq!(code, Some(want), "{device} night {n}:\n{text}");
            if n == 3 {
                let bad = text
                    .lines()
                    .find(|l| l.starts_with("REGRESSION") && l.contains("decode_tok_s"))
                    .unwrap_or_else(|| panic!("{device}: {text}"));
                assert!(bad.contains(&format!("{device} · mock mock-llm")), "{bad}");
                assert!(bad.contains("night-3-labmock"), "{bad}");
            }
        }
        let report: Value = serde_json::from_str(
            &std::fs::read_to_string(results.join(device).join("night-1-labmock/report.json"))
                .unwrap(),
        )
        .unwrap();
        let fp = &report["environment"]["fingerprint"];
        println!("{device}: fingerprint {fp}");
        ids.push((
            fp["id"].as_str().unwrap().to_string(),
            fp["arch"].as_str().unwrap().to_string(),
        ));
    }
    assert_ne!(ids[0].0, ids[1].0, "two devices, two fingerprints: {ids:?}");
    assert_eq!(ids[1].1, "aarch64", "{ids:?}");
    // The collector (native) ingests both devices' folders into one history and flags both.
    let repo = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let collect = std::process::Command::new("bash")
        .arg(repo.join("scripts/lab/collect.sh"))
        .arg("--from")
        .arg(&results)
        .arg("--bin")
        .arg(&native)
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&collect.stdout).to_string();
    println!("{text}");
    assert_eq!(collect.status.code(), Some(1), "{text}");
    for (device, _) in &devices {
        assert!(text.contains(&format!("REGRESSION {device}")), "{text}");
    }
}
