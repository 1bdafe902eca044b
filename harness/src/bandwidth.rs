//! Memory read bandwidth as a curve over buffer sizes (L1 to well past the last-level cache)
//! and thread counts: the decode ceiling of a point is the bandwidth at its working set (the
//! weight bytes one token reads, re-read every token) ÷ that working set. A decode speed above
//! it means the model was not really read (or the clock is wrong), so the report flags it.
//!
//! One DRAM figure could not bound a model that fits a cache (stories15m q8_0 ran at 134% of
//! it); the curve bounds every size. The read loop is the reference engine's widest streaming
//! read ([`edgebench_reference::kernels::stream`]): loads narrower than the engines' own would
//! give ceilings that L1/L2-resident points beat. The curve is cached per machine for a day
//! (`cache`); `EDGEBENCH_BANDWIDTH=remeasure` measures it again.

mod cache;
mod curve;

use crate::results::{Bandwidth, BandwidthPoint};
use chrono::{DateTime, Utc};
use edgebench_reference::kernels::stream;
use std::fmt::Write as _;
use std::path::Path;
use std::time::Instant;

pub use cache::{Fingerprint, MAX_AGE_H};

/// Environment variable: `remeasure` ignores (and replaces) the cached curve.
pub const ENV_VAR: &str = "EDGEBENCH_BANDWIDTH";

/// Passes of at least 2 ms, best of 3 (of 2 from 128 MiB, where one read takes 10-20 ms from
/// DRAM): long enough that thread wake-ups and timer reads are noise, short enough that the
/// whole curve takes under a second per thread count.
const SETTINGS: curve::Settings = curve::Settings {
    pass_s: 0.002,
    passes: 3,
    large_passes: 2,
    large_bytes: 128 << 20,
};

/// Largest cache of cpu0 from sysfs (`32768K` → bytes).
pub fn last_level_cache_bytes() -> Option<u64> {
    let dir = std::fs::read_dir("/sys/devices/system/cpu/cpu0/cache").ok()?;
    dir.flatten()
        .filter_map(|e| std::fs::read_to_string(e.path().join("size")).ok())
        .filter_map(|s| parse_cache_size(s.trim()))
        .max()
}

fn parse_cache_size(s: &str) -> Option<u64> {
    let (num, mult) = match s.chars().last()? {
        'K' => (&s[..s.len() - 1], 1024),
        'M' => (&s[..s.len() - 1], 1024 * 1024),
        _ => (s, 1),
    };
    num.parse::<u64>().ok().map(|n| n * mult)
}

/// The largest buffer: 4 × the last-level cache, at least 256 MiB (past any board's cache)
/// and at most 512 MiB (DRAM bandwidth is flat well before; sysfs reports a whole socket's L3
/// inside a VM, 480 MiB on the development Xeon whose curve falls at ~48 MiB), and at most a
/// quarter of the available memory.
fn max_bytes(llc: Option<u64>, mem_available: Option<u64>) -> usize {
    let want = (4 * llc.unwrap_or(0)).clamp(256 << 20, 512 << 20);
    let room = mem_available.map_or(u64::MAX, |m| (m / 4).max(16 << 20));
    want.min(room) as usize
}

/// The curve of every thread count in `threads`, measured now.
fn measure_curve(read: stream::StreamRead, threads: &[usize]) -> Vec<BandwidthPoint> {
    let avail = crate::rss::read_status_kib(Path::new("/proc/meminfo"), "MemAvailable:");
    let max = max_bytes(last_level_cache_bytes(), avail.map(|k| k * 1024));
    let buf = curve::buffer(max);
    let sizes = curve::sizes(max);
    threads
        .iter()
        .flat_map(|&t| curve::measure_threads(read, &buf, &sizes, t, SETTINGS))
        .collect()
}

/// The curve for one thread and all logical cores (cached per machine for a day).
pub fn measure() -> Bandwidth {
    measure_for(&[])
}

