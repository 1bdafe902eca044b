//! The `onnxruntime` wheel: its sha256 against the pin, then the shared libraries taken out.
//!
//! The wheel, not the extracted library, is what is checked: its sha256 is the value PyPI
//! publishes (and pip's `--hash` checks), so a pin can be compared with pypi.org by anyone,
//! and nothing from an unchecked archive is unpacked. The cache directory only appears, by
//! rename, after the check, so a library found there needs no second hash at every start.

use super::Failure;
use crate::pins::{Pin, PINS_FILE};
use sha2::{Digest, Sha256};
use std::io::Read;
use std::path::{Path, PathBuf};

/// Where the libraries sit inside the wheel.
const CAPI: &str = "onnxruntime/capi/";

/// Libraries taken besides the main one when present (ONNX Runtime dlopens it for providers).
const EXTRA: &[&str] = &["libonnxruntime_providers_shared.so"];

/// The sha256 of a file, in lower-case hex.
pub(crate) fn sha256_file(path: &Path) -> std::io::Result<String> {
    let mut f = std::fs::File::open(path)?;
    let mut h = Sha256::new();
    let mut buf = vec![0u8; 1 << 16];
    loop {
        let n = f.read(&mut buf)?;
        if n == 0 {
            break;
        }
        h.update(&buf[..n]);
    }
    Ok(hex::encode(h.finalize()))
}

/// `Ok` when `wheel`'s sha256 is the pinned one.
pub(crate) fn verify(wheel: &Path, pin: &Pin) -> Result<(), Failure> {
    let got = sha256_file(wheel).map_err(|e| Failure {
        reason: format!("reading {}: {e}", wheel.display()),
        fix: "check the file and retry".into(),
    })?;
    if got == pin.sha256 {
        return Ok(());
    }
    Err(Failure {
        reason: format!(
            "{} has sha256 {got}, but {PINS_FILE} pins {} for {}",
            wheel.display(),
            pin.sha256,
            pin.file_name
        ),
        fix: format!(
            "check that your pip index (PIP_INDEX_URL) or EDGEBENCH_ORT_WHEEL gives PyPI's {}, or set ORT_DYLIB_PATH=/path/to/{}",
            pin.file_name,
            pin.library_name()
        ),
    })
}

/// Write the pinned library (and [`EXTRA`] ones the wheel has) from `wheel` into `dest`;
/// returns the library's path.
pub(crate) fn extract(wheel: &Path, pin: &Pin, dest: &Path) -> Result<PathBuf, Failure> {
    let bad = |what: String| Failure {
        reason: format!("unpacking {}: {what}", wheel.display()),
        fix: format!(
            "delete it and retry, or set ORT_DYLIB_PATH=/path/to/{}",
            pin.library_name()
        ),
    };
    let file = std::fs::File::open(wheel).map_err(|e| bad(e.to_string()))?;
    let mut zip = zip::ZipArchive::new(std::io::BufReader::new(file))
        .map_err(|e| bad(format!("not a zip archive ({e})")))?;
    let main = pin.library_name();
    let mut out = None;
    for name in std::iter::once(main.as_str()).chain(EXTRA.iter().copied()) {
        let entry = format!("{CAPI}{name}");
        let mut src = match zip.by_name(&entry) {
            Ok(src) => src,
            Err(zip::result::ZipError::FileNotFound) if name != main => continue,
            Err(e) => return Err(bad(format!("no {entry} ({e})"))),
        };
        let path = dest.join(name);
        let mut dst = std::fs::File::create(&path)
            .map_err(|e| bad(format!("creating {}: {e}", path.display())))?;
        std::io::copy(&mut src, &mut dst)
            .and_then(|_| dst.sync_all())
            .map_err(|e| bad(format!("writing {}: {e}", path.display())))?;
        if name == main {
            out = Some(path);
        }
    }
    out.ok_or_else(|| bad(format!("no {CAPI}{main}")))
}
