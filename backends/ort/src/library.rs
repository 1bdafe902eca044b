//! Finding, fetching and loading the ONNX Runtime shared library.
//!
//! The library is never linked at build time (`ort`'s `load-dynamic`). [`locate`] says where
//! it is looked for; when it is nowhere, [`ensure`] fetches the pinned release from PyPI into
//! the per-user cache ([`crate::provision`]). Only [`ensure`] downloads, and the harness calls
//! it once per run in the parent process, before the first `ort` point; workers and
//! [`status`] (`edgebench list`) only look. The file is checked before `ort` sees it, because
//! `ort` can load only one library per process and its own errors do not say how to fix them.
//! A process that registered a prober ([`set_prober`]; the harness does, for `list`, runs and
//! workers) loads a library only after a child process loaded it ([`probe`]): a fake
//! `libonnxruntime.so` then fails with a one-line reason instead of crashing the process.

mod locate;
mod probe;
mod system;

pub use locate::{Found, Source};
pub use probe::{probe_main, set_prober};

use crate::pins::Pin;
use crate::provision::{self, Download, Failure};
use edgebench_backend::BackendError;
use locate::{locate, Lookup, Settings};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::{Mutex, OnceLock};

/// Find the library, fetching the pinned release into the per-user cache when it is nowhere
/// (unless `EDGEBENCH_ORT_AUTOFETCH=0`). Prints one progress line to stderr while fetching.
/// Runs once per process: later calls return the first call's answer.
pub fn ensure() -> Result<Found, BackendError> {
    static DONE: Mutex<Option<Result<Found, Failure>>> = Mutex::new(None);
    let mut done = DONE.lock().unwrap_or_else(|e| e.into_inner());
    let result = done.get_or_insert_with(|| {
        let s = Settings::from_env();
        let download = provision::fetcher(s.wheel.clone(), s.pythons.clone());
        ensure_with(&s, &download, &mut std::io::stderr()).and_then(|found| probed(found, &s))
    });
    result.clone().map_err(Into::into)
}

/// Where the library would come from now, without fetching anything.
#[derive(Debug)]
pub enum Status {
    Found(Found),
    /// Nothing is installed; [`ensure`] will fetch the pinned release `from` (PyPI or a local
    /// wheel) into `into`. `ignored`: system libraries passed over, with why.
    WillFetch {
        version: String,
        from: String,
        into: PathBuf,
        ignored: Vec<String>,
    },
    /// Nothing is installed and nothing will be fetched.
    Unavailable(BackendError),
}

impl std::fmt::Display for Status {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Status::Found(found) => write!(
                f,
                "{} (from {})",
                found.path.display(),
                found.source.as_str()
            ),
            Status::WillFetch {
                version,
                from,
                into,
                ignored,
            } => {
                write!(
                    f,
                    "not present: ONNX Runtime {version} will be fetched from {from} on first use, into {}",
                    into.display()
                )?;
                ignored.iter().try_for_each(|i| write!(f, "; {i}"))
            }
            Status::Unavailable(e) => write!(f, "{e}"),
        }
    }
}

/// Where the library would come from (for `edgebench list`); never downloads.
pub fn status() -> Status {
    status_with(&Settings::from_env())
}

fn status_with(s: &Settings) -> Status {
    match locate(s) {
        Err(f) => Status::Unavailable(f.into()),
        Ok(Lookup::Found(found)) => Status::Found(found),
        Ok(Lookup::Missing { ignored }) => match fetch_plan(s) {
            Ok((root, pin)) => Status::WillFetch {
                version: pin.version.clone(),
                from: from(s),
                into: root.join(pin.dir_name()),
                ignored,
            },
            Err(f) => Status::Unavailable(f.into()),
        },
    }
}

fn from(s: &Settings) -> String {
    s.wheel
        .as_ref()
        .map_or_else(|| "PyPI".into(), |w| w.display().to_string())
}

