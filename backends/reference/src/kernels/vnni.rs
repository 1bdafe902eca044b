//! The `avx512vnni` kernel set: the `avx2` set with the row-interleaved Q4_0/Q5_0/Q8_0/Q4_K/Q6_K
//! products done by `vpdpbusd` (AVX-512 VNNI on 256-bit vectors, which needs AVX512VL), as on
//! Zen 4, Ice Lake and later server cores, and the f32-weight products on 512-bit registers in 4 × 3
//! register tiles (`avx512_f32`, prefill's GEMM). Chosen automatically where detected; `EDGEBENCH_KERNELS=avx2`
//! turns it off for comparison. Results are bit-identical to `avx2` and `scalar`.

use super::avx512_f32::dot_f32_bytes_tiled;
use super::x86_x8::{
    dot_q4_0x8_vnni, dot_q4_kx8_vnni, dot_q5_0x8_vnni, dot_q6_kx8_vnni, dot_q8_0x8_vnni,
    X8_PREFETCH_BYTES,
};
use super::{avx2, Kernels};
use crate::quant::{BlockQ8, BlockQ8K};

/// AVX2/FMA/F16C plus AVX512-VNNI and AVX512VL.
pub fn detected() -> bool {
    avx2::detected()
        && is_x86_feature_detected!("avx512f")
        && is_x86_feature_detected!("avx512vnni")
        && is_x86_feature_detected!("avx512vl")
}

pub(super) static KERNELS: Kernels = Kernels {
    name: "avx512vnni",
    dot_q4_0x8: guarded!(dot_q4_0x8_vnni::<0>, (w: &[u8], rows: usize, a: &[BlockQ8], asum: &[i32], out: &mut [f32])),
    dot_q5_0x8: guarded!(dot_q5_0x8_vnni::<0>, (w: &[u8], rows: usize, a: &[BlockQ8], asum: &[i32], out: &mut [f32])),
    dot_q8_0x8: guarded!(dot_q8_0x8_vnni::<0>, (w: &[u8], rows: usize, a: &[BlockQ8], asum: &[i32], out: &mut [f32])),
    dot_q4_kx8: guarded!(dot_q4_kx8_vnni, (w: &[u8], rows: usize, a: &[BlockQ8K], out: &mut [f32])),
    dot_q6_kx8: guarded!(dot_q6_kx8_vnni::<0>, (w: &[u8], rows: usize, a: &[BlockQ8K], out: &mut [f32])),
    dot_f32_bytes: guarded!(dot_f32_bytes_tiled, (w: &[u8], rows: usize, x: &[f32], out: &mut [f32])),
    ..avx2::KERNELS
};

/// [`KERNELS`] with the interleaved Q4_0/Q5_0/Q8_0/Q6_K products prefetching
/// [`X8_PREFETCH_BYTES`] ahead of their weight stream (same results; which one is faster depends
/// on the machine's memory system, so the loader measures both: `crate::model::tune`).
pub(super) static KERNELS_PF: Kernels = Kernels {
    name: "avx512vnni-pf",
    dot_q4_0x8: guarded!(dot_q4_0x8_vnni::<X8_PREFETCH_BYTES>, (w: &[u8], rows: usize, a: &[BlockQ8], asum: &[i32], out: &mut [f32])),
    dot_q5_0x8: guarded!(dot_q5_0x8_vnni::<X8_PREFETCH_BYTES>, (w: &[u8], rows: usize, a: &[BlockQ8], asum: &[i32], out: &mut [f32])),
    dot_q6_kx8: guarded!(dot_q6_kx8_vnni::<X8_PREFETCH_BYTES>, (w: &[u8], rows: usize, a: &[BlockQ8K], out: &mut [f32])),
    dot_q8_0x8: guarded!(dot_q8_0x8_vnni::<X8_PREFETCH_BYTES>, (w: &[u8], rows: usize, a: &[BlockQ8], asum: &[i32], out: &mut [f32])),
    ..KERNELS
};
