//! Finding and loading the ONNX Runtime shared library.
//!
//! The library is never downloaded or linked at build time (`ort`'s `load-dynamic`). Lookup
//! order: `ORT_DYLIB_PATH`; then `.onnxruntime/lib/libonnxruntime.so*` (what
//! `scripts/setup-onnxruntime.sh` writes) in the current directory and its ancestors, then in
//! the executable's ancestors (so `target/release/edgebench` finds the repository's copy).
//! The file is checked before `ort` sees it, because `ort` can only load one library per
//! process and its own errors do not tell the user how to fix them.

use edgebench_backend::BackendError;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

pub(crate) const FIX: &str =
    "run `bash scripts/setup-onnxruntime.sh` in the edgebench repository, \
then `export ORT_DYLIB_PATH=<the path it prints>` (or run from the repository so \
`.onnxruntime/lib/` is found)";

fn unavailable(reason: String) -> BackendError {
    BackendError::Unavailable {
        backend: "ort".into(),
        reason,
        fix: FIX.into(),
    }
}

/// Where the library would come from, given the environment variable and the places to search.
pub(crate) fn locate(env: Option<&str>, search_roots: &[PathBuf]) -> Result<PathBuf, BackendError> {
    if let Some(p) = env.filter(|s| !s.is_empty()) {
        let path = PathBuf::from(p);
        return if path.is_file() {
            Ok(path)
        } else {
            Err(unavailable(format!(
                "ORT_DYLIB_PATH is `{p}`, which is not a file"
            )))
        };
    }
    for root in search_roots {
        for dir in root.ancestors() {
            if let Some(lib) = find_in(&dir.join(".onnxruntime").join("lib")) {
                return Ok(lib);
            }
        }
    }
    Err(unavailable(
        "the ONNX Runtime library was not found (ORT_DYLIB_PATH is not set and no \
         .onnxruntime/lib/libonnxruntime.so* exists in the current directory, the \
         executable's directory or their parents)"
            .into(),
    ))
}

/// The versioned library in `dir` (`libonnxruntime.so.1.32.0`), else the plain name.
fn find_in(dir: &Path) -> Option<PathBuf> {
    let mut found: Vec<PathBuf> = std::fs::read_dir(dir)
        .ok()?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| {
            p.file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| n == "libonnxruntime.so" || n.starts_with("libonnxruntime.so."))
        })
        .filter(|p| p.is_file())
        .collect();
    found.sort();
    found.pop()
}

/// The default search: current directory, then the executable's directory.
pub(crate) fn locate_default() -> Result<PathBuf, BackendError> {
    let env = std::env::var("ORT_DYLIB_PATH").ok();
    let mut roots = Vec::new();
    if let Ok(d) = std::env::current_dir() {
        roots.push(d);
    }
    if let Some(d) = std::env::current_exe()
        .ok()
        .and_then(|e| e.parent().map(Path::to_path_buf))
    {
        roots.push(d);
    }
    locate(env.as_deref(), &roots)
}

/// The loaded library and its environment (one per process).
pub(crate) struct Runtime {
    pub path: PathBuf,
    pub env: ort::environment::Environment,
    pub build_info: String,
}

static RUNTIME: OnceLock<Result<Runtime, String>> = OnceLock::new();

/// Load the library found by [`locate_default`] (once per process) and create the environment.
pub(crate) fn runtime() -> Result<&'static Runtime, BackendError> {
    let path = locate_default()?;
    let rt = RUNTIME.get_or_init(|| init(&path));
    match rt {
        Ok(rt) => Ok(rt),
        Err(e) => Err(unavailable(e.clone())),
    }
}

fn init(path: &Path) -> Result<Runtime, String> {
    // `ort` asserts on a few malformed-library conditions; a panic must not reach the harness.
    let r = std::panic::catch_unwind(|| -> Result<Runtime, String> {
        let builder =
            ort::init_from(path).map_err(|e| format!("loading {}: {e}", path.display()))?;
        let env = builder.with_name("edgebench").build().map_err(|e| {
            format!(
                "creating the ONNX Runtime environment from {}: {e}",
                path.display()
            )
        })?;
        Ok(Runtime {
            path: path.to_path_buf(),
            env,
            build_info: ort::info().to_string(),
        })
    });
    match r {
        Ok(r) => r,
        Err(_) => Err(format!(
            "loading {} panicked inside `ort` (is it an ONNX Runtime library of version 1.2x or later?)",
            path.display()
        )),
    }
}

/// The version the loaded library reports (`1.32.0`), else the one in its file name.
pub(crate) fn version(rt: &Runtime) -> String {
    crate::ffi::version(&rt.path).unwrap_or_else(|_| {
        rt.path
            .file_name()
            .and_then(|n| n.to_str())
            .and_then(|n| n.strip_prefix("libonnxruntime.so."))
            .unwrap_or("unknown")
            .to_string()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn missing_env_path_is_unavailable_with_the_fix() {
        let e = locate(Some("/nonexistent/libonnxruntime.so.1.32.0"), &[]).unwrap_err();
        assert_eq!(e.kind(), "unavailable");
        let msg = e.to_string();
        assert!(msg.contains("ORT_DYLIB_PATH"), "{msg}");
        assert!(msg.contains("bash scripts/setup-onnxruntime.sh"), "{msg}");
    }

    #[test]
    fn finds_the_repo_local_library_from_a_subdirectory() {
        let tmp = tempfile::tempdir().unwrap();
        let lib = tmp.path().join(".onnxruntime/lib");
        std::fs::create_dir_all(&lib).unwrap();
        std::fs::write(lib.join("libonnxruntime.so.1.32.0"), b"").unwrap();
        std::fs::write(lib.join("libonnxruntime_providers_shared.so"), b"").unwrap();
        let exe_dir = tmp.path().join("target/release");
        std::fs::create_dir_all(&exe_dir).unwrap();
        let found = locate(None, &[PathBuf::from("/nonexistent"), exe_dir]).unwrap();
        assert_eq!(found, lib.join("libonnxruntime.so.1.32.0"));
        let none = locate(None, &[PathBuf::from("/nonexistent")]).unwrap_err();
        assert!(none.to_string().contains("setup-onnxruntime.sh"));
    }
}
