//! Reading sysfs attributes relative to a root directory. The root is `/` on a real board and a
//! temp dir in tests; [`sysfs_root`] is the one place that reads `EDGEBENCH_SYSFS_ROOT`, every
//! other function takes the root as a `&Path` so tests never touch the environment. Every read
//! is capped at [`MAX_ATTRIBUTE_BYTES`] and never blocks, so a file that never ends
//! (`/dev/zero`) or a FIFO planted under the root cannot grow or hang the parent.

use std::io::{self, Read};
use std::path::{Path, PathBuf};

/// The most bytes read from one attribute: sysfs serves at most a page (4 KiB) per file.
pub const MAX_ATTRIBUTE_BYTES: u64 = 4096;

/// Environment variable that replaces `/` as the root of every sysfs/dev path.
pub const SYSFS_ROOT_ENV: &str = "EDGEBENCH_SYSFS_ROOT";

/// `$EDGEBENCH_SYSFS_ROOT` if set and non-empty, else `/`.
pub fn sysfs_root() -> PathBuf {
    match std::env::var_os(SYSFS_ROOT_ENV) {
        Some(v) if !v.is_empty() => PathBuf::from(v),
        _ => PathBuf::from("/"),
    }
}

/// `root` joined with an absolute-looking path: `at(root, "/sys/class/hwmon")`.
pub fn at(root: &Path, abs: &str) -> PathBuf {
    root.join(abs.trim_start_matches('/'))
}

/// A sysfs attribute that could not be read or parsed.
#[derive(Debug, thiserror::Error)]
pub enum SysfsError {
    #[error("{path} does not exist")]
    NotFound { path: PathBuf },
    #[error("{path} is not readable (permission denied); run as root or `sudo chmod o+r {path}`")]
    PermissionDenied { path: PathBuf },
    #[error("reading {path}: {source}")]
    Io { path: PathBuf, source: io::Error },
    #[error("{path}: expected {expected}, found `{text}`")]
    Parse {
        path: PathBuf,
        expected: &'static str,
        text: String,
    },
}

impl SysfsError {
    /// Classify an I/O error on `path` (permission and absence get their own messages).
    pub fn from_io(path: &Path, err: io::Error) -> SysfsError {
        let path = path.to_path_buf();
        match err.kind() {
            io::ErrorKind::NotFound => SysfsError::NotFound { path },
            io::ErrorKind::PermissionDenied => SysfsError::PermissionDenied { path },
            _ => SysfsError::Io { path, source: err },
        }
    }
}

/// At most `cap` bytes of a file, opened without blocking (a FIFO gives what is there: nothing).
pub fn read_capped(path: &Path, cap: u64) -> io::Result<Vec<u8>> {
    let mut bytes = Vec::new();
    crate::sys::open_nonblocking(path)?
        .take(cap)
        .read_to_end(&mut bytes)?;
    Ok(bytes)
}

/// The file's text (its first [`MAX_ATTRIBUTE_BYTES`]) with surrounding whitespace removed.
pub fn read_str(path: &Path) -> Result<String, SysfsError> {
    let bytes = read_capped(path, MAX_ATTRIBUTE_BYTES).map_err(|e| SysfsError::from_io(path, e))?;
    let text = String::from_utf8(bytes).map_err(|_| SysfsError::Parse {
        path: path.to_path_buf(),
        expected: "text",
        text: "bytes that are not UTF-8".into(),
    })?;
    Ok(text
        .trim_matches(|c: char| c.is_whitespace() || c == '\0')
        .to_string())
}

/// The file's text, or `None` when it cannot be read (for optional attributes).
pub fn read_opt(path: &Path) -> Option<String> {
    read_str(path).ok()
}

/// A decimal integer attribute (sysfs numbers may be negative, e.g. battery `current_now`).
pub fn read_i64(path: &Path) -> Result<i64, SysfsError> {
    let text = read_str(path)?;
    text.parse().map_err(|_| SysfsError::Parse {
        path: path.to_path_buf(),
        expected: "a decimal integer",
        text,
    })
}

/// Entries of `dir` whose file name starts with `prefix`, sorted by their numeric suffix
/// (`hwmon2` before `hwmon10`). A missing directory gives an empty list.
pub fn entries_with_prefix(dir: &Path, prefix: &str) -> Vec<PathBuf> {
    let Ok(rd) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut found: Vec<(Vec<u64>, String, PathBuf)> = rd
        .filter_map(|e| e.ok())
        .filter_map(|e| {
            let name = e.file_name().to_string_lossy().into_owned();
            name.starts_with(prefix)
                .then(|| (natural_key(&name[prefix.len()..]), name, e.path()))
        })
        .collect();
    found.sort();
    found.into_iter().map(|(_, _, p)| p).collect()
}

/// The numbers in `s`, in order: `"1:2"` → `[1, 2]`, used to sort `intel-rapl:1:10` after `:1:2`.
fn natural_key(s: &str) -> Vec<u64> {
    s.split(|c: char| !c.is_ascii_digit())
        .filter(|p| !p.is_empty())
        .filter_map(|p| p.parse().ok())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn at_joins_absolute_paths_under_root() {
        assert_eq!(
            at(Path::new("/tmp/x"), "/sys/a"),
            PathBuf::from("/tmp/x/sys/a")
        );
        assert_eq!(at(Path::new("/"), "/sys/a"), PathBuf::from("/sys/a"));
    }

    #[test]
    fn entries_sort_numerically_and_errors_say_how_to_fix() {
        let dir = tempfile::tempdir().unwrap();
        for n in ["hwmon10", "hwmon2", "other"] {
            std::fs::create_dir(dir.path().join(n)).unwrap();
        }
        let names: Vec<_> = entries_with_prefix(dir.path(), "hwmon")
            .iter()
            .map(|p| p.file_name().unwrap().to_string_lossy().into_owned())
            .collect();
        assert_eq!(names, ["hwmon2", "hwmon10"]);
        let denied = io::Error::from(io::ErrorKind::PermissionDenied);
        let msg = SysfsError::from_io(Path::new("/sys/x/energy_uj"), denied).to_string();
        assert!(
            msg.contains("permission denied") && msg.contains("sudo chmod o+r /sys/x/energy_uj")
        );
        std::fs::write(dir.path().join("v"), "12x\n").unwrap();
        let err = read_i64(&dir.path().join("v")).unwrap_err().to_string();
        assert!(
            err.contains("expected a decimal integer, found `12x`"),
            "{err}"
        );
    }

    #[test]
    fn a_file_that_never_ends_is_read_up_to_the_cap() {
        let dir = tempfile::tempdir().unwrap();
        let zero = dir.path().join("energy_uj");
        std::os::unix::fs::symlink("/dev/zero", &zero).unwrap();
        assert_eq!(read_capped(&zero, MAX_ATTRIBUTE_BYTES).unwrap().len(), 4096);
        assert!(read_i64(&zero).is_err());
        let fifo = dir.path().join("fifo");
        assert!(std::process::Command::new("mkfifo")
            .arg(&fifo)
            .status()
            .unwrap()
            .success());
        // No writer: the non-blocking open and read return at once, with nothing.
        assert_eq!(read_opt(&fifo).as_deref(), Some(""));
    }
}
