//! The tiny preset's fp32/int8/int4 files through `scripts/check_onnx.py`: `onnx.checker`,
//! a greedy run in the PyPI `onnxruntime`, a numpy forward pass, and a byte comparison with
//! ONNX Runtime's own quantizers. Skipped (with a message) when no Python with `onnx`,
//! `onnxruntime` and `numpy` is found: `$EDGEBENCH_PYTHON`, `python3`, or `.venv-onnx`/`.venv`.

use edgebench_onnx_export::{write_preset_onnx, OnnxVariant, Preset};
use std::path::{Path, PathBuf};
use std::process::Command;

fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn python_with_onnx() -> Option<PathBuf> {
    let mut candidates: Vec<PathBuf> = std::env::var_os("EDGEBENCH_PYTHON")
        .map(PathBuf::from)
        .into_iter()
        .collect();
    candidates.push("python3".into());
    for venv in [".venv-onnx", ".venv"] {
        candidates.push(repo_root().join(venv).join("bin/python"));
    }
    candidates.into_iter().find(|py| {
        Command::new(py)
            .args(["-c", "import onnx, onnxruntime, numpy"])
            .output()
            .is_ok_and(|o| o.status.success())
    })
}

#[test]
fn onnx_tools_accept_and_agree_with_our_files() {
    let Some(py) = python_with_onnx() else {
        eprintln!(
            "SKIPPED check_onnx.py: no Python with onnx, onnxruntime and numpy (python3 -m venv .venv-onnx && .venv-onnx/bin/pip install onnx onnxruntime numpy onnx_ir)"
        );
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let files: Vec<PathBuf> = [OnnxVariant::Fp32, OnnxVariant::Int8, OnnxVariant::Int4]
        .into_iter()
        .map(|v| {
            let p = dir.path().join(format!("tiny-{}.onnx", v.as_str()));
            write_preset_onnx(Preset::Tiny, 42, v, &p).unwrap();
            p
        })
        .collect();
    let out = Command::new(&py)
        .arg(repo_root().join("scripts/check_onnx.py"))
        .args(&files)
        .output()
        .expect("run check_onnx.py");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    println!("{text}");
    assert!(
        out.status.success(),
        "check_onnx.py failed ({}):\n{text}",
        py.display()
    );
}
