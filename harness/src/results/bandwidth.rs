//! [`Bandwidth`]: the memory read bandwidth of this machine as a curve over buffer sizes and
//! thread counts. A point's roofline is the bandwidth at its working set (the weight bytes a
//! decode step reads) and thread count: decode tokens/s cannot exceed that ÷ the working set.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Bandwidth {
    /// One thread at the largest buffer (DRAM); best of several passes.
    pub read_1t_bytes_per_s: f64,
    /// All logical cores reading disjoint slices of the largest buffer.
    pub read_all_bytes_per_s: f64,
    pub threads_all: usize,
    /// The largest buffer measured.
    pub buffer_bytes: usize,
    /// Size of the largest CPU cache (sysfs `cache/index*/size` of cpu0), if known. For
    /// information: the curve shows where reads really leave the caches (on a VM or a chiplet
    /// CPU that is often far from this number).
    #[serde(default)]
    pub last_level_cache_bytes: Option<u64>,
    /// Read bandwidth per (buffer size, thread count), sizes ascending within a thread count.
    /// Empty in reports written before the curve existed.
    #[serde(default)]
    pub curve: Vec<BandwidthPoint>,
    /// When the curve was measured (RFC 3339); a cached curve keeps its original time.
    #[serde(default)]
    pub measured_utc: Option<String>,
    /// Wall time the measurement took.
    #[serde(default)]
    pub measure_s: Option<f64>,
    /// Read from the per-machine cache instead of measured in this process.
    #[serde(default)]
    pub cached: bool,
    /// The cache file used or written, or why there is none.
    #[serde(default)]
    pub cache_note: Option<String>,
    /// The read loop used (`avx512`, `avx2`, `neon`, `scalar`).
    #[serde(default)]
    pub kernel: Option<String>,
}

/// One measured point of the curve: `threads` threads each re-reading `bytes / threads` of a
/// `bytes`-sized buffer, as decode re-reads the same weights every token.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct BandwidthPoint {
    pub bytes: u64,
    pub threads: usize,
    pub read_bytes_per_s: f64,
}

impl Bandwidth {
    /// The DRAM bandwidth a point with `threads` compute threads can draw on (the one number
    /// of reports without a curve).
    pub fn for_threads(&self, threads: usize) -> f64 {
        if threads <= 1 {
            self.read_1t_bytes_per_s
        } else {
            self.read_all_bytes_per_s.max(self.read_1t_bytes_per_s)
        }
    }

    /// Thread counts the curve has, ascending.
    pub fn thread_counts(&self) -> Vec<usize> {
        let mut t: Vec<usize> = self.curve.iter().map(|p| p.threads).collect();
        t.sort_unstable();
        t.dedup();
        t
    }

    /// The curve of one thread count, sizes ascending.
    pub fn curve_for(&self, threads: usize) -> Vec<BandwidthPoint> {
        let mut c: Vec<BandwidthPoint> = self
            .curve
            .iter()
            .filter(|p| p.threads == threads && p.bytes > 0)
            .copied()
            .collect();
        c.sort_by_key(|p| p.bytes);
        c
    }

    /// Read bandwidth at a working set of `working_set_bytes` read by `threads` threads;
    /// `None` without a curve.
    ///
    /// An upper bound by construction, since it is a ceiling. Uses the curve of `threads`, else
    /// of the smallest measured count above it, else of the largest, and never less than a
    /// curve of fewer threads (more threads never read slower). Within a curve it takes the
    /// upper envelope (the best bandwidth at this size or any larger one: a smaller buffer
    /// never reads slower, so a dip is noise from something else running) at the largest
    /// measured size not above the working set, clamped to the smallest size below it. It
    /// does not interpolate between measured sizes: bandwidth falls off a cache-capacity cliff
    /// flat-then-steep, so a straight line on a log-size axis undershoots just below the
    /// cliff (ONNX Runtime f32 read a 60.8 MB working set at 20.9 GB/s where a line between
    /// the 45 MiB and 64 MiB points gave 20.7); monotonicity guarantees only the bound at the
    /// next smaller measured size, at most a √2 step away.
    pub fn at(&self, working_set_bytes: u64, threads: usize) -> Option<f64> {
        let counts = self.thread_counts();
        let t = counts
            .iter()
            .copied()
            .find(|&c| c >= threads)
            .or(counts.last().copied())?;
        counts
            .iter()
            .filter(|&&c| c <= t)
            .filter_map(|&c| envelope_at(&self.curve_for(c), working_set_bytes))
            .reduce(f64::max)
    }
}

/// The upper envelope of one thread count's curve (sizes ascending) at the largest measured
/// size not above `bytes` (the smallest size when all are above).
fn envelope_at(curve: &[BandwidthPoint], bytes: u64) -> Option<f64> {
    let from = curve.iter().rposition(|p| p.bytes <= bytes).unwrap_or(0);
    curve
        .get(from..)?
        .iter()
        .map(|p| p.read_bytes_per_s)
        .reduce(f64::max)
}

