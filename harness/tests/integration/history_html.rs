//! `edgebench history html` and `recommend --history`: nightly runs of one device ingested into
//! a history, a step in decode tok/s half-way, the page draws each series with its change
//! point; `recommend` takes the latest run of each configuration.

use assert_cmd::Command;
use std::path::{Path, PathBuf};

use super::report_fixture::{agreement_row, point, report, stdout_of};

/// Night `n`: reference q8_0 at `tok_s`, and ort int8 (no agreement row) at 900 tok/s.
fn night(dir: &Path, n: usize, tok_s: f64) -> PathBuf {
    let mut r = report(
        vec![
            point(0, "reference", "q8_0", 1, tok_s, 3.0, 40.0),
            point(1, "ort", "int8", 1, 900.0, 2.0, 60.0),
        ],
        Some(vec![agreement_row(
            "reference",
            "q8_0",
            "measured",
            Some((1.0, 0.002)),
            None,
        )]),
        Some(50.0),
    );
    r.created_utc = format!("2026-11-{:02}T02:00:00Z", n + 1);
    r.environment.device_name = Some("pi5".into());
    let d = dir.join(format!("night-{n}"));
    std::fs::create_dir_all(&d).unwrap();
    edgebench::report::json::write(&d.join("report.json"), &r).unwrap();
    d
}

#[test]
fn history_page_marks_the_change_point_and_recommend_uses_the_latest_runs() {
    let tmp = tempfile::tempdir().unwrap();
    let db = tmp.path().join("history.sqlite");
    let dirs: Vec<PathBuf> = (0..8)
        .map(|n| {
            night(
                tmp.path(),
                n,
                if n < 4 {
                    500.0 + n as f64
                } else {
                    400.0 + n as f64
                },
            )
        })
        .collect();
    Command::cargo_bin("edgebench")
        .unwrap()
        .args(["history", "ingest", "--db"])
        .arg(&db)
        .args(&dirs)
        .assert()
        .success();
    let page_path = tmp.path().join("history.html");
    Command::cargo_bin("edgebench")
        .unwrap()
        .args([
            "history",
            "html",
            "--device",
            "pi5",
            "--metric",
            "decode_tok_s,decode_p99_ms",
            "--db",
        ])
        .arg(&db)
        .arg("--out")
        .arg(&page_path)
        .assert()
        .success();
    let page = std::fs::read_to_string(&page_path).unwrap();
    // Two metrics × two series (one per point), one chart each.
    assert_eq!(page.matches("<svg").count(), 4, "{page}");
    assert!(page.contains("<h3>device pi5</h3>"));
    assert!(page.contains("decode_tok_s (tok/s)") && page.contains("decode_p99_ms (ms)"));
    // The step in reference q8_0's decode tok/s is a change point; its series has 2 segments.
    assert!(
        page.contains(">\nchange point\n</text>"),
        "no change point drawn"
    );
    assert!(page.contains("8 run(s), 2 segment(s)"), "{page}");
    assert!(!page.contains("NaN"));

    // recommend: the latest night of each configuration; ort has no agreement data.
    let out = stdout_of(
        &[
            "recommend",
            "--format",
            "json",
            "--device",
            "pi5",
            "--history",
        ],
        &db,
    );
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    let winner = &v["ranked"][0]["candidate"];
    assert_eq!(winner["name"], "reference stories15m q8_0 t1 p32 g16");
    assert!(
        winner["source"].as_str().unwrap().contains("night-7"),
        "{v:#}"
    );
    let excluded = &v["excluded"][0];
    assert_eq!(excluded["candidate"]["backend"], "ort");
    assert_eq!(excluded["constraint"], "quality");
    // The scenario's budget of the latest report applies.
    assert_eq!(v["constraints"]["budget_ms_per_token"], 50.0);
    Command::cargo_bin("edgebench")
        .unwrap()
        .args(["recommend", "--device", "nowhere", "--history"])
        .arg(&db)
        .assert()
        .code(2)
        .stderr(predicates::str::contains("has no run of device `nowhere`"));
}
