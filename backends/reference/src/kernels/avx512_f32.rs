//! F32-weight products on 512-bit registers for the `avx512vnni` sets (prefill's GEMM): a
//! register-blocked tile of `R` weight rows × `T` activation rows, whose accumulators are the
//! canonical 4 × 8 lanes of [`super::scalar`]'s float dot (`acc[u][l]`, lanes `l` of step `u`
//! of each 32 elements) packed two steps per zmm register: lanes 0–7 hold step `2h`, lanes 8–15
//! step `2h + 1`, and a 16-float load of weights or activations is exactly those two steps.
//! Every product is a fused multiply-add (`vfmadd231ps`) in the scalar order, so results are
//! bit-identical to the oracle; each weight load serves `T` activation rows and each activation
//! load `R` weight rows (the AVX2 kernel: 1 weight row × 2 activation rows on 8-lane
//! registers).
//!
//! Rows whose length is not a multiple of 32 go to the `avx2` kernel (same results).
//!
//! `unsafe` here: unaligned 64-byte loads from slices whose lengths were checked.

use super::avx2::hsum4x;
use super::scalar::{self, batch_shape};
use std::arch::x86_64::*;

/// Weight rows per tile.
const R: usize = 4;
/// Activation rows per tile: the 4 × 3 tile's 24 accumulators, 3 activation vectors and the
/// weight vector in flight fit the 32 zmm registers.
const T: usize = 3;

/// `out[t * rows + r] = w[r] · x[t]` (see [`super::DotFloat`]) for f32 weights.
#[target_feature(enable = "avx2,fma,f16c,avx512f")]
pub(super) fn dot_f32_bytes_tiled(w: &[u8], rows: usize, x: &[f32], out: &mut [f32]) {
    let (rb, n, cols) = batch_shape(w, rows, x, out);
    if n == 0 {
        return;
    }
    assert_eq!(
        rb,
        4 * cols,
        "dot: weight row and activation row lengths differ"
    );
    if !cols.is_multiple_of(32) {
        // (This function's features include the AVX2 kernel's, so the call is safe.)
        super::avx2::dot_f32_bytes_avx2(w, rows, x, out);
        return;
    }
    // Prefill: while one block of R weight rows meets every activation row, the next block is
    // prefetched a few lines per tile; without it the block's first tile waits on memory (in a
    // whole model the weights are not in any cache).
    let mut r0 = 0;
    while r0 < rows {
        let rn = (rows - r0).min(R);
        let next = &w[((r0 + R) * rb).min(w.len())..((r0 + 2 * R) * rb).min(w.len())];
        let lines = next.len().div_ceil(64);
        // Lines per activation row (none for decode, where the hardware prefetcher keeps up).
        let per_row = if n > T { lines.div_ceil(n) } else { 0 };
        let mut t0 = 0;
        while t0 < n {
            // Tokens left: 3 at a time; the last 4 as 2 + 2, not 3 + 1 (a 4 × 1 tile reuses
            // each weight load once and ran the 64th row of a 64-row batch at a third of the
            // speed); one at a time only when n is 1 (decode) or 1 is all that is left.
            let tn = match n - t0 {
                4 => 2,
                left => left.min(T),
            };
            for l in (t0 * per_row).min(lines)..((t0 + tn) * per_row).min(lines) {
                // SAFETY: `l * 64 < next.len()`: a prefetch hint inside the slice.
                unsafe { _mm_prefetch::<_MM_HINT_T0>(next.as_ptr().add(l * 64).cast()) };
            }
            match (rn, tn) {
                (R, 3) => store(&tile43(w, rb, x, cols, r0, t0), out, rows, r0, t0),
                (R, 2) => store(&tile::<R, 2>(w, rb, x, cols, r0, t0), out, rows, r0, t0),
                (R, _) => store(&tile::<R, 1>(w, rb, x, cols, r0, t0), out, rows, r0, t0),
                // The last rows of a matrix whose row count is not a multiple of R.
                _ => {
                    for r in r0..r0 + rn {
                        for t in t0..t0 + tn {
                            store(&tile::<1, 1>(w, rb, x, cols, r, t), out, rows, r, t);
                        }
                    }
                }
            }
            t0 += tn;
        }
        r0 += rn;
    }
}

