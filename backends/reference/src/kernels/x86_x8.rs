//! x86_64 versions of the row-interleaved Q4_0/Q5_0/Q8_0/Q4_K/Q6_K dot products
//! ([`crate::quant::x8`]): an AVX2 set (`maddubs` + `madd`) and an AVX-512 VNNI set
//! (`vpdpbusd` on 256-bit vectors, AVX512VL), generated from one body by [`x8_kernels!`].
//!
//! Lane `r` of every vector belongs to row `r` of the eight-row group: a group block's
//! integer sums come out as one vector, then one `cvtph`, one scale multiply and one add serve
//! eight rows. Integer sums are exact in both versions, and the float steps are those of
//! [`super::scalar_x8`], so both agree with the scalar oracle bit for bit. Prefill runs up to
//! four activation rows per pass over the weights.
//!
//! `unsafe` here: unaligned loads from slices whose lengths were checked by `x8_shape`, and
//! calls of `#[target_feature]` functions from the guarded tables.

use super::scalar_x8::{x8_shape, x8k_shape, x8q6k_shape};
use crate::quant::x8::{q4k, q50, q6k, ROWS};
use crate::quant::{q4_0, q5_0, q8_0, BlockQ8, BlockQ8K, QK};
use std::arch::x86_64::*;

/// 32 bytes at `p` (caller guarantees they are readable).
#[inline(always)]
unsafe fn ld(p: *const u8) -> __m256i {
    // SAFETY: the caller guarantees 32 readable bytes; loadu needs no alignment.
    unsafe { _mm256_loadu_si256(p.cast()) }
}

/// Activation bytes `4c..4c+4` of a block broadcast to all eight lanes.
#[inline(always)]
fn bcast4(qs: &[i8], at: usize) -> i32 {
    i32::from_le_bytes([
        qs[at] as u8,
        qs[at + 1] as u8,
        qs[at + 2] as u8,
        qs[at + 3] as u8,
    ])
}

/// Calls `tile(g, t0, tn)` for each 8-row group `g` and each run `t0..t0 + tn` of up to four
/// activation rows (prefill reads a group's weights once per four tokens).
#[inline(always)]
fn for_tiles(rows: usize, n: usize, mut tile: impl FnMut(usize, usize, usize)) {
    for g in 0..rows / ROWS {
        let mut t0 = 0;
        while t0 < n {
            let tn = (n - t0).min(4);
            tile(g, t0, tn);
            t0 += tn;
        }
    }
}

/// Low and high nibbles of 32 bytes, as bytes.
#[inline]
#[target_feature(enable = "avx2,fma,f16c")]
fn nibbles(v: __m256i) -> (__m256i, __m256i) {
    let m4 = _mm256_set1_epi8(0x0f);
    (
        _mm256_and_si256(v, m4),
        _mm256_and_si256(_mm256_srli_epi16::<4>(v), m4),
    )
}

/// The fifth bits of Q5_0 chunk half `j` ([`q50::hb_bit`]) moved to bit 4 of each byte and
/// masked: `j` is a constant wherever this is inlined, so the variable shift folds into an
/// immediate one (none for `j = 4`).
#[inline]
#[target_feature(enable = "avx2,fma,f16c")]
fn fifth_bits(qh: __m256i, j: u32) -> __m256i {
    let s = if j < 4 {
        _mm256_sllv_epi32(qh, _mm256_set1_epi32((4 - j) as i32))
    } else {
        _mm256_srlv_epi32(qh, _mm256_set1_epi32((j - 4) as i32))
    };
    _mm256_and_si256(s, _mm256_set1_epi8(0x10))
}

/// A Q5_0 group block's 4 chunks as unsigned 5-bit quants: `(low halves, high halves)`, row
/// `r` in lane `r`.
#[inline]
#[target_feature(enable = "avx2,fma,f16c")]
unsafe fn q5_0_chunks(p: *const u8) -> ([__m256i; 4], [__m256i; 4]) {
    // SAFETY: the caller guarantees a whole group block (q50::BYTES) at `p`.
    let qh = unsafe { ld(p.add(q50::QH)) };
    let mut lo = [_mm256_setzero_si256(); 4];
    let mut hi = [_mm256_setzero_si256(); 4];
    for c in 0..4 {
        // SAFETY: as above.
        let (l, h) = nibbles(unsafe { ld(p.add(q50::QS + 32 * c)) });
        lo[c] = _mm256_or_si256(l, fifth_bits(qh, q50::hb_bit(c, false)));
        hi[c] = _mm256_or_si256(h, fifth_bits(qh, q50::hb_bit(c, true)));
    }
    (lo, hi)
}

