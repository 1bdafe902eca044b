//! The per-machine cache of the bandwidth curve: one JSON file per machine fingerprint in
//! `$XDG_CACHE_HOME/edgebench/` (else `~/.cache/edgebench/`), reused while younger than
//! [`MAX_AGE_H`] hours. The curve is a property of the machine, not of a run, and measuring it
//! well takes a second or two; a day is short enough that a changed BIOS setting, kernel or
//! neighbour load shows up soon, and `EDGEBENCH_BANDWIDTH=remeasure` forces a fresh one.

use crate::results::Bandwidth;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::path::{Path, PathBuf};

/// A cached curve older than this is measured again.
pub const MAX_AGE_H: i64 = 24;

/// Bumped when the way the curve is measured changes, so older files are not reused (2:
/// debug builds stopped writing their slow curves; 3: three passes up to 128 MiB, not 64).
const METHOD: u32 = 3;

/// What must not change for a cached curve to still describe this machine.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Fingerprint {
    pub cpu_model: Option<String>,
    pub logical_cores: usize,
    pub kernel_release: Option<String>,
    pub mem_total_bytes: Option<u64>,
    pub arch: String,
    /// The read loop (`avx512`, ...): a build that reads wider measures a different curve.
    pub read_kernel: String,
    pub method: u32,
}

impl Fingerprint {
    pub fn this_machine(read_kernel: &str) -> Fingerprint {
        let cpuinfo = std::fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
        let cpu_model = cpuinfo.lines().find_map(|l| {
            let (k, v) = l.split_once(':')?;
            ["model name", "Hardware", "Model", "cpu model"]
                .contains(&k.trim())
                .then(|| v.trim().to_string())
        });
        Fingerprint {
            cpu_model,
            logical_cores: std::thread::available_parallelism().map_or(1, |n| n.get()),
            kernel_release: crate::sys::uname()
                .and_then(|(_, r)| r.split_whitespace().next().map(str::to_string)),
            mem_total_bytes: crate::rss::read_status_kib(Path::new("/proc/meminfo"), "MemTotal:")
                .map(|k| k * 1024),
            arch: std::env::consts::ARCH.to_string(),
            read_kernel: read_kernel.to_string(),
            method: METHOD,
        }
    }

    /// `bandwidth-<16 hex digits of the fingerprint's sha256>.json`.
    pub fn file_name(&self) -> String {
        let json = serde_json::to_string(self).unwrap_or_default();
        let hash = hex::encode(Sha256::digest(json.as_bytes()));
        format!("bandwidth-{}.json", &hash[..16])
    }
}

#[derive(Serialize, Deserialize)]
struct CacheFile {
    fingerprint: Fingerprint,
    bandwidth: Bandwidth,
}

/// The per-user cache ([`edgebench_backend::user_cache_dir`]).
pub fn dir_from_env() -> Option<PathBuf> {
    edgebench_backend::user_cache_dir()
}

/// Whether a curve measured at `measured_utc` may still be used at `now` (a time in the future
/// beyond a few minutes of clock skew means the clock moved: not fresh).
pub fn is_fresh(measured_utc: Option<&str>, now: DateTime<Utc>) -> bool {
    let Some(t) = measured_utc.and_then(|s| DateTime::parse_from_rfc3339(s).ok()) else {
        return false;
    };
    let age = now.signed_duration_since(t.with_timezone(&Utc));
    age >= -chrono::Duration::minutes(5) && age < chrono::Duration::hours(MAX_AGE_H)
}

