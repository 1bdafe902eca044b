//! The `neon-dotprod` kernel set: `neon` with every integer block product done by `sdot`
//! (ARMv8.2 dotprod: Cortex-A55/A76/A78 and later, i.e. Raspberry Pi 5, Jetson Orin, most
//! phones). `sdot` sums four byte products into each 32-bit lane, exactly the canonical lanes
//! the `neon` set builds from widening multiplies and pairwise adds, so results are
//! bit-identical to `neon` and `scalar`. Chosen automatically where
//! `is_aarch64_feature_detected!("dotprod")`; `EDGEBENCH_KERNELS=neon` turns it off for
//! comparison. The float kernels are `neon`'s.

use super::neon_int::sdot::{dot_q4_0, dot_q4_k, dot_q5_0, dot_q6_k, dot_q8_0};
use super::neon_x8::sdot::{dot_q4_0x8, dot_q4_kx8, dot_q5_0x8, dot_q6_kx8, dot_q8_0x8};
use super::{neon, Kernels};
use crate::quant::{BlockQ8, BlockQ8K};

/// NEON and the dotprod extension (`sdot`/`udot`, `asimddp` in `/proc/cpuinfo`).
pub fn detected() -> bool {
    neon::detected() && std::arch::is_aarch64_feature_detected!("dotprod")
}

pub(super) static KERNELS: Kernels = Kernels {
    name: "neon-dotprod",
    dot_q8_0: guarded!(dot_q8_0, (w: &[u8], rows: usize, a: &[BlockQ8], out: &mut [f32])),
    dot_q4_0: guarded!(dot_q4_0, (w: &[u8], rows: usize, a: &[BlockQ8], out: &mut [f32])),
    dot_q5_0: guarded!(dot_q5_0, (w: &[u8], rows: usize, a: &[BlockQ8], out: &mut [f32])),
    dot_q4_0x8: guarded!(dot_q4_0x8, (w: &[u8], rows: usize, a: &[BlockQ8], asum: &[i32], out: &mut [f32])),
    dot_q5_0x8: guarded!(dot_q5_0x8, (w: &[u8], rows: usize, a: &[BlockQ8], asum: &[i32], out: &mut [f32])),
    dot_q8_0x8: guarded!(dot_q8_0x8, (w: &[u8], rows: usize, a: &[BlockQ8], asum: &[i32], out: &mut [f32])),
    dot_q4_kx8: guarded!(dot_q4_kx8, (w: &[u8], rows: usize, a: &[BlockQ8K], out: &mut [f32])),
    dot_q6_kx8: guarded!(dot_q6_kx8, (w: &[u8], rows: usize, a: &[BlockQ8K], out: &mut [f32])),
    dot_q4_k: guarded!(dot_q4_k, (w: &[u8], rows: usize, a: &[BlockQ8K], out: &mut [f32])),
    dot_q6_k: guarded!(dot_q6_k, (w: &[u8], rows: usize, a: &[BlockQ8K], out: &mut [f32])),
    ..neon::KERNELS
};
