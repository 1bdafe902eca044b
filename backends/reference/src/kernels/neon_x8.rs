//! aarch64 NEON versions of the row-interleaved Q4_0/Q8_0/Q4_K dot products
//! ([`crate::quant::x8`]). **Not yet run on hardware** (compiled only for aarch64; checked by
//! `scripts/lab/test-on-device.sh`). A chunk of the eight-row group is 32 bytes: rows 0..4 in
//! the first 16 (one NEON register), rows 4..8 in the next; [`dot4_lanes`] against the
//! broadcast 4-byte activation chunk leaves row r's sum in lane r, exactly the integers of
//! the scalar twin, and the float steps (`(d_w·d_a)·sum`, multiply then add) are the twin's
//! too, so results agree bit for bit. One activation row at a time; an `sdot` variant is
//! left for when it can be tested on a board.

use super::neon::dot4_lanes;
use super::scalar_x8::{q4k_row_acc, q4k_row_sums, x8_shape, x8k_shape};
use crate::quant::x8::{q4k, ROWS};
use crate::quant::{f16, q4_0, q8_0, BlockQ8, BlockQ8K, QK_K};
use std::arch::aarch64::*;

/// Activation bytes `at..at+4` broadcast to the four lanes.
#[inline]
#[allow(unused_unsafe)]
fn bcast4(qs: &[i8], at: usize) -> int8x16_t {
    let v = i32::from_le_bytes([
        qs[at] as u8,
        qs[at + 1] as u8,
        qs[at + 2] as u8,
        qs[at + 3] as u8,
    ]);
    // SAFETY: register intrinsics only.
    unsafe { vreinterpretq_s8_s32(vdupq_n_s32(v)) }
}

/// Shared body: `isum(qs, ab, asum) -> (rows 0..4, rows 4..8)` integer sums of one block.
#[allow(unused_unsafe)]
fn x8_dot(
    w: &[u8],
    rows: usize,
    a: &[BlockQ8],
    asum: &[i32],
    out: &mut [f32],
    bb: usize,
    isum: impl Fn(&[u8], &BlockQ8, i32) -> (int32x4_t, int32x4_t),
) {
    let (nb, n) = x8_shape(w, rows, bb, a, asum, out);
    let gb = ROWS * bb;
    for t in 0..n {
        for g in 0..rows / ROWS {
            let grp = &w[g * nb * gb..(g + 1) * nb * gb];
            // SAFETY: register intrinsics only.
            let (mut acc0, mut acc1) = unsafe { (vdupq_n_f32(0.0), vdupq_n_f32(0.0)) };
            for (b, blk) in grp.chunks_exact(gb).enumerate() {
                let i = t * nb + b;
                let ab = &a[i];
                let dw: [f32; ROWS] = std::array::from_fn(|r| {
                    f16::to_f32(u16::from_le_bytes([blk[2 * r], blk[2 * r + 1]]))
                });
                let (s0, s1) = isum(&blk[2 * ROWS..], ab, asum[i]);
                // SAFETY: `dw` holds 8 floats; the rest are register intrinsics.
                unsafe {
                    let da = vdupq_n_f32(ab.d);
                    let d0 = vmulq_f32(vld1q_f32(dw.as_ptr()), da);
                    let d1 = vmulq_f32(vld1q_f32(dw.as_ptr().add(4)), da);
                    acc0 = vaddq_f32(acc0, vmulq_f32(d0, vcvtq_f32_s32(s0)));
                    acc1 = vaddq_f32(acc1, vmulq_f32(d1, vcvtq_f32_s32(s1)));
                }
            }
            let o = &mut out[t * rows + g * ROWS..][..ROWS];
            // SAFETY: `o` holds 8 writable floats.
            unsafe {
                vst1q_f32(o.as_mut_ptr(), acc0);
                vst1q_f32(o.as_mut_ptr().add(4), acc1);
            }
        }
    }
}

