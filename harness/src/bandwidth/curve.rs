//! Measuring the curve: for each thread count, a team of threads re-reads the first `size`
//! bytes of one buffer (each thread its own contiguous share, as the engines split weight rows)
//! at buffer sizes from L1 to well past the last-level cache, timing best-of-N passes long
//! enough (a few ms each) that thread wake-ups and timer reads do not count.

use crate::results::BandwidthPoint;
use edgebench_reference::kernels::stream::StreamRead;
use std::sync::{Barrier, Mutex};
use std::time::Instant;

/// The smallest buffer: inside every L1 data cache.
pub const MIN_BYTES: usize = 16 << 10;

/// How a curve is measured.
#[derive(Debug, Clone, Copy)]
pub struct Settings {
    /// A pass re-reads the buffer until it has taken at least this long.
    pub pass_s: f64,
    /// Passes per (size, threads); the fastest counts.
    pub passes: usize,
    /// Passes for buffers of at least `large_bytes`: one read of them is already a long pass,
    /// and several such sizes share the DRAM plateau, whose best the envelope takes.
    pub large_passes: usize,
    pub large_bytes: usize,
}

/// Buffer sizes: [`MIN_BYTES`] × √2ᵏ (rounded to whole KiB) up to `max_bytes`, which is the last.
pub fn sizes(max_bytes: usize) -> Vec<usize> {
    let mut v = Vec::new();
    let mut k = 0i32;
    loop {
        let s =
            ((MIN_BYTES as f64) * 2f64.powf(f64::from(k) / 2.0) / 1024.0).round() as usize * 1024;
        if s >= max_bytes {
            break;
        }
        v.push(s);
        k += 1;
    }
    v.push(max_bytes.max(MIN_BYTES));
    v
}

/// One job for the team: read `words` words `reps` times (`None`: go home).
type Job = Option<(usize, usize)>;

/// Thread `id` of `threads` reads its share of the first `words` words `reps` times.
fn read_share(read: StreamRead, buf: &[u64], words: usize, threads: usize, id: usize, reps: usize) {
    let part = &buf[id * words / threads..(id + 1) * words / threads];
    let mut acc = 0u64;
    for _ in 0..reps {
        acc = acc.wrapping_add(read.sum(std::hint::black_box(part)));
    }
    std::hint::black_box(acc);
}

/// The curve of one thread count over `sizes` (bytes, each at most `buf`'s size).
pub fn measure_threads(
    read: StreamRead,
    buf: &[u64],
    sizes: &[usize],
    threads: usize,
    s: Settings,
) -> Vec<BandwidthPoint> {
    let threads = threads.max(1);
    let job: Mutex<Job> = Mutex::new(None);
    let start = Barrier::new(threads);
    let done = Barrier::new(threads);
    let current = || *job.lock().unwrap_or_else(|e| e.into_inner());
    std::thread::scope(|scope| {
        for id in 1..threads {
            let (start, done, current) = (&start, &done, &current);
            scope.spawn(move || loop {
                start.wait();
                let Some((words, reps)) = current() else {
                    break;
                };
                read_share(read, buf, words, threads, id, reps);
                done.wait();
            });
        }
        // One timed pass: the team starts together and the clock stops when the last is done.
        let pass = |words: usize, reps: usize| {
            *job.lock().unwrap_or_else(|e| e.into_inner()) = Some((words, reps));
            let t0 = Instant::now();
            start.wait();
            read_share(read, buf, words, threads, 0, reps);
            done.wait();
            t0.elapsed().as_secs_f64()
        };
        let mut out = Vec::with_capacity(sizes.len());
        let mut reps = 1usize;
        let mut prev_bw: Option<f64> = None;
        for &bytes in sizes {
            let words = (bytes / 8).min(buf.len());
            let bytes = words * 8;
            if let Some(bw) = prev_bw {
                // Smaller buffers read faster, so this pass will take at least `pass_s`.
                reps = ((s.pass_s * bw / bytes as f64).ceil() as usize).max(1);
            }
            // The passes of one size follow each other: the later ones start with the cache as
            // the previous one left it, the steady state of decode re-reading its weights every
            // token. (Rounds over all sizes would start each with the cache flushed by the
            // largest buffers: the 8-45 MiB points fell from 28 to 19-25 GB/s here.)
            let mut best = 0.0f64;
            let mut counted = 0;
            let passes = if bytes >= s.large_bytes {
                s.large_passes
            } else {
                s.passes
            };
            while counted < passes {
                let dt = pass(words, reps);
                if dt < s.pass_s {
                    // Too short to trust; not counted. Lengthen it.
                    reps = ((reps as f64 * 1.2 * s.pass_s / dt.max(1e-9)).ceil() as usize)
                        .max(reps + 1);
                    continue;
                }
                best = best.max((bytes * reps) as f64 / dt);
                counted += 1;
            }
            prev_bw = Some(best);
            out.push(BandwidthPoint {
                bytes: bytes as u64,
                threads,
                read_bytes_per_s: best,
            });
        }
        *job.lock().unwrap_or_else(|e| e.into_inner()) = None;
        start.wait();
        out
    })
}

/// A buffer of `bytes` distinct words (so no page is the shared zero page), touched once.
pub fn buffer(bytes: usize) -> Vec<u64> {
    (0..(bytes / 8) as u64).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_step_by_root_two_and_end_at_the_maximum() {
        let s = sizes(256 << 10);
        assert_eq!(
            s,
            vec![16, 23, 32, 45, 64, 91, 128, 181, 256]
                .into_iter()
                .map(|k| k << 10)
                .collect::<Vec<usize>>()
        );
        assert_eq!(sizes(1000), vec![MIN_BYTES]);
        assert_eq!(*sizes(300 << 20).last().unwrap(), 300 << 20);
    }

    #[test]
    fn measures_every_size_for_several_threads() {
        let buf = buffer(256 << 10);
        let settings = Settings {
            pass_s: 0.000_2,
            passes: 2,
            large_passes: 1,
            large_bytes: 128 << 10,
        };
        let read = edgebench_reference::kernels::stream::SCALAR;
        for threads in [1, 3] {
            let c = measure_threads(read, &buf, &sizes(256 << 10), threads, settings);
            assert_eq!(c.len(), 9);
            assert!(c
                .iter()
                .all(|p| p.threads == threads && p.read_bytes_per_s > 1e6));
            assert_eq!(c.last().unwrap().bytes, 256 << 10);
        }
    }
}
