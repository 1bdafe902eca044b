//! Cold loads: evict a model file from the page cache with `posix_fadvise(DONTNEED)` and check
//! with `mincore` how much of it stayed resident, so a report can say whether eviction worked.

use crate::sys::{evict_from_page_cache, resident_fraction};
use std::path::Path;

pub struct Eviction {
    pub evicted: bool,
    pub note: String,
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
    let rc = evict_from_page_cache(&file);
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