/// 32 quant bytes of chunk `c`: rows 0..4 and rows 4..8.
#[inline]
#[allow(unused_unsafe)]
fn load_chunk(qs: &[u8], c: usize) -> (uint8x16_t, uint8x16_t) {
    let s = &qs[32 * c..32 * (c + 1)];
    // SAFETY: `s` holds 32 readable bytes; vld1q has no alignment needs.
    unsafe { (vld1q_u8(s.as_ptr()), vld1q_u8(s.as_ptr().add(16))) }
}

/// See [`super::scalar_x8::dot_q4_0x8`].
#[allow(unused_unsafe)]
pub(super) fn dot_q4_0x8(w: &[u8], rows: usize, a: &[BlockQ8], asum: &[i32], out: &mut [f32]) {
    x8_dot(w, rows, a, asum, out, q4_0::BLOCK_BYTES, |qs, ab, s| {
        // SAFETY: register intrinsics only.
        unsafe {
            let m4 = vdupq_n_u8(0x0f);
            let (mut s0, mut s1) = (vdupq_n_s32(0), vdupq_n_s32(0));
            for c in 0..4 {
                let (v0, v1) = load_chunk(qs, c);
                let (al, ah) = (bcast4(&ab.qs, 4 * c), bcast4(&ab.qs, 16 + 4 * c));
                let lo = |v| vreinterpretq_s8_u8(vandq_u8(v, m4));
                let hi = |v| vreinterpretq_s8_u8(vshrq_n_u8::<4>(v));
                s0 = vaddq_s32(
                    s0,
                    vaddq_s32(dot4_lanes(lo(v0), al), dot4_lanes(hi(v0), ah)),
                );
                s1 = vaddq_s32(
                    s1,
                    vaddq_s32(dot4_lanes(lo(v1), al), dot4_lanes(hi(v1), ah)),
                );
            }
            let corr = vdupq_n_s32(8 * s);
            (vsubq_s32(s0, corr), vsubq_s32(s1, corr))
        }
    })
}

/// See [`super::scalar_x8::dot_q8_0x8`].
#[allow(unused_unsafe)]
pub(super) fn dot_q8_0x8(w: &[u8], rows: usize, a: &[BlockQ8], asum: &[i32], out: &mut [f32]) {
    x8_dot(w, rows, a, asum, out, q8_0::BLOCK_BYTES, |qs, ab, _| {
        // SAFETY: register intrinsics only.
        unsafe {
            let (mut s0, mut s1) = (vdupq_n_s32(0), vdupq_n_s32(0));
            for c in 0..8 {
                let (v0, v1) = load_chunk(qs, c);
                let a4 = bcast4(&ab.qs, 4 * c);
                s0 = vaddq_s32(s0, dot4_lanes(vreinterpretq_s8_u8(v0), a4));
                s1 = vaddq_s32(s1, dot4_lanes(vreinterpretq_s8_u8(v1), a4));
            }
            (s0, s1)
        }
    })
}

/// See [`super::scalar_x8::dot_q4_kx8`]: NEON integer sums of the quants (row r in lane r),
/// the scale and min sums in scalar integer code, then the scalar twin's float steps.
#[allow(unused_unsafe)]
pub(super) fn dot_q4_kx8(w: &[u8], rows: usize, a: &[BlockQ8K], out: &mut [f32]) {
    let (nb, n) = x8k_shape(w, rows, a, out);
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
                    // SAFETY: register intrinsics, 32-byte chunk loads inside `blk`, and
                    // 4 + 4 lane stores into `s` (8 i32).
                    unsafe {
                        let m4 = vdupq_n_u8(0x0f);
                        let (mut s0, mut s1) = (vdupq_n_s32(0), vdupq_n_s32(0));
                        for c in 0..8 {
                            let (v0, v1) = load_chunk(&blk[q4k::QS + 256 * p..], c);
                            let nib = |v| {
                                if hi {
                                    vreinterpretq_s8_u8(vshrq_n_u8::<4>(v))
                                } else {
                                    vreinterpretq_s8_u8(vandq_u8(v, m4))
                                }
                            };
                            let a4 = bcast4(&ab.qs, 32 * j + 4 * c);
                            s0 = vaddq_s32(s0, dot4_lanes(nib(v0), a4));
                            s1 = vaddq_s32(s1, dot4_lanes(nib(v1), a4));
                        }
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