/// The cache root and pin to fetch into and with, or why nothing can be fetched.
fn fetch_plan(s: &Settings) -> Result<(&Path, &Pin), Failure> {
    let Some(pin) = &s.pin else {
        return Err(Failure {
            reason: format!(
                "no ONNX Runtime wheel is pinned for {} (only {})",
                std::env::consts::ARCH,
                crate::pins::WHEELS
                    .iter()
                    .map(|w| w.arch)
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
            fix: "set ORT_DYLIB_PATH=/path/to/libonnxruntime.so built for this machine".into(),
        });
    };
    let Some(root) = &s.cache_root else {
        return Err(Failure {
            reason: format!(
                "ONNX Runtime {} is not installed and there is no per-user cache to fetch it into (neither XDG_CACHE_HOME nor HOME is set)",
                pin.version
            ),
            fix: format!("set XDG_CACHE_HOME or HOME, or {}", s.set_dylib_fix()),
        });
    };
    if !s.autofetch && s.wheel.is_none() {
        return Err(Failure {
            reason: format!(
                "ONNX Runtime {} is not installed and fetching it is off (EDGEBENCH_ORT_AUTOFETCH=0)",
                pin.version
            ),
            fix: format!(
                "{} (or EDGEBENCH_ORT_WHEEL=/path/to/{}), or unset EDGEBENCH_ORT_AUTOFETCH",
                s.set_dylib_fix(),
                pin.file_name
            ),
        });
    }
    Ok((root, pin))
}

/// [`ensure`] with its inputs given: the settings, the download step and where the progress
/// line goes.
pub(crate) fn ensure_with(
    s: &Settings,
    download: Download,
    progress: &mut dyn Write,
) -> Result<Found, Failure> {
    let note = |f: &Failure| {
        if let (Some(root), Some(pin)) = (&s.cache_root, &s.pin) {
            provision::write_note(root, pin, f);
        }
    };
    let clear = || {
        if let (Some(root), Some(pin)) = (&s.cache_root, &s.pin) {
            provision::clear_note(root, pin);
        }
    };
    match locate(s)? {
        Lookup::Found(found) => {
            clear();
            Ok(found)
        }
        Lookup::Missing { .. } => {
            let (root, pin) = fetch_plan(s).inspect_err(note)?;
            let _ = match &s.wheel {
                Some(w) => write!(
                    progress,
                    "edgebench: installing ONNX Runtime {} for {} from {} (one time)... ",
                    pin.version,
                    pin.arch,
                    w.display()
                ),
                None => write!(
                    progress,
                    "edgebench: fetching ONNX Runtime {} for {} from PyPI (one time, ~{} MB)... ",
                    pin.version,
                    pin.arch,
                    pin.size_bytes.div_ceil(1_000_000)
                ),
            };
            let _ = progress.flush();
            match provision::install(root, pin, download) {
                Ok(path) => {
                    let _ = writeln!(progress, "done: {}", path.display());
                    clear();
                    Ok(Found {
                        path,
                        source: Source::Cache,
                    })
                }
                Err(f) => {
                    let _ = writeln!(progress, "failed");
                    note(&f);
                    Err(f)
                }
            }
        }
    }
}

/// What the lookup found, else why not: the failure [`ensure`] recorded, or "not installed".
fn find(s: &Settings) -> Result<Found, Failure> {
    match locate(s)? {
        Lookup::Found(found) => Ok(found),
        Lookup::Missing { .. } => {
            if let (Some(root), Some(pin)) = (&s.cache_root, &s.pin) {
                if let Some(f) = provision::read_note(root, pin) {
                    return Err(f);
                }
            }
            let cache = s.cache_dir().map_or_else(
                || "the per-user cache (neither XDG_CACHE_HOME nor HOME is set)".into(),
                |d| d.display().to_string(),
            );
            Err(Failure {
                reason: format!(
                    "ONNX Runtime {} is not installed (no ORT_DYLIB_PATH, no usable system library, no .onnxruntime/lib, nothing in {cache})",
                    s.version()
                ),
                fix: format!(
                    "run `edgebench run` once with access to PyPI (it fetches the library), or {}",
                    s.set_dylib_fix()
                ),
            })
        }
    }
}

/// The loaded library and its environment (one per process).
pub(crate) struct Runtime {
    pub path: PathBuf,
    pub source: Source,
    pub env: ort::environment::Environment,
    pub build_info: String,
}

static RUNTIME: OnceLock<Runtime> = OnceLock::new();

/// Load the library the lookup finds (once per process; never downloads) and create the
/// environment. A failure is not kept, so a later call after [`ensure`] can succeed.
pub(crate) fn runtime() -> Result<&'static Runtime, BackendError> {
    static INIT: Mutex<()> = Mutex::new(());
    if let Some(rt) = RUNTIME.get() {
        return Ok(rt);
    }
    let _one_at_a_time = INIT.lock().unwrap_or_else(|e| e.into_inner());
    if let Some(rt) = RUNTIME.get() {
        return Ok(rt);
    }
    let s = Settings::from_env();
    let found = probed(find(&s)?, &s)?;
    let rt = init(&found).map_err(|reason| Failure {
        reason,
        fix: load_fix(&found, &s),
    })?;
    Ok(RUNTIME.get_or_init(|| rt))
}

/// `found`, once a probe process loaded it ([`probe`]): a broken file must not crash us.
fn probed(found: Found, s: &Settings) -> Result<Found, Failure> {
    match probe::check(&found.path) {
        Ok(()) => Ok(found),
        Err(reason) => Err(Failure {
            fix: load_fix(&found, s),
            reason,
        }),
    }
}

/// How to get past a library that is there but does not load.
fn load_fix(found: &Found, s: &Settings) -> String {
    let dir = found.path.parent().unwrap_or(Path::new("/")).display();
    match found.source {
        Source::DylibPath => format!(
            "point ORT_DYLIB_PATH at a working libonnxruntime.so (1.{} or later), or unset it",
            ort::MINOR_VERSION
        ),
        Source::System => s.set_dylib_fix(),
        Source::Checkout | Source::Cache => format!(
            "delete {dir} (the pinned release is then fetched on first use), or {}",
            s.set_dylib_fix()
        ),
    }
}

fn init(found: &Found) -> Result<Runtime, String> {
    let path = &found.path;
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
            source: found.source,
            env,
            build_info: ort::info().to_string(),
        })
    });
    match r {
        Ok(r) => r,
        Err(_) => Err(format!(
            "loading {} panicked inside `ort` (is it an ONNX Runtime library of version 1.{} or later?)",
            path.display(),
            ort::MINOR_VERSION
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
mod tests;
