//! The nightly lab flow end to end on this machine as a one-device lab: `scripts/lab/nightly.sh`
//! runs three nights with the built binary; night 3 runs a slower mock backend under the same
//! model name. Nights 1-2 pass, night 3 fails, and `history check` names night 3's run. The
//! mock sleeps 20 ms a token, so a loaded machine's scheduling delays stay far below 5%.

use assert_cmd::cargo::cargo_bin;
use std::path::Path;
use std::process::Command;

pub(crate) fn scenario(dir: &Path, cost_us: u64) -> std::path::PathBuf {
    let p = dir.join("labmock.toml");
    std::fs::write(
        &p,
        format!(
            r#"
name = "labmock"
backends = ["mock"]
prompt_tokens = 4
gen_tokens = 12
warmup = 1
repetitions = 7
[[models]]
name = "mock-llm"
path = "mock:vocab=64,cost_us={cost_us}"
"#
        ),
    )
    .unwrap();
    p
}

/// One night of `scripts/lab/nightly.sh` on `device` with `bin` (the mock costing `cost_us` a
/// token): its exit code and everything it printed.
pub(crate) fn run_night(
    bin: &Path,
    device: &str,
    results: &Path,
    scratch: &Path,
    n: usize,
    cost_us: u64,
) -> (Option<i32>, String) {
    let repo = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let out = Command::new("bash")
        .arg(repo.join("scripts/lab/nightly.sh"))
        .args(["--device", device, "--no-calibration", "--night"])
        .arg(format!("night-{n}"))
        .arg("--bin")
        .arg(bin)
        .arg("--results")
        .arg(results)
        .arg("--scenario")
        .arg(scenario(scratch, cost_us))
        .output()
        .unwrap();
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status.code(), text)
}

#[test]
fn three_nights_with_a_slower_third_fail_only_the_third_and_name_it() {
    let tmp = tempfile::tempdir().unwrap();
    let repo = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let bin = cargo_bin("edgebench");
    let results = tmp.path().join("lab");
    let night =
        |n: usize, cost_us: u64| run_night(&bin, "lab-host", &results, tmp.path(), n, cost_us);
    let (c1, t1) = night(1, 20000);
    assert_eq!(c1, Some(0), "night 1:\n{t1}");
    let (c2, t2) = night(2, 20000);
    assert_eq!(c2, Some(0), "night 2:\n{t2}");
    let (c3, t3) = night(3, 40000);
    assert_eq!(c3, Some(1), "night 3:\n{t3}");
    let bad = t3
        .lines()
        .find(|l| l.starts_with("REGRESSION") && l.contains("decode_tok_s"))
        .unwrap_or_else(|| panic!("{t3}"));
    assert!(bad.contains("lab-host · mock mock-llm"), "{bad}");
    assert!(bad.contains("night-3-labmock"), "{bad}");
    let dev = results.join("lab-host");
    // The summary and JUnit of night 3 say so.
    let junit = std::fs::read_to_string(dev.join("night-3.junit.xml")).unwrap();
    assert!(junit.contains("failures=\"2\""), "{junit}");
    let summary = std::fs::read_to_string(dev.join("night-3-summary.md")).unwrap();
    assert!(summary.contains("**slower**"), "{summary}");
    // Nights 1-2 JUnit: no failure.
    let junit2 = std::fs::read_to_string(dev.join("night-2.junit.xml")).unwrap();
    assert!(junit2.contains("failures=\"0\""), "{junit2}");
    // The trend, for the record.
    let trend = Command::new(&bin)
        .args([
            "history",
            "trend",
            "--metric",
            "decode_tok_s",
            "--device",
            "lab-host",
            "--db",
        ])
        .arg(dev.join("history.sqlite"))
        .output()
        .unwrap();
    let trend = String::from_utf8_lossy(&trend.stdout).to_string();
    println!("{trend}");
    assert_eq!(trend.matches("night-").count(), 3, "{trend}");
    // Collecting the lab's folders into one history ingests the three nights once each.
    let collect = Command::new("bash")
        .arg(repo.join("scripts/lab/collect.sh"))
        .arg("--from")
        .arg(&results)
        .arg("--bin")
        .arg(&bin)
        .output()
        .unwrap();
    let ctext = String::from_utf8_lossy(&collect.stdout).to_string();
    assert_eq!(collect.status.code(), Some(1), "{ctext}");
    assert!(ctext.contains("REGRESSION lab-host"), "{ctext}");
    let bmf: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(results.join("lab-bmf.json")).unwrap())
            .unwrap();
    assert!(
        bmf["lab-host/mock/mock-llm/-/t1/p4/g12"]["decode_tok_s"]["value"].is_number(),
        "{bmf}"
    );
}
