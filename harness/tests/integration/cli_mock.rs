//! End-to-end CLI tests on the mock backend: a crash, panic, abort, SIGKILL or error in one
//! worker fails only its own point; report files are written; bad scenarios fail cleanly.

use assert_cmd::Command;
use predicates::prelude::*;
use std::path::Path;

fn edgebench() -> Command {
    Command::cargo_bin("edgebench").unwrap()
}

fn write(dir: &Path, name: &str, text: &str) -> std::path::PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, text).unwrap();
    p
}

fn report(dir: &Path) -> serde_json::Value {
    serde_json::from_str(&std::fs::read_to_string(dir.join("report.json")).unwrap()).unwrap()
}

const FAILURES: &str = r#"
name = "failures"
backends = ["mock"]
prompt_tokens = 4
gen_tokens = 8
repetitions = 2
latency_budget_ms_per_token = 50.0

[[models]]
path = "mock:vocab=64,cost_us=100"
[[models]]
path = "mock:vocab=64,panic_at=3"
[[models]]
path = "mock:vocab=64,abort_at=2"
[[models]]
path = "mock:vocab=64,sigkill_at=2"
[[models]]
path = "mock:vocab=64,fail_at=1"
[[models]]
path = "mock:vocab=64,cost_us=100"
"#;

#[test]
fn one_crashing_worker_fails_only_its_point() {
    let tmp = tempfile::tempdir().unwrap();
    let scenario = write(tmp.path(), "f.toml", FAILURES);
    let out = tmp.path().join("out");
    edgebench()
        .args(["run", "--no-calibration", "--quiet", "--out"])
        .arg(&out)
        .arg(&scenario)
        .assert()
        .success();
    let r = report(&out);
    assert_eq!(r["schema_version"], 1);
    let pts = r["points"].as_array().unwrap();
    assert_eq!(pts.len(), 6);
    let status: Vec<&str> = pts.iter().map(|p| p["status"].as_str().unwrap()).collect();
    assert_eq!(status, ["ok", "failed", "failed", "failed", "failed", "ok"]);
    let kind = |i: usize| pts[i]["error"]["kind"].as_str().unwrap().to_string();
    let msg = |i: usize| pts[i]["error"]["message"].as_str().unwrap().to_string();
    assert_eq!(kind(1), "panic");
    assert!(
        msg(1).contains("scripted panic at decode step 3"),
        "{}",
        msg(1)
    );
    assert_eq!(kind(2), "crashed");
    assert!(msg(2).contains("SIGABRT"), "{}", msg(2));
    assert_eq!(kind(3), "killed");
    assert!(msg(3).contains("SIGKILL"), "{}", msg(3));
    assert_eq!(kind(4), "runtime");
    // The good points have every measured token, and the same tokens in every run.
    let good = &pts[0];
    assert_eq!(good["runs"].as_array().unwrap().len(), 2);
    assert_eq!(
        good["runs"][0]["decode_latency_ns"]
            .as_array()
            .unwrap()
            .len(),
        7
    );
    assert_eq!(good["runs"][0]["tokens"].as_array().unwrap().len(), 8);
    assert_eq!(good["latency"]["runs_agree"], true);
    assert!(good["memory"]["peak_rss_load_bytes"].as_u64().unwrap() > 0);
    // Every finished point was appended as it finished.
    let lines = std::fs::read_to_string(out.join("points.jsonl")).unwrap();
    assert_eq!(lines.lines().count(), 6);
    let md = std::fs::read_to_string(out.join("report.md")).unwrap();
    assert!(
        md.contains("FAILED (panic)") && md.contains("SIGKILL"),
        "{md}"
    );
    let csv = std::fs::read_to_string(out.join("tokens.csv")).unwrap();
    // header + 2 good points x 2 runs x (1 prefill + 7 decode)
    assert_eq!(csv.lines().count(), 1 + 2 * 2 * 8);
}