/// Row pointers of weight rows `r0..r0 + RR` and activation rows `t0..t0 + TT`, after checking
/// that each holds `cols` floats (a multiple of 32), so that a 16-float load at any `at + 16 <=
/// cols` is in bounds.
fn rows_at<const RR: usize, const TT: usize>(
    w: &[u8],
    rb: usize,
    x: &[f32],
    cols: usize,
    r0: usize,
    t0: usize,
) -> ([*const f32; RR], [*const f32; TT]) {
    assert!((r0 + RR) * rb <= w.len() && (t0 + TT) * cols <= x.len());
    assert!(cols.is_multiple_of(32) && rb == 4 * cols);
    (
        std::array::from_fn(|r| w[(r0 + r) * rb..].as_ptr().cast()),
        std::array::from_fn(|t| x[(t0 + t) * cols..].as_ptr()),
    )
}

/// `RR × TT` accumulators, each as `[steps 0-1, steps 2-3]` of the canonical lanes.
type Acc<const RR: usize, const TT: usize> = [[[__m512; 2]; TT]; RR];

/// The 4 × 3 tile with its 24 accumulators as named locals: written with arrays (or a generic
/// tile), or inlined into its caller, LLVM spilled a third of them to the stack in the inner
/// loop (criterion `batch64_576x1536/f32/avx512vnni` on the Intel Xeon: 1.71 ms spilled,
/// 1.30 ms as it is, which is this CPU's one 512-bit FMA per cycle; multiply then add: 2.64 ms).
#[inline(never)]
#[target_feature(enable = "avx2,fma,f16c,avx512f")]
fn tile43(w: &[u8], rb: usize, x: &[f32], cols: usize, r0: usize, t0: usize) -> Acc<4, 3> {
    let ([w0, w1, w2, w3], [x0, x1, x2]) = rows_at::<4, 3>(w, rb, x, cols, r0, t0);
    let z = _mm512_setzero_ps();
    let (mut l00, mut l01, mut l02, mut l10, mut l11, mut l12) = (z, z, z, z, z, z);
    let (mut l20, mut l21, mut l22, mut l30, mut l31, mut l32) = (z, z, z, z, z, z);
    let (mut h00, mut h01, mut h02, mut h10, mut h11, mut h12) = (z, z, z, z, z, z);
    let (mut h20, mut h21, mut h22, mut h30, mut h31, mut h32) = (z, z, z, z, z, z);
    // One half step: 16 floats at `$at` of the three activation rows, then of each weight row
    // in turn, fused into that row's three accumulators.
    macro_rules! half {
        ($at:expr; $($w:ident => $a0:ident $a1:ident $a2:ident),*) => {{
            let at = $at;
            // SAFETY: `at + 16 <= cols` floats in every row (`rows_at`).
            let (xa, xb, xc) = unsafe {
                (
                    _mm512_loadu_ps(x0.add(at)),
                    _mm512_loadu_ps(x1.add(at)),
                    _mm512_loadu_ps(x2.add(at)),
                )
            };
            $(
                // SAFETY: as above.
                let wv = unsafe { _mm512_loadu_ps($w.add(at)) };
                $a0 = _mm512_fmadd_ps(wv, xa, $a0);
                $a1 = _mm512_fmadd_ps(wv, xb, $a1);
                $a2 = _mm512_fmadd_ps(wv, xc, $a2);
            )*
        }};
    }
    let mut i = 0;
    while i < cols {
        half!(i; w0 => l00 l01 l02, w1 => l10 l11 l12, w2 => l20 l21 l22, w3 => l30 l31 l32);
        half!(i + 16; w0 => h00 h01 h02, w1 => h10 h11 h12, w2 => h20 h21 h22, w3 => h30 h31 h32);
        i += 32;
    }
    [
        [[l00, h00], [l01, h01], [l02, h02]],
        [[l10, h10], [l11, h11], [l12, h12]],
        [[l20, h20], [l21, h21], [l22, h22]],
        [[l30, h30], [l31, h31], [l32, h32]],
    ]
}