/// Quants `128h + 32m + 4c..+4` (chunk `c` < 8) of a Q6_K group super-block as unsigned
/// 6-bit bytes, row `r` in lane `r`: chunks 0..4 are sub-block `8h + 2m`, 4..8 `8h + 2m + 1`.
/// (Unpacking the two `m` that share their `ql` bytes together saves a few operations but
/// holds 16 vectors, which spilled: slower with VNNI.)
#[inline]
#[target_feature(enable = "avx2,fma,f16c")]
unsafe fn q6_k_chunks(p: *const u8, h: usize, m: usize) -> [__m256i; 8] {
    let (m4, m30) = (_mm256_set1_epi8(0x0f), _mm256_set1_epi8(0x30));
    std::array::from_fn(|c| {
        // SAFETY: the caller guarantees a whole group super-block at `p`; chunk
        // `16h + 8(m % 2) + c` of the `ql` area and `8h + c` of the `qh` area lie inside it.
        let (ql, qh) = unsafe {
            (
                ld(p.add(q6k::QL + 32 * (16 * h + 8 * (m % 2) + c))),
                ld(p.add(q6k::QH + 32 * (8 * h + c))),
            )
        };
        let nib = if m < 2 {
            _mm256_and_si256(ql, m4)
        } else {
            _mm256_and_si256(_mm256_srli_epi16::<4>(ql), m4)
        };
        // Bits 2m..2m + 2 of each qh byte to bits 4..6 (masking drops what crossed bytes).
        let hb = match m {
            0 => _mm256_slli_epi32::<4>(qh),
            1 => _mm256_slli_epi32::<2>(qh),
            2 => qh,
            _ => _mm256_srli_epi32::<2>(qh),
        };
        _mm256_or_si256(nib, _mm256_and_si256(hb, m30))
    })
}

/// Stores the `tn` accumulators of a tile: row `g·8 + lane` of activation row `t0 + t`.
#[inline]
#[target_feature(enable = "avx2,fma,f16c")]
fn store_tile(out: &mut [f32], rows: usize, g: usize, t0: usize, acc: &[__m256]) {
    for (t, acc) in acc.iter().enumerate() {
        let o = &mut out[(t0 + t) * rows + g * ROWS..][..ROWS];
        // SAFETY: `o` has 8 writable floats.
        unsafe { _mm256_storeu_ps(o.as_mut_ptr(), *acc) };
    }
}

/// `acc + (d_w·d_a)·sum` per lane (multiply, multiply, add: the scalar twin's steps).
#[inline]
#[target_feature(enable = "avx2,fma,f16c")]
fn add_scaled(acc: __m256, dw: __m256, da: f32, sum: __m256i) -> __m256 {
    let d = _mm256_mul_ps(dw, _mm256_set1_ps(da));
    _mm256_add_ps(acc, _mm256_mul_ps(d, _mm256_cvtepi32_ps(sum)))
}

/// The 8 f16 scales at `p` as f32.
#[inline]
#[target_feature(enable = "avx2,fma,f16c")]
unsafe fn scales8(p: *const u8) -> __m256 {
    // SAFETY: the caller guarantees 16 readable bytes.
    _mm256_cvtph_ps(unsafe { _mm_loadu_si128(p.cast()) })
}

/// How far ahead (bytes) the `-pf` sets' interleaved Q4_0/Q5_0/Q8_0/Q6_K products prefetch:
/// measured on the Intel Xeon dev VM (backends/reference/README.md, "Why the x8 layout was
/// slower"); 16 KiB was no better on q4_0 and worse on q8_0. (For Q6_K it is what keeps the
/// `avx2` product level with the file layout on TinyLlama-sized matrices.)
pub(super) const X8_PREFETCH_BYTES: usize = 4096;

