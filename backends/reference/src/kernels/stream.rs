//! Streaming read: the wrapping sum of a slice of `u64` words, as fast as this core can load
//! them. The harness times it over buffers of many sizes to draw the memory-bandwidth curve
//! that bounds every engine's decode speed (its roofline).
//!
//! The one design decision: the loads must be at least as wide as the engines' own. An
//! L1- or L2-resident model read with 64-byte AVX-512 loads by ONNX Runtime streams 1.2-1.3×
//! faster than an 8-byte scalar loop can (measured on a Xeon: 170-190 against 130-145 GB/s
//! in L1, 100-108 against 83-92 GB/s in L2; the same from L3 and DRAM), so a ceiling measured
//! with narrow loads is not a ceiling for cache-resident points. [`widest`] therefore picks
//! the widest loads this CPU runs: `avx512` (64-byte loads, AVX-512F), `avx2` (32 bytes),
//! `neon` (4 × 16 bytes per `ld1`) or the `scalar` twin, each with four independent
//! accumulators so the loop is bound by loads, not by add latency. The sum is exact (wrapping
//! integer adds commute), so every variant returns what [`scalar`] returns; the tests check
//! that over lengths 0..=300 and unaligned starts.
//!
//! `unsafe` here: calling a `#[target_feature]` function after its runtime check, and
//! unaligned vector loads inside a slice whose length bounds every load.

/// One streaming-read implementation.
#[derive(Clone, Copy)]
pub struct StreamRead {
    /// `avx512`, `avx2`, `neon` or `scalar`.
    pub name: &'static str,
    /// Load width in bytes of one instruction (8 for the scalar twin).
    pub load_bytes: usize,
    sum: fn(&[u64]) -> u64,
}

impl StreamRead {
    /// Wrapping sum of `data` (reads every word once).
    #[inline]
    pub fn sum(&self, data: &[u64]) -> u64 {
        (self.sum)(data)
    }
}

impl std::fmt::Debug for StreamRead {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name)
    }
}

/// The scalar twin: always compiled, the oracle of the SIMD variants.
pub const SCALAR: StreamRead = StreamRead {
    name: "scalar",
    load_bytes: 8,
    sum: scalar,
};

/// Wrapping sum with four independent accumulators.
#[inline(never)]
pub fn scalar(data: &[u64]) -> u64 {
    let mut acc = [0u64; 4];
    let chunks = data.chunks_exact(4);
    let tail = chunks.remainder();
    for c in chunks {
        for (a, &x) in acc.iter_mut().zip(c) {
            *a = a.wrapping_add(x);
        }
    }
    tail.iter()
        .chain(&acc)
        .fold(0u64, |s, &x| s.wrapping_add(x))
}

/// Every variant this CPU runs, widest first; the last is always [`SCALAR`].
pub fn available() -> Vec<StreamRead> {
    let mut v = Vec::new();
    #[cfg(target_arch = "x86_64")]
    {
        if x86::avx512_detected() {
            v.push(x86::AVX512);
        }
        if x86::avx2_detected() {
            v.push(x86::AVX2);
        }
    }
    #[cfg(target_arch = "aarch64")]
    {
        if arm::detected() {
            v.push(arm::NEON);
        }
    }
    v.push(SCALAR);
    v
}

/// The widest variant this CPU runs.
pub fn widest() -> StreamRead {
    available()[0]
}

#[cfg(target_arch = "x86_64")]
mod x86 {
    use super::{scalar, StreamRead};
    use std::arch::x86_64::*;

    pub fn avx2_detected() -> bool {
        is_x86_feature_detected!("avx2")
    }

    pub fn avx512_detected() -> bool {
        is_x86_feature_detected!("avx512f")
    }

    pub const AVX2: StreamRead = StreamRead {
        name: "avx2",
        load_bytes: 32,
        sum: |d| {
            debug_assert!(avx2_detected());
            // SAFETY: this entry is handed out by `available` only after `avx2_detected`.
            unsafe { sum_avx2(d) }
        },
    };

    pub const AVX512: StreamRead = StreamRead {
        name: "avx512",
        load_bytes: 64,
        sum: |d| {
            debug_assert!(avx512_detected());
            // SAFETY: this entry is handed out by `available` only after `avx512_detected`.
            unsafe { sum_avx512(d) }
        },
    };