/// The curve for one thread, all logical cores and every count in `threads` (a run passes
/// its plan's), from the per-machine cache when it is fresh and has them, else measured and
/// written there. A cache that cannot be read or written is a note in the result.
pub fn measure_for(threads: &[usize]) -> Bandwidth {
    let read = stream::widest();
    let threads_all = std::thread::available_parallelism().map_or(1, |n| n.get());
    let mut wanted: Vec<usize> = threads.iter().map(|&t| t.max(1)).collect();
    wanted.extend([1, threads_all]);
    wanted.sort_unstable();
    wanted.dedup();
    let fp = Fingerprint::this_machine(read.name);
    let dir = cache::dir_from_env();
    let setting = std::env::var(ENV_VAR).unwrap_or_default();
    let remeasure = setting == "remeasure";
    let req = Request {
        threads: wanted,
        threads_all,
        kernel: read.name,
        last_level_cache_bytes: last_level_cache_bytes(),
    };
    // A debug build's read loop is not fully optimised and measures a curve far below the
    // machine's (27 instead of 180 GB/s from L1 on the development Xeon): it may use the cache
    // but never writes it.
    let write = !cfg!(debug_assertions);
    let mut bw = obtain(
        &req,
        dir.as_deref(),
        &fp,
        remeasure,
        write,
        Utc::now(),
        &mut |t| measure_curve(read, t),
    );
    if !remeasure && !setting.is_empty() {
        let note = bw.cache_note.take().unwrap_or_default();
        bw.cache_note = Some(format!(
            "{note}; {ENV_VAR}={setting} ignored (the one value is `remeasure`)"
        ));
    }
    bw
}

/// What a curve is wanted for.
struct Request<'a> {
    /// Sorted, distinct, each ≥ 1.
    threads: Vec<usize>,
    threads_all: usize,
    kernel: &'a str,
    last_level_cache_bytes: Option<u64>,
}

/// The cached curve if fresh and complete; else the cached one completed with the missing
/// thread counts; else a new one. Written back (if `write`) whenever something was measured.
fn obtain(
    req: &Request,
    dir: Option<&Path>,
    fp: &Fingerprint,
    remeasure: bool,
    write: bool,
    now: DateTime<Utc>,
    measure: &mut dyn FnMut(&[usize]) -> Vec<BandwidthPoint>,
) -> Bandwidth {
    let found = match dir {
        None => Err("no cache directory (neither XDG_CACHE_HOME nor HOME is set)".to_string()),
        Some(_) if remeasure => Err(format!("{ENV_VAR}=remeasure")),
        Some(d) => cache::load(d, fp, now),
    };
    let (mut bw, why) = match found {
        Ok(bw) => {
            let have = bw.thread_counts();
            let missing: Vec<usize> = req
                .threads
                .iter()
                .copied()
                .filter(|t| !have.contains(t))
                .collect();
            let path = dir.map(|d| d.join(fp.file_name()));
            let path = path
                .as_deref()
                .map_or_else(String::new, |p| p.display().to_string());
            if missing.is_empty() {
                let mut bw = bw;
                bw.cached = true;
                bw.cache_note = Some(format!("reused {path}"));
                return bw;
            }
            let t0 = Instant::now();
            let mut bw = bw;
            bw.curve.extend(measure(&missing));
            bw.measure_s = Some(t0.elapsed().as_secs_f64());
            let why = format!("reused {path}, measured {missing:?} threads now");
            (bw, why)
        }
        Err(why) => {
            let t0 = Instant::now();
            let curve = measure(&req.threads);
            let bw = Bandwidth {
                read_1t_bytes_per_s: 0.0,
                read_all_bytes_per_s: 0.0,
                threads_all: req.threads_all,
                buffer_bytes: 0,
                last_level_cache_bytes: req.last_level_cache_bytes,
                curve,
                measured_utc: Some(now.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)),
                measure_s: Some(t0.elapsed().as_secs_f64()),
                cached: false,
                cache_note: None,
                kernel: Some(req.kernel.to_string()),
            };
            (bw, format!("measured ({why})"))
        }
    };
    bw.curve.sort_by_key(|p| (p.threads, p.bytes));
    summarize(&mut bw);
    let stored = match dir {
        Some(_) if !write => Err("not written by a debug build".into()),
        Some(d) => cache::store(d, fp, &bw).map(|p| format!("written to {}", p.display())),
        None => Err("not cached".into()),
    };
    bw.cache_note = Some(match stored {
        Ok(w) | Err(w) => format!("{why}; {w}"),
    });
    bw
}

