//! The aarch64 NEON kernel set (Advanced SIMD is part of the aarch64 baseline; `detected`
//! still asks the OS). **Not yet run on hardware**: this file is compiled only for aarch64, so
//! x86 builds and CI do not see it. It is kept small and mirrors the scalar twin line by line:
//! weights are unpacked with the *same scalar code* (`q5_0::unpack`, nibble masks), and NEON
//! only does what is easy to get right, the integer dot of 32 bytes into the 8 canonical lanes
//! (`vmull_s8` + pairwise adds, lane `l` = Σ products `4l..4l+4`) and the 8-lane float
//! accumulation (separate multiply and add, never fused), reduced as `scalar::reduce8`. It
//! therefore computes bit-for-bit what the scalar oracle computes, which
//! `scripts/lab/test-on-device.sh` checks on a board with the same proptests as on x86.
//! A `dotprod` (`sdot`) variant is left for when it can be tested on a board.

use super::{scalar, Kernels};
use crate::quant::kquant::scale_min_k4;
use crate::quant::{f16, q4_0, q4_k, q5_0, q6_k, q8_0, BlockQ8, BlockQ8K, QK, QK_K};
use std::arch::aarch64::*;

/// NEON (Advanced SIMD) is available.
pub fn detected() -> bool {
    std::arch::is_aarch64_feature_detected!("neon")
}

pub(super) static KERNELS: Kernels = Kernels {
    name: "neon",
    dot_f32,
    dot_f32_bytes: |w, rows, x, out| scalar::batched(w, rows, x, out, dot_f32_bytes),
    dot_f16: scalar::KERNELS.dot_f16,
    dot_q8_0: |w, rows, a, out| scalar::batched(w, rows, a, out, dot_q8_0),
    dot_q4_0: |w, rows, a, out| scalar::batched(w, rows, a, out, dot_q4_0),
    dot_q5_0: |w, rows, a, out| scalar::batched(w, rows, a, out, dot_q5_0),
    dot_q4_0x8: super::neon_x8::dot_q4_0x8,
    dot_q8_0x8: super::neon_x8::dot_q8_0x8,
    dot_q4_kx8: super::neon_x8::dot_q4_kx8,
    dot_q4_k: |w, rows, a, out| scalar::batched(w, rows, a, out, dot_q4_k),
    dot_q6_k: |w, rows, a, out| scalar::batched(w, rows, a, out, dot_q6_k),
    quantize_q8_0: scalar::KERNELS.quantize_q8_0,
    quantize_q8_k: scalar::KERNELS.quantize_q8_k,
    rmsnorm: scalar::KERNELS.rmsnorm,
    softmax: scalar::KERNELS.softmax,
    rope: scalar::KERNELS.rope,
    silu_mul: scalar::KERNELS.silu_mul,
    axpy: scalar::KERNELS.axpy,
    attend: scalar::KERNELS.attend,
};

/// Eight f32 lanes as two NEON registers: lanes 0..4 and 4..8.
#[derive(Clone, Copy)]
struct F8(float32x4_t, float32x4_t);

// SAFETY (every `unsafe` block below that only wraps register intrinsics): NEON is part of
// the aarch64 baseline every aarch64 Rust target enables; these intrinsics touch no memory.
// (Newer toolchains declare them safe, hence `allow(unused_unsafe)`.)

#[inline]
#[allow(unused_unsafe)]
fn f8_zero() -> F8 {
    // SAFETY: register intrinsics only (see above).
    unsafe { F8(vdupq_n_f32(0.0), vdupq_n_f32(0.0)) }
}

/// `acc + d · lanes` per lane (multiply, then add: the scalar twin's `acc8`).
#[inline]
#[allow(unused_unsafe)]
fn f8_acc(acc: F8, d: f32, lo: int32x4_t, hi: int32x4_t) -> F8 {
    // SAFETY: register intrinsics only.
    unsafe {
        let dv = vdupq_n_f32(d);
        F8(
            vaddq_f32(acc.0, vmulq_f32(dv, vcvtq_f32_s32(lo))),
            vaddq_f32(acc.1, vmulq_f32(dv, vcvtq_f32_s32(hi))),
        )
    }
}

