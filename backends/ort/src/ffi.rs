//! The crate's C calls, its only `unsafe`: two facts `ort` does not expose, the execution
//! providers the loaded library was built with (`GetAvailableProviders`; `ort` only has
//! per-provider checks behind cargo features) and its version string
//! (`OrtGetApiBase()->GetVersionString`); and `flock(2)`, which serialises processes that
//! provision the cache at the same time (`std`'s `File::lock` is newer than our MSRV).

use std::ffi::{c_char, c_int, CStr};
use std::os::fd::AsRawFd;
use std::path::Path;

/// Block until this process holds the exclusive `flock` on `file`; it is released when `file`
/// is closed, also when the process dies.
pub(crate) fn lock_exclusive(file: &std::fs::File) -> std::io::Result<()> {
    loop {
        // SAFETY: `file` is an open file for the whole call, so its descriptor is valid;
        // `flock` only takes the descriptor and a flag, and touches no memory of ours.
        let r = unsafe { libc::flock(file.as_raw_fd(), libc::LOCK_EX) };
        if r == 0 {
            return Ok(());
        }
        let e = std::io::Error::last_os_error();
        if e.kind() != std::io::ErrorKind::Interrupted {
            return Err(e);
        }
    }
}

/// Open the library at `path` and read its version string through
/// `OrtGetApiBase()->GetVersionString`; returns the open library (unloaded when dropped), its
/// API base and the version.
///
/// # Safety
/// `path` must be an ONNX Runtime library: any other file's initialisers and `OrtGetApiBase`
/// run in this process and may crash it (which only the probe child accepts).
unsafe fn open_api_base(
    path: &Path,
) -> Result<(libloading::Library, *const ort::sys::OrtApiBase, String), String> {
    // SAFETY: the caller vouches for `path` (see above); `OrtGetApiBase` has the C signature
    // declared here and returns a pointer to a static struct whose `GetVersionString` returns a
    // static, NUL-terminated string; `lib` outlives every use of `get` and `base` here and is
    // returned to the caller with `base`.
    unsafe {
        let lib = libloading::Library::new(path).map_err(|e| e.to_string())?;
        let base = {
            let get: libloading::Symbol<'_, unsafe extern "C" fn() -> *const ort::sys::OrtApiBase> =
                lib.get(b"OrtGetApiBase").map_err(|e| e.to_string())?;
            get()
        };
        if base.is_null() {
            return Err("OrtGetApiBase returned null".into());
        }
        let v = ((*base).GetVersionString)();
        if v.is_null() {
            return Err("GetVersionString returned null".into());
        }
        let version = CStr::from_ptr(v).to_string_lossy().into_owned();
        Ok((lib, base, version))
    }
}

/// The version the library at `path` reports, e.g. `1.32.0`. `path` is already loaded by
/// `ort`, so opening it again only takes another reference to the same mapping.
pub(crate) fn version(path: &Path) -> Result<String, String> {
    // SAFETY: `path` is the ONNX Runtime library `ort::init_from` already loaded successfully
    // (its initialisers have run).
    unsafe { open_api_base(path) }.map(|(_lib, _base, version)| version)
}

/// Provider names, e.g. `["CPUExecutionProvider"]` for the PyPI wheel.
pub(crate) fn available() -> Result<Vec<String>, String> {
    let api = ort::api();
    let mut list: *mut *mut c_char = std::ptr::null_mut();
    let mut n: c_int = 0;
    // SAFETY: `api` is the loaded library's OrtApi (the caller loaded it through
    // `library::runtime`); GetAvailableProviders writes an array of `n` NUL-terminated strings
    // that stays valid until ReleaseAvailableProviders, which is called below exactly once.
    unsafe {
        let status = (api.GetAvailableProviders)(&mut list, &mut n);
        if !status.0.is_null() {
            (api.ReleaseStatus)(status.0);
            return Err("GetAvailableProviders failed".into());
        }
        if list.is_null() {
            return Ok(Vec::new());
        }
        let names = (0..n as usize)
            .map(|i| CStr::from_ptr(*list.add(i)).to_string_lossy().into_owned())
            .collect();
        let status = (api.ReleaseAvailableProviders)(list, n);
        if !status.0.is_null() {
            (api.ReleaseStatus)(status.0);
        }
        Ok(names)
    }
}

/// Load the library at `path` into this process and ask it for its version and API table:
/// what `ort::init_from` will do. Meant for a throwaway child process ([`crate::library`]'s
/// probe), because a file that is not really ONNX Runtime can crash the process doing it.
pub(crate) fn probe_in_this_process(path: &Path) -> Result<String, String> {
    // SAFETY: not sound for an arbitrary file, and that is the point: this runs only in the
    // probe child, whose crash the parent turns into an error. For a real ONNX Runtime library
    // `base` points to a static struct whose `GetApi` returns a static table or null, and
    // `lib` keeps the library loaded while it is called.
    unsafe {
        let (lib, base, version) = open_api_base(path)?;
        if ((*base).GetApi)(ort::sys::ORT_API_VERSION).is_null() {
            return Err(format!(
                "version {version} does not provide the ONNX Runtime API {} that `ort` needs",
                ort::sys::ORT_API_VERSION
            ));
        }
        // Keep the library loaded until exit: unloading runs its destructors for nothing.
        std::mem::forget(lib);
        Ok(version)
    }
}