/// The cached curve for `fp` in `dir` if there is a fresh one, else why not.
pub fn load(dir: &Path, fp: &Fingerprint, now: DateTime<Utc>) -> Result<Bandwidth, String> {
    let path = dir.join(fp.file_name());
    let text = match std::fs::read_to_string(&path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            return Err(format!("no cached curve at {}", path.display()))
        }
        Err(e) => return Err(format!("cannot read {}: {e}", path.display())),
    };
    let file: CacheFile = serde_json::from_str(&text)
        .map_err(|e| format!("cached curve {} unreadable: {e}", path.display()))?;
    if file.fingerprint != *fp {
        return Err(format!(
            "cached curve {} is for another machine",
            path.display()
        ));
    }
    if !is_fresh(file.bandwidth.measured_utc.as_deref(), now) {
        return Err(format!(
            "cached curve {} is older than {MAX_AGE_H} h",
            path.display()
        ));
    }
    Ok(file.bandwidth)
}

/// Write the curve for `fp` into `dir` (whole file or nothing: a temporary file renamed).
pub fn store(dir: &Path, fp: &Fingerprint, bw: &Bandwidth) -> Result<PathBuf, String> {
    let path = dir.join(fp.file_name());
    let fail = |e: &dyn std::fmt::Display| format!("could not write {}: {e}", path.display());
    std::fs::create_dir_all(dir).map_err(|e| fail(&e))?;
    let mut bw = bw.clone();
    bw.cached = false;
    bw.cache_note = None;
    let file = CacheFile {
        fingerprint: fp.clone(),
        bandwidth: bw,
    };
    let tmp = tempfile::NamedTempFile::new_in(dir).map_err(|e| fail(&e))?;
    serde_json::to_writer_pretty(tmp.as_file(), &file).map_err(|e| fail(&e))?;
    tmp.persist(&path).map_err(|e| fail(&e.error))?;
    Ok(path)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fp() -> Fingerprint {
        Fingerprint {
            cpu_model: Some("Test CPU".into()),
            logical_cores: 4,
            kernel_release: Some("6.1.0".into()),
            mem_total_bytes: Some(8 << 30),
            arch: "x86_64".into(),
            read_kernel: "avx2".into(),
            method: METHOD,
        }
    }

    #[test]
    fn freshness_is_a_day_and_not_the_future() {
        let now = DateTime::parse_from_rfc3339("2026-05-02T12:00:00Z")
            .unwrap()
            .with_timezone(&Utc);
        assert!(is_fresh(Some("2026-05-02T11:00:00Z"), now));
        assert!(is_fresh(Some("2026-05-01T12:00:01Z"), now));
        assert!(!is_fresh(Some("2026-05-01T11:59:59Z"), now));
        assert!(is_fresh(Some("2026-05-02T12:04:00Z"), now));
        assert!(!is_fresh(Some("2026-05-02T13:00:00Z"), now));
        assert!(!is_fresh(Some("yesterday"), now));
        assert!(!is_fresh(None, now));
    }

    #[test]
    fn file_name_depends_on_every_field() {
        let a = fp();
        let mut b = fp();
        b.logical_cores = 8;
        assert_ne!(a.file_name(), b.file_name());
        assert!(a.file_name().starts_with("bandwidth-") && a.file_name().ends_with(".json"));
        assert_eq!(a.file_name(), fp().file_name());
    }

    #[test]
    fn another_machines_file_is_not_used() {
        let dir = tempfile::tempdir().unwrap();
        let now = Utc::now();
        let mut other = fp();
        other.cpu_model = Some("Other".into());
        // Same file name as `fp()` would use, other fingerprint inside.
        let bw: Bandwidth = serde_json::from_str(&format!(
            r#"{{"read_1t_bytes_per_s":1e10,"read_all_bytes_per_s":1e10,"threads_all":4,"buffer_bytes":1,"measured_utc":"{}"}}"#,
            now.to_rfc3339()
        ))
        .unwrap();
        let text = serde_json::to_string(&CacheFile {
            fingerprint: other,
            bandwidth: bw,
        })
        .unwrap();
        std::fs::write(dir.path().join(fp().file_name()), text).unwrap();
        let err = load(dir.path(), &fp(), now).unwrap_err();
        assert!(err.contains("another machine"), "{err}");
    }
}