#[test]
fn a_worker_killed_from_outside_fails_its_point_and_the_rest_runs() {
    let tmp = tempfile::tempdir().unwrap();
    let scenario = write(
        tmp.path(),
        "k.toml",
        r#"
name = "kill"
backends = ["mock"]
prompt_tokens = 4
gen_tokens = 4
repetitions = 1
timeout_s = 60
[[models]]
path = "mock:vocab=16,hang_at=0"
[[models]]
path = "mock:vocab=16"
"#,
    );
    let out = tmp.path().join("out");
    let events = tmp.path().join("events.jsonl");
    let mut child = std::process::Command::new(assert_cmd::cargo::cargo_bin("edgebench"))
        .args(["run", "--no-calibration", "--quiet", "--out"])
        .arg(&out)
        .arg("--events")
        .arg(&events)
        .arg(&scenario)
        .spawn()
        .unwrap();
    // Wait until the first worker is in its hanging decode step, then SIGKILL it.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    let pid = loop {
        assert!(std::time::Instant::now() < deadline, "worker never started");
        std::thread::sleep(std::time::Duration::from_millis(50));
        let text = std::fs::read_to_string(&events).unwrap_or_default();
        let pid = text.lines().find_map(|l| {
            let v: serde_json::Value = serde_json::from_str(l).ok()?;
            (v["type"] == "point_started")
                .then(|| v["pid"].as_u64())
                .flatten()
        });
        // Fall back to /proc if the event file is not there yet.
        if let Some(pid) = pid {
            break pid;
        }
        if let Some(pid) = find_worker_pid(child.id()) {
            break pid;
        }
    };
    std::thread::sleep(std::time::Duration::from_millis(300));
    std::process::Command::new("kill")
        .args(["-9", &pid.to_string()])
        .status()
        .unwrap();
    assert!(child.wait().unwrap().success());
    let r = report(&out);
    let pts = r["points"].as_array().unwrap();
    assert_eq!(pts[0]["status"], "failed");
    assert_eq!(pts[0]["error"]["kind"], "killed");
    assert_eq!(pts[1]["status"], "ok");
}

/// The pid of a child process of `parent` (the worker), from /proc.
fn find_worker_pid(parent: u32) -> Option<u64> {
    for e in std::fs::read_dir("/proc").ok()?.flatten() {
        let Ok(pid) = e.file_name().to_string_lossy().parse::<u64>() else {
            continue;
        };
        let stat = std::fs::read_to_string(e.path().join("stat")).unwrap_or_default();
        let after = stat.rsplit_once(')').map(|x| x.1).unwrap_or("");
        let ppid = after
            .split_whitespace()
            .nth(1)
            .and_then(|s| s.parse::<u32>().ok());
        if ppid == Some(parent) {
            return Some(pid);
        }
    }
    None
}

#[test]
fn a_hanging_worker_times_out() {
    let tmp = tempfile::tempdir().unwrap();
    let scenario = write(
        tmp.path(),
        "t.toml",
        r#"
name = "timeout"
backends = ["mock"]
prompt_tokens = 2
gen_tokens = 4
repetitions = 1
timeout_s = 1
[[models]]
path = "mock:vocab=16,hang_at=1"
"#,
    );
    let out = tmp.path().join("out");
    edgebench()
        .args(["run", "--no-calibration", "-q", "--out"])
        .arg(&out)
        .arg(&scenario)
        .assert()
        .code(1);
    let r = report(&out);
    assert_eq!(r["points"][0]["error"]["kind"], "timeout");
    assert!(r["points"][0]["error"]["message"]
        .as_str()
        .unwrap()
        .contains("timeout_s"));
}

#[test]
fn invalid_scenario_names_file_line_and_field() {
    let tmp = tempfile::tempdir().unwrap();
    let scenario = write(tmp.path(), "bad.toml", "name = \"x\"\nbackends = [\"mock\"]\nprompt_tokens = 0\ngen_tokens = 2\n[[models]]\npath = \"mock\"\n");
    edgebench()
        .arg("run")
        .arg(&scenario)
        .assert()
        .code(1)
        .stderr(predicate::str::contains(
            "bad.toml line 3: field `prompt_tokens`: must be at least 1",
        ));
    edgebench()
        .args(["run", "/nonexistent/scenario.toml"])
        .assert()
        .code(1)
        .stderr(predicate::str::contains(
            "reading scenario file /nonexistent/scenario.toml",
        ));
}

