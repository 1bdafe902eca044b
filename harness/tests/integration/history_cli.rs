//! `edgebench history` through the binary: ingest twice keeps one copy, two processes ingesting
//! into one new database at once both succeed, list/trend/export print what was ingested, and
//! `report --format bmf` gives Bencher Metric Format for one run.

use assert_cmd::Command;
use edgebench::compare::fixture::{point, report};
use std::path::{Path, PathBuf};

fn edgebench() -> Command {
    Command::cargo_bin("edgebench").unwrap()
}

fn run_dir(dir: &Path, name: &str, created: &str, tok_s: f64) -> PathBuf {
    let d = dir.join(name);
    std::fs::create_dir_all(&d).unwrap();
    let speeds: Vec<f64> = (0..5).map(|i| tok_s + i as f64).collect();
    let r = report("bench-box", created, vec![point("mock", "m", &speeds, 16)]);
    edgebench::report::json::write(&d.join("report.json"), &r).unwrap();
    d
}

#[test]
fn ingest_twice_keeps_one_copy_and_list_trend_export_show_it() {
    let tmp = tempfile::tempdir().unwrap();
    let db = tmp.path().join("h.sqlite");
    let a = run_dir(tmp.path(), "a", "2026-11-01T02:00:00Z", 100.0);
    let b = run_dir(tmp.path(), "b", "2026-11-02T02:00:00Z", 101.0);
    for _ in 0..2 {
        edgebench()
            .args(["history", "ingest"])
            .arg(&a)
            .arg(&b)
            .arg("--db")
            .arg(&db)
            .assert()
            .success();
    }
    let list = edgebench()
        .args(["history", "list", "--db"])
        .arg(&db)
        .output()
        .unwrap();
    let list = String::from_utf8_lossy(&list.stdout).to_string();
    assert_eq!(list.lines().count(), 3, "{list}");
    let since = edgebench()
        .args(["history", "list", "--since", "2026-11-02", "--db"])
        .arg(&db)
        .output()
        .unwrap();
    assert_eq!(String::from_utf8_lossy(&since.stdout).lines().count(), 2);
    let trend = edgebench()
        .args([
            "history",
            "trend",
            "--device",
            "bench-box",
            "--backend",
            "mock",
            "--db",
        ])
        .arg(&db)
        .output()
        .unwrap();
    let trend = String::from_utf8_lossy(&trend.stdout).to_string();
    assert!(
        trend.contains("bench-box · mock m - t1 p4 g17 · decode_tok_s"),
        "{trend}"
    );
    assert!(trend.contains('▁') && trend.contains('█'), "{trend}");
    edgebench()
        .args(["history", "check", "--db"])
        .arg(&db)
        .assert()
        .code(0);
    let bmf = edgebench()
        .args(["history", "export", "--format", "bmf", "--db"])
        .arg(&db)
        .output()
        .unwrap();
    let v: serde_json::Value = serde_json::from_slice(&bmf.stdout).unwrap();
    assert!(v["bench-box/mock/m/-/t1/p4/g17"]["decode_tok_s"]["lower_value"].is_number());
    let one = edgebench()
        .args(["report", "--format", "bmf"])
        .arg(&a)
        .output()
        .unwrap();
    let v: serde_json::Value = serde_json::from_slice(&one.stdout).unwrap();
    let m = &v["mock/m/-/t1/p4/g17"];
    assert!(m["decode_tok_s"]["value"].as_f64().unwrap() > 99.0, "{v}");
    assert!(m["peak_rss_steady_bytes"]["value"].is_number());
    assert!(m["peak_rss_steady_bytes"].get("lower_value").is_none());
}

#[test]
fn two_concurrent_ingests_both_succeed() {
    let tmp = tempfile::tempdir().unwrap();
    let db = tmp.path().join("h.sqlite");
    let runs: Vec<PathBuf> = (0..6)
        .map(|i| {
            run_dir(
                tmp.path(),
                &format!("r{i}"),
                &format!("2026-11-0{}T02:00:00Z", i + 1),
                100.0,
            )
        })
        .collect();
    let spawn = |dirs: &[PathBuf]| {
        std::process::Command::new(assert_cmd::cargo::cargo_bin("edgebench"))
            .args(["history", "ingest"])
            .args(dirs)
            .arg("--db")
            .arg(&db)
            .spawn()
            .unwrap()
    };
    // Both write every run: one adds each, the other finds it there, neither fails.
    let mut x = spawn(&runs);
    let mut y = spawn(&runs.iter().rev().cloned().collect::<Vec<_>>());
    assert!(x.wait().unwrap().success());
    assert!(y.wait().unwrap().success());
    let list = edgebench()
        .args(["history", "list", "--db"])
        .arg(&db)
        .output()
        .unwrap();
    assert_eq!(String::from_utf8_lossy(&list.stdout).lines().count(), 7);
}

#[test]
fn a_missing_run_directory_exits_2_and_says_what_to_pass() {
    let tmp = tempfile::tempdir().unwrap();
    let out = edgebench()
        .args(["history", "ingest"])
        .arg(tmp.path().join("nope"))
        .arg("--db")
        .arg(tmp.path().join("h.sqlite"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("edgebench run"));
}