/// A generic `RR × TT` tile: `4 × 2` and `4 × 1` for the last activation rows and decode,
/// `1 × 1` for the last weight rows. Steps `2h` and `2h + 1` accumulate in two flat arrays (`lo`
/// for h = 0, `hi` for h = 1): with one array indexed by `h` LLVM rotated the accumulators
/// through extra registers every iteration.
#[inline(never)]
#[target_feature(enable = "avx2,fma,f16c,avx512f")]
fn tile<const RR: usize, const TT: usize>(
    w: &[u8],
    rb: usize,
    x: &[f32],
    cols: usize,
    r0: usize,
    t0: usize,
) -> Acc<RR, TT> {
    let (wp, xp) = rows_at::<RR, TT>(w, rb, x, cols, r0, t0);
    let mut lo = [[_mm512_setzero_ps(); TT]; RR];
    let mut hi = [[_mm512_setzero_ps(); TT]; RR];
    let mut i = 0;
    while i < cols {
        step(&wp, &xp, i, &mut lo);
        step(&wp, &xp, i + 16, &mut hi);
        i += 32;
    }
    std::array::from_fn(|r| std::array::from_fn(|t| [lo[r][t], hi[r][t]]))
}

/// `acc[r][t] += w_r[at..at + 16] · x_t[at..at + 16]` lane-wise, fused.
#[inline]
#[target_feature(enable = "avx2,fma,f16c,avx512f")]
fn step<const RR: usize, const TT: usize>(
    wp: &[*const f32; RR],
    xp: &[*const f32; TT],
    at: usize,
    acc: &mut [[__m512; TT]; RR],
) {
    // SAFETY: `at + 16 <= cols` floats in every row (`rows_at`, called by `tile`).
    let wv: [__m512; RR] = std::array::from_fn(|r| unsafe { _mm512_loadu_ps(wp[r].add(at)) });
    for (t, &xr) in xp.iter().enumerate() {
        // SAFETY: as above.
        let xv = unsafe { _mm512_loadu_ps(xr.add(at)) };
        for (acc, wv) in acc.iter_mut().zip(&wv) {
            acc[t] = _mm512_fmadd_ps(*wv, xv, acc[t]);
        }
    }
}

/// Writes tile `(r0, t0)`'s dot products: per accumulator pair the lanes combined as
/// `(acc0 + acc1) + (acc2 + acc3)`, the canonical reduction, plus the (empty) tail as the
/// oracle adds it (which turns −0 into +0). A token's four rows are contiguous in `out` and are
/// reduced together (`avx2::hsum4x`, the same operations lane by lane).
#[inline]
#[target_feature(enable = "avx2,fma,f16c,avx512f")]
fn store<const RR: usize, const TT: usize>(
    acc: &Acc<RR, TT>,
    out: &mut [f32],
    rows: usize,
    r0: usize,
    t0: usize,
) {
    let lanes = |acc: &[__m512; 2]| {
        let (a, b) = (halves(acc[0]), halves(acc[1]));
        _mm256_add_ps(_mm256_add_ps(a.0, a.1), _mm256_add_ps(b.0, b.1))
    };
    for t in 0..TT {
        let o = &mut out[(t0 + t) * rows + r0..][..RR];
        if RR == 4 {
            let s = hsum4x(std::array::from_fn(|r| lanes(&acc[r][t])));
            let s = _mm_add_ps(s, _mm_setzero_ps());
            // SAFETY: `o` is 4 writable floats.
            unsafe { _mm_storeu_ps(o.as_mut_ptr(), s) };
        } else {
            for (r, o) in o.iter_mut().enumerate() {
                let mut v = [0f32; 8];
                // SAFETY: 8 writable floats.
                unsafe { _mm256_storeu_ps(v.as_mut_ptr(), lanes(&acc[r][t])) };
                *o = scalar::reduce8(v) + 0f32;
            }
        }
    }
}

/// Lanes 0–7 and 8–15 of `v`.
#[inline]
#[target_feature(enable = "avx2,fma,f16c,avx512f")]
fn halves(v: __m512) -> (__m256, __m256) {
    let d = _mm512_castps_pd(v);
    (
        _mm512_castps512_ps256(v),
        _mm256_castpd_ps(_mm512_extractf64x4_pd::<1>(d)),
    )
}
