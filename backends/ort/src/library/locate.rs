//! Where the ONNX Runtime library comes from, in this order: `ORT_DYLIB_PATH` (explicit, and
//! an error when it names no file); a system install new enough for `ort`; the checkout's
//! `.onnxruntime/lib/` (in the current directory, the executable's directory or their
//! parents); the per-user cache that [`crate::provision`] fills. Nothing here downloads.

use crate::pins::Pin;
use crate::provision::Failure;
use std::ffi::OsString;
use std::path::{Path, PathBuf};

/// Where a library was found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Source {
    /// The `ORT_DYLIB_PATH` environment variable.
    DylibPath,
    /// A system-wide install the dynamic loader would find.
    System,
    /// `.onnxruntime/lib/` in the checkout (what older `scripts/setup-onnxruntime.sh` wrote).
    Checkout,
    /// The per-user cache (`$XDG_CACHE_HOME/edgebench/onnxruntime/<version>-<arch>/`).
    Cache,
}

impl Source {
    /// A short name for reports and `edgebench list`.
    pub fn as_str(self) -> &'static str {
        match self {
            Source::DylibPath => "ORT_DYLIB_PATH",
            Source::System => "system library",
            Source::Checkout => "checkout .onnxruntime/lib",
            Source::Cache => "per-user cache",
        }
    }
}

/// A library file and where it was found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Found {
    pub path: PathBuf,
    pub source: Source,
}

/// Everything the lookup and the provisioning read from the environment, so tests can give
/// their own.
#[derive(Debug, Clone)]
pub(crate) struct Settings {
    /// `ORT_DYLIB_PATH` (unset when empty).
    pub dylib_path: Option<PathBuf>,
    /// Where to look for a system install, in order.
    pub system_dirs: Vec<PathBuf>,
    /// Directories whose ancestors may hold `.onnxruntime/lib/`.
    pub checkout_roots: Vec<PathBuf>,
    /// `<cache>/edgebench/onnxruntime`; `None` without `XDG_CACHE_HOME` and `HOME`.
    pub cache_root: Option<PathBuf>,
    /// What to fetch on this machine; `None` on an architecture without a pinned wheel.
    pub pin: Option<Pin>,
    /// `false` when `EDGEBENCH_ORT_AUTOFETCH=0`: never download.
    pub autofetch: bool,
    /// `EDGEBENCH_ORT_WHEEL`: a local copy of the pinned wheel, used instead of pip.
    pub wheel: Option<PathBuf>,
    /// Pythons to try for `pip download`, in order.
    pub pythons: Vec<OsString>,
}

fn env_path(name: &str) -> Option<PathBuf> {
    std::env::var_os(name)
        .filter(|v| !v.is_empty())
        .map(PathBuf::from)
}

impl Settings {
    pub fn from_env() -> Settings {
        let mut checkout_roots = Vec::new();
        if let Ok(d) = std::env::current_dir() {
            checkout_roots.push(d);
        }
        if let Some(d) = std::env::current_exe()
            .ok()
            .and_then(|e| e.parent().map(Path::to_path_buf))
        {
            checkout_roots.push(d);
        }
        let autofetch = std::env::var("EDGEBENCH_ORT_AUTOFETCH").map_or(true, |v| {
            !matches!(
                v.trim().to_ascii_lowercase().as_str(),
                "0" | "false" | "no" | "off"
            )
        });
        let mut pythons: Vec<OsString> = std::env::var_os("EDGEBENCH_PYTHON")
            .filter(|v| !v.is_empty())
            .into_iter()
            .collect();
        pythons.extend(["python3".into(), "python".into()]);
        Settings {
            dylib_path: env_path("ORT_DYLIB_PATH"),
            system_dirs: super::system::default_dirs(),
            checkout_roots,
            cache_root: edgebench_backend::user_cache_dir().map(|c| c.join("onnxruntime")),
            pin: Pin::for_arch(std::env::consts::ARCH),
            autofetch,
            wheel: env_path("EDGEBENCH_ORT_WHEEL"),
            pythons,
        }
    }

    /// The cache directory of the pinned release: `<cache_root>/1.32.0-x86_64`.
    pub fn cache_dir(&self) -> Option<PathBuf> {
        Some(
            self.cache_root
                .as_ref()?
                .join(self.pin.as_ref()?.dir_name()),
        )
    }

    /// `1.32.0`, or `1.x` on an architecture without a pin (for messages).
    pub fn version(&self) -> &str {
        self.pin.as_ref().map_or("1.x", |p| p.version.as_str())
    }

    /// Settings that look only under `tmp` (`system/`, `checkout/`, `cache/`), for x86_64.
    #[cfg(test)]
    pub fn for_test(tmp: &Path) -> Settings {
        Settings {
            dylib_path: None,
            system_dirs: vec![tmp.join("system")],
            checkout_roots: vec![tmp.join("checkout/target/release")],
            cache_root: Some(tmp.join("cache")),
            pin: Pin::for_arch("x86_64"),
            autofetch: true,
            wheel: None,
            pythons: Vec::new(),
        }
    }

