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
