//! The integer block dot products of the NEON sets in the file layout: Q8_0, Q4_0 and Q5_0
//! weights against Q8_0 activations, Q4_K and Q6_K against Q8_K. One body, stamped out by
//! [`int_kernels!`] for each set with its 4-byte dot: `plain` (`neon`: `vmull_s8` + pairwise
//! adds) and `sdot` (`neon-dotprod`: one `sdot` per 16 bytes). Both leave in lane `l` the exact
//! sum of products `4l..4l+4` of a 32-value block, the scalar twin's canonical lanes; the float
//! steps that follow are the scalar oracle's (`d_w·d_a`, multiply then add, `reduce8`), so
//! every result is bit-identical to `scalar`.
//!
//! `unsafe` here: unaligned 16-byte loads from slices whose length is asserted first.

/// The file-layout integer dots for one NEON set: `$feat` are the target features its
/// functions enable, `$dot4(acc, w, a)` adds the canonical 4-byte lanes of `w·a` to `acc`.
macro_rules! int_kernels {
    ($feat:literal, $dot4:path) => {
        use crate::kernels::neon::{f8_acc, f8_reduce, f8_zero};
        use crate::kernels::scalar::{self, batch_shape};
        use crate::quant::kquant::scale_min_k4;
        use crate::quant::{f16, q4_0, q4_k, q5_0, q6_k, q8_0, BlockQ8, BlockQ8K, QK, QK_K};
        use std::arch::aarch64::*;

        /// The 8 canonical integer lanes of 32 weight bytes times 32 activation bytes (the
        /// scalar twin's `lanes32`): lanes 0..4 and 4..8.
        #[inline]
        #[target_feature(enable = $feat)]
        fn lanes32(w: &[i8], a: &[i8]) -> (int32x4_t, int32x4_t) {
            assert!(w.len() >= 32 && a.len() >= 32);
            // SAFETY: both slices hold at least 32 bytes (asserted); vld1q has no alignment
            // needs.
            let (w0, w1, a0, a1) = unsafe {
                (
                    vld1q_s8(w.as_ptr()),
                    vld1q_s8(w.as_ptr().add(16)),
                    vld1q_s8(a.as_ptr()),
                    vld1q_s8(a.as_ptr().add(16)),
                )
            };
            let z = vdupq_n_s32(0);
            ($dot4(z, w0, a0), $dot4(z, w1, a1))
        }

        /// `out[t * rows + r] = dot(w[r], a[t])`, as `scalar::batched`.
        #[inline]
        #[target_feature(enable = $feat)]
        fn batched<A>(
            w: &[u8],
            rows: usize,
            a: &[A],
            out: &mut [f32],
            dot: impl Fn(&[u8], &[A]) -> f32,
        ) {
            let (rb, n, per) = batch_shape(w, rows, a, out);
            for t in 0..n {
                for r in 0..rows {
                    out[t * rows + r] = dot(&w[r * rb..(r + 1) * rb], &a[t * per..(t + 1) * per]);
                }
            }
        }

        /// Shared body of the Q8_0/Q4_0/Q5_0 dots: `unpack(block)` gives the 32 signed weights.
        #[inline]
        #[target_feature(enable = $feat)]
        fn dot_q8_blocks(
            w: &[u8],
            bb: usize,
            a: &[BlockQ8],
            unpack: impl Fn(&[u8]) -> [i8; QK],
        ) -> f32 {
            assert_eq!(
                w.len(),
                a.len() * bb,
                "dot: weight and activation lengths differ"
            );
            let mut acc = f8_zero();
            for (b, ab) in w.chunks_exact(bb).zip(a) {
                let d = f16::to_f32(u16::from_le_bytes([b[0], b[1]])) * ab.d;
                let (lo, hi) = lanes32(&unpack(b), &ab.qs);
                acc = f8_acc(acc, d, lo, hi);
            }
            f8_reduce(acc)
        }

        #[target_feature(enable = $feat)]
        pub(in crate::kernels) fn dot_q8_0(w: &[u8], rows: usize, a: &[BlockQ8], out: &mut [f32]) {
            batched(w, rows, a, out, |w, a| {
                dot_q8_blocks(w, q8_0::BLOCK_BYTES, a, |b| {
                    std::array::from_fn(|j| b[2 + j] as i8)
                })
            })
        }

        #[target_feature(enable = $feat)]
        pub(in crate::kernels) fn dot_q4_0(w: &[u8], rows: usize, a: &[BlockQ8], out: &mut [f32]) {
            batched(w, rows, a, out, |w, a| {
                dot_q8_blocks(w, q4_0::BLOCK_BYTES, a, |b| {
                    std::array::from_fn(|j| {
                        let byte = b[2 + j % 16];
                        (if j < 16 { byte & 0x0f } else { byte >> 4 }) as i8 - 8
                    })
                })
            })
        }

        #[target_feature(enable = $feat)]
        pub(in crate::kernels) fn dot_q5_0(w: &[u8], rows: usize, a: &[BlockQ8], out: &mut [f32]) {
            batched(w, rows, a, out, |w, a| {
                dot_q8_blocks(w, q5_0::BLOCK_BYTES, a, q5_0::unpack)
            })
        }

        #[target_feature(enable = $feat)]
        pub(in crate::kernels) fn dot_q4_k(w: &[u8], rows: usize, a: &[BlockQ8K], out: &mut [f32]) {
            batched(w, rows, a, out, |w, a| dot_q4_k_row(w, a))
        }

        #[target_feature(enable = $feat)]
        pub(in crate::kernels) fn dot_q6_k(w: &[u8], rows: usize, a: &[BlockQ8K], out: &mut [f32]) {
            batched(w, rows, a, out, |w, a| dot_q6_k_row(w, a))
        }

        /// One Q4_K row: `scalar::dot_q4_k` with its 8 integer lanes in two registers.
        #[target_feature(enable = $feat)]
        fn dot_q4_k_row(w: &[u8], a: &[BlockQ8K]) -> f32 {
            assert_eq!(
                w.len(),
                a.len() * q4_k::BLOCK_BYTES,
                "dot_q4_k: lengths differ"
            );
            let (mut acc, mut accm) = (f8_zero(), [0f32; 4]);
            for (b, ab) in w.chunks_exact(q4_k::BLOCK_BYTES).zip(a) {
                let d = f16::to_f32(u16::from_le_bytes([b[0], b[1]])) * ab.d;
                let dmin = f16::to_f32(u16::from_le_bytes([b[2], b[3]])) * ab.d;
                let (sc, q) = (&b[4..16], &b[16..]);
                let (mut slo, mut shi) = (vdupq_n_s32(0), vdupq_n_s32(0));
                let mut mins = [0i32; 8];
                for c in 0..QK_K / 64 {
                    let (s1, m1) = scale_min_k4(2 * c, sc);
                    let (s2, m2) = scale_min_k4(2 * c + 1, sc);
                    mins[2 * c] = i32::from(m1);
                    mins[2 * c + 1] = i32::from(m2);
                    let qc = &q[32 * c..32 * c + 32];
                    let lo: [i8; 32] = std::array::from_fn(|i| (qc[i] & 0x0f) as i8);
                    let hi: [i8; 32] = std::array::from_fn(|i| (qc[i] >> 4) as i8);
                    let (l0, l1) = lanes32(&lo, &ab.qs[64 * c..]);
                    let (h0, h1) = lanes32(&hi, &ab.qs[64 * c + 32..]);
                    let (s1, s2) = (i32::from(s1), i32::from(s2));
                    slo = vmlaq_n_s32(vmlaq_n_s32(slo, l0, s1), h0, s2);
                    shi = vmlaq_n_s32(vmlaq_n_s32(shi, l1, s1), h1, s2);
                }
                let bs = |j: usize| i32::from(ab.bsums[2 * j]) + i32::from(ab.bsums[2 * j + 1]);
                for (i, m) in accm.iter_mut().enumerate() {
                    let prod = mins[2 * i] * bs(2 * i) + mins[2 * i + 1] * bs(2 * i + 1);
                    *m += -dmin * prod as f32;
                }
                acc = f8_acc(acc, d, slo, shi);
            }
            f8_reduce(acc) + scalar::reduce4(accm)
        }

        /// One Q6_K row: `scalar::dot_q6_k`, lanes 0..4 taking a group's first 16-value scale
        /// and lanes 4..8 its second.
        #[target_feature(enable = $feat)]
        fn dot_q6_k_row(w: &[u8], a: &[BlockQ8K]) -> f32 {
            assert_eq!(
                w.len(),
                a.len() * q6_k::BLOCK_BYTES,
                "dot_q6_k: lengths differ"
            );
            let mut acc = f8_zero();
            for (b, ab) in w.chunks_exact(q6_k::BLOCK_BYTES).zip(a) {
                let d = f16::to_f32(u16::from_le_bytes([b[208], b[209]])) * ab.d;
                let q = q6_k::unpack(b);
                let (mut slo, mut shi) = (vdupq_n_s32(0), vdupq_n_s32(0));
                for g in 0..QK_K / 32 {
                    let (l0, l1) = lanes32(&q[32 * g..], &ab.qs[32 * g..]);
                    let (s0, s1) = (
                        i32::from(b[192 + 2 * g] as i8),
                        i32::from(b[193 + 2 * g] as i8),
                    );
                    slo = vmlaq_n_s32(slo, l0, s0);
                    shi = vmlaq_n_s32(shi, l1, s1);
                }
                acc = f8_acc(acc, d, slo, shi);
            }
            f8_reduce(acc)
        }
    };
}

/// The `neon` set's versions (ARMv8.0).
pub(super) mod plain {
    int_kernels!("neon", crate::kernels::neon::dot4_neon);
}

/// The `neon-dotprod` set's versions (`sdot`).
pub(super) mod sdot {
    int_kernels!("neon,dotprod", crate::kernels::neon::dot4_sdot);
}
