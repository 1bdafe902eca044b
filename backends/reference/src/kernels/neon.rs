//! The aarch64 `neon` kernel set (ARMv8.0 Advanced SIMD, e.g. the Raspberry Pi 4's
//! Cortex-A72) and the NEON primitives the `neon-dotprod` set shares. It mirrors the scalar twin
//! line by line: weights are unpacked with the *same scalar code* (`q5_0::unpack`, nibble
//! masks), and NEON does the integer dot of 32 bytes into the 8 canonical lanes (lane `l` =
//! Σ products `4l..4l+4`: `vmull_s8` + pairwise adds here, `sdot` in `neon-dotprod`) and the
//! 8-lane float accumulation (a separate multiply and add for the quantized blocks, fused
//! `vfmaq_f32` for the float dots, as the oracle does each), reduced as
//! `scalar::reduce8`. It therefore computes bit-for-bit what the scalar oracle computes;
//! `tests/simd_kernels.rs` checks that under QEMU in CI (`.ci/aarch64.sh`) and on boards.
//! The integer block dots are in `neon_int.rs`, the interleaved ones in `neon_x8.rs`, each
//! written once for both NEON sets.

use super::{neon_int, neon_x8, scalar, Kernels};
use crate::quant::{BlockQ8, BlockQ8K};
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
    dot_q8_0: guarded!(dot_q8_0 if detected, (w: &[u8], rows: usize, a: &[BlockQ8], out: &mut [f32])),
    dot_q4_0: guarded!(dot_q4_0 if detected, (w: &[u8], rows: usize, a: &[BlockQ8], out: &mut [f32])),
    dot_q5_0: guarded!(dot_q5_0 if detected, (w: &[u8], rows: usize, a: &[BlockQ8], out: &mut [f32])),
    dot_q4_0x8: guarded!(dot_q4_0x8 if detected, (w: &[u8], rows: usize, a: &[BlockQ8], asum: &[i32], out: &mut [f32])),
    dot_q5_0x8: guarded!(dot_q5_0x8 if detected, (w: &[u8], rows: usize, a: &[BlockQ8], asum: &[i32], out: &mut [f32])),
    dot_q8_0x8: guarded!(dot_q8_0x8 if detected, (w: &[u8], rows: usize, a: &[BlockQ8], asum: &[i32], out: &mut [f32])),
    dot_q4_kx8: guarded!(dot_q4_kx8 if detected, (w: &[u8], rows: usize, a: &[BlockQ8K], out: &mut [f32])),
    dot_q6_kx8: guarded!(dot_q6_kx8 if detected, (w: &[u8], rows: usize, a: &[BlockQ8K], out: &mut [f32])),
    dot_q4_k: guarded!(dot_q4_k if detected, (w: &[u8], rows: usize, a: &[BlockQ8K], out: &mut [f32])),
    dot_q6_k: guarded!(dot_q6_k if detected, (w: &[u8], rows: usize, a: &[BlockQ8K], out: &mut [f32])),
    quantize_q8_0: scalar::KERNELS.quantize_q8_0,
    quantize_q8_k: scalar::KERNELS.quantize_q8_k,
    rmsnorm: scalar::KERNELS.rmsnorm,
    softmax: scalar::KERNELS.softmax,
    rope: scalar::KERNELS.rope,
    silu_mul: scalar::KERNELS.silu_mul,
    axpy: scalar::KERNELS.axpy,
    attend: scalar::KERNELS.attend,
};

use neon_int::plain::{dot_q4_0, dot_q4_k, dot_q5_0, dot_q6_k, dot_q8_0};
use neon_x8::plain::{dot_q4_0x8, dot_q4_kx8, dot_q5_0x8, dot_q6_kx8, dot_q8_0x8};

/// `acc` plus the canonical 4-byte lanes of `w·a` (lane k += Σ bytes `4k..4k+4`), ARMv8.0:
/// widening multiplies and pairwise adds ([`dot4_lanes`]).
#[inline]
#[target_feature(enable = "neon")]
pub(super) fn dot4_neon(acc: int32x4_t, w: int8x16_t, a: int8x16_t) -> int32x4_t {
    vaddq_s32(acc, dot4_lanes(w, a))
}

/// [`dot4_neon`] in one `sdot` (ARMv8.2 dotprod), which computes exactly these lanes. Inline
/// assembly because `vdotq_s32` is not yet stable in `std::arch`.
#[inline]
#[target_feature(enable = "neon,dotprod")]
pub(super) fn dot4_sdot(acc: int32x4_t, w: int8x16_t, a: int8x16_t) -> int32x4_t {
    let mut acc = acc;
    // SAFETY: `sdot` reads and writes only the three vector registers named; this function
    // enables `dotprod`, so it is only called where the CPU has it.
    unsafe {
        std::arch::asm!(
            "sdot {acc:v}.4s, {w:v}.16b, {a:v}.16b",
            acc = inout(vreg) acc,
            w = in(vreg) w,
            a = in(vreg) a,
            options(pure, nomem, nostack, preserves_flags)
        );
    }
    acc
}

/// Eight f32 lanes as two NEON registers: lanes 0..4 and 4..8.
#[derive(Clone, Copy)]
pub(super) struct F8(pub float32x4_t, pub float32x4_t);

// SAFETY (every `unsafe` block below that only wraps register intrinsics): NEON is part of
// the aarch64 baseline every aarch64 Rust target enables; these intrinsics touch no memory.
// (They are safe to call only from functions that enable `neon` themselves, which these
// helpers, plain functions so that the float kernels can be table entries, do not; should a
// toolchain declare them safe everywhere, `allow(unused_unsafe)` keeps the build quiet.)

#[inline]
#[allow(unused_unsafe)]
pub(super) fn f8_zero() -> F8 {
    // SAFETY: register intrinsics only (see above).
    unsafe { F8(vdupq_n_f32(0.0), vdupq_n_f32(0.0)) }
}

/// `acc + d · lanes` per lane (multiply, then add: the scalar twin's `acc8`).
#[inline]
#[allow(unused_unsafe)]
pub(super) fn f8_acc(acc: F8, d: f32, lo: int32x4_t, hi: int32x4_t) -> F8 {
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
pub(super) fn f8_reduce(a: F8) -> f32 {
    // SAFETY: register intrinsics only.
    unsafe {
        let s = vaddq_f32(a.0, a.1);
        let p = vadd_f32(vget_low_f32(s), vget_high_f32(s)); // [s0 + s2, s1 + s3]
        vget_lane_f32::<0>(p) + vget_lane_f32::<1>(p)
    }
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

/// `scalar::fdot`: 4 × 8 fused lanes over steps of 32, steps of 8 into the first, combined as
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
    // `a + w·x` on four lanes, fused (one rounding, as `f32::mul_add`).
    // SAFETY: register intrinsics only.
    let ma = |a: float32x4_t, w: float32x4_t, x: float32x4_t| unsafe { vfmaq_f32(a, w, x) };
    // SAFETY: register intrinsics only.
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
        tail = w(j).mul_add(xj, tail);
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