/// With `PF > 0`, a software prefetch (into L2) of the `len` bytes `PF` bytes past `p`: the
/// group blocks of a decode product are one forward stream, and this covers DRAM latency where
/// the hardware prefetcher alone does not (it stops at every 4 KiB page). Prefetching never
/// faults; `wrapping_add` keeps the address arithmetic defined past the end of the weights.
#[inline(always)]
fn prefetch_ahead<const PF: usize>(p: *const u8, len: usize) {
    if PF > 0 {
        let mut at = 0;
        while at < len {
            // SAFETY: a prefetch is a hint that never faults, whatever the address.
            unsafe { _mm_prefetch::<_MM_HINT_T1>(p.wrapping_add(PF + at).cast()) };
            at += 64;
        }
    }
}

macro_rules! x8_kernels {
    (
        $feat:literal,
        $q4:ident,
        $q5:ident,
        $q8:ident,
        $q4k:ident,
        $q6k:ident,
        $nib_sums:ident,
        $q6_scaled:ident,
        $dot_s8:ident
    ) => {
        /// Interleaved Q6_K rows against Q8_K activation rows; see
        /// [`super::scalar_x8::dot_q6_kx8`].
        #[target_feature(enable = $feat)]
        pub(super) fn $q6k<const PF: usize>(
            w: &[u8],
            rows: usize,
            a: &[BlockQ8K],
            out: &mut [f32],
        ) {
            let (nb, n) = x8q6k_shape(w, rows, a, out);
            for_tiles(rows, n, |g, t0, tn| {
                let mut acc = [_mm256_setzero_ps(); 4];
                for b in 0..nb {
                    let blk = &w[(g * nb + b) * q6k::BYTES..][..q6k::BYTES];
                    let p = blk.as_ptr();
                    prefetch_ahead::<PF>(p, q6k::BYTES);
                    // Lane r of pair k: row r's scales of sub-blocks 2k, 2k + 1 (i16 each).
                    // SAFETY: the 8 × 16 scale bytes lie inside `blk`.
                    let sc: [__m256i; 8] = std::array::from_fn(|k| unsafe {
                        _mm256_cvtepi8_epi16(_mm_loadu_si128(p.add(q6k::SC + 16 * k).cast()))
                    });
                    let mut isum = [_mm256_setzero_si256(); 4];
                    for h in 0..2 {
                        for m in 0..4 {
                            // SAFETY: `p` is a whole group super-block.
                            let q = unsafe { q6_k_chunks(p, h, m) };
                            for (t, isum) in isum.iter_mut().enumerate().take(tn) {
                                let (qs, at) = (&a[(t0 + t) * nb + b].qs, 128 * h + 32 * m);
                                // SAFETY: this function enables the set's features.
                                let s = unsafe { $q6_scaled(&q, qs, at, sc[4 * h + m]) };
                                *isum = _mm256_add_epi32(*isum, s);
                            }
                        }
                    }
                    // SAFETY: the 8 f16 `d` lie inside `blk`.
                    let dw = unsafe { scales8(p.add(q6k::D)) };
                    for (t, acc) in acc.iter_mut().enumerate().take(tn) {
                        let ab = &a[(t0 + t) * nb + b];
                        // Σ_j sc_j·bsum_j per lane: the `−32` of the quants.
                        let mut msum = _mm256_setzero_si256();
                        for (k, sc) in sc.iter().enumerate() {
                            let pair = i32::from(ab.bsums[2 * k] as u16)
                                | (i32::from(ab.bsums[2 * k + 1] as u16) << 16);
                            msum = _mm256_add_epi32(
                                msum,
                                _mm256_madd_epi16(*sc, _mm256_set1_epi32(pair)),
                            );
                        }
                        let s = _mm256_sub_epi32(isum[t], _mm256_slli_epi32::<5>(msum));
                        *acc = add_scaled(*acc, dw, ab.d, s);
                    }
                }
                store_tile(out, rows, g, t0, &acc[..tn]);
            });
        }

        /// Interleaved Q4_K rows against Q8_K activation rows; see
        /// [`super::scalar_x8::dot_q4_kx8`].
        #[target_feature(enable = $feat)]
        pub(super) fn $q4k(w: &[u8], rows: usize, a: &[BlockQ8K], out: &mut [f32]) {
            let (nb, n) = x8k_shape(w, rows, a, out);
            for_tiles(rows, n, |g, t0, tn| {
                let mut acc = [_mm256_setzero_ps(); 4];
                for b in 0..nb {
                    let blk = &w[(g * nb + b) * q4k::BYTES..][..q4k::BYTES];
                    let p = blk.as_ptr();
                    let mut isum = [_mm256_setzero_si256(); 4];
                    for pair in 0..4 {
                        let mut lo = [_mm256_setzero_si256(); 8];
                        let mut hi = [_mm256_setzero_si256(); 8];
                        for c in 0..8 {
                            // SAFETY: `blk` holds q4k::BYTES bytes; the quants of pair
                            // `pair` chunk `c` are 32 bytes inside it.
                            let q = unsafe { ld(p.add(q4k::QS + (pair * 8 + c) * 32)) };
                            (lo[c], hi[c]) = nibbles(q);
                        }
                        // SAFETY: 8 scale bytes per sub-block inside `blk`.
                        let (sl, sh) = unsafe {
                            (
                                _mm256_cvtepu8_epi32(_mm_loadl_epi64(
                                    p.add(q4k::SC + 16 * pair).cast(),
                                )),
                                _mm256_cvtepu8_epi32(_mm_loadl_epi64(
                                    p.add(q4k::SC + 16 * pair + 8).cast(),
                                )),
                            )
                        };
                        for (t, isum) in isum.iter_mut().enumerate().take(tn) {
                            let qs = &a[(t0 + t) * nb + b].qs;
                            let (il, ih) = $nib_sums(&lo, &hi, qs, 64 * pair, 64 * pair + 32);
                            let s = _mm256_add_epi32(
                                _mm256_mullo_epi32(il, sl),
                                _mm256_mullo_epi32(ih, sh),
                            );
                            *isum = _mm256_add_epi32(*isum, s);
                        }
                    }
                    // SAFETY: the f16 `d`/`dmin` (16 bytes each) and the 4 × 16 min bytes
                    // lie inside `blk`.
                    let (dw, dm, mins) = unsafe {
                        (
                            scales8(p.add(q4k::D)),
                            scales8(p.add(q4k::DMIN)),
                            [0, 1, 2, 3].map(|k| {
                                _mm256_cvtepu8_epi16(_mm_loadu_si128(
                                    p.add(q4k::MN + 16 * k).cast(),
                                ))
                            }),
                        )
                    };
                    for (t, acc) in acc.iter_mut().enumerate().take(tn) {
                        let ab = &a[(t0 + t) * nb + b];
                        // Sub-block sums of the activations (|·| ≤ 32·128, an i16).
                        let bs =
                            |j: usize| (ab.bsums[2 * j] as i32 + ab.bsums[2 * j + 1] as i32) as u16;
                        let mut msum = _mm256_setzero_si256();
                        for (k, m) in mins.iter().enumerate() {
                            let pair = i32::from(bs(2 * k)) | (i32::from(bs(2 * k + 1)) << 16);
                            msum = _mm256_add_epi32(
                                msum,
                                _mm256_madd_epi16(*m, _mm256_set1_epi32(pair)),
                            );
                        }
                        *acc = add_scaled(*acc, dw, ab.d, isum[t]);
                        let y = _mm256_mul_ps(
                            _mm256_mul_ps(dm, _mm256_set1_ps(ab.d)),
                            _mm256_cvtepi32_ps(msum),
                        );
                        *acc = _mm256_sub_ps(*acc, y);
                    }
                }
                store_tile(out, rows, g, t0, &acc[..tn]);
            });
        }

        /// Interleaved Q4_0 rows against activation rows; see the module docs.
        #[target_feature(enable = $feat)]
        pub(super) fn $q4<const PF: usize>(
            w: &[u8],
            rows: usize,
            a: &[BlockQ8],
            asum: &[i32],
            out: &mut [f32],
        ) {
            const BB: usize = q4_0::BLOCK_BYTES;
            let (nb, n) = x8_shape(w, rows, BB, a, asum, out);
            let gb = ROWS * BB;
            for_tiles(rows, n, |g, t0, tn| {
                let mut acc = [_mm256_setzero_ps(); 4];
                for b in 0..nb {
                    let p = w[(g * nb + b) * gb..][..gb].as_ptr();
                    prefetch_ahead::<PF>(p, gb);
                    // SAFETY: a group block is 16 scale bytes + 4 × 32 quant bytes (`gb`).
                    let dw = unsafe { scales8(p) };
                    let mut lo = [_mm256_setzero_si256(); 4];
                    let mut hi = [_mm256_setzero_si256(); 4];
                    for c in 0..4 {
                        // SAFETY: as above.
                        (lo[c], hi[c]) = nibbles(unsafe { ld(p.add(16 + 32 * c)) });
                    }
                    for (t, acc) in acc.iter_mut().enumerate().take(tn) {
                        let i = (t0 + t) * nb + b;
                        let (sl, sh) = $nib_sums(&lo, &hi, &a[i].qs, 0, QK / 2);
                        let s = _mm256_add_epi32(sl, sh);
                        let s = _mm256_sub_epi32(s, _mm256_set1_epi32(8 * asum[i]));
                        *acc = add_scaled(*acc, dw, a[i].d, s);
                    }
                }
                store_tile(out, rows, g, t0, &acc[..tn]);
            });
        }

        /// Interleaved Q5_0 rows against activation rows; see
        /// [`super::scalar_x8::dot_q5_0x8`].
        #[target_feature(enable = $feat)]
        pub(super) fn $q5<const PF: usize>(
            w: &[u8],
            rows: usize,
            a: &[BlockQ8],
            asum: &[i32],
            out: &mut [f32],
        ) {
            const BB: usize = q5_0::BLOCK_BYTES;
            let (nb, n) = x8_shape(w, rows, BB, a, asum, out);
            let gb = q50::BYTES;
            for_tiles(rows, n, |g, t0, tn| {
                let mut acc = [_mm256_setzero_ps(); 4];
                for b in 0..nb {
                    let p = w[(g * nb + b) * gb..][..gb].as_ptr();
                    prefetch_ahead::<PF>(p, gb);
                    // SAFETY: `p` is a whole group block (`gb` bytes).
                    let (dw, (lo, hi)) = unsafe { (scales8(p.add(q50::D)), q5_0_chunks(p)) };
                    for (t, acc) in acc.iter_mut().enumerate().take(tn) {
                        let i = (t0 + t) * nb + b;
                        let (sl, sh) = $nib_sums(&lo, &hi, &a[i].qs, 0, QK / 2);
                        let s = _mm256_add_epi32(sl, sh);
                        let s = _mm256_sub_epi32(s, _mm256_set1_epi32(16 * asum[i]));
                        *acc = add_scaled(*acc, dw, a[i].d, s);
                    }
                }
                store_tile(out, rows, g, t0, &acc[..tn]);
            });
        }

        /// Interleaved Q8_0 rows against activation rows; see the module docs.
        #[target_feature(enable = $feat)]
        pub(super) fn $q8<const PF: usize>(
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
                let mut acc = [_mm256_setzero_ps(); 4];
                for b in 0..nb {
                    let p = w[(g * nb + b) * gb..][..gb].as_ptr();
                    prefetch_ahead::<PF>(p, gb);
                    // SAFETY: a group block is 16 scale bytes + 8 × 32 quant bytes (`gb`).
                    let dw = unsafe { scales8(p) };
                    let mut q = [_mm256_setzero_si256(); 8];
                    for (c, q) in q.iter_mut().enumerate() {
                        // SAFETY: as above.
                        *q = unsafe { ld(p.add(16 + 32 * c)) };
                    }
                    for (t, acc) in acc.iter_mut().enumerate().take(tn) {
                        let ab = &a[(t0 + t) * nb + b];
                        *acc = add_scaled(*acc, dw, ab.d, $dot_s8(&q, &ab.qs));
                    }
                }
                store_tile(out, rows, g, t0, &acc[..tn]);
            });
        }
    };
}

