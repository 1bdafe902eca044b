//! aarch64 NEON versions of the row-interleaved Q4_0/Q5_0/Q8_0/Q4_K/Q6_K dot products
//! ([`crate::quant::x8`]), one body stamped out by [`x8_kernels!`] for each NEON set with its
//! 4-byte dot: `plain` (`neon`: `vmull_s8` + pairwise adds) and `sdot` (`neon-dotprod`).
//!
//! A chunk of the eight-row group is 32 bytes: rows 0..4 in the first 16 (one NEON register),
//! rows 4..8 in the next; the 4-byte dot against the broadcast 4-byte activation chunk leaves
//! row r's sum in lane r (`sdot` computes exactly that), the integers of the scalar twin, and
//! the float steps (`(d_w·d_a)·sum`, multiply then add) are the twin's too, so results agree
//! with [`super::scalar_x8`] bit for bit. Q4_0, Q5_0 and Q8_0 read a group's weights once for
//! up to four activation rows (prefill), as the x86 versions do.
//!
//! `unsafe` here: unaligned loads and stores on slices whose lengths were checked by
//! `x8_shape`/`x8k_shape` or sliced to size first.

/// Calls `tile(g, t0, tn)` for each 8-row group `g` and each run `t0..t0 + tn` of up to four
/// activation rows.
#[inline(always)]
fn for_tiles(rows: usize, n: usize, mut tile: impl FnMut(usize, usize, usize)) {
    for g in 0..rows / crate::quant::x8::ROWS {
        let mut t0 = 0;
        while t0 < n {
            let tn = (n - t0).min(4);
            tile(g, t0, tn);
            t0 += tn;
        }
    }
}

