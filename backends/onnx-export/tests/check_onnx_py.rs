//! The tiny preset's fp32/int8/int4 files through `scripts/check_onnx.py`: `onnx.checker`,
//! a greedy run in the PyPI `onnxruntime`, a numpy forward pass, and a byte comparison with
//! ONNX Runtime's own quantizers. Skipped (with a message) when no Python with `onnx`,
//! `onnxruntime` and `numpy` is found: `$EDGEBENCH_PYTHON`, `python3`, or `.venv-onnx`/`.venv`.

use edgebench_backend::pycheck;
use edgebench_onnx_export::{write_preset_onnx, OnnxVariant, Preset};
use std::path::{Path, PathBuf};

fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

#[test]
fn onnx_tools_accept_and_agree_with_our_files() {
    let Some(py) = pycheck::find_python(
        &repo_root(),
        "onnx, onnxruntime, numpy",
        &[".venv-onnx", ".venv"],
    ) else {
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
    pycheck::run_checker(&py, &repo_root(), "scripts/check_onnx.py", &files);
}
