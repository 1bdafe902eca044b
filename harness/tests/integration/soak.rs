//! Soak: one run of many mock points with injected crashes, hangs and timeouts. The parent's
//! RSS stays flat, it leaks no file descriptor, and every point is accounted for.

use std::path::Path;
use std::time::{Duration, Instant};

/// The five kinds of point the soak cycles through, and the status each must end with.
const MODELS: [(&str, &str, Option<&str>); 5] = [
    ("mock:vocab=16", "ok", None),
    ("mock:vocab=16,abort_at=0", "failed", Some("crashed")),
    ("mock:vocab=16,sigkill_at=0", "failed", Some("killed")),
    ("mock:vocab=16,panic_at=0", "failed", Some("panic")),
    ("mock:vocab=16,hang_at=0", "failed", Some("timeout")),
];

fn vm_kib(pid: u32, key: &str) -> Option<u64> {
    let text = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let line = text.lines().find(|l| l.starts_with(key))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

fn fd_count(pid: u32) -> Option<usize> {
    Some(std::fs::read_dir(format!("/proc/{pid}/fd")).ok()?.count())
}

/// `points` = 5 kinds × 4 generation lengths × `points / 20` prompt lengths.
fn soak(points: usize) {
    assert_eq!(points % 20, 0);
    let tmp = tempfile::tempdir().unwrap();
    let prompts: Vec<String> = (1..=points / 20).map(|n| n.to_string()).collect();
    let mut text = format!(
        "name = \"soak\"\nbackends = [\"mock\"]\nprompt_tokens = [{}]\ngen_tokens = [2, 3, 4, 5]\nrepetitions = 1\nwarmup = 0\ntimeout_s = 0.5\n",
        prompts.join(", ")
    );
    for (m, _, _) in MODELS {
        text.push_str(&format!("[[models]]\npath = \"{m}\"\n"));
    }
    let scenario = tmp.path().join("soak.toml");
    std::fs::write(&scenario, text).unwrap();
    let out = tmp.path().join("out");
    let t0 = Instant::now();
    let mut run = std::process::Command::new(assert_cmd::cargo::cargo_bin("edgebench"))
        .args(["run", "--no-calibration", "--quiet", "--out"])
        .arg(&out)
        .arg(&scenario)
        .stdout(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let pid = run.id();
    // (ms since the start, RSS KiB, open fds), sampled while the run goes.
    let mut samples: Vec<(usize, u64, usize)> = Vec::new();
    let status = loop {
        if let Some(s) = run.try_wait().unwrap() {
            break s;
        }
        if let (Some(rss), Some(fds)) = (vm_kib(pid, "VmRSS:"), fd_count(pid)) {
            samples.push((t0.elapsed().as_millis() as usize, rss, fds));
        }
        assert!(
            t0.elapsed() < Duration::from_secs(1800),
            "the soak run never ended"
        );
        std::thread::sleep(Duration::from_millis(50));
    };
    assert_eq!(status.code(), Some(0));
    // Early: the second tenth of the run's time (past start-up); late: its last tenth.
    let end = samples.last().map_or(0, |s| s.0);
    let early: Vec<_> = samples
        .iter()
        .filter(|s| s.0 >= end / 10 && s.0 < end / 5)
        .collect();
    let late: Vec<_> = samples.iter().filter(|s| s.0 >= end * 9 / 10).collect();
    assert!(!early.is_empty() && !late.is_empty(), "too few samples");
    let max = |v: &[&(usize, u64, usize)], f: fn(&(usize, u64, usize)) -> u64| {
        v.iter().map(|s| f(s)).max().unwrap()
    };
    let (rss_early, rss_late) = (max(&early, |s| s.1), max(&late, |s| s.1));
    // Descriptors come and go with each worker (its three pipes, and while it is spawned the
    // child's ends and spawn's error pipe), so compare the medians: a leak of one per point
    // would add dozens between the two windows.
    let median = |v: &[&(usize, u64, usize)]| {
        let mut fds: Vec<usize> = v.iter().map(|s| s.2).collect();
        fds.sort_unstable();
        fds[fds.len() / 2]
    };
    let (fd_early, fd_late) = (median(&early), median(&late));
    eprintln!(
        "soak {points} points in {:.1} s: parent RSS {rss_early} KiB -> {rss_late} KiB, fds {fd_early} -> {fd_late}",
        t0.elapsed().as_secs_f64()
    );
    // The report in memory grows with the points (a few times their JSON); a leak of a
    // worker's buffers, threads or pipes would be far more.
    let jsonl_kib = std::fs::metadata(out.join("points.jsonl")).unwrap().len() / 1024;
    assert!(
        rss_late <= rss_early + 16 * 1024 + 8 * jsonl_kib,
        "parent RSS grew from {rss_early} KiB to {rss_late} KiB ({jsonl_kib} KiB of points)"
    );
    assert!(
        fd_late <= fd_early + 3,
        "open descriptors grew from {fd_early} to {fd_late}"
    );
    check_points(&out, points);
}

fn check_points(out: &Path, points: usize) {
    let r: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("report.json")).unwrap()).unwrap();
    let pts = r["points"].as_array().unwrap();
    assert_eq!(pts.len(), points, "every point is in the report");
    let lines = std::fs::read_to_string(out.join("points.jsonl")).unwrap();
    assert_eq!(
        lines.lines().count(),
        points,
        "every point is in points.jsonl"
    );
    for p in pts {
        let path = p["label"]["model"].as_str().unwrap_or("");
        let spec = p["model"]["path"].as_str().unwrap();
        let (_, status, kind) = MODELS.iter().find(|m| m.0 == spec).unwrap();
        assert_eq!(p["status"], *status, "{path} {spec}: {p}");
        if let Some(k) = kind {
            assert_eq!(p["error"]["kind"], *k, "{spec}");
        }
    }
}

#[test]
fn soak_100_mock_points_with_crashes_hangs_and_timeouts() {
    soak(100);
}

#[test]
#[ignore = "about 5 times the 100-point soak's wall time; run with --ignored before a release"]
fn soak_500_mock_points_with_crashes_hangs_and_timeouts() {
    soak(500);
}
