//! Issue 14's regression tests for the results pipeline and process control: a run owns its
//! folder, result files are never mixed up or half-read, `report` rebuilds what a kill left,
//! signals end the worker and keep finished points, stdout errors exit cleanly, and scenario
//! inputs are bounded.

use assert_cmd::Command;
use predicates::prelude::*;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

fn edgebench() -> Command {
    Command::cargo_bin("edgebench").unwrap()
}

fn bin() -> PathBuf {
    assert_cmd::cargo::cargo_bin("edgebench")
}

fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, text).unwrap();
    p
}

/// A mock scenario: one point per model spec.
fn scenario(dir: &Path, name: &str, models: &[&str], extra: &str) -> PathBuf {
    let gen = if extra.contains("gen_tokens") {
        ""
    } else {
        "gen_tokens = 4\n"
    };
    let mut text = format!(
        "name = \"{name}\"\nbackends = [\"mock\"]\nprompt_tokens = 2\n{gen}repetitions = 1\nwarmup = 0\n{extra}\n"
    );
    for m in models {
        text.push_str(&format!("[[models]]\npath = \"{m}\"\n"));
    }
    write(dir, &format!("{name}.toml"), &text)
}

fn json(path: &Path) -> serde_json::Value {
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

/// `edgebench run SCENARIO --out OUT`, which must exit 1 (a point failed); its report.json.
fn run_with_a_failed_point(scenario: &Path, out: &Path) -> serde_json::Value {
    edgebench()
        .args(["run", "--no-calibration", "-q", "--out"])
        .arg(out)
        .arg(scenario)
        .timeout(Duration::from_secs(120))
        .assert()
        .code(1);
    json(&out.join("report.json"))
}

/// `edgebench report DIR --format json`, parsed, with its stderr.
fn report_json(dir: &Path) -> (serde_json::Value, String) {
    let out = edgebench()
        .arg("report")
        .arg(dir)
        .args(["--format", "json"])
        .timeout(Duration::from_secs(60))
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "report failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    (
        serde_json::from_slice(&out.stdout).unwrap(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn model_paths(report: &serde_json::Value) -> Vec<String> {
    report["points"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["model"]["path"].as_str().unwrap_or("").to_string())
        .collect()
}

/// Wait until `cond` holds (generous: the CI machine is loaded).
fn wait_for(what: &str, mut cond: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(60);
    while !cond() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(20));
    }
}

fn lines_in(path: &Path) -> usize {
    std::fs::read(path)
        .map(|b| b.iter().filter(|&&c| c == b'\n').count())
        .unwrap_or(0)
}

fn run_cmd(scenario: &Path, out: &Path) -> std::process::Command {
    let mut c = std::process::Command::new(bin());
    c.args(["run", "--no-calibration", "--quiet", "--out"])
        .arg(out)
        .arg(scenario)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped());
    c
}

fn alive(pid: u32) -> bool {
    // A zombie has finished; only a live process counts.
    std::fs::read_to_string(format!("/proc/{pid}/stat"))
        .map(|s| {
            let state = s.rsplit_once(')').map(|x| x.1.trim_start()).unwrap_or("");
            !state.starts_with('Z')
        })
        .unwrap_or(false)
}

/// Pids of the live processes whose parent is `parent`.
fn children_of(parent: u32) -> Vec<u32> {
    let mut found = Vec::new();
    for e in std::fs::read_dir("/proc").unwrap().flatten() {
        let Ok(pid) = e.file_name().to_string_lossy().parse::<u32>() else {
            continue;
        };
        let stat = std::fs::read_to_string(e.path().join("stat")).unwrap_or_default();
        let after = stat.rsplit_once(')').map(|x| x.1).unwrap_or("");
        let ppid = after.split_whitespace().nth(1).and_then(|s| s.parse().ok());
        if ppid == Some(parent) {
            found.push(pid);
        }
    }
    found
}

// ---- defect 1: two runs sharing a folder ----