    #[target_feature(enable = "avx2")]
    #[inline(never)]
    fn sum_avx2(data: &[u64]) -> u64 {
        const STEP: usize = 16; // four 32-byte loads
        let blocks = data.len() / STEP;
        let p = data.as_ptr().cast::<__m256i>();
        let mut acc = [_mm256_setzero_si256(); 4];
        for i in 0..blocks {
            for (j, a) in acc.iter_mut().enumerate() {
                // SAFETY: word `(i * 4 + j) * 4 + 3` < `blocks * STEP` <= `data.len()`, so the
                // 32 bytes are inside `data`; `loadu` has no alignment requirement.
                let x = unsafe { _mm256_loadu_si256(p.add(i * 4 + j)) };
                *a = _mm256_add_epi64(*a, x);
            }
        }
        let s = _mm256_add_epi64(
            _mm256_add_epi64(acc[0], acc[1]),
            _mm256_add_epi64(acc[2], acc[3]),
        );
        let mut lanes = [0u64; 4];
        // SAFETY: `lanes` is 32 writable bytes; `storeu` has no alignment requirement.
        unsafe { _mm256_storeu_si256(lanes.as_mut_ptr().cast(), s) };
        lanes
            .iter()
            .fold(scalar(&data[blocks * STEP..]), |s, &x| s.wrapping_add(x))
    }

    #[target_feature(enable = "avx512f")]
    #[inline(never)]
    fn sum_avx512(data: &[u64]) -> u64 {
        const STEP: usize = 32; // four 64-byte loads
        let blocks = data.len() / STEP;
        let p = data.as_ptr().cast::<__m512i>();
        let mut acc = [_mm512_setzero_si512(); 4];
        for i in 0..blocks {
            for (j, a) in acc.iter_mut().enumerate() {
                // SAFETY: word `(i * 4 + j) * 8 + 7` < `blocks * STEP` <= `data.len()`, so the
                // 64 bytes are inside `data`; `loadu` has no alignment requirement.
                let x = unsafe { _mm512_loadu_si512(p.add(i * 4 + j)) };
                *a = _mm512_add_epi64(*a, x);
            }
        }
        let s = _mm512_add_epi64(
            _mm512_add_epi64(acc[0], acc[1]),
            _mm512_add_epi64(acc[2], acc[3]),
        );
        (_mm512_reduce_add_epi64(s) as u64).wrapping_add(scalar(&data[blocks * STEP..]))
    }
}

#[cfg(target_arch = "aarch64")]
mod arm {
    use super::{scalar, StreamRead};
    use std::arch::aarch64::*;

    pub fn detected() -> bool {
        std::arch::is_aarch64_feature_detected!("neon")
    }

    pub const NEON: StreamRead = StreamRead {
        name: "neon",
        load_bytes: 16,
        sum: |d| {
            debug_assert!(detected());
            // SAFETY: this entry is handed out by `available` only after `detected`.
            unsafe { sum_neon(d) }
        },
    };

    #[target_feature(enable = "neon")]
    #[inline(never)]
    fn sum_neon(data: &[u64]) -> u64 {
        const STEP: usize = 8; // one `ld1` of four 16-byte registers
        let blocks = data.len() / STEP;
        let p = data.as_ptr();
        let mut acc = [vdupq_n_u64(0); 4];
        for i in 0..blocks {
            // SAFETY: words `i * STEP .. i * STEP + 8` are inside `data` (`blocks * STEP <=
            // data.len()`); `ld1` needs only the element (8-byte) alignment a `&[u64]` has.
            let x = unsafe { vld1q_u64_x4(p.add(i * STEP)) };
            acc[0] = vaddq_u64(acc[0], x.0);
            acc[1] = vaddq_u64(acc[1], x.1);
            acc[2] = vaddq_u64(acc[2], x.2);
            acc[3] = vaddq_u64(acc[3], x.3);
        }
        let s = vaddq_u64(vaddq_u64(acc[0], acc[1]), vaddq_u64(acc[2], acc[3]));
        vaddvq_u64(s).wrapping_add(scalar(&data[blocks * STEP..]))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn scalar_sums_with_wrapping() {
        assert_eq!(scalar(&[]), 0);
        assert_eq!(scalar(&[1, 2, 3, 4, 5, 6, 7]), 28);
        assert_eq!(scalar(&[u64::MAX, 2]), 1);
    }

    #[test]
    fn widest_is_first_and_scalar_is_last() {
        let all = available();
        assert_eq!(all.last().map(|r| r.name), Some("scalar"));
        assert_eq!(widest().name, all[0].name);
        assert!(all.windows(2).all(|w| w[0].load_bytes > w[1].load_bytes));
    }

    proptest! {
        /// Every variant this CPU runs agrees with the scalar twin, whatever the length and the
        /// start (a start `skip` words into an allocation is unaligned for 32/64-byte loads).
        #[test]
        fn simd_matches_scalar(
            words in proptest::collection::vec(any::<u64>(), 0..=308),
            skip in 0usize..8,
            len in 0usize..=300,
        ) {
            let start = skip.min(words.len());
            let end = (start + len).min(words.len());
            let slice = &words[start..end];
            let want = scalar(slice);
            for r in available() {
                prop_assert_eq!(r.sum(slice), want, "{}", r.name);
            }
        }
    }
}
