//! F32-weight products on 512-bit registers for the `avx512vnni` sets (prefill's GEMM): a
//! register-blocked tile of `R` weight rows × `T` activation rows, whose accumulators are the
//! canonical 4 × 8 lanes of [`super::scalar`]'s float dot (`acc[u][l]`, lanes `l` of step `u`
//! of each 32 elements) packed two steps per zmm register: lanes 0–7 hold step `2h`, lanes 8–15
//! step `2h + 1`, and a 16-float load of weights or activations is exactly those two steps.
//! Every product is a multiply then an add in the scalar order, so results are bit-identical to
//! the oracle; each weight load serves `T` activation rows and each activation load `R` weight
//! rows (the AVX2 kernel: 1 weight row × 2 activation rows on 8-lane registers).
//!
//! Rows whose length is not a multiple of 32 go to the `avx2` kernel (same results).
//!
//! `unsafe` here: unaligned 64-byte loads from slices whose lengths were checked.

use super::scalar::{self, batch_shape};
use std::arch::x86_64::*;

/// Weight rows per tile.
const R: usize = 4;
/// Activation rows per tile: 4 × 3 tiles use 24 of the 32 zmm registers for accumulators.
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
    let mut r0 = 0;
    while r0 < rows {
        let rn = (rows - r0).min(R);
        let mut t0 = 0;
        while t0 < n {
            let tn = (n - t0).min(T);
            match (rn, tn) {
                (4, 3) => tile::<4, 3>(w, rb, x, cols, r0, t0, out, rows),
                (4, 2) => tile::<4, 2>(w, rb, x, cols, r0, t0, out, rows),
                (4, 1) => tile::<4, 1>(w, rb, x, cols, r0, t0, out, rows),
                (3, 3) => tile::<3, 3>(w, rb, x, cols, r0, t0, out, rows),
                (3, 2) => tile::<3, 2>(w, rb, x, cols, r0, t0, out, rows),
                (3, 1) => tile::<3, 1>(w, rb, x, cols, r0, t0, out, rows),
                (2, 3) => tile::<2, 3>(w, rb, x, cols, r0, t0, out, rows),
                (2, 2) => tile::<2, 2>(w, rb, x, cols, r0, t0, out, rows),
                (2, 1) => tile::<2, 1>(w, rb, x, cols, r0, t0, out, rows),
                (1, 3) => tile::<1, 3>(w, rb, x, cols, r0, t0, out, rows),
                (1, 2) => tile::<1, 2>(w, rb, x, cols, r0, t0, out, rows),
                _ => tile::<1, 1>(w, rb, x, cols, r0, t0, out, rows),
            }
            t0 += tn;
        }
        r0 += rn;
    }
}

/// One `RR × TT` tile: weight rows `r0..r0 + RR`, activation rows `t0..t0 + TT`; `cols` is a
/// multiple of 32.
#[inline]
#[target_feature(enable = "avx2,fma,f16c,avx512f")]
#[allow(clippy::too_many_arguments)]
fn tile<const RR: usize, const TT: usize>(
    w: &[u8],
    rb: usize,
    x: &[f32],
    cols: usize,
    r0: usize,
    t0: usize,
    out: &mut [f32],
    rows: usize,
) {
    let wrow: [&[u8]; RR] = std::array::from_fn(|r| &w[(r0 + r) * rb..][..rb]);
    let xrow: [&[f32]; TT] = std::array::from_fn(|t| &x[(t0 + t) * cols..][..cols]);
    let mut acc = [[[_mm512_setzero_ps(); 2]; TT]; RR];
    let mut i = 0;
    while i < cols {
        for h in 0..2 {
            let at = i + 16 * h;
            // SAFETY: `at + 16 <= cols` (cols is a multiple of 32): 64 readable bytes of each
            // weight row (4·cols bytes) and each activation row.
            let wv: [__m512; RR] = std::array::from_fn(|r| unsafe {
                _mm512_loadu_ps(wrow[r][4 * at..].as_ptr().cast())
            });
            // SAFETY: as above, 16 floats of each activation row from `at`.
            let xv: [__m512; TT] =
                std::array::from_fn(|t| unsafe { _mm512_loadu_ps(xrow[t][at..].as_ptr()) });
            for (acc, wv) in acc.iter_mut().zip(&wv) {
                for (acc, xv) in acc.iter_mut().zip(&xv) {
                    acc[h] = _mm512_add_ps(acc[h], _mm512_mul_ps(*wv, *xv));
                }
            }
        }
        i += 32;
    }
    for (r, acc) in acc.iter().enumerate() {
        for (t, acc) in acc.iter().enumerate() {
            // s[l] = (acc0[l] + acc1[l]) + (acc2[l] + acc3[l]), then the canonical reduction,
            // plus the (empty) tail as the oracle adds it.
            let (a, b) = (halves(acc[0]), halves(acc[1]));
            let s = _mm256_add_ps(_mm256_add_ps(a.0, a.1), _mm256_add_ps(b.0, b.1));
            let mut lanes = [0f32; 8];
            // SAFETY: 8 writable floats.
            unsafe { _mm256_storeu_ps(lanes.as_mut_ptr(), s) };
            out[(t0 + t) * rows + r0 + r] = scalar::reduce8(lanes) + 0f32;
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
