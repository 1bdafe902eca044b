//! Compute kernels behind a table of function pointers chosen once at load time.
//!
//! [`scalar::KERNELS`] is always compiled and is the oracle every faster set is tested
//! against. The SIMD sets, all bit-identical to it: `avx2` (x86_64: AVX2 + FMA + F16C),
//! `avx512vnni` (`avx2` plus AVX-512 VNNI/VL integer dot products on 256-bit vectors), `neon`
//! (aarch64 ARMv8.0 Advanced SIMD: Raspberry Pi 4), `avx2-pf`/`avx512vnni-pf` (the same with
//! software prefetch in the interleaved products: [`prefetch_twin`]) and `neon-dotprod` (`neon` with the
//! ARMv8.2 `sdot` integer dot product: Pi 5, Jetson Orin, phones). [`SETS`] is the one list of
//! them: name, architecture, table and feature check. [`select_auto`] picks the best one this
//! CPU runs; [`select`] reads `EDGEBENCH_KERNELS` (`auto`, `scalar`, or a set name) and
//! refuses a set this CPU cannot run. The chosen set's name goes into every report.
//!
//! Weight dot products are *batched*: one weight row against `out.len()` activation rows, so
//! prefill reads and unpacks each weight block once for several tokens. Every output is
//! computed with the same sequence of operations whatever the batch size, so batched prefill
//! and step-wise decoding agree bit for bit.

/// A kernel-table entry calling the `#[target_feature]` function `$f` of a SIMD set:
/// `guarded!(f, (args))` checks the invoking module's `detected()`, `guarded!(f if d, (args))`
/// the feature check `d`.
#[cfg(any(target_arch = "x86_64", target_arch = "aarch64"))]
macro_rules! guarded {
    ($f:ident if $det:ident, ($($a:ident: $t:ty),*) $(-> $r:ty)?) => {
        |$($a: $t),*| $(-> $r)? {
            debug_assert!($det());
            // SAFETY: the kernel tables are private to `kernels`, which hands a SIMD table out
            // only after its feature check confirmed every feature its functions enable
            // (`kernels::SETS`, `sets`, `select_named`).
            unsafe { $f($($a),*) }
        }
    };
    ($f:path, ($($a:ident: $t:ty),*) $(-> $r:ty)?) => {
        |$($a: $t),*| $(-> $r)? {
            debug_assert!(detected());
            // SAFETY: as above.
            unsafe { $f($($a),*) }
        }
    };
}

mod attention;
#[cfg(target_arch = "x86_64")]
mod avx2;
#[cfg(target_arch = "x86_64")]
mod avx512_f32;
mod matmul;
#[cfg(target_arch = "aarch64")]
mod neon;
#[cfg(target_arch = "aarch64")]
mod neon_dotprod;
#[cfg(target_arch = "aarch64")]
mod neon_int;
#[cfg(target_arch = "aarch64")]
mod neon_x8;
mod pool;
pub mod scalar;
pub mod scalar_x8;
pub mod stream;
#[cfg(target_arch = "x86_64")]
mod vnni;
#[cfg(target_arch = "x86_64")]
mod x86_x8;

pub use attention::{attention, AttentionShape};
pub use matmul::{matmul, matmul_many, MatRef, MatmulScratch, Task};
pub use pool::ThreadPool;

use crate::quant::{BlockQ8, BlockQ8K};

/// Environment variable that forces a kernel set.
pub const ENV_VAR: &str = "EDGEBENCH_KERNELS";