#[test]
fn a_second_run_into_a_busy_folder_is_refused() {
    let tmp = tempfile::tempdir().unwrap();
    let a = scenario(
        tmp.path(),
        "a",
        &["mock:vocab=16", "mock:vocab=16,hang_at=1"],
        "timeout_s = 60",
    );
    let b = scenario(tmp.path(), "b", &["mock:vocab=32"], "");
    let out = tmp.path().join("d");
    let mut first = run_cmd(&a, &out).spawn().unwrap();
    wait_for("the first run's first point", || {
        lines_in(&out.join("points.jsonl")) >= 1
    });
    edgebench()
        .args(["run", "--no-calibration", "--quiet", "--out"])
        .arg(&out)
        .arg(&b)
        .timeout(Duration::from_secs(60))
        .assert()
        .code(1)
        .stderr(predicate::str::contains("in use by another edgebench run"));
    first.kill().unwrap();
    first.wait().unwrap();
    // The first run's points are its own.
    let (r, _) = report_json(&out);
    assert!(
        model_paths(&r)
            .iter()
            .all(|p| p.starts_with("mock:vocab=16")),
        "{:?}",
        model_paths(&r)
    );
    // No point file was left for another run to read: the point goes to the worker on stdin.
    assert!(!out.join(".points").exists());
}

#[test]
fn concurrent_runs_without_out_get_distinct_folders() {
    let tmp = tempfile::tempdir().unwrap();
    let s = scenario(tmp.path(), "same", &["mock:vocab=16"], "");
    let spawn = || {
        std::process::Command::new(bin())
            .current_dir(tmp.path())
            .args(["run", "--no-calibration", "--quiet"])
            .arg(&s)
            .stdout(std::process::Stdio::null())
            .spawn()
            .unwrap()
    };
    let mut kids: Vec<_> = (0..3).map(|_| spawn()).collect();
    for k in &mut kids {
        assert!(k.wait().unwrap().success());
    }
    let dirs: Vec<_> = std::fs::read_dir(tmp.path().join("results"))
        .unwrap()
        .flatten()
        .collect();
    assert_eq!(dirs.len(), 3, "three runs, three folders");
    for d in dirs {
        let r = json(&d.path().join("report.json"));
        assert_eq!(r["points"].as_array().unwrap().len(), 1);
        assert_eq!(lines_in(&d.path().join("points.jsonl")), 1);
    }
}

// ---- defect 2: a reused folder shows the previous run ----

#[test]
fn a_reused_folder_never_shows_the_previous_run() {
    let tmp = tempfile::tempdir().unwrap();
    let old = scenario(tmp.path(), "old", &["mock:vocab=32"], "");
    let new = scenario(
        tmp.path(),
        "new",
        &["mock:vocab=16", "mock:vocab=16,hang_at=1"],
        "timeout_s = 60",
    );
    let out = tmp.path().join("d");
    assert!(run_cmd(&old, &out).status().unwrap().success());
    let mut run = run_cmd(&new, &out).spawn().unwrap();
    wait_for("the new run's first point", || {
        lines_in(&out.join("points.jsonl")) >= 1
            && json(&out.join("run.json"))["scenario"]["name"] == "new"
    });
    run.kill().unwrap();
    run.wait().unwrap();
    let (r, _) = report_json(&out);
    assert_eq!(r["scenario"]["name"], "new");
    assert_eq!(model_paths(&r), ["mock:vocab=16"]);
}

// ---- defect 3: a partial report.json ----

#[test]
fn a_cut_report_json_is_rebuilt_from_the_points() {
    let tmp = tempfile::tempdir().unwrap();
    let s = scenario(tmp.path(), "cut", &["mock:vocab=16", "mock:vocab=32"], "");
    let out = tmp.path().join("d");
    assert!(run_cmd(&s, &out).status().unwrap().success());
    let full = std::fs::read(out.join("report.json")).unwrap();
    std::fs::write(out.join("report.json"), &full[..full.len() / 2]).unwrap();
    let (r, stderr) = report_json(&out);
    assert_eq!(model_paths(&r), ["mock:vocab=16", "mock:vocab=32"]);
    assert!(stderr.contains("report.json"), "{stderr}");
    // A report.json of another run (same folder, other run id) is not shown either.
    let mut other: serde_json::Value = serde_json::from_slice(&full).unwrap();
    other["run_id"] = "someone-else".into();
    other["points"] = serde_json::json!([]);
    std::fs::write(out.join("report.json"), other.to_string()).unwrap();
    let (r, stderr) = report_json(&out);
    assert_eq!(r["points"].as_array().unwrap().len(), 2, "{stderr}");
}

// ---- defect 4: points.jsonl cut inside a UTF-8 character ----