#[test]
fn report_rerenders_and_survives_an_interrupted_run() {
    let tmp = tempfile::tempdir().unwrap();
    let scenario = write(tmp.path(), "ok.toml", "name = \"ok\"\nbackends = [\"mock\"]\nprompt_tokens = 2\ngen_tokens = 3\nrepetitions = 1\n[[models]]\npath = \"mock:vocab=32\"\n");
    let out = tmp.path().join("out");
    edgebench()
        .args(["run", "--no-calibration", "-q", "--out"])
        .arg(&out)
        .arg(&scenario)
        .assert()
        .success();
    edgebench()
        .arg("report")
        .arg(&out)
        .args(["--format", "md"])
        .assert()
        .success()
        .stdout(predicate::str::contains("| mock |"));
    edgebench()
        .arg("report")
        .arg(&out)
        .args(["--format", "csv"])
        .assert()
        .success()
        .stdout(predicate::str::contains("point,backend"));
    edgebench()
        .arg("report")
        .arg(&out)
        .args(["--format", "json"])
        .assert()
        .success()
        .stdout(predicate::str::contains("\"schema_version\": 1"));
    // Simulate a run killed before it wrote report.json: run.json + points.jsonl remain.
    std::fs::remove_file(out.join("report.json")).unwrap();
    edgebench()
        .arg("report")
        .arg(&out)
        .assert()
        .success()
        .stdout(predicate::str::contains("| mock |"));
    edgebench()
        .arg("report")
        .arg(tmp.path())
        .assert()
        .code(1)
        .stderr(predicate::str::contains("holds no report.json"));
}

#[test]
fn list_env_and_help() {
    edgebench()
        .arg("list")
        .assert()
        .success()
        .stdout(predicate::str::contains("reference").and(predicate::str::contains("mock")));
    // A private cache dir: the bandwidth curve is neither read from nor left in the user's.
    let cache = tempfile::tempdir().unwrap();
    edgebench()
        .env("XDG_CACHE_HOME", cache.path())
        .arg("env")
        .assert()
        .success()
        .stdout(
            predicate::str::contains("logical cores")
                .and(predicate::str::contains("bandwidth   read")),
        );
    edgebench()
        .env("XDG_CACHE_HOME", cache.path())
        .args(["env", "--json"])
        .assert()
        .success()
        .stdout(
            predicate::str::contains("\"logical_cores\"")
                .and(predicate::str::contains("memory_bandwidth")),
        );
    edgebench()
        .arg("--help")
        .assert()
        .success()
        .stdout(predicate::str::contains("Examples:"));
}

#[test]
fn events_file_streams_token_timestamps() {
    let tmp = tempfile::tempdir().unwrap();
    let scenario = write(tmp.path(), "e.toml", "name = \"e\"\nbackends = [\"mock\"]\nprompt_tokens = 2\ngen_tokens = 5\nrepetitions = 1\nwarmup = 0\n[[models]]\npath = \"mock:vocab=32\"\n");
    let events = tmp.path().join("ev.jsonl");
    edgebench()
        .args(["run", "--no-calibration", "-q", "--out"])
        .arg(tmp.path().join("out"))
        .arg("--events")
        .arg(&events)
        .arg(&scenario)
        .assert()
        .success();
    let text = std::fs::read_to_string(&events).unwrap();
    let tokens: Vec<serde_json::Value> = text
        .lines()
        .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap())
        .filter(|v| v["type"] == "worker" && v["event"]["event"] == "token")
        .collect();
    assert_eq!(tokens.len(), 4);
    let ts: Vec<u64> = tokens
        .iter()
        .map(|v| v["event"]["t_ns"].as_u64().unwrap())
        .collect();
    assert!(ts.windows(2).all(|w| w[0] <= w[1]));
}

#[test]
fn power_csv_only_when_a_sensor_gave_values() {
    let tmp = tempfile::tempdir().unwrap();
    let scenario = write(tmp.path(), "p.toml", "name = \"p\"\nbackends = [\"mock\"]\nprompt_tokens = 2\ngen_tokens = 40\nrepetitions = 1\nwarmup = 0\n[[models]]\npath = \"mock:vocab=32,cost_us=2000\"\n");
    let run = |root: &Path, out: &str| {
        edgebench()
            .env("EDGEBENCH_SYSFS_ROOT", root)
            .args(["run", "--no-calibration", "-q", "--out"])
            .arg(tmp.path().join(out))
            .arg(&scenario)
            .assert()
            .success();
        tmp.path().join(out).join("power.csv")
    };
    // No sensor at all: the file would hold only empty cells, so it is not written.
    let empty = tempfile::tempdir().unwrap();
    assert!(!run(empty.path(), "none").exists());
    // A CPU frequency is a measured value: the file is written and holds it.
    let fake = tempfile::tempdir().unwrap();
    let d = fake.path().join("sys/devices/system/cpu/cpu0/cpufreq");
    std::fs::create_dir_all(&d).unwrap();
    std::fs::write(d.join("scaling_cur_freq"), "1500000\n").unwrap();
    let csv = std::fs::read_to_string(run(fake.path(), "freq")).unwrap();
    assert!(csv.lines().skip(1).any(|l| l.ends_with(",1500")), "{csv}");
}