/// `rows` weight rows (raw GGUF bytes, back to back) against `n = out.len() / rows`
/// activation rows (back to back): `out[t * rows + r] = w[r] · x[t]`. For F32/F16 weights the
/// activations are f32 rows of the row length.
pub type DotFloat = fn(w: &[u8], rows: usize, x: &[f32], out: &mut [f32]);
/// As [`DotFloat`] with activations quantized to Q8_0 blocks (Q8_0, Q4_0, Q5_0 weights).
pub type DotQ8 = fn(w: &[u8], rows: usize, a: &[BlockQ8], out: &mut [f32]);
/// As [`DotFloat`] with activations quantized to Q8_K blocks (Q4_K, Q6_K weights).
pub type DotQ8K = fn(w: &[u8], rows: usize, a: &[BlockQ8K], out: &mut [f32]);
/// Row-interleaved ([`crate::quant::x8`]) Q4_0/Q5_0/Q8_0 weights, `rows` (a multiple of 8) rows
/// of them, against `n = out.len() / rows` Q8_0 activation rows; `asum[i]` is the sum of the
/// quants of activation block `a[i]`; `out[t * rows + r]`.
pub type DotX8 = fn(w: &[u8], rows: usize, a: &[BlockQ8], asum: &[i32], out: &mut [f32]);
/// Attention of one query head over `len` cached positions (see [`Kernels::attend`]).
pub type Attend = fn(
    q: &[f32],
    k: &[f32],
    v: &[f32],
    stride: usize,
    len: usize,
    scale: f32,
    scores: &mut [f32],
    out: &mut [f32],
);

/// One kernel set.
#[derive(Debug)]
pub struct Kernels {
    /// Set name written into reports (`scalar`, `avx2`, `neon-dotprod`, ...).
    pub name: &'static str,
    /// Dot product of two f32 slices of equal length (attention scores).
    pub dot_f32: fn(a: &[f32], b: &[f32]) -> f32,
    /// F32 weight row · f32 activation rows.
    pub dot_f32_bytes: DotFloat,
    /// F16 weight row · f32 activation rows.
    pub dot_f16: DotFloat,
    /// Q8_0 weight row: Σ_blocks Σ(qw·qa)·dw·da.
    pub dot_q8_0: DotQ8,
    /// Q4_0 weight row: Σ_blocks Σ((qw−8)·qa)·dw·da.
    pub dot_q4_0: DotQ8,
    /// Q5_0 weight row: Σ_blocks Σ((qw−16)·qa)·dw·da.
    pub dot_q5_0: DotQ8,
    /// Row-interleaved Q4_0 weights (see [`DotX8`]).
    pub dot_q4_0x8: DotX8,
    /// Row-interleaved Q5_0 weights ([`crate::quant::x8::q50`], see [`DotX8`]).
    pub dot_q5_0x8: DotX8,
    /// Row-interleaved Q8_0 weights (see [`DotX8`]).
    pub dot_q8_0x8: DotX8,
    /// Row-interleaved Q4_K weights ([`crate::quant::x8::q4k`]), `rows` a multiple of 8,
    /// against Q8_K activation rows.
    pub dot_q4_kx8: DotQ8K,
    /// Row-interleaved Q6_K weights ([`crate::quant::x8::q6k`]), `rows` a multiple of 8,
    /// against Q8_K activation rows.
    pub dot_q6_kx8: DotQ8K,
    /// Q4_K weight row: Σ_superblocks dw·da·Σ_j sc_j·Σ(q·qa) − dminw·da·Σ_j m_j·bsum_j.
    pub dot_q4_k: DotQ8K,
    /// Q6_K weight row: Σ_superblocks dw·da·Σ_j sc_j·Σ((q−32)·qa).
    pub dot_q6_k: DotQ8K,
    /// Quantize an activation row (length a multiple of 32) to Q8_0 blocks.
    pub quantize_q8_0: fn(x: &[f32], out: &mut [BlockQ8]),
    /// Quantize an activation row (length a multiple of 256) to Q8_K blocks.
    pub quantize_q8_k: fn(x: &[f32], out: &mut [BlockQ8K]),
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
    /// One query head `q` (length `hd`) over cached keys/values `k[j*stride..][..hd]`,
    /// `v[j*stride..][..hd]` for `j < len`: `out = Σ_j softmax_j(scale · q·k_j) · v_j`.
    /// `scores` is scratch of at least `len` floats.
    pub attend: Attend,
}

