//! Test support: run one of the repository's Python checkers (`scripts/check_*.py`, which use
//! the reference tools `gguf`, `onnx`, `onnxruntime`) on files a test wrote, with whichever
//! Python has the needed packages; tests skip with a message when none does.

use std::path::{Path, PathBuf};
use std::process::Command;

/// The first Python that imports every module of `imports` (comma-separated, as in an
/// `import` statement): `$EDGEBENCH_PYTHON`, then `python3`, then `<repo>/<venv>/bin/python`
/// for each of `venvs`.
pub fn find_python(repo: &Path, imports: &str, venvs: &[&str]) -> Option<PathBuf> {
    let mut candidates: Vec<PathBuf> = std::env::var_os("EDGEBENCH_PYTHON")
        .map(PathBuf::from)
        .into_iter()
        .collect();
    candidates.push("python3".into());
    candidates.extend(venvs.iter().map(|v| repo.join(v).join("bin/python")));
    candidates.into_iter().find(|py| {
        Command::new(py)
            .args(["-c", &format!("import {imports}")])
            .output()
            .is_ok_and(|o| o.status.success())
    })
}

/// Run `<repo>/<script>` with `py` on `files`; panics (failing the test) with the script's
/// output if it exits non-zero, and prints that output either way.
pub fn run_checker(py: &Path, repo: &Path, script: &str, files: &[PathBuf]) {
    let out = Command::new(py)
        .arg(repo.join(script))
        .args(files)
        .output()
        .unwrap_or_else(|e| panic!("run {script} with {}: {e}", py.display()));
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    println!("{text}");
    assert!(
        out.status.success(),
        "{script} failed ({}):\n{text}",
        py.display()
    );
}