#[test]
fn a_points_file_cut_inside_a_utf8_character_keeps_the_other_lines() {
    let tmp = tempfile::tempdir().unwrap();
    let s = scenario(tmp.path(), "utf", &["mock:vocab=16", "mock:vocab=32"], "");
    let out = tmp.path().join("d");
    assert!(run_cmd(&s, &out).status().unwrap().success());
    std::fs::remove_file(out.join("report.json")).unwrap();
    let mut bytes = std::fs::read(out.join("points.jsonl")).unwrap();
    // A third line cut after the first byte of "é".
    bytes.extend_from_slice(b"{\"label\":\"caf\xC3");
    std::fs::write(out.join("points.jsonl"), &bytes).unwrap();
    let (r, stderr) = report_json(&out);
    assert_eq!(r["points"].as_array().unwrap().len(), 2);
    assert!(
        stderr.contains("line 3") && stderr.contains("UTF-8"),
        "{stderr}"
    );
}

// ---- defect 5 and the done-when: kill -9 at random moments ----

#[test]
fn kill_9_at_20_moments_never_leaves_a_broken_line() {
    let tmp = tempfile::tempdir().unwrap();
    let models: Vec<String> = (0..10)
        .map(|i| format!("mock:vocab={},cost_us=3000", 16 + i))
        .collect();
    let refs: Vec<&str> = models.iter().map(String::as_str).collect();
    let s = scenario(tmp.path(), "k9", &refs, "gen_tokens = 8");
    // How long a whole run takes here, to spread the kills over it.
    let t0 = Instant::now();
    assert!(run_cmd(&s, &tmp.path().join("whole"))
        .status()
        .unwrap()
        .success());
    let whole_ms = t0.elapsed().as_millis().max(50) as u64;
    let mut seed = 0x9E37_79B9_7F4A_7C15u64;
    let mut recovered = 0;
    for round in 0..20 {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        let at = Duration::from_millis(seed % whole_ms);
        let out = tmp.path().join(format!("r{round}"));
        let mut run = run_cmd(&s, &out).spawn().unwrap();
        std::thread::sleep(at);
        run.kill().unwrap();
        run.wait().unwrap();
        let bytes = std::fs::read(out.join("points.jsonl")).unwrap_or_default();
        let mut complete = 0;
        for line in bytes.split(|&b| b == b'\n') {
            if line.is_empty() {
                continue;
            }
            let v: Result<serde_json::Value, _> = serde_json::from_slice(line);
            assert!(
                v.is_ok(),
                "round {round}: a line that does not parse: {}",
                String::from_utf8_lossy(line)
            );
            complete += 1;
        }
        if out.join("run.json").exists() {
            let (r, _) = report_json(&out);
            assert_eq!(r["points"].as_array().unwrap().len(), complete);
            recovered += complete;
        }
    }
    eprintln!("kill -9 at 20 moments: {recovered} finished points recovered");
}

// ---- defect 6: huge values ----

#[test]
fn huge_values_are_validation_errors_naming_field_range_and_file() {
    let tmp = tempfile::tempdir().unwrap();
    for (field, line, range) in [
        ("timeout_s", "timeout_s = 1e20", "604800"),
        ("cooldown_s", "cooldown_s = 1e20", "3600"),
        ("min_duration_s", "min_duration_s = 1e20", "86400"),
        ("gen_tokens", "gen_tokens = 9223372036854775807", "1048576"),
        ("threads", "threads = 10000", "256"),
        ("warmup", "warmup = 9223372036854775807", "10000"),
    ] {
        let text = format!(
            "name = \"huge\"\nbackends = [\"mock\"]\nprompt_tokens = 2\n{}\n[[models]]\npath = \"mock\"\n",
            if field == "gen_tokens" {
                line.to_string()
            } else {
                format!("gen_tokens = 2\n{line}")
            }
        );
        let s = write(tmp.path(), &format!("{field}.toml"), &text);
        let out = edgebench()
            .args(["run", "--no-calibration", "-q", "--out"])
            .arg(tmp.path().join(field))
            .arg(&s)
            .timeout(Duration::from_secs(60))
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "{field}: {stderr}");
        assert!(
            stderr.contains(&format!("field `{field}`"))
                && stderr.contains(range)
                && stderr.contains(&format!("{field}.toml")),
            "{field}: {stderr}"
        );
    }
}

