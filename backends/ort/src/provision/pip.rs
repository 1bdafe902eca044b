//! Downloading the pinned wheel with `pip download`: PyPI is the one place the library can be
//! fetched from here, and pip brings the user's index, mirror, proxy and certificate settings.
//! Nothing is installed into any Python; pip only saves the file into a directory of ours.

use super::Failure;
use crate::pins::Pin;
use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

/// The first of `pythons` that can run `-m pip`.
fn find_pip(pythons: &[OsString]) -> Option<&OsString> {
    pythons.iter().find(|py| {
        Command::new(py)
            .args(["-m", "pip", "--version"])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|s| s.success())
    })
}

/// Download `pin`'s wheel into `dir` with the first of `pythons` that has pip; returns its
/// path (not yet checked).
pub(crate) fn download(pythons: &[OsString], pin: &Pin, dir: &Path) -> Result<PathBuf, Failure> {
    let explicit = format!("set ORT_DYLIB_PATH=/path/to/{}", pin.library_name());
    let Some(py) = find_pip(pythons) else {
        let tried: Vec<String> = pythons
            .iter()
            .map(|p| p.to_string_lossy().into_owned())
            .collect();
        return Err(Failure {
            reason: format!(
                "no Python with pip to download ONNX Runtime {} (tried {})",
                pin.version,
                tried.join(", ")
            ),
            fix: format!("install pip (Debian: apt-get install python3-pip), or {explicit}"),
        });
    };
    let out = Command::new(py)
        .args(["-m", "pip", "download", "--no-deps", "--only-binary=:all:"])
        .args(["--platform", &pin.platform])
        .args(["--python-version", &pin.python_version])
        .args(["--implementation", "cp"])
        .args([
            "--disable-pip-version-check",
            "--no-input",
            "--progress-bar",
            "off",
        ])
        .arg("--dest")
        .arg(dir)
        .arg(format!("onnxruntime=={}", pin.version))
        .stdin(Stdio::null())
        .output()
        .map_err(|e| Failure {
            reason: format!("running {} -m pip: {e}", py.to_string_lossy()),
            fix: format!("check that Python works, or {explicit}"),
        })?;
    let wheel = dir.join(&pin.file_name);
    if out.status.success() && wheel.is_file() {
        return Ok(wheel);
    }
    let stderr = String::from_utf8_lossy(&out.stderr);
    if !out.status.success() {
        let offline = [
            "NewConnectionError",
            "Failed to establish a new connection",
            "Temporary failure in name resolution",
            "Network is unreachable",
            "ConnectTimeoutError",
            "ProxyError",
            "SSLError",
        ]
        .iter()
        .any(|m| stderr.contains(m));
        let reason = if offline {
            format!(
                "pip could not reach PyPI to download onnxruntime=={}{}",
                pin.version,
                connection_error(&stderr).map_or_else(String::new, |e| format!(" ({e})"))
            )
        } else {
            format!(
                "pip could not download onnxruntime=={} for {}: {}",
                pin.version,
                pin.platform,
                error_line(&stderr)
            )
        };
        return Err(Failure {
            reason,
            fix: format!("connect to PyPI (or set PIP_INDEX_URL to a mirror), or {explicit}"),
        });
    }
    let saved: Vec<String> = std::fs::read_dir(dir)
        .map(|d| {
            d.flatten()
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .collect()
        })
        .unwrap_or_default();
    Err(Failure {
        reason: format!(
            "pip saved [{}] instead of the pinned {}",
            saved.join(", "),
            pin.file_name
        ),
        fix: format!("check your pip index (PIP_INDEX_URL), or {explicit}"),
    })
}

/// urllib3's reason in pip's retry warnings: `[Errno -2] Name or service not known`.
fn connection_error(stderr: &str) -> Option<&str> {
    const MARK: &str = "Failed to establish a new connection: ";
    let rest = &stderr[stderr.find(MARK)? + MARK.len()..];
    let end = rest.find(['\'', '\n']).unwrap_or(rest.len());
    Some(rest[..end].trim()).filter(|e| !e.is_empty())
}

/// pip's first `ERROR:` line (else its last line), shortened to one line of reasonable length.
fn error_line(stderr: &str) -> String {
    let line = stderr
        .lines()
        .map(str::trim)
        .find(|l| l.starts_with("ERROR:"))
        .or_else(|| stderr.lines().map(str::trim).rfind(|l| !l.is_empty()))
        .unwrap_or("no output");
    let line = line.strip_prefix("ERROR:").unwrap_or(line).trim();
    match line.char_indices().nth(200) {
        Some((i, _)) => format!("{}...", &line[..i]),
        None => line.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn no_python_with_pip_is_one_line_with_the_fix() {
        let pin = Pin::for_arch("x86_64").unwrap();
        let tmp = tempfile::tempdir().unwrap();
        let f = download(&["/nonexistent/python3".into()], &pin, tmp.path()).unwrap_err();
        assert!(f.reason.contains("no Python with pip"), "{f:?}");
        assert!(f.reason.contains("/nonexistent/python3"), "{f:?}");
        assert!(f.fix.contains("apt-get install python3-pip"), "{f:?}");
        assert!(
            f.fix
                .contains("ORT_DYLIB_PATH=/path/to/libonnxruntime.so.1.32.0"),
            "{f:?}"
        );
        assert!(!format!("{}{}", f.reason, f.fix).contains('\n'));
    }

    #[test]
    fn the_first_pip_error_line_is_kept() {
        let text = "WARNING: Retrying (Retry(total=4)) after connection broken\n\
            ERROR: Could not find a version that satisfies the requirement onnxruntime==1.32.0 (from versions: none)\n\
            ERROR: No matching distribution found for onnxruntime==1.32.0\n";
        assert_eq!(
            error_line(text),
            "Could not find a version that satisfies the requirement onnxruntime==1.32.0 (from versions: none)"
        );
        assert_eq!(error_line(""), "no output");
        assert_eq!(error_line(&"x".repeat(500)).len(), 203);
    }

    #[test]
    fn the_connection_error_is_kept() {
        let text = "WARNING: Retrying (Retry(total=0)) after connection broken by 'NewConnectionError('<pip._vendor.urllib3.connection.HTTPSConnection object at 0x7f>: Failed to establish a new connection: [Errno -2] Name or service not known')': /simple/onnxruntime/\n";
        assert_eq!(
            connection_error(text),
            Some("[Errno -2] Name or service not known")
        );
        assert_eq!(connection_error("ERROR: nope"), None);
    }
}
