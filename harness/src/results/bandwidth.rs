//! [`Bandwidth`]: the memory read bandwidth a run measured, the numerator of every point's
//! roofline (decode tokens/s cannot exceed bandwidth ÷ weight bytes read per token).

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Bandwidth {
    /// Best of several passes, one thread.
    pub read_1t_bytes_per_s: f64,
    /// Best of several passes, all logical cores reading disjoint slices.
    pub read_all_bytes_per_s: f64,
    pub threads_all: usize,
    pub buffer_bytes: usize,
    /// Size of the largest CPU cache (sysfs `cache/index*/size` of cpu0), if known. A model whose
    /// per-token bytes fit in it can legitimately beat the DRAM roofline.
    #[serde(default)]
    pub last_level_cache_bytes: Option<u64>,
}

impl Bandwidth {
    /// The bandwidth a point with `threads` compute threads can draw on.
    pub fn for_threads(&self, threads: usize) -> f64 {
        if threads <= 1 {
            self.read_1t_bytes_per_s
        } else {
            self.read_all_bytes_per_s.max(self.read_1t_bytes_per_s)
        }
    }
}

/// The decode ceiling for a model that reads `weight_bytes` per token.
pub fn decode_ceiling_tok_s(bandwidth_bytes_per_s: f64, weight_bytes: u64) -> Option<f64> {
    (weight_bytes > 0).then(|| bandwidth_bytes_per_s / weight_bytes as f64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ceiling_is_bandwidth_over_bytes() {
        assert_eq!(decode_ceiling_tok_s(20e9, 1_000_000_000), Some(20.0));
        assert_eq!(decode_ceiling_tok_s(20e9, 0), None);
    }
}