/// The interleaved products for one NEON set: `$feat` are the target features its functions
/// enable, `$dot4(acc, w, a)` adds the canonical 4-byte lanes of `w·a` to `acc`.
macro_rules! x8_kernels {
    ($feat:literal, $dot4:path) => {
        use super::for_tiles;
        use crate::kernels::scalar_x8::{
            q4k_row_acc, q4k_row_sums, q6k_row_acc, x8_shape, x8k_shape, x8q6k_shape,
        };
        use crate::quant::x8::{q4k, q50, q6k, ROWS};
        use crate::quant::{f16, q4_0, q5_0, q8_0, BlockQ8, BlockQ8K, QK_K};
        use std::arch::aarch64::*;

        /// Activation bytes `at..at+4` broadcast to the four lanes.
        #[inline]
        #[target_feature(enable = $feat)]
        fn bcast4(qs: &[i8], at: usize) -> int8x16_t {
            let v = i32::from_le_bytes([
                qs[at] as u8,
                qs[at + 1] as u8,
                qs[at + 2] as u8,
                qs[at + 3] as u8,
            ]);
            vreinterpretq_s8_s32(vdupq_n_s32(v))
        }

        /// 32 quant bytes of chunk `c`: rows 0..4 and rows 4..8.
        #[inline]
        #[target_feature(enable = $feat)]
        fn load_chunk(qs: &[u8], c: usize) -> (uint8x16_t, uint8x16_t) {
            let s = &qs[32 * c..32 * (c + 1)];
            // SAFETY: `s` holds 32 readable bytes; vld1q has no alignment needs.
            unsafe { (vld1q_u8(s.as_ptr()), vld1q_u8(s.as_ptr().add(16))) }
        }

        /// The 8 f16 row scales at the start of a group block, as f32 (rows 0..4, 4..8).
        #[inline]
        #[target_feature(enable = $feat)]
        fn scales8(blk: &[u8]) -> (float32x4_t, float32x4_t) {
            let dw: [f32; ROWS] = std::array::from_fn(|r| {
                f16::to_f32(u16::from_le_bytes([blk[2 * r], blk[2 * r + 1]]))
            });
            // SAFETY: `dw` holds 8 floats.
            unsafe { (vld1q_f32(dw.as_ptr()), vld1q_f32(dw.as_ptr().add(4))) }
        }

        /// `acc + (d_w·d_a)·sum` per lane (multiply, multiply, add: the scalar twin's steps).
        #[inline]
        #[target_feature(enable = $feat)]
        fn add_scaled(
            acc: (float32x4_t, float32x4_t),
            dw: (float32x4_t, float32x4_t),
            da: f32,
            s: (int32x4_t, int32x4_t),
        ) -> (float32x4_t, float32x4_t) {
            let da = vdupq_n_f32(da);
            (
                vaddq_f32(acc.0, vmulq_f32(vmulq_f32(dw.0, da), vcvtq_f32_s32(s.0))),
                vaddq_f32(acc.1, vmulq_f32(vmulq_f32(dw.1, da), vcvtq_f32_s32(s.1))),
            )
        }

        /// Stores the `acc.len()` accumulators of a tile: row `g·8 + lane` of activation row
        /// `t0 + t`.
        #[inline]
        #[target_feature(enable = $feat)]
        fn store_tile(
            out: &mut [f32],
            rows: usize,
            g: usize,
            t0: usize,
            acc: &[(float32x4_t, float32x4_t)],
        ) {
            for (t, acc) in acc.iter().enumerate() {
                let o = &mut out[(t0 + t) * rows + g * ROWS..][..ROWS];
                // SAFETY: `o` holds 8 writable floats.
                unsafe {
                    vst1q_f32(o.as_mut_ptr(), acc.0);
                    vst1q_f32(o.as_mut_ptr().add(4), acc.1);
                }
            }
        }

        /// See [`crate::kernels::scalar_x8::dot_q4_0x8`].
        #[target_feature(enable = $feat)]
        pub(in crate::kernels) fn dot_q4_0x8(
            w: &[u8],
            rows: usize,
            a: &[BlockQ8],
            asum: &[i32],
            out: &mut [f32],
        ) {
            const BB: usize = q4_0::BLOCK_BYTES;
            let (nb, n) = x8_shape(w, rows, BB, a, asum, out);
            let gb = ROWS * BB;
            let m4 = vdupq_n_u8(0x0f);
            for_tiles(rows, n, |g, t0, tn| {
                let zero = (vdupq_n_f32(0.0), vdupq_n_f32(0.0));
                let mut acc = [zero; 4];
                for b in 0..nb {
                    let blk = &w[(g * nb + b) * gb..][..gb];
                    let dw = scales8(blk);
                    let nib = |v: uint8x16_t, hi: bool| {
                        vreinterpretq_s8_u8(if hi {
                            vshrq_n_u8::<4>(v)
                        } else {
                            vandq_u8(v, m4)
                        })
                    };
                    let chunks: [(uint8x16_t, uint8x16_t); 4] =
                        std::array::from_fn(|c| load_chunk(&blk[2 * ROWS..], c));
                    for (t, acc) in acc.iter_mut().enumerate().take(tn) {
                        let i = (t0 + t) * nb + b;
                        let (mut s0, mut s1) = (vdupq_n_s32(0), vdupq_n_s32(0));
                        for (c, &(v0, v1)) in chunks.iter().enumerate() {
                            let (al, ah) = (bcast4(&a[i].qs, 4 * c), bcast4(&a[i].qs, 16 + 4 * c));
                            s0 = $dot4($dot4(s0, nib(v0, false), al), nib(v0, true), ah);
                            s1 = $dot4($dot4(s1, nib(v1, false), al), nib(v1, true), ah);
                        }
                        let corr = vdupq_n_s32(8 * asum[i]);
                        let s = (vsubq_s32(s0, corr), vsubq_s32(s1, corr));
                        *acc = add_scaled(*acc, dw, a[i].d, s);
                    }
                }
                store_tile(out, rows, g, t0, &acc[..tn]);
            });
        }

        /// See [`crate::kernels::scalar_x8::dot_q5_0x8`]. One `ushl` per chunk half moves the
        /// fifth bits onto bit 4 of each byte (a negative count shifts right).
        #[target_feature(enable = $feat)]
        pub(in crate::kernels) fn dot_q5_0x8(
            w: &[u8],
            rows: usize,
            a: &[BlockQ8],
            asum: &[i32],
            out: &mut [f32],
        ) {
            const BB: usize = q5_0::BLOCK_BYTES;
            let (nb, n) = x8_shape(w, rows, BB, a, asum, out);
            let gb = q50::BYTES;
            let (m4, m16) = (vdupq_n_u8(0x0f), vdupq_n_u8(0x10));
            for_tiles(rows, n, |g, t0, tn| {
                let zero = (vdupq_n_f32(0.0), vdupq_n_f32(0.0));
                let mut acc = [zero; 4];
                for b in 0..nb {
                    let blk = &w[(g * nb + b) * gb..][..gb];
                    let dw = scales8(blk);
                    let qh = load_chunk(&blk[q50::QH..], 0);
                    // Quants `nib | fifth bit << 4` of chunk half `j` ([`q50::hb_bit`]).
                    let q5 = |nib: uint8x16_t, qh: uint8x16_t, j: u32| {
                        let hb = vshlq_u8(qh, vdupq_n_s8(4 - j as i8));
                        vreinterpretq_s8_u8(vorrq_u8(nib, vandq_u8(hb, m16)))
                    };
                    // [chunk] → (low halves, high halves), each (rows 0..4, rows 4..8).
                    let chunks: [_; 4] = std::array::from_fn(|c| {
                        let (v0, v1) = load_chunk(&blk[q50::QS..], c);
                        let (jl, jh) = (q50::hb_bit(c, false), q50::hb_bit(c, true));
                        (
                            (
                                q5(vandq_u8(v0, m4), qh.0, jl),
                                q5(vandq_u8(v1, m4), qh.1, jl),
                            ),
                            (
                                q5(vshrq_n_u8::<4>(v0), qh.0, jh),
                                q5(vshrq_n_u8::<4>(v1), qh.1, jh),
                            ),
                        )
                    });
                    for (t, acc) in acc.iter_mut().enumerate().take(tn) {
                        let i = (t0 + t) * nb + b;
                        let (mut s0, mut s1) = (vdupq_n_s32(0), vdupq_n_s32(0));
                        for (c, &(lo, hi)) in chunks.iter().enumerate() {
                            let (al, ah) = (bcast4(&a[i].qs, 4 * c), bcast4(&a[i].qs, 16 + 4 * c));
                            s0 = $dot4($dot4(s0, lo.0, al), hi.0, ah);
                            s1 = $dot4($dot4(s1, lo.1, al), hi.1, ah);
                        }
                        let corr = vdupq_n_s32(16 * asum[i]);
                        let s = (vsubq_s32(s0, corr), vsubq_s32(s1, corr));
                        *acc = add_scaled(*acc, dw, a[i].d, s);
                    }
                }
                store_tile(out, rows, g, t0, &acc[..tn]);
            });
        }

        /// See [`crate::kernels::scalar_x8::dot_q8_0x8`].
        #[target_feature(enable = $feat)]
        pub(in crate::kernels) fn dot_q8_0x8(
            w: &[u8],
            rows: usize,
            a: &[BlockQ8],
            asum: &[i32],
            out: &mut [f32],
        ) {
            const BB: usize = q8_0::BLOCK_BYTES;
            let (nb, n) = x8_shape(w, rows, BB, a, asum, out);
            let gb = ROWS * BB;
            for_tiles(rows, n, |g, t0, tn| {
                let zero = (vdupq_n_f32(0.0), vdupq_n_f32(0.0));
                let mut acc = [zero; 4];
                for b in 0..nb {
                    let blk = &w[(g * nb + b) * gb..][..gb];
                    let dw = scales8(blk);
                    let chunks: [(uint8x16_t, uint8x16_t); 8] =
                        std::array::from_fn(|c| load_chunk(&blk[2 * ROWS..], c));
                    for (t, acc) in acc.iter_mut().enumerate().take(tn) {
                        let ab = &a[(t0 + t) * nb + b];
                        let (mut s0, mut s1) = (vdupq_n_s32(0), vdupq_n_s32(0));
                        for (c, &(v0, v1)) in chunks.iter().enumerate() {
                            let a4 = bcast4(&ab.qs, 4 * c);
                            s0 = $dot4(s0, vreinterpretq_s8_u8(v0), a4);
                            s1 = $dot4(s1, vreinterpretq_s8_u8(v1), a4);
                        }
                        *acc = add_scaled(*acc, dw, ab.d, (s0, s1));
                    }
                }
                store_tile(out, rows, g, t0, &acc[..tn]);
            });
        }

        /// See [`crate::kernels::scalar_x8::dot_q4_kx8`]: NEON integer sums of the quants (row
        /// r in lane r), the scale and min sums in scalar integer code, then the scalar twin's
        /// float steps.
        #[target_feature(enable = $feat)]
        pub(in crate::kernels) fn dot_q4_kx8(
            w: &[u8],
            rows: usize,
            a: &[BlockQ8K],
            out: &mut [f32],
        ) {
            let (nb, n) = x8k_shape(w, rows, a, out);
            let m4 = vdupq_n_u8(0x0f);
            for t in 0..n {
                for g in 0..rows / ROWS {
                    let mut acc = [0f32; ROWS];
                    for b in 0..nb {
                        let blk = &w[(g * nb + b) * q4k::BYTES..][..q4k::BYTES];
                        let ab = &a[t * nb + b];
                        // s[j][r]: sub-block j's quant sum of row r.
                        let mut s = [[0i32; ROWS]; QK_K / 32];
                        for (j, s) in s.iter_mut().enumerate() {
                            let (p, hi) = (j / 2, j % 2 == 1);
                            let (mut s0, mut s1) = (vdupq_n_s32(0), vdupq_n_s32(0));
                            for c in 0..8 {
                                let (v0, v1) = load_chunk(&blk[q4k::QS + 256 * p..], c);
                                let nib = |v| {
                                    vreinterpretq_s8_u8(if hi {
                                        vshrq_n_u8::<4>(v)
                                    } else {
                                        vandq_u8(v, m4)
                                    })
                                };
                                let a4 = bcast4(&ab.qs, 32 * j + 4 * c);
                                s0 = $dot4(s0, nib(v0), a4);
                                s1 = $dot4(s1, nib(v1), a4);
                            }
                            // SAFETY: `s` holds 8 writable i32.
                            unsafe {
                                vst1q_s32(s.as_mut_ptr(), s0);
                                vst1q_s32(s.as_mut_ptr().add(4), s1);
                            }
                        }
                        for (r, acc) in acc.iter_mut().enumerate() {
                            let (isum, msum) = q4k_row_sums(blk, ab, r, |j| s[j][r]);
                            *acc = q4k_row_acc(*acc, blk, ab, r, isum, msum);
                        }
                    }
                    out[t * rows + g * ROWS..t * rows + (g + 1) * ROWS].copy_from_slice(&acc);
                }
            }
        }

        /// See [`crate::kernels::scalar_x8::dot_q6_kx8`]: NEON integer sums of the quants per
        /// sub-block (row r in lane r; one `ushl` by `4 − 2m` puts each element's two high bits
        /// at bits 4..6), the scale and `−32` sums in scalar integer code, then the scalar
        /// twin's float step.
        #[target_feature(enable = $feat)]
        pub(in crate::kernels) fn dot_q6_kx8(
            w: &[u8],
            rows: usize,
            a: &[BlockQ8K],
            out: &mut [f32],
        ) {
            let (nb, n) = x8q6k_shape(w, rows, a, out);
            let (m4, m30) = (vdupq_n_u8(0x0f), vdupq_n_u8(0x30));
            for t in 0..n {
                for g in 0..rows / ROWS {
                    let mut acc = [0f32; ROWS];
                    for b in 0..nb {
                        let blk = &w[(g * nb + b) * q6k::BYTES..][..q6k::BYTES];
                        let ab = &a[t * nb + b];
                        // s[j][r]: sub-block j's quant sum of row r.
                        let mut s = [[0i32; ROWS]; QK_K / 16];
                        for h in 0..2 {
                            for m in 0..4 {
                                let shift = vdupq_n_s8(4 - 2 * m as i8);
                                let q6 = |ql: uint8x16_t, qh: uint8x16_t| {
                                    let nib = if m < 2 {
                                        vandq_u8(ql, m4)
                                    } else {
                                        vshrq_n_u8::<4>(ql)
                                    };
                                    let hb = vandq_u8(vshlq_u8(qh, shift), m30);
                                    vreinterpretq_s8_u8(vorrq_u8(nib, hb))
                                };
                                let zero = vdupq_n_s32(0);
                                // [even, odd sub-block][rows 0..4, rows 4..8]
                                let mut sj = [[zero; 2]; 2];
                                for c in 0..8 {
                                    let (l0, l1) =
                                        load_chunk(&blk[q6k::QL..], 16 * h + 8 * (m % 2) + c);
                                    let (h0, h1) = load_chunk(&blk[q6k::QH..], 8 * h + c);
                                    let a4 = bcast4(&ab.qs, 128 * h + 32 * m + 4 * c);
                                    let sj = &mut sj[c / 4];
                                    sj[0] = $dot4(sj[0], q6(l0, h0), a4);
                                    sj[1] = $dot4(sj[1], q6(l1, h1), a4);
                                }
                                for (e, sj) in sj.iter().enumerate() {
                                    let dst = &mut s[8 * h + 2 * m + e];
                                    // SAFETY: `dst` holds 8 writable i32.
                                    unsafe {
                                        vst1q_s32(dst.as_mut_ptr(), sj[0]);
                                        vst1q_s32(dst.as_mut_ptr().add(4), sj[1]);
                                    }
                                }
                            }
                        }
                        for (r, acc) in acc.iter_mut().enumerate() {
                            let scaled: i32 = (0..QK_K / 16)
                                .map(|j| q6k::scale(blk, r, j) * s[j][r])
                                .sum();
                            *acc = q6k_row_acc(*acc, blk, ab, r, scaled);
                        }
                    }
                    out[t * rows + g * ROWS..t * rows + (g + 1) * ROWS].copy_from_slice(&acc);
                }
            }
        }
    };
}

/// The `neon` set's versions (ARMv8.0).
pub(super) mod plain {
    x8_kernels!("neon", crate::kernels::neon::dot4_neon);
}

/// The `neon-dotprod` set's versions (`sdot`).
pub(super) mod sdot {
    x8_kernels!("neon,dotprod", crate::kernels::neon::dot4_sdot);
}
