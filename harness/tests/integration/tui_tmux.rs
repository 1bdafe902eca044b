//! End-to-end TUI tests in a real terminal: `edgebench tui scenarios/smoke.toml` runs inside a
//! detached `tmux` session, keys are sent with `send-keys` and the screen is read back with
//! `capture-pane`. Needs `tmux` (`apt-get install -y tmux`).
//!
//! When tmux is not installed (and `.ci/run` could not install it) the tests print why and
//! return without checking anything.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

/// A detached tmux session, killed on drop.
struct Tmux {
    name: String,
}

impl Tmux {
    /// Start `command` in a `width`×`height` session; the shell prints `__EXIT=<code>` after it.
    fn start(tag: &str, command: &str, width: u16, height: u16) -> Tmux {
        let name = format!("edgebench-tui-{tag}-{}", std::process::id());
        let shell = format!("{command}; echo __EXIT=$?; sleep 600");
        let status = Command::new("tmux")
            .args(["new-session", "-d", "-s", &name, "-x", &width.to_string()])
            .args(["-y", &height.to_string(), &shell])
            .status()
            .expect("running tmux (apt-get install -y tmux)");
        assert!(status.success(), "tmux new-session failed");
        Tmux { name }
    }

    fn screen(&self) -> String {
        let out = Command::new("tmux")
            .args(["capture-pane", "-p", "-t", &self.name])
            .output()
            .expect("tmux capture-pane");
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    fn keys(&self, keys: &str) {
        let ok = Command::new("tmux")
            .args(["send-keys", "-t", &self.name, keys])
            .status()
            .is_ok_and(|s| s.success());
        assert!(ok, "tmux send-keys {keys}");
    }

    /// Wait until the screen contains `needle`; panics with the last screen after `timeout`.
    fn wait_for(&self, needle: &str, timeout: Duration) -> String {
        let start = Instant::now();
        loop {
            let screen = self.screen();
            if screen.contains(needle) {
                return screen;
            }
            assert!(
                start.elapsed() < timeout,
                "`{needle}` not on screen after {timeout:?}:\n{screen}"
            );
            std::thread::sleep(Duration::from_millis(200));
        }
    }
}

impl Drop for Tmux {
    fn drop(&mut self) {
        let _ = Command::new("tmux")
            .args(["kill-session", "-t", &self.name])
            .status();
    }
}

fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// The command line of a TUI run of the smoke scenario writing under `out`.
fn tui_command(out: &Path) -> String {
    format!(
        "cd {} && {} tui scenarios/smoke.toml --out {}",
        repo_root().display(),
        env!("CARGO_BIN_EXE_edgebench"),
        out.display()
    )
}

/// Every file name under `dir`, recursively.
fn files_under(dir: &Path) -> Vec<String> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        let path = entry.path();
        if path.is_dir() {
            out.extend(files_under(&path));
        } else {
            out.push(path.file_name().unwrap().to_string_lossy().into_owned());
        }
    }
    out
}

/// Whether tmux can run here; prints the skip reason when not.
fn have_tmux() -> bool {
    let ok = Command::new("tmux")
        .arg("-V")
        .output()
        .is_ok_and(|o| o.status.success());
    if !ok {
        eprintln!("SKIPPED: tmux is not installed (apt-get install -y tmux); the TUI end-to-end tests need it");
    }
    ok
}

#[test]
fn smoke_run_fills_results_then_q_exits_with_reports() {
    if !have_tmux() {
        return;
    }
    let out = tempfile::tempdir().unwrap();
    let tmux = Tmux::start("smoke", &tui_command(out.path()), 100, 30);
    tmux.wait_for("Matrix", Duration::from_secs(30));
    let done = tmux.wait_for("done — press q to exit", Duration::from_secs(300));
    assert!(done.contains("Results ("), "{done}");
    assert!(done.contains("tok/s"), "{done}");
    assert!(!done.contains("no finished points yet"), "{done}");
    tmux.keys("o");
    tmux.wait_for("sort: tok/s", Duration::from_secs(5));
    tmux.keys("q");
    let after = tmux.wait_for("__EXIT=", Duration::from_secs(10));
    assert!(after.contains("__EXIT=0"), "{after}");
    let files = files_under(out.path());
    assert!(files.iter().any(|f| f == "report.json"), "{files:?}");
}

#[test]
fn q_mid_run_aborts_cleanly_and_keeps_finished_points() {
    if !have_tmux() {
        return;
    }
    let out = tempfile::tempdir().unwrap();
    let tmux = Tmux::start("abort", &tui_command(out.path()), 80, 24);
    // Wait for one finished point (a ✓ in the matrix), then quit while the next one runs.
    tmux.wait_for("✓", Duration::from_secs(300));
    tmux.keys("q");
    let after = tmux.wait_for("__EXIT=", Duration::from_secs(30));
    assert!(!after.contains("panicked"), "{after}");
    let files = files_under(out.path());
    assert!(
        files
            .iter()
            .any(|f| f.ends_with(".jsonl") || f == "report.json"),
        "finished points kept on disk: {files:?}"
    );
}
