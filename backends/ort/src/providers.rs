//! The execution providers the loaded library was built with (`GetAvailableProviders`).
//! `ort` only exposes per-provider checks behind cargo features, so this one C API call is
//! made directly; it is the crate's only `unsafe`.

use std::ffi::{c_char, c_int, CStr};

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