/// The single-number fields (largest buffer, one thread and all cores) from the curve.
fn summarize(bw: &mut Bandwidth) {
    let last = |bw: &Bandwidth, t: usize| bw.curve_for(t).last().copied();
    if let Some(p) = last(bw, 1) {
        bw.read_1t_bytes_per_s = p.read_bytes_per_s;
        bw.buffer_bytes = p.bytes as usize;
    }
    let all = bw
        .thread_counts()
        .into_iter()
        .filter(|&t| t <= bw.threads_all)
        .max()
        .unwrap_or(1);
    if let Some(p) = last(bw, all) {
        bw.read_all_bytes_per_s = p.read_bytes_per_s;
    }
}

/// `16 KiB`, `1.4 MiB`, `512 MiB`.
fn size_text(bytes: u64) -> String {
    let (v, unit) = match bytes {
        b if b >= 1 << 30 => (b as f64 / f64::from(1u32 << 30), "GiB"),
        b if b >= 1 << 20 => (b as f64 / f64::from(1u32 << 20), "MiB"),
        b => (b as f64 / 1024.0, "KiB"),
    };
    if (v - v.round()).abs() < 0.05 {
        format!("{v:.0} {unit}")
    } else {
        format!("{v:.1} {unit}")
    }
}

/// The curve as a small text table: buffer size, then GB/s per thread count.
pub fn render_curve(bw: &Bandwidth) -> String {
    let mut s = String::new();
    let how = [
        bw.kernel.as_deref().map(|k| format!("{k} loads")),
        bw.measured_utc.as_deref().map(|t| format!("measured {t}")),
        bw.measure_s.map(|d| format!("in {d:.1} s")),
        bw.cached.then(|| "cached".to_string()),
    ];
    let how: Vec<String> = how.into_iter().flatten().collect();
    let _ = writeln!(s, "Memory read bandwidth, GB/s ({})", how.join(", "));
    let counts = bw.thread_counts();
    if counts.is_empty() {
        let _ = writeln!(
            s,
            "  no curve: {:.1} GB/s on 1 thread, {:.1} GB/s on {} threads ({} buffer)",
            bw.read_1t_bytes_per_s / 1e9,
            bw.read_all_bytes_per_s / 1e9,
            bw.threads_all,
            size_text(bw.buffer_bytes as u64)
        );
        return s;
    }
    let _ = write!(s, "{:>10}", "size");
    for &t in &counts {
        let head = if t == 1 {
            "1 thread".into()
        } else {
            format!("{t} threads")
        };
        let _ = write!(s, " {head:>10}");
    }
    s.push('\n');
    let mut sizes: Vec<u64> = bw.curve.iter().map(|p| p.bytes).collect();
    sizes.sort_unstable();
    sizes.dedup();
    for b in sizes {
        let _ = write!(s, "{:>10}", size_text(b));
        for &t in &counts {
            let v = bw
                .curve
                .iter()
                .find(|p| p.threads == t && p.bytes == b)
                .map_or_else(
                    || "-".into(),
                    |p| format!("{:.1}", p.read_bytes_per_s / 1e9),
                );
            let _ = write!(s, " {v:>10}");
        }
        s.push('\n');
    }
    if let Some(llc) = bw.last_level_cache_bytes {
        let _ = writeln!(s, "  (last-level cache per sysfs: {})", size_text(llc));
    }
    if let Some(n) = &bw.cache_note {
        let _ = writeln!(s, "  (cache: {n})");
    }
    s
}

#[cfg(test)]
mod tests;