/// `scalar::reduce8`: `s_i = a_i + a_{i+4}`, then `(s0 + s2) + (s1 + s3)`.
#[inline]
#[allow(unused_unsafe)]
fn f8_reduce(a: F8) -> f32 {
    // SAFETY: register intrinsics only.
    unsafe {
        let s = vaddq_f32(a.0, a.1);
        let p = vadd_f32(vget_low_f32(s), vget_high_f32(s)); // [s0 + s2, s1 + s3]
        vget_lane_f32::<0>(p) + vget_lane_f32::<1>(p)
    }
}

#[inline]
#[allow(unused_unsafe)]
fn i4_zero() -> int32x4_t {
    // SAFETY: register intrinsics only.
    unsafe { vdupq_n_s32(0) }
}

/// `acc + x·s` per i32 lane.
#[inline]
#[allow(unused_unsafe)]
fn i4_madd(acc: int32x4_t, x: int32x4_t, s: i32) -> int32x4_t {
    // SAFETY: register intrinsics only.
    unsafe { vaddq_s32(acc, vmulq_n_s32(x, s)) }
}

/// The 8 canonical integer lanes of 32 weight bytes times 32 activation bytes (the scalar
/// twin's `lanes32`): returns lanes 0..4 and 4..8.
#[inline]
#[allow(unused_unsafe)]
fn lanes32(w: &[i8], a: &[i8]) -> (int32x4_t, int32x4_t) {
    assert!(w.len() >= 32 && a.len() >= 32);
    // SAFETY: both slices hold at least 32 bytes (asserted); vld1q has no alignment needs.
    let (w0, w1, a0, a1) = unsafe {
        (
            vld1q_s8(w.as_ptr()),
            vld1q_s8(w.as_ptr().add(16)),
            vld1q_s8(a.as_ptr()),
            vld1q_s8(a.as_ptr().add(16)),
        )
    };
    (dot4_lanes(w0, a0), dot4_lanes(w1, a1))
}

/// Lane k = Σ of the products of bytes `4k..4k+4` of `w` and `a`: products of bytes 0..8 and
/// 8..16 (i8·i8 fits i16), pairwise sums to i32 (4 × 2 bytes), then pairwise across the two.
#[inline]
#[allow(unused_unsafe)]
pub(super) fn dot4_lanes(w: int8x16_t, a: int8x16_t) -> int32x4_t {
    // SAFETY: register intrinsics only.
    unsafe {
        let p0 = vpaddlq_s16(vmull_s8(vget_low_s8(w), vget_low_s8(a)));
        let p1 = vpaddlq_s16(vmull_high_s8(w, a));
        vpaddq_s32(p0, p1)
    }
}

