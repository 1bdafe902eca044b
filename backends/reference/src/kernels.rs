//! Compute kernels behind a table of function pointers chosen once at load time.
//!
//! [`scalar::KERNELS`] is always compiled and is the oracle every faster set is tested
//! against. [`select`] reads `EDGEBENCH_KERNELS` (`auto`, `scalar`, or a set name) and returns
//! the set to use; its name goes into every report. Only the scalar set exists today: the
//! SIMD sets (x86_64 `avx2`, aarch64 `neon`) plug into [`SETS`] and [`select_auto`] with
//! runtime feature detection, each tested against the scalar twin.

mod matmul;
pub mod scalar;

pub use matmul::{matmul, MatRef};

use crate::quant::BlockQ8;

/// Environment variable that forces a kernel set.
pub const ENV_VAR: &str = "EDGEBENCH_KERNELS";

/// One kernel set. Weight arguments are raw little-endian bytes straight from the GGUF map;
/// activations are f32 or, for quantized weights, Q8_0 blocks made once per activation row.
#[derive(Debug)]
pub struct Kernels {
    /// Set name written into reports (`scalar`, later `avx2`, `neon`).
    pub name: &'static str,
    /// Dot product of two f32 slices of equal length.
    pub dot_f32: fn(a: &[f32], b: &[f32]) -> f32,
    /// Dot product of an F32 weight row (bytes) with f32 activations.
    pub dot_f32_bytes: fn(w: &[u8], x: &[f32]) -> f32,
    /// Dot product of an F16 weight row (bytes) with f32 activations.
    pub dot_f16: fn(w: &[u8], x: &[f32]) -> f32,
    /// Dot product of a Q8_0 weight row with Q8_0 activation blocks: Σ_blocks Σ(qw·qa)·dw·da.
    pub dot_q8_0: fn(w: &[u8], a: &[BlockQ8]) -> f32,
    /// Dot product of a Q4_0 weight row with Q8_0 activation blocks: Σ_blocks Σ((qw-8)·qa)·dw·da.
    pub dot_q4_0: fn(w: &[u8], a: &[BlockQ8]) -> f32,
    /// Quantize an activation row (length a multiple of 32) to Q8_0 blocks.
    pub quantize_q8_0: fn(x: &[f32], out: &mut [BlockQ8]),
    /// `out = x / sqrt(mean(x²) + eps) * w`.
    pub rmsnorm: fn(out: &mut [f32], x: &[f32], w: &[f32], eps: f32),
    /// In-place softmax (max-subtracted).
    pub softmax: fn(x: &mut [f32]),
    /// Rotate adjacent pairs `(x[2i], x[2i+1])` of every `head_dim`-long head in `x` by the
    /// angles whose cosines/sines are `cos[i]`, `sin[i]` (`i < cos.len()` = rot_dim / 2).
    pub rope: fn(x: &mut [f32], head_dim: usize, cos: &[f32], sin: &[f32]),
    /// `gate[i] = silu(gate[i]) * up[i]`.
    pub silu_mul: fn(gate: &mut [f32], up: &[f32]),
    /// `y += a * x`.
    pub axpy: fn(y: &mut [f32], a: f32, x: &[f32]),
}

/// Every kernel set compiled into this build, by name.
pub const SETS: &[&Kernels] = &[&scalar::KERNELS];

/// `EDGEBENCH_KERNELS` named a set that is not in this build.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{ENV_VAR}=`{requested}` is not a kernel set of this build; use one of: auto, {known}")]
pub struct UnknownKernelSet {
    pub requested: String,
    pub known: String,
}

/// The kernel set for this process: `EDGEBENCH_KERNELS` if set, else the best available.
pub fn select() -> Result<&'static Kernels, UnknownKernelSet> {
    select_named(std::env::var(ENV_VAR).ok().as_deref())
}

/// [`select`] with the variable's value passed in (`None` or `auto` = best available).
pub fn select_named(name: Option<&str>) -> Result<&'static Kernels, UnknownKernelSet> {
    match name.map(str::trim) {
        None | Some("") | Some("auto") => Ok(select_auto()),
        Some(n) => SETS
            .iter()
            .copied()
            .find(|k| k.name == n)
            .ok_or_else(|| UnknownKernelSet {
                requested: n.to_string(),
                known: SETS.iter().map(|k| k.name).collect::<Vec<_>>().join(", "),
            }),
    }
}

/// Best set for this CPU. Runtime detection goes here when SIMD sets land, e.g.
/// `if is_x86_feature_detected!("avx2") && is_x86_feature_detected!("fma") { return &avx2::KERNELS }`.
pub fn select_auto() -> &'static Kernels {
    &scalar::KERNELS
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn selection_by_name() {
        assert_eq!(select_named(None).unwrap().name, "scalar");
        assert_eq!(select_named(Some("auto")).unwrap().name, "scalar");
        assert_eq!(select_named(Some("scalar")).unwrap().name, "scalar");
        let e = select_named(Some("avx9")).unwrap_err();
        assert!(e.to_string().contains("`avx9` is not a kernel set"), "{e}");
        assert!(e.to_string().contains("scalar"), "{e}");
    }
}