// ---------------------------------------------------------------- AVX2

/// Per lane, for `C` chunks of unsigned nibbles: `(Σ_c lo[c] · activation bytes lo_at+4c..,
/// Σ_c hi[c] · bytes hi_at+4c..)` (Q4_0: `C` = 4, bytes 0.. and 16..; a Q4_K sub-block pair:
/// `C` = 8, bytes 64p.. and 64p+32..; Q5_0's 5-bit quants: `C` = 4). The i16 partial sums
/// cannot overflow: at most 8 pair sums of |2·15·128| per half, 30720 < 32767 (Q5_0: 4 of
/// |2·31·128|, 31744).
#[inline]
#[target_feature(enable = "avx2,fma,f16c")]
fn nib_sums_avx2<const C: usize>(
    lo: &[__m256i; C],
    hi: &[__m256i; C],
    qs: &[i8],
    lo_at: usize,
    hi_at: usize,
) -> (__m256i, __m256i) {
    let (mut sl, mut sh) = (_mm256_setzero_si256(), _mm256_setzero_si256());
    for c in 0..C {
        let al = _mm256_set1_epi32(bcast4(qs, lo_at + 4 * c));
        let ah = _mm256_set1_epi32(bcast4(qs, hi_at + 4 * c));
        sl = _mm256_add_epi16(sl, _mm256_maddubs_epi16(lo[c], al));
        sh = _mm256_add_epi16(sh, _mm256_maddubs_epi16(hi[c], ah));
    }
    let ones = _mm256_set1_epi16(1);
    (_mm256_madd_epi16(sl, ones), _mm256_madd_epi16(sh, ones))
}

