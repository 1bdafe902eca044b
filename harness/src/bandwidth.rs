//! Memory read bandwidth, measured once per run: the decode-speed ceiling of any engine is
//! bandwidth ÷ bytes of weights read per token (the roofline). A result above it means the
//! model was not really read (or the clock is wrong), so the report flags it.

use crate::results::Bandwidth;
use std::time::Instant;

/// Buffer much larger than any last-level cache on the boards we target.
const BUFFER_BYTES: usize = 256 << 20;

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
        last_level_cache_bytes: last_level_cache_bytes(),
    }
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
    fn cache_sizes_parse() {
        assert_eq!(parse_cache_size("32768K"), Some(32 << 20));
        assert_eq!(parse_cache_size("1M"), Some(1 << 20));
        assert_eq!(parse_cache_size("512"), Some(512));
        assert_eq!(parse_cache_size("x"), None);
    }
}