impl Kernels {
    /// Whether this CPU can run the set (checked at run time).
    pub fn supported(&self) -> bool {
        SETS.iter().any(|k| k.name == self.name && k.runs_here())
    }
}

/// A batched weight dot ([`DotFloat`], [`DotQ8`], [`DotQ8K`]) with a single activation row.
pub fn dot1<A>(f: fn(&[u8], usize, &[A], &mut [f32]), w: &[u8], a: &[A]) -> f32 {
    let mut out = [0f32];
    f(w, 1, a, &mut out);
    out[0]
}

/// A kernel set edgebench has, compiled into this build or not.
#[derive(Debug)]
pub struct KernelSet {
    /// The set's name (`EDGEBENCH_KERNELS`, reports); equal to its table's [`Kernels::name`].
    pub name: &'static str,
    /// The CPU architecture it is written for (`any` for the scalar oracle).
    pub arch: &'static str,
    /// Its table when compiled for this build's architecture. Private: a SIMD table may only
    /// be handed out after `detected` confirmed its CPU features ([`sets`], [`select_named`]),
    /// which is what makes calling its `#[target_feature]` functions sound.
    table: Option<&'static Kernels>,
    /// The run-time feature check (always false for a set of another architecture).
    detected: fn() -> bool,
}

/// A [`KernelSet`] entry for `arch`: `$table` and `$detected` exist only when compiling for it.
macro_rules! set {
    ($name:literal, $arch:literal, $table:path, $detected:path) => {
        KernelSet {
            name: $name,
            arch: $arch,
            #[cfg(target_arch = $arch)]
            table: Some(&$table),
            #[cfg(target_arch = $arch)]
            detected: $detected,
            #[cfg(not(target_arch = $arch))]
            table: None,
            #[cfg(not(target_arch = $arch))]
            detected: never,
        }
    };
}

/// Every kernel set, the one list of their names: scalar first, then per architecture from
/// the most portable to the best ([`select_auto`] takes the last one this CPU runs).
pub const SETS: &[KernelSet] = &[
    KernelSet {
        name: "scalar",
        arch: "any",
        table: Some(&scalar::KERNELS),
        detected: always,
    },
    set!("avx2-pf", "x86_64", avx2::KERNELS_PF, avx2::detected),
    set!("avx2", "x86_64", avx2::KERNELS, avx2::detected),
    set!("avx512vnni-pf", "x86_64", vnni::KERNELS_PF, vnni::detected),
    set!("avx512vnni", "x86_64", vnni::KERNELS, vnni::detected),
    set!("neon", "aarch64", neon::KERNELS, neon::detected),
    set!(
        "neon-dotprod",
        "aarch64",
        neon_dotprod::KERNELS,
        neon_dotprod::detected
    ),
];

fn always() -> bool {
    true
}

fn never() -> bool {
    false
}

impl KernelSet {
    /// Compiled into this build and runnable on this CPU.
    pub fn runs_here(&self) -> bool {
        self.table.is_some() && (self.detected)()
    }

    /// Compiled into this build (for this architecture).
    pub fn compiled(&self) -> bool {
        self.table.is_some()
    }
}

/// `EDGEBENCH_KERNELS` named a set that is not in this build or that this CPU cannot run.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{ENV_VAR}=`{requested}` {problem}; use one of: auto, {available}")]
pub struct UnknownKernelSet {
    pub requested: String,
    /// "is not a kernel set of this build" or "needs CPU features this machine lacks".
    pub problem: String,
    /// The sets this build has and this CPU runs.
    pub available: String,
}

/// The kernel set for this process: `EDGEBENCH_KERNELS` if set, else the best available.
pub fn select() -> Result<&'static Kernels, UnknownKernelSet> {
    select_named(std::env::var(ENV_VAR).ok().as_deref())
}

/// The sets compiled in that this CPU can run (scalar first, best last).
pub fn sets() -> Vec<&'static Kernels> {
    SETS.iter()
        .filter(|k| k.runs_here())
        .filter_map(|k| k.table)
        .collect()
}

/// Names of [`sets`].
pub fn available() -> Vec<&'static str> {
    sets().iter().map(|k| k.name).collect()
}