/// Per lane: Σ over 8 chunks of (4 signed weights · 4 activation bytes), with the weight
/// signs moved onto the activations for `maddubs` (ggml's trick; |pair sum| ≤ 2·128·127).
#[inline]
#[target_feature(enable = "avx2,fma,f16c")]
fn q8_isum_avx2(q: &[__m256i; 8], qs: &[i8; QK]) -> __m256i {
    let ones = _mm256_set1_epi16(1);
    let mut s = _mm256_setzero_si256();
    for (c, &q) in q.iter().enumerate() {
        let a = _mm256_set1_epi32(bcast4(qs, 4 * c));
        let p = _mm256_maddubs_epi16(_mm256_sign_epi8(q, q), _mm256_sign_epi8(a, q));
        s = _mm256_add_epi32(s, _mm256_madd_epi16(p, ones));
    }
    s
}

/// `pshufb` indices that copy, in every 32-bit lane, that lane's i16 number `k` (bytes `2k`,
/// `2k + 1`) into both of its i16 halves: `[0, 1, 0, 1, 4, 5, 4, 5, ..]` for `k = 0`, `[2, 3, 2,
/// 3, 6, 7, ..]` for `k = 1`, the same 16 indices in both 128-bit halves (`pshufb` works per
/// half).
static SCALE_PICK: [[i8; 32]; 2] = [scale_pick(0), scale_pick(1)];

