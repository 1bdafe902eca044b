//! `edgebench compare` end to end: a planted 10% decode slowdown is called slower (exit 1,
//! JUnit failure naming the point), points on one side are new/gone, bad input exits 2. The
//! false-alarm test (ten same-configuration pairs) is its own test binary, `compare_noise`.

use assert_cmd::Command;
use edgebench::compare::fixture::{point, report};
use std::path::{Path, PathBuf};

fn edgebench() -> Command {
    Command::cargo_bin("edgebench").unwrap()
}

const BASE: [f64; 10] = [
    100.0, 101.0, 99.0, 100.5, 99.5, 100.2, 99.8, 100.1, 99.9, 100.3,
];

fn write(dir: &Path, name: &str, r: &edgebench::results::Report) -> PathBuf {
    let d = dir.join(name);
    std::fs::create_dir_all(&d).unwrap();
    edgebench::report::json::write(&d.join("report.json"), r).unwrap();
    d
}

#[test]
fn a_ten_percent_decode_slowdown_exits_1_with_a_junit_failure_naming_the_point() {
    let tmp = tempfile::tempdir().unwrap();
    let slow: Vec<f64> = BASE.iter().map(|t| t * 0.9).collect();
    let b = write(
        tmp.path(),
        "base",
        &report(
            "lab-x86",
            "2026-11-01T00:00:00Z",
            vec![point("mock", "m", &BASE, 32)],
        ),
    );
    let n = write(
        tmp.path(),
        "new",
        &report(
            "lab-x86",
            "2026-11-02T00:00:00Z",
            vec![point("mock", "m", &slow, 32)],
        ),
    );
    let junit = tmp.path().join("compare.xml");
    let out = edgebench()
        .args(["compare"])
        .arg(&b)
        .arg(&n)
        .arg("--junit")
        .arg(&junit)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{stdout}");
    let line = stdout
        .lines()
        .find(|l| l.contains("| decode_tok_s |"))
        .unwrap_or_else(|| panic!("{stdout}"));
    assert!(line.contains("**slower**"), "{line}");
    // The ratio's interval covers 0.90.
    let cell = line.split('|').nth(5).unwrap();
    let (lo, hi) = cell
        .split('[')
        .nth(1)
        .unwrap()
        .trim_end_matches([']', ' '])
        .split_once(", ")
        .unwrap();
    let (lo, hi): (f64, f64) = (lo.parse().unwrap(), hi.trim().parse().unwrap());
    assert!(lo <= 0.90 && 0.90 <= hi, "{line}");
    let xml = std::fs::read_to_string(&junit).unwrap();
    // The fixture's prefill is tied to its decode speed: all four speed metrics are slower,
    // RSS is unchanged.
    assert!(xml.contains("failures=\"4\""), "{xml}");
    let fail = xml
        .lines()
        .find(|l| l.contains("<failure") && l.contains("decode_tok_s"))
        .unwrap_or_else(|| panic!("{xml}"));
    assert!(fail.contains("mock m - t1 p4 g33 decode_tok_s"), "{fail}");
    assert!(fail.contains("slower"), "{fail}");
    // JSON carries the same verdict.
    let json = edgebench()
        .args(["compare", "--format", "json"])
        .arg(&b)
        .arg(&n)
        .output()
        .unwrap();
    assert_eq!(json.status.code(), Some(1));
    let v: serde_json::Value = serde_json::from_slice(&json.stdout).unwrap();
    assert_eq!(v[0]["rows"][0]["metric"], "decode_tok_s");
    assert_eq!(v[0]["rows"][0]["verdict"], "slower");
    // A 20% threshold lets it pass.
    edgebench()
        .args(["compare", "--threshold", "20%"])
        .arg(&b)
        .arg(&n)
        .assert()
        .code(0);
}

#[test]
fn points_on_one_side_are_new_or_gone_and_bad_input_exits_2() {
    let tmp = tempfile::tempdir().unwrap();
    let b = write(
        tmp.path(),
        "base",
        &report(
            "d",
            "t",
            vec![point("mock", "m", &BASE, 8), point("mock", "old", &BASE, 8)],
        ),
    );
    let n = write(
        tmp.path(),
        "new",
        &report(
            "d",
            "t",
            vec![
                point("mock", "m", &BASE, 8),
                point("mock", "fresh", &BASE, 8),
            ],
        ),
    );
    let out = edgebench().arg("compare").arg(&b).arg(&n).output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{stdout}");
    assert!(
        stdout.contains("| mock fresh - t1 p4 g9 | decode_tok_s | n/a |"),
        "{stdout}"
    );
    assert!(stdout.contains("| new |"), "{stdout}");
    assert!(stdout.contains("| gone |"), "{stdout}");
    let missing = edgebench()
        .arg("compare")
        .arg(&b)
        .arg(tmp.path().join("nope"))
        .output()
        .unwrap();
    assert_eq!(missing.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&missing.stderr).contains("fix:"));
    edgebench()
        .args(["compare", "--threshold", "lots"])
        .arg(&b)
        .arg(&n)
        .assert()
        .code(2);
    // clap's own usage errors are 2 as well.
    edgebench().args(["compare"]).arg(&b).assert().code(2);
}