    /// The fix that always works: name the library explicitly.
    pub fn set_dylib_fix(&self) -> String {
        format!(
            "set ORT_DYLIB_PATH=/path/to/libonnxruntime.so.{}",
            self.version()
        )
    }
}

/// The result of a lookup.
#[derive(Debug, PartialEq)]
pub(crate) enum Lookup {
    Found(Found),
    /// Nothing usable; `ignored` says what was passed over (old or unversioned system
    /// libraries).
    Missing {
        ignored: Vec<String>,
    },
}

/// Look in every place, in order, without downloading.
pub(crate) fn locate(s: &Settings) -> Result<Lookup, Failure> {
    if let Some(p) = &s.dylib_path {
        return if p.is_file() {
            Ok(Lookup::Found(Found {
                path: p.clone(),
                source: Source::DylibPath,
            }))
        } else {
            Err(Failure {
                reason: format!("ORT_DYLIB_PATH is `{}`, which is not a file", p.display()),
                fix: format!(
                    "point ORT_DYLIB_PATH at a libonnxruntime.so, or unset it to use ONNX Runtime {} (fetched on first use)",
                    s.version()
                ),
            })
        };
    }
    let system = super::system::find(&s.system_dirs, ort::MINOR_VERSION);
    if let Some(path) = system.found {
        return Ok(Lookup::Found(Found {
            path,
            source: Source::System,
        }));
    }
    for root in &s.checkout_roots {
        for dir in root.ancestors() {
            if let Some(path) = find_in(&dir.join(".onnxruntime").join("lib")) {
                return Ok(Lookup::Found(Found {
                    path,
                    source: Source::Checkout,
                }));
            }
        }
    }
    if let (Some(dir), Some(pin)) = (s.cache_dir(), &s.pin) {
        let path = dir.join(pin.library_name());
        if path.is_file() {
            return Ok(Lookup::Found(Found {
                path,
                source: Source::Cache,
            }));
        }
    }
    Ok(Lookup::Missing {
        ignored: system.ignored,
    })
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

#[cfg(test)]
mod tests {
    use super::*;

    fn settings(tmp: &Path) -> Settings {
        Settings::for_test(tmp)
    }

    fn put(path: &Path) -> PathBuf {
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, b"").unwrap();
        path.to_path_buf()
    }

    fn found(s: &Settings) -> (Source, PathBuf) {
        match locate(s).unwrap() {
            Lookup::Found(f) => (f.source, f.path),
            Lookup::Missing { ignored } => panic!("missing; ignored {ignored:?}"),
        }
    }

    #[test]
    fn lookup_order_is_env_system_checkout_cache() {
        let tmp = tempfile::tempdir().unwrap();
        let t = tmp.path();
        let mut s = settings(t);
        assert_eq!(locate(&s).unwrap(), Lookup::Missing { ignored: vec![] });

        let cached = put(&t.join("cache/1.32.0-x86_64/libonnxruntime.so.1.32.0"));
        assert_eq!(found(&s), (Source::Cache, cached));

        let checkout = put(&t.join("checkout/.onnxruntime/lib/libonnxruntime.so.1.32.0"));
        put(&t.join("checkout/.onnxruntime/lib/libonnxruntime_providers_shared.so"));
        std::fs::create_dir_all(t.join("checkout/target/release")).unwrap();
        assert_eq!(found(&s), (Source::Checkout, checkout));

        let system = put(&t.join("system/libonnxruntime.so.1.30.1"));
        assert_eq!(found(&s), (Source::System, system.canonicalize().unwrap()));

        let explicit = put(&t.join("mine/libonnxruntime.so"));
        s.dylib_path = Some(explicit.clone());
        assert_eq!(found(&s), (Source::DylibPath, explicit));
    }

    #[test]
    fn an_old_system_library_is_passed_over_and_named() {
        let tmp = tempfile::tempdir().unwrap();
        put(&tmp.path().join("system/libonnxruntime.so.1.10.0"));
        match locate(&settings(tmp.path())).unwrap() {
            Lookup::Missing { ignored } => {
                assert_eq!(ignored.len(), 1);
                assert!(ignored[0].contains("1.10.0"), "{ignored:?}");
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn a_wrong_ort_dylib_path_is_an_error_not_a_fallback() {
        let tmp = tempfile::tempdir().unwrap();
        let mut s = settings(tmp.path());
        put(&tmp
            .path()
            .join("cache/1.32.0-x86_64/libonnxruntime.so.1.32.0"));
        s.dylib_path = Some("/nonexistent/libonnxruntime.so.1.32.0".into());
        let f = locate(&s).unwrap_err();
        assert!(
            f.reason.contains("/nonexistent/libonnxruntime.so.1.32.0"),
            "{f:?}"
        );
        assert!(f.fix.contains("ORT_DYLIB_PATH"), "{f:?}");
        assert!(!f.reason.contains('\n') && !f.fix.contains('\n'));
    }
}