fn dot_q8_blocks(w: &[u8], bb: usize, a: &[BlockQ8], unpack: impl Fn(&[u8]) -> [i8; QK]) -> f32 {
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

fn dot_q8_0(w: &[u8], a: &[BlockQ8]) -> f32 {
    dot_q8_blocks(w, q8_0::BLOCK_BYTES, a, |b| {
        std::array::from_fn(|j| b[2 + j] as i8)
    })
}

fn dot_q4_0(w: &[u8], a: &[BlockQ8]) -> f32 {
    dot_q8_blocks(w, q4_0::BLOCK_BYTES, a, |b| {
        std::array::from_fn(|j| {
            let byte = b[2 + j % 16];
            (if j < 16 { byte & 0x0f } else { byte >> 4 }) as i8 - 8
        })
    })
}

fn dot_q5_0(w: &[u8], a: &[BlockQ8]) -> f32 {
    dot_q8_blocks(w, q5_0::BLOCK_BYTES, a, q5_0::unpack)
}

fn dot_q4_k(w: &[u8], a: &[BlockQ8K]) -> f32 {
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
        let (mut slo, mut shi) = (i4_zero(), i4_zero());
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
            slo = i4_madd(i4_madd(slo, l0, s1), h0, s2);
            shi = i4_madd(i4_madd(shi, l1, s1), h1, s2);
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

fn dot_q6_k(w: &[u8], a: &[BlockQ8K]) -> f32 {
    assert_eq!(
        w.len(),
        a.len() * q6_k::BLOCK_BYTES,
        "dot_q6_k: lengths differ"
    );
    let mut acc = f8_zero();
    for (b, ab) in w.chunks_exact(q6_k::BLOCK_BYTES).zip(a) {
        let d = f16::to_f32(u16::from_le_bytes([b[208], b[209]])) * ab.d;
        let q = q6_k::unpack(b);
        let (mut slo, mut shi) = (i4_zero(), i4_zero());
        for g in 0..QK_K / 32 {
            // Lanes 0..4 take the first 16-value scale of the group, lanes 4..8 the second.
            let (l0, l1) = lanes32(&q[32 * g..], &ab.qs[32 * g..]);
            let (s0, s1) = (
                i32::from(b[192 + 2 * g] as i8),
                i32::from(b[193 + 2 * g] as i8),
            );
            slo = i4_madd(slo, l0, s0);
            shi = i4_madd(shi, l1, s1);
        }
        acc = f8_acc(acc, d, slo, shi);
    }
    f8_reduce(acc)
}

/// `scalar::fdot`: 4 × 8 lanes over steps of 32, steps of 8 into the first, combined as
/// `(acc0 + acc1) + (acc2 + acc3)`, reduced, plus the in-order tail.
#[allow(unused_unsafe)]
fn fdot(n: usize, w: impl Fn(usize) -> f32, x: &[f32]) -> f32 {
    let load = |i: usize| -> float32x4_t {
        let v = [w(i), w(i + 1), w(i + 2), w(i + 3)];
        // SAFETY: `v` is 4 floats on the stack.
        unsafe { vld1q_f32(v.as_ptr()) }
    };
    let xl = |i: usize| -> float32x4_t {
        assert!(i + 4 <= x.len());
        // SAFETY: 4 readable floats (asserted).
        unsafe { vld1q_f32(x.as_ptr().add(i)) }
    };
    // `a + w·x` on four lanes, multiply then add.
    // SAFETY: register intrinsics only.
    let ma =
        |a: float32x4_t, w: float32x4_t, x: float32x4_t| unsafe { vaddq_f32(a, vmulq_f32(w, x)) };
    let add = |a: float32x4_t, b: float32x4_t| unsafe { vaddq_f32(a, b) };
    let mut acc = [f8_zero(); 4];
    let mut i = 0;
    while i + 32 <= n {
        for (u, a) in acc.iter_mut().enumerate() {
            let j = i + 8 * u;
            *a = F8(ma(a.0, load(j), xl(j)), ma(a.1, load(j + 4), xl(j + 4)));
        }
        i += 32;
    }
    while i + 8 <= n {
        acc[0] = F8(
            ma(acc[0].0, load(i), xl(i)),
            ma(acc[0].1, load(i + 4), xl(i + 4)),
        );
        i += 8;
    }
    let s = F8(
        add(add(acc[0].0, acc[1].0), add(acc[2].0, acc[3].0)),
        add(add(acc[0].1, acc[1].1), add(acc[2].1, acc[3].1)),
    );
    let mut tail = 0f32;
    for (j, &xj) in x.iter().enumerate().take(n).skip(i) {
        tail += w(j) * xj;
    }
    f8_reduce(s) + tail
}

fn dot_f32(a: &[f32], b: &[f32]) -> f32 {
    assert_eq!(a.len(), b.len(), "dot_f32: lengths differ");
    fdot(a.len(), |i| a[i], b)
}

fn dot_f32_bytes(w: &[u8], x: &[f32]) -> f32 {
    assert_eq!(w.len(), 4 * x.len(), "dot_f32_bytes: lengths differ");
    fdot(
        x.len(),
        |i| f32::from_le_bytes([w[4 * i], w[4 * i + 1], w[4 * i + 2], w[4 * i + 3]]),
        x,
    )
}