const fn scale_pick(k: usize) -> [i8; 32] {
    let mut t = [0i8; 32];
    let mut i = 0;
    while i < 32 {
        let j = i % 16;
        t[i] = (4 * (j / 4) + 2 * k + j % 2) as i8;
        i += 1;
    }
    t
}

/// Per lane, 8 chunks `q` of Q6_K quants against activation bytes `at + 4c..`, chunks 0..4
/// (sub-block `2k`) times the pair's first scale, 4..8 (`2k + 1`) times its second: `sc` holds
/// row r's `(sc_2k, sc_2k+1)` as i16 in lane r. `maddubs` pair sums reach |2·63·128| = 16128,
/// so two chunks are added in i16 (32256) and `madd` against the scale repeated in both i16
/// halves both widens and scales (no 32-bit multiply).
///
/// # Safety
/// Only for callers that enable AVX2 (always inlined, like [`q6_scaled_vnni`]).
#[inline(always)]
unsafe fn q6_scaled_avx2(q: &[__m256i; 8], qs: &[i8], at: usize, sc: __m256i) -> __m256i {
    // SAFETY: intrinsics of features the caller enables; `ld` reads one 32-byte row of
    // `SCALE_PICK`.
    unsafe {
        let pick = |k: usize| _mm256_shuffle_epi8(sc, ld(SCALE_PICK[k].as_ptr().cast()));
        let (se, so) = (pick(0), pick(1));
        let p = |c: usize| _mm256_maddubs_epi16(q[c], _mm256_set1_epi32(bcast4(qs, at + 4 * c)));
        let two = |c: usize, s: __m256i| _mm256_madd_epi16(_mm256_add_epi16(p(c), p(c + 1)), s);
        _mm256_add_epi32(
            _mm256_add_epi32(two(0, se), two(2, se)),
            _mm256_add_epi32(two(4, so), two(6, so)),
        )
    }
}

