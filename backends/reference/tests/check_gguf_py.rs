//! Our tiny f32/q8_0/q4_0 files through `scripts/check_gguf.py`, i.e. through llama.cpp's own
//! Python GGUF reader and quantizers. Skipped (with a message) when no Python with the `gguf`
//! package is found: `$EDGEBENCH_PYTHON`, `python3`, or a `.venv*/bin/python` at the repo root.

mod common;

use edgebench_backend::pycheck;
use edgebench_reference::synth::SynthQuant;
use std::path::{Path, PathBuf};

fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

#[test]
fn gguf_py_reads_and_dequantizes_our_files() {
    let Some(py) = pycheck::find_python(&repo_root(), "gguf, numpy", &[".venv-gguf", ".venv"])
    else {
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
    pycheck::run_checker(&py, &repo_root(), "scripts/check_gguf.py", &files);
}
