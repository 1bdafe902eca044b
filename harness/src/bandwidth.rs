//! Memory read bandwidth, measured once per run: the decode-speed ceiling of any engine is
//! bandwidth ÷ bytes of weights read per token (the roofline). A result above it means the
//! model was not really read (or the clock is wrong), so the report flags it.

use serde::{Deserialize, Serialize};
use std::time::Instant;

/// Buffer much larger than any last-level cache on the boards we target.
const BUFFER_BYTES: usize = 256 << 20;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Bandwidth {
    /// Best of several passes, one thread.
    pub read_1t_bytes_per_s: f64,
    /// Best of several passes, all logical cores reading disjoint slices.
    pub read_all_bytes_per_s: f64,
    pub threads_all: usize,
    pub buffer_bytes: usize,
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

/// Sum a slice with four independent accumulators (keeps several loads in flight).
#[inline(never)]
fn read_sum(data: &[u64]) -> u64 {
    let mut acc = [0u64; 4];
    let chunks = data.chunks_exact(4);
    let tail = chunks.remainder();
    for c in chunks {
        acc[0] = acc[0].wrapping_add(c[0]);
        acc[1] = acc[1].wrapping_add(c[1]);
        acc[2] = acc[2].wrapping_add(c[2]);
        acc[3] = acc[3].wrapping_add(c[3]);
    }
    tail.iter()
        .fold(acc[0] ^ acc[1] ^ acc[2] ^ acc[3], |a, &x| a.wrapping_add(x))
}

fn pass(data: &[u64], threads: usize) -> f64 {
    let per = data.len().div_ceil(threads);
    let start = Instant::now();
    let sum: u64 = std::thread::scope(|s| {
        let handles: Vec<_> = data
            .chunks(per)
            .map(|part| s.spawn(move || read_sum(part)))
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().unwrap_or(0))
            .fold(0, u64::wrapping_add)
    });
    std::hint::black_box(sum);
    (data.len() * 8) as f64 / start.elapsed().as_secs_f64()
}

/// Measure (about half a second on a desktop, a few seconds on a Pi).
pub fn measure() -> Bandwidth {
    let words = BUFFER_BYTES / 8;
    // Distinct values so no page is the shared zero page.
    let data: Vec<u64> = (0..words as u64).collect();
    let threads_all = std::thread::available_parallelism().map_or(1, |n| n.get());
    let best = |threads: usize| (0..3).map(|_| pass(&data, threads)).fold(0.0, f64::max);
    Bandwidth {
        read_1t_bytes_per_s: best(1),
        read_all_bytes_per_s: best(threads_all),
        threads_all,
        buffer_bytes: BUFFER_BYTES,
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
    fn read_sum_covers_tails() {
        let v: Vec<u64> = (1..=7).collect();
        // acc lanes 1,2,3,4 xor-folded, then the tail 5+6+7 added.
        // Lanes hold 1, 2, 3, 4; xor-folded that is 4; then the tail 5 + 6 + 7.
        assert_eq!(read_sum(&v), 4 + 5 + 6 + 7);
        assert_eq!(read_sum(&[]), 0);
    }

    #[test]
    fn ceiling_is_bandwidth_over_bytes() {
        assert_eq!(decode_ceiling_tok_s(20e9, 1_000_000_000), Some(20.0));
        assert_eq!(decode_ceiling_tok_s(20e9, 0), None);
    }
}