// ---- defect 7: a FIFO or /dev/zero as a model ----

#[test]
fn a_fifo_or_device_model_path_fails_its_point_at_once() {
    let tmp = tempfile::tempdir().unwrap();
    let fifo = tmp.path().join("model.gguf");
    assert!(std::process::Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .unwrap()
        .success());
    let zero = tmp.path().join("zero.gguf");
    std::os::unix::fs::symlink("/dev/zero", &zero).unwrap();
    let s = write(
        tmp.path(),
        "fifo.toml",
        "name = \"fifo\"\nbackends = [\"reference\"]\nprompt_tokens = 2\ngen_tokens = 2\nrepetitions = 1\ntimeout_s = 30\n[[models]]\npath = \"model.gguf\"\nquant = \"f32\"\n[[models]]\npath = \"zero.gguf\"\nquant = \"f32\"\n",
    );
    let out = tmp.path().join("d");
    let r = run_with_a_failed_point(&s, &out);
    for p in r["points"].as_array().unwrap() {
        assert_eq!(p["status"], "failed");
        let msg = p["error"]["message"].as_str().unwrap();
        assert!(msg.contains("not a regular file"), "{msg}");
    }
}

// ---- defect 8: signals ----

fn signal_mid_run(signal: &str, code: i32) {
    let tmp = tempfile::tempdir().unwrap();
    let s = scenario(
        tmp.path(),
        "sig",
        &["mock:vocab=16", "mock:vocab=16,hang_at=1", "mock:vocab=16"],
        "timeout_s = 120",
    );
    let out = tmp.path().join("d");
    let mut run = run_cmd(&s, &out).spawn().unwrap();
    let parent = run.id();
    wait_for("the hanging worker", || {
        lines_in(&out.join("points.jsonl")) >= 1 && !children_of(parent).is_empty()
    });
    let workers = children_of(parent);
    std::thread::sleep(Duration::from_millis(200));
    assert!(std::process::Command::new("kill")
        .args([&format!("-{signal}"), &parent.to_string()])
        .status()
        .unwrap()
        .success());
    let status = run.wait().unwrap();
    let mut stderr = String::new();
    std::io::Read::read_to_string(&mut run.stderr.take().unwrap(), &mut stderr).unwrap();
    assert_eq!(status.code(), Some(code), "{signal}: {stderr}");
    wait_for("the worker to end", || workers.iter().all(|&w| !alive(w)));
    // The finished point is on disk, in points.jsonl and in report.json.
    let r = json(&out.join("report.json"));
    let pts = r["points"].as_array().unwrap();
    assert_eq!(pts[0]["status"], "ok", "{signal}");
    assert_eq!(lines_in(&out.join("points.jsonl")), pts.len());
    assert!(pts.len() <= 2, "{signal}: the run stopped");
}

#[test]
fn sigint_mid_run_ends_the_worker_and_exits_130() {
    signal_mid_run("INT", 130);
}

#[test]
fn sigterm_mid_run_ends_the_worker_and_exits_143() {
    signal_mid_run("TERM", 143);
}

#[test]
fn sigkill_of_the_parent_takes_the_worker_with_it() {
    let tmp = tempfile::tempdir().unwrap();
    let s = scenario(
        tmp.path(),
        "k",
        &["mock:vocab=16,hang_at=1"],
        "timeout_s = 120",
    );
    let out = tmp.path().join("d");
    let mut run = run_cmd(&s, &out).spawn().unwrap();
    let parent = run.id();
    wait_for("the worker", || !children_of(parent).is_empty());
    let workers = children_of(parent);
    run.kill().unwrap();
    run.wait().unwrap();
    wait_for("the orphaned worker to die", || {
        workers.iter().all(|&w| !alive(w))
    });
}

// ---- defect 9: stdout errors ----

