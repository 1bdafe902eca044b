//! Our tiny f32/q8_0/q4_0 files through `scripts/check_gguf.py`, i.e. through llama.cpp's own
//! Python GGUF reader and quantizers. Skipped (with a message) when no Python with the `gguf`
//! package is found: `$EDGEBENCH_PYTHON`, `python3`, or a `.venv*/bin/python` at the repo root.

mod common;

use edgebench_reference::synth::SynthQuant;
use std::path::{Path, PathBuf};
use std::process::Command;

fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn python_with_gguf() -> Option<PathBuf> {
    let mut candidates: Vec<PathBuf> = std::env::var_os("EDGEBENCH_PYTHON")
        .map(PathBuf::from)
        .into_iter()
        .collect();
    candidates.push("python3".into());
    for venv in [".venv-gguf", ".venv"] {
        candidates.push(repo_root().join(venv).join("bin/python"));
    }
    candidates.into_iter().find(|py| {
        Command::new(py)
            .args(["-c", "import gguf, numpy"])
            .output()
            .is_ok_and(|o| o.status.success())
    })
}

#[test]
fn gguf_py_reads_and_dequantizes_our_files() {
    let Some(py) = python_with_gguf() else {
        eprintln!(
            "SKIPPED check_gguf.py: no Python with the `gguf` package (pip install gguf, or set EDGEBENCH_PYTHON)"
        );
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let files: Vec<PathBuf> = [SynthQuant::F32, SynthQuant::Q8_0, SynthQuant::Q4_0]
        .into_iter()
        .map(|q| common::tiny(dir.path(), q))
        .collect();
    let out = Command::new(&py)
        .arg(repo_root().join("scripts/check_gguf.py"))
        .args(&files)
        .output()
        .expect("run check_gguf.py");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    println!("{text}");
    assert!(
        out.status.success(),
        "check_gguf.py failed ({}):\n{text}",
        py.display()
    );
    assert!(text.contains("all files OK"), "{text}");
}
