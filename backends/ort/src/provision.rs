//! Fetching the pinned ONNX Runtime library into the per-user cache, once per machine:
//! download the wheel (pip, or a local copy), check its sha256 against [`crate::pins`], take
//! the library out, and rename the finished directory into place.
//!
//! Safe when several processes provision at once: each holds an exclusive `flock` on
//! `<root>/<version>-<arch>.lock` while it works (a second one waits, then finds the library),
//! and everything is written under a temporary directory inside the cache root, so the
//! cache directory appears complete or not at all, also when a process is killed midway.

mod pip;
mod wheel;

use crate::pins::Pin;
use std::path::{Path, PathBuf};

/// Why the library could not be provided, and what to do: one line each.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Failure {
    pub reason: String,
    pub fix: String,
}

impl From<Failure> for edgebench_backend::BackendError {
    fn from(f: Failure) -> Self {
        edgebench_backend::BackendError::Unavailable {
            backend: "ort".into(),
            reason: f.reason,
            fix: f.fix,
        }
    }
}

/// The download step: put the pin's wheel into the directory (or name one elsewhere) and
/// return its path. Tests pass fakes; [`fetcher`] gives the real one.
pub(crate) type Download<'a> = &'a dyn Fn(&Pin, &Path) -> Result<PathBuf, Failure>;

/// The real download step: the local wheel when one is given, else `pip download`.
pub(crate) fn fetcher(
    wheel: Option<PathBuf>,
    pythons: Vec<std::ffi::OsString>,
) -> impl Fn(&Pin, &Path) -> Result<PathBuf, Failure> {
    move |pin, dir| match &wheel {
        Some(w) => Ok(w.clone()),
        None => pip::download(&pythons, pin, dir),
    }
}

/// The sha256 of a file (lower-case hex), for tests that make their own wheels.
#[cfg(test)]
pub(crate) fn sha256_file(path: &Path) -> std::io::Result<String> {
    wheel::sha256_file(path)
}

/// Make sure `<root>/<version>-<arch>/libonnxruntime.so.<version>` exists, downloading and
/// unpacking the pinned wheel if it does not; returns the library's path.
pub(crate) fn install(root: &Path, pin: &Pin, download: Download) -> Result<PathBuf, Failure> {
    let io = |what: &str, path: &Path, e: std::io::Error| Failure {
        reason: format!("{what} {}: {e}", path.display()),
        fix: format!(
            "set XDG_CACHE_HOME to a writable directory, or ORT_DYLIB_PATH=/path/to/{}",
            pin.library_name()
        ),
    };
    let dir = root.join(pin.dir_name());
    let lib = dir.join(pin.library_name());
    std::fs::create_dir_all(root).map_err(|e| io("creating", root, e))?;
    let lock_path = root.join(format!("{}.lock", pin.dir_name()));
    let lock = std::fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&lock_path)
        .map_err(|e| io("opening", &lock_path, e))?;
    crate::ffi::lock_exclusive(&lock).map_err(|e| io("locking", &lock_path, e))?;
    if lib.is_file() {
        return Ok(lib); // another process finished while this one waited
    }
    if dir.exists() {
        // Left incomplete by hand (only a rename ever creates it): start again.
        std::fs::remove_dir_all(&dir).map_err(|e| io("removing the incomplete", &dir, e))?;
    }
    // Temporary directories of this release that are still here were left by a killed
    // process (only the lock holder makes them).
    let prefix = format!(".fetch-{}-", pin.dir_name());
    for e in std::fs::read_dir(root).into_iter().flatten().flatten() {
        if e.file_name().to_string_lossy().starts_with(&prefix) {
            let _ = std::fs::remove_dir_all(e.path());
        }
    }
    let tmp = tempfile::Builder::new()
        .prefix(&prefix)
        .tempdir_in(root)
        .map_err(|e| io("creating a temporary directory in", root, e))?;
    let wheel = download(pin, tmp.path())?;
    wheel::verify(&wheel, pin)?;
    let stage = tmp.path().join(pin.dir_name());
    std::fs::create_dir(&stage).map_err(|e| io("creating", &stage, e))?;
    wheel::extract(&wheel, pin, &stage)?;
    let source = stage.join("SOURCE");
    std::fs::write(
        &source,
        format!(
            "onnxruntime {} from {}\nsha256 {} (pinned in {})\n",
            pin.version,
            pin.file_name,
            pin.sha256,
            crate::pins::PINS_FILE
        ),
    )
    .map_err(|e| io("writing", &source, e))?;
    std::fs::rename(&stage, &dir).map_err(|e| io("renaming into place", &dir, e))?;
    drop(lock);
    Ok(lib)
}

/// `<root>/<version>-<arch>.failed`: the last provisioning failure, for workers (which never
/// download) to report instead of a bare "not found". Removed when the library is there.
fn note_path(root: &Path, pin: &Pin) -> PathBuf {
    root.join(format!("{}.failed", pin.dir_name()))
}

/// Record `f` for later lookups (best effort: a cache that cannot be written has no note).
pub(crate) fn write_note(root: &Path, pin: &Pin, f: &Failure) {
    let _ = std::fs::create_dir_all(root);
    let _ = std::fs::write(note_path(root, pin), format!("{}\n{}\n", f.reason, f.fix));
}

/// The recorded failure, if any.
pub(crate) fn read_note(root: &Path, pin: &Pin) -> Option<Failure> {
    let text = std::fs::read_to_string(note_path(root, pin)).ok()?;
    let mut lines = text.lines();
    Some(Failure {
        reason: lines.next()?.to_string(),
        fix: lines.next()?.to_string(),
    })
}

pub(crate) fn clear_note(root: &Path, pin: &Pin) {
    let _ = std::fs::remove_file(note_path(root, pin));
}
