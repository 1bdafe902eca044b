//! Cold loads: evict a model file from the page cache with `posix_fadvise(DONTNEED)` and check
//! with `mincore` how much of it stayed resident, so a report can say whether eviction worked.

use std::os::unix::io::AsRawFd;
use std::path::Path;

pub struct Eviction {
    pub evicted: bool,
    pub note: String,
}

/// Fraction of the file's pages resident in the page cache, if it can be measured.
fn resident_fraction(file: &std::fs::File, len: usize) -> Option<f64> {
    if len == 0 {
        return Some(0.0);
    }
    let page = 4096usize;
    // SAFETY: a read-only shared mapping of a file we hold open; unmapped before returning.
    let addr = unsafe {
        libc::mmap(
            std::ptr::null_mut(),
            len,
            libc::PROT_READ,
            libc::MAP_SHARED,
            file.as_raw_fd(),
            0,
        )
    };
    if addr == libc::MAP_FAILED {
        return None;
    }
    let pages = len.div_ceil(page);
    let mut vec = vec![0u8; pages];
    // SAFETY: `vec` holds one byte per page of the mapping, as mincore requires.
    let rc = unsafe { libc::mincore(addr, len, vec.as_mut_ptr()) };
    // SAFETY: unmapping exactly the mapping created above.
    unsafe { libc::munmap(addr, len) };
    (rc == 0).then(|| vec.iter().filter(|&&b| b & 1 == 1).count() as f64 / pages as f64)
}

/// Best-effort eviction; never fails the point, only reports.
pub fn evict(path: &Path) -> Eviction {
    let file = match std::fs::File::open(path) {
        Ok(f) => f,
        Err(e) => {
            return Eviction {
                evicted: false,
                note: format!("could not open {} to evict it: {e}", path.display()),
            }
        }
    };
    let len = file.metadata().map(|m| m.len() as usize).unwrap_or(0);
    let before = resident_fraction(&file, len);
    // SAFETY: plain syscalls on an open descriptor.
    let rc = unsafe {
        libc::fdatasync(file.as_raw_fd());
        libc::posix_fadvise(file.as_raw_fd(), 0, 0, libc::POSIX_FADV_DONTNEED)
    };
    let after = resident_fraction(&file, len);
    let pct =
        |f: Option<f64>| f.map_or_else(|| "unknown".to_string(), |v| format!("{:.0}%", v * 100.0));
    let evicted = rc == 0 && after.is_some_and(|a| a < 0.05);
    Eviction {
        evicted,
        note: format!(
            "posix_fadvise(DONTNEED) {}; resident before {}, after {}{}",
            if rc == 0 {
                "ok".to_string()
            } else {
                format!("failed (errno {rc})")
            },
            pct(before),
            pct(after),
            if evicted {
                ""
            } else {
                "; the load below may be partly warm (pages pinned by another process?)"
            }
        ),
    }
}