#[test]
fn stdout_errors_exit_cleanly_without_a_panic() {
    let tmp = tempfile::tempdir().unwrap();
    let s = scenario(tmp.path(), "io", &["mock:vocab=16"], "");
    let out = tmp.path().join("d");
    assert!(run_cmd(&s, &out).status().unwrap().success());
    let full = || std::fs::OpenOptions::new().write(true).open("/dev/full");
    let Ok(_) = full() else {
        eprintln!("no /dev/full here; skipping");
        return;
    };
    let check = |args: &[&std::ffi::OsStr], what: &str| {
        let o = std::process::Command::new(bin())
            .args(args)
            .stdout(full().unwrap())
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&o.stderr);
        assert_eq!(o.status.code(), Some(1), "{what}: {stderr}");
        assert!(
            stderr.contains("stdout") && !stderr.contains("panicked"),
            "{what}: {stderr}"
        );
    };
    check(&["list".as_ref()], "list > /dev/full");
    check(&["report".as_ref(), out.as_os_str()], "report > /dev/full");
    check(
        &[
            "run".as_ref(),
            "--no-calibration".as_ref(),
            "--out".as_ref(),
            tmp.path().join("d2").as_os_str(),
            s.as_os_str(),
        ],
        "run > /dev/full",
    );
    // A closed pipe: quiet, no panic.
    for args in [
        vec!["list".into()],
        vec!["report".into(), out.into_os_string()],
    ] {
        let mut c = std::process::Command::new(bin())
            .args(&args)
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        drop(c.stdout.take());
        let o = c.wait_with_output().unwrap();
        let stderr = String::from_utf8_lossy(&o.stderr);
        assert_ne!(o.status.code(), Some(101), "{args:?}: {stderr}");
        assert!(!stderr.contains("panicked"), "{args:?}: {stderr}");
    }
}

// ---- defect 11: non-finite logits ----

#[test]
fn a_model_whose_logits_are_not_finite_fails_its_point() {
    use edgebench_reference::synth::{write_preset_gguf, Preset, SynthQuant};
    let tmp = tempfile::tempdir().unwrap();
    let path = tmp.path().join("inf.gguf");
    write_preset_gguf(Preset::Tiny, 7, SynthQuant::F32, &path).unwrap();
    let (at, n) = {
        let g = edgebench_reference::GgufFile::open(&path).unwrap();
        let t = g.tensor_info("output_norm.weight").unwrap();
        (g.data_offset() as u64 + t.offset, t.n_elements())
    };
    let mut bytes = std::fs::read(&path).unwrap();
    for i in 0..n as usize {
        let o = at as usize + 4 * i;
        bytes[o..o + 4].copy_from_slice(&f32::INFINITY.to_le_bytes());
    }
    std::fs::write(&path, bytes).unwrap();
    let s = write(
        tmp.path(),
        "inf.toml",
        "name = \"inf\"\nbackends = [\"reference\"]\nprompt_tokens = 2\ngen_tokens = 2\nrepetitions = 1\nwarmup = 0\n[[models]]\npath = \"inf.gguf\"\nquant = \"f32\"\n",
    );
    let out = tmp.path().join("d");
    let r = run_with_a_failed_point(&s, &out);
    let p = &r["points"][0];
    assert_eq!(p["status"], "failed");
    let msg = p["error"]["message"].as_str().unwrap();
    assert!(msg.contains("not finite") || msg.contains("equal"), "{msg}");
}

// ---- defect 13: a sensor file that never ends ----

#[test]
fn a_sensor_file_that_never_ends_is_read_with_a_cap() {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path().join("root/sys/devices/system/cpu/cpu0/cpufreq");
    std::fs::create_dir_all(&d).unwrap();
    std::os::unix::fs::symlink("/dev/zero", d.join("scaling_cur_freq")).unwrap();
    let s = scenario(tmp.path(), "zero", &["mock:vocab=16"], "");
    // Under an address-space cap, so an unbounded read fails this test instead of the machine.
    // Reaped by `wait_child` below, which also gives its peak RSS.
    #[allow(clippy::zombie_processes)]
    let child = std::process::Command::new("sh")
        .args(["-c", "ulimit -v 4000000 && exec \"$0\" \"$@\""])
        .arg(bin())
        .args(["run", "--no-calibration", "-q", "--out"])
        .arg(tmp.path().join("d"))
        .arg(&s)
        .env("EDGEBENCH_SYSFS_ROOT", tmp.path().join("root"))
        .stdout(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let (exit, peak) = edgebench::sys::wait_child(child.id()).unwrap();
    assert_eq!(exit, edgebench::sys::ChildExit::Code(0));
    let peak_mib = peak.unwrap() >> 20;
    assert!(peak_mib < 512, "the parent grew to {peak_mib} MiB");
    let r = json(&tmp.path().join("d/report.json"));
    assert_eq!(r["points"][0]["status"], "ok");
}