/// [`select`] with the variable's value passed in (`None` or `auto` = best available).
pub fn select_named(name: Option<&str>) -> Result<&'static Kernels, UnknownKernelSet> {
    let err = |n: &str, problem: &str| UnknownKernelSet {
        requested: n.to_string(),
        problem: problem.to_string(),
        available: available().join(", "),
    };
    match name.map(str::trim) {
        None | Some("") | Some("auto") => Ok(select_auto()),
        Some(n) => match SETS.iter().find(|k| k.name == n) {
            Some(k) => match k.table {
                Some(table) if (k.detected)() => Ok(table),
                Some(_) => Err(err(n, "needs CPU features this machine lacks")),
                None => Err(err(
                    n,
                    &format!(
                        "is not compiled into this build (it is for another CPU architecture, {}; this build is for {})",
                        k.arch,
                        std::env::consts::ARCH
                    ),
                )),
            },
            None => Err(err(n, "is not a kernel set of this build")),
        },
    }
}

/// The set that computes exactly what `k` computes with its interleaved products prefetching
/// ahead of their weight stream (`avx2` → `avx2-pf`, `avx512vnni` → `avx512vnni-pf`), if there is
/// one: the loader times both ([`crate::model::tune`]) unless `EDGEBENCH_KERNELS` names a set.
pub fn prefetch_twin(k: &Kernels) -> Option<&'static Kernels> {
    let want = format!("{}-pf", k.name);
    sets().into_iter().find(|t| t.name == want)
}

/// Best set for this CPU: the last compiled set whose features are detected.
pub fn select_auto() -> &'static Kernels {
    sets().last().copied().unwrap_or(&scalar::KERNELS)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn selection_by_name() {
        let best = select_auto().name;
        assert_eq!(select_named(None).unwrap().name, best);
        assert_eq!(select_named(Some("auto")).unwrap().name, best);
        assert_eq!(select_named(Some("scalar")).unwrap().name, "scalar");
        let e = select_named(Some("avx9")).unwrap_err();
        assert!(e.to_string().contains("`avx9` is not a kernel set"), "{e}");
        assert!(e.to_string().contains("scalar"), "{e}");
        #[cfg(target_arch = "x86_64")]
        {
            for other in ["neon", "neon-dotprod"] {
                let e = select_named(Some(other)).unwrap_err();
                assert!(e.to_string().contains("another CPU architecture"), "{e}");
                assert!(e.to_string().contains("aarch64"), "{e}");
            }
            if vnni::detected() {
                assert_eq!(best, "avx512vnni");
            } else if avx2::detected() {
                assert_eq!(best, "avx2");
                assert_eq!(select_named(Some("avx2")).unwrap().name, "avx2");
            }
        }
        #[cfg(target_arch = "aarch64")]
        {
            let e = select_named(Some("avx2")).unwrap_err();
            assert!(e.to_string().contains("another CPU architecture"), "{e}");
            assert_eq!(select_named(Some("neon")).unwrap().name, "neon");
            if neon_dotprod::detected() {
                assert_eq!(best, "neon-dotprod");
            } else {
                assert_eq!(best, "neon");
                let e = select_named(Some("neon-dotprod")).unwrap_err();
                assert!(e.to_string().contains("lacks"), "{e}");
            }
        }
    }

    #[test]
    fn one_list_of_sets() {
        let mut names: Vec<_> = SETS.iter().map(|k| k.name).collect();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), SETS.len(), "set names are unique");
        for k in SETS {
            if let Some(table) = k.table {
                assert_eq!(table.name, k.name, "table name of {}", k.name);
                assert!(k.arch == "any" || k.arch == std::env::consts::ARCH);
            } else {
                assert_ne!(k.arch, std::env::consts::ARCH, "{} is not compiled", k.name);
            }
            assert_eq!(k.runs_here(), sets().iter().any(|t| t.name == k.name));
        }
        assert_eq!(sets()[0].name, "scalar");
    }
}
