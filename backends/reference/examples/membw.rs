//! Memory read bandwidth: `threads` threads each sum their share of a buffer far larger than
//! the last-level cache; best of 5 passes, printed as one JSON line in GB/s. The decode
//! ceiling of a model is this bandwidth divided by the bytes of weights a step reads.
//! `membw [THREADS] [MIB]` (default 1 thread, 1024 MiB).

use std::time::Instant;

fn sum(chunk: &[u64]) -> u64 {
    // Four independent accumulators so the loop is load-bound, not add-latency-bound.
    let mut acc = [0u64; 4];
    for c in chunk.chunks_exact(4) {
        for i in 0..4 {
            acc[i] = acc[i].wrapping_add(c[i]);
        }
    }
    acc.iter().fold(0, |a, &b| a.wrapping_add(b))
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let threads: usize = args
        .first()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1)
        .max(1);
    let mib: usize = args.get(1).and_then(|v| v.parse().ok()).unwrap_or(1024);
    let words = mib * (1 << 20) / 8;
    let buf: Vec<u64> = (0..words as u64).collect();
    let per = words.div_ceil(threads);
    let mut best = f64::MAX;
    let mut check = 0u64;
    for _ in 0..5 {
        let t = Instant::now();
        let total: u64 = std::thread::scope(|s| {
            let hs: Vec<_> = buf.chunks(per).map(|c| s.spawn(move || sum(c))).collect();
            hs.into_iter()
                .map(|h| h.join().unwrap())
                .fold(0, u64::wrapping_add)
        });
        best = best.min(t.elapsed().as_secs_f64());
        check = check.wrapping_add(total);
    }
    let bytes = (words * 8) as f64;
    println!(
        "{{\"threads\":{threads},\"mib\":{mib},\"read_gb_s\":{:.2},\"check\":{}}}",
        bytes / best / 1e9,
        check % 1000
    );
}