/// The decode ceiling for a model that reads `weight_bytes` per token.
pub fn decode_ceiling_tok_s(bandwidth_bytes_per_s: f64, weight_bytes: u64) -> Option<f64> {
    (weight_bytes > 0).then(|| bandwidth_bytes_per_s / weight_bytes as f64)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn point(bytes: u64, threads: usize, gb_s: f64) -> BandwidthPoint {
        BandwidthPoint {
            bytes,
            threads,
            read_bytes_per_s: gb_s * 1e9,
        }
    }

    fn with_curve(curve: Vec<BandwidthPoint>) -> Bandwidth {
        Bandwidth {
            read_1t_bytes_per_s: 10e9,
            read_all_bytes_per_s: 18e9,
            threads_all: 4,
            buffer_bytes: 256 << 20,
            last_level_cache_bytes: None,
            curve,
            measured_utc: None,
            measure_s: None,
            cached: false,
            cache_note: None,
            kernel: None,
        }
    }

    const MB: u64 = 1 << 20;

    fn sample() -> Bandwidth {
        with_curve(vec![
            point(MB, 1, 100.0),
            point(4 * MB, 1, 40.0),
            point(16 * MB, 1, 30.0),
            point(64 * MB, 1, 10.0),
            point(MB, 4, 300.0),
            point(64 * MB, 4, 20.0),
        ])
    }

    #[test]
    fn ceiling_is_bandwidth_over_bytes() {
        assert_eq!(decode_ceiling_tok_s(20e9, 1_000_000_000), Some(20.0));
        assert_eq!(decode_ceiling_tok_s(20e9, 0), None);
    }

    #[test]
    fn at_hits_measured_points_and_bounds_from_the_next_smaller_one() {
        let b = sample();
        assert_eq!(b.at(4 * MB, 1), Some(40e9));
        // Between 1 and 4 MiB the bandwidth is somewhere in [40, 100]: 100 bounds it.
        assert_eq!(b.at(2 * MB, 1), Some(100e9));
        assert_eq!(b.at(4 * MB - 1, 1), Some(100e9));
        assert_eq!(b.at(63 * MB, 1), Some(30e9));
        assert_eq!(b.at(64 * MB, 1), Some(10e9));
    }

    #[test]
    fn at_clamps_at_both_ends() {
        let b = sample();
        assert_eq!(b.at(1024, 1), Some(100e9));
        assert_eq!(b.at(0, 1), Some(100e9));
        assert_eq!(b.at(1 << 40, 1), Some(10e9));
    }

    #[test]
    fn at_picks_the_thread_count_or_the_next_measured_one() {
        let b = sample();
        assert_eq!(b.at(64 * MB, 4), Some(20e9));
        // 2 threads were not measured: 4 threads bound them from above.
        assert_eq!(b.at(64 * MB, 2), Some(20e9));
        // More threads than measured: the largest count.
        assert_eq!(b.at(64 * MB, 8), Some(20e9));
        assert_eq!(b.at(64 * MB, 0), Some(10e9));
        assert_eq!(b.thread_counts(), vec![1, 4]);
    }

    #[test]
    fn at_uses_the_upper_envelope_over_a_noisy_dip() {
        let b = with_curve(vec![
            point(MB, 1, 100.0),
            point(2 * MB, 1, 20.0), // something else ran during this pass
            point(4 * MB, 1, 40.0),
        ]);
        assert_eq!(b.at(2 * MB, 1), Some(40e9));
    }

    #[test]
    fn more_threads_are_never_slower_than_fewer() {
        // Two threads measured while another process held the second core.
        let b = with_curve(vec![
            point(MB, 1, 100.0),
            point(64 * MB, 1, 10.0),
            point(MB, 2, 60.0),
            point(64 * MB, 2, 18.0),
        ]);
        assert_eq!(b.at(MB, 2), Some(100e9));
        assert_eq!(b.at(64 * MB, 2), Some(18e9));
        assert_eq!(b.at(MB, 1), Some(100e9));
    }

    #[test]
    fn at_is_none_without_a_curve() {
        assert_eq!(with_curve(vec![]).at(MB, 1), None);
    }

    #[test]
    fn old_reports_without_a_curve_still_load() {
        let old = r#"{"read_1t_bytes_per_s":1e10,"read_all_bytes_per_s":2e10,"threads_all":2,"buffer_bytes":268435456}"#;
        let b: Bandwidth = serde_json::from_str(old).unwrap();
        assert!(b.curve.is_empty() && !b.cached && b.measured_utc.is_none());
        assert_eq!(b.for_threads(1), 1e10);
        let again: Bandwidth = serde_json::from_str(&serde_json::to_string(&b).unwrap()).unwrap();
        assert_eq!(again, b);
        let full = sample();
        let back: Bandwidth = serde_json::from_str(&serde_json::to_string(&full).unwrap()).unwrap();
        assert_eq!(back, full);
    }
}