x8_kernels!(
    "avx2,fma,f16c",
    dot_q4_0x8_avx2,
    dot_q5_0x8_avx2,
    dot_q8_0x8_avx2,
    dot_q4_kx8_avx2,
    dot_q6_kx8_avx2,
    nib_sums_avx2,
    q6_scaled_avx2,
    q8_isum_avx2
);

// ---------------------------------------------------------------- AVX-512 VNNI (256-bit)

/// [`nib_sums_avx2`] with `vpdpbusd` (two independent chains).
#[inline]
#[target_feature(enable = "avx2,fma,f16c,avx512vnni,avx512vl")]
fn nib_sums_vnni<const C: usize>(
    lo: &[__m256i; C],
    hi: &[__m256i; C],
    qs: &[i8],
    lo_at: usize,
    hi_at: usize,
) -> (__m256i, __m256i) {
    let (mut sl, mut sh) = (_mm256_setzero_si256(), _mm256_setzero_si256());
    for c in 0..C {
        sl = _mm256_dpbusd_epi32(sl, lo[c], _mm256_set1_epi32(bcast4(qs, lo_at + 4 * c)));
        sh = _mm256_dpbusd_epi32(sh, hi[c], _mm256_set1_epi32(bcast4(qs, hi_at + 4 * c)));
    }
    (sl, sh)
}

#[inline]
#[target_feature(enable = "avx2,fma,f16c,avx512vnni,avx512vl")]
fn q8_isum_vnni(q: &[__m256i; 8], qs: &[i8; QK]) -> __m256i {
    let (mut s0, mut s1) = (_mm256_setzero_si256(), _mm256_setzero_si256());
    for c in (0..8).step_by(2) {
        let a0 = _mm256_set1_epi32(bcast4(qs, 4 * c));
        let a1 = _mm256_set1_epi32(bcast4(qs, 4 * c + 4));
        let (q0, q1) = (q[c], q[c + 1]);
        s0 = _mm256_dpbusd_epi32(s0, _mm256_abs_epi8(q0), _mm256_sign_epi8(a0, q0));
        s1 = _mm256_dpbusd_epi32(s1, _mm256_abs_epi8(q1), _mm256_sign_epi8(a1, q1));
    }
    _mm256_add_epi32(s0, s1)
}

/// [`q6_scaled_avx2`] with `vpdpbusd` (exact i32 sums) and 32-bit multiplies by the scales.
/// Always inlined, so not a `#[target_feature]` function: called outlined (as LLVM chose for
/// one instance) it cost the whole Q6_K product half its speed.
///
/// # Safety
/// Only for callers that enable AVX2, AVX512-VNNI and AVX512VL.
#[inline(always)]
unsafe fn q6_scaled_vnni(q: &[__m256i; 8], qs: &[i8], at: usize, sc: __m256i) -> __m256i {
    // SAFETY: register-only intrinsics of features the caller enables.
    unsafe {
        let (se, so) = (
            _mm256_srai_epi32::<16>(_mm256_slli_epi32::<16>(sc)),
            _mm256_srai_epi32::<16>(sc),
        );
        let (mut s0, mut s1) = (_mm256_setzero_si256(), _mm256_setzero_si256());
        for c in 0..4 {
            s0 = _mm256_dpbusd_epi32(s0, q[c], _mm256_set1_epi32(bcast4(qs, at + 4 * c)));
            s1 = _mm256_dpbusd_epi32(s1, q[c + 4], _mm256_set1_epi32(bcast4(qs, at + 16 + 4 * c)));
        }
        _mm256_add_epi32(_mm256_mullo_epi32(s0, se), _mm256_mullo_epi32(s1, so))
    }
}

x8_kernels!(
    "avx2,fma,f16c,avx512vnni,avx512vl",
    dot_q4_0x8_vnni,
    dot_q5_0x8_vnni,
    dot_q8_0x8_vnni,
    dot_q4_kx8_vnni,
    dot_q6_kx8_vnni,
    nib_sums_vnni,
    q6_scaled_vnni,
    q8_isum_vnni
);
