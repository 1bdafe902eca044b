//! The x86_64 AVX2 + FMA + F16C kernel set, chosen when all three are detected at run time.
//!
//! Integer block dot products follow ggml's AVX2 code (`ggml_vec_dot_*` in
//! `ggml-cpu/arch/x86/quants.c`): unpack 32 weights to signed bytes, multiply with the Q8
//! activation bytes by `maddubs` (after moving the weight signs onto the activations), widen
//! with `madd`, convert to f32 and accumulate `d_w·d_a·sum` into 8 lanes, reduced once per
//! row. Unlike ggml, the accumulation is a multiply then an add (no FMA), and every float sum
//! follows the canonical lane order of the scalar set (`scalar::reduce8`), so this set
//! computes *exactly* what the scalar oracle computes: a quantized model's activations never
//! land on the other side of a rounding boundary because of the kernel set. Each weight block is unpacked once and used for up to four activation rows
//! (prefill); every output goes through the same operations in the same order whatever the
//! batch, so batched and single-row results are identical.
//!
//! `unsafe` here: calling `#[target_feature]` functions (sound because the table is private
//! to `kernels`, which hands it out only when [`detected`] is true) and unaligned loads and
//! stores on slices whose length is asserted first.

use super::x86_x8::{
    dot_q4_0x8_avx2, dot_q4_kx8_avx2, dot_q5_0x8_avx2, dot_q6_kx8_avx2, dot_q8_0x8_avx2,
    X8_PREFETCH_BYTES,
};
use super::{scalar, Kernels};
use crate::quant::{q4_0, q4_k, q5_0, q6_k, q8_0, BlockQ8, BlockQ8K, QK};
use std::arch::x86_64::*;

/// AVX2, FMA and F16C are all available.
pub fn detected() -> bool {
    is_x86_feature_detected!("avx2")
        && is_x86_feature_detected!("fma")
        && is_x86_feature_detected!("f16c")
}

pub(super) static KERNELS: Kernels = Kernels {
    name: "avx2",
    dot_f32: guarded!(dot_f32, (a: &[f32], b: &[f32]) -> f32),
    dot_f32_bytes: guarded!(dot_f32_bytes_avx2, (w: &[u8], rows: usize, x: &[f32], out: &mut [f32])),
    dot_f16: guarded!(dot_f16, (w: &[u8], rows: usize, x: &[f32], out: &mut [f32])),
    dot_q8_0: guarded!(dot_q8_0, (w: &[u8], rows: usize, a: &[BlockQ8], out: &mut [f32])),
    dot_q4_0: guarded!(dot_q4_0, (w: &[u8], rows: usize, a: &[BlockQ8], out: &mut [f32])),
    dot_q5_0: guarded!(dot_q5_0, (w: &[u8], rows: usize, a: &[BlockQ8], out: &mut [f32])),
    dot_q4_0x8: guarded!(dot_q4_0x8_avx2::<0>, (w: &[u8], rows: usize, a: &[BlockQ8], asum: &[i32], out: &mut [f32])),
    dot_q5_0x8: guarded!(dot_q5_0x8_avx2::<0>, (w: &[u8], rows: usize, a: &[BlockQ8], asum: &[i32], out: &mut [f32])),
    dot_q8_0x8: guarded!(dot_q8_0x8_avx2::<0>, (w: &[u8], rows: usize, a: &[BlockQ8], asum: &[i32], out: &mut [f32])),
    dot_q4_kx8: guarded!(dot_q4_kx8_avx2, (w: &[u8], rows: usize, a: &[BlockQ8K], out: &mut [f32])),
    dot_q6_kx8: guarded!(dot_q6_kx8_avx2::<0>, (w: &[u8], rows: usize, a: &[BlockQ8K], out: &mut [f32])),
    dot_q4_k: guarded!(dot_q4_k, (w: &[u8], rows: usize, a: &[BlockQ8K], out: &mut [f32])),
    dot_q6_k: guarded!(dot_q6_k, (w: &[u8], rows: usize, a: &[BlockQ8K], out: &mut [f32])),
    quantize_q8_0: guarded!(quantize_q8_0, (x: &[f32], out: &mut [BlockQ8])),
    quantize_q8_k: scalar::KERNELS.quantize_q8_k,
    rmsnorm: guarded!(rmsnorm, (out: &mut [f32], x: &[f32], w: &[f32], eps: f32)),
    softmax: scalar::KERNELS.softmax,
    rope: scalar::KERNELS.rope,
    silu_mul: scalar::KERNELS.silu_mul,
    axpy: guarded!(axpy, (y: &mut [f32], a: f32, x: &[f32])),
    attend: guarded!(attend, (q: &[f32], k: &[f32], v: &[f32], stride: usize, len: usize, scale: f32, scores: &mut [f32], out: &mut [f32])),
};

/// [`KERNELS`] with the interleaved Q4_0/Q5_0/Q8_0/Q6_K products prefetching ahead of their
/// weight stream (same results; see `vnni::KERNELS_PF`).
pub(super) static KERNELS_PF: Kernels = Kernels {
    name: "avx2-pf",
    dot_q4_0x8: guarded!(dot_q4_0x8_avx2::<X8_PREFETCH_BYTES>, (w: &[u8], rows: usize, a: &[BlockQ8], asum: &[i32], out: &mut [f32])),
    dot_q5_0x8: guarded!(dot_q5_0x8_avx2::<X8_PREFETCH_BYTES>, (w: &[u8], rows: usize, a: &[BlockQ8], asum: &[i32], out: &mut [f32])),
    dot_q6_kx8: guarded!(dot_q6_kx8_avx2::<X8_PREFETCH_BYTES>, (w: &[u8], rows: usize, a: &[BlockQ8K], out: &mut [f32])),
    dot_q8_0x8: guarded!(dot_q8_0x8_avx2::<X8_PREFETCH_BYTES>, (w: &[u8], rows: usize, a: &[BlockQ8], asum: &[i32], out: &mut [f32])),
    ..KERNELS
};

// ---------------------------------------------------------------- loads and reductions

#[inline]
#[target_feature(enable = "avx2,fma,f16c")]
fn load_u8x32(s: &[u8]) -> __m256i {
    assert!(s.len() >= 32);
    // SAFETY: at least 32 readable bytes (asserted); loadu has no alignment requirement.
    unsafe { _mm256_loadu_si256(s.as_ptr().cast()) }
}

#[inline]
#[target_feature(enable = "avx2,fma,f16c")]
fn load_i8x32(s: &[i8]) -> __m256i {
    assert!(s.len() >= 32);
    // SAFETY: as `load_u8x32`.
    unsafe { _mm256_loadu_si256(s.as_ptr().cast()) }
}

#[inline]
#[target_feature(enable = "avx2,fma,f16c")]
fn load_u8x16(s: &[u8]) -> __m128i {
    assert!(s.len() >= 16);
    // SAFETY: at least 16 readable bytes (asserted).
    unsafe { _mm_loadu_si128(s.as_ptr().cast()) }
}

#[inline]
#[target_feature(enable = "avx2,fma,f16c")]
fn load_f32x8(s: &[f32]) -> __m256 {
    assert!(s.len() >= 8);
    // SAFETY: at least 8 readable floats (asserted).
    unsafe { _mm256_loadu_ps(s.as_ptr()) }
}

/// 8 f32 stored little-endian in 32 bytes.
#[inline]
#[target_feature(enable = "avx2,fma,f16c")]
fn load_f32x8_bytes(s: &[u8]) -> __m256 {
    assert!(s.len() >= 32);
    // SAFETY: at least 32 readable bytes (asserted); x86 is little-endian like GGUF.
    unsafe { _mm256_loadu_ps(s.as_ptr().cast()) }
}

/// 8 f16 (16 bytes) widened to f32.
#[inline]
#[target_feature(enable = "avx2,fma,f16c")]
fn load_f16x8(s: &[u8]) -> __m256 {
    _mm256_cvtph_ps(load_u8x16(s))
}

#[inline]
#[target_feature(enable = "avx2,fma,f16c")]
fn store_f32x8(s: &mut [f32], v: __m256) {
    assert!(s.len() >= 8);
    // SAFETY: at least 8 writable floats (asserted).
    unsafe { _mm256_storeu_ps(s.as_mut_ptr(), v) }
}

/// An f16 scale (2 little-endian bytes) as f32, via F16C.
#[inline]
#[target_feature(enable = "avx2,fma,f16c")]
fn f16_at(b: &[u8]) -> f32 {
    let bits = i32::from(u16::from_le_bytes([b[0], b[1]]));
    _mm_cvtss_f32(_mm_cvtph_ps(_mm_cvtsi32_si128(bits)))
}

#[inline]
#[target_feature(enable = "avx2,fma,f16c")]
fn hsum128(s: __m128) -> f32 {
    let s = _mm_add_ps(s, _mm_movehl_ps(s, s));
    let s = _mm_add_ss(s, _mm_movehdup_ps(s));
    _mm_cvtss_f32(s)
}

#[inline]
#[target_feature(enable = "avx2,fma,f16c")]
fn hsum(v: __m256) -> f32 {
    hsum128(_mm_add_ps(
        _mm256_castps256_ps128(v),
        _mm256_extractf128_ps::<1>(v),
    ))
}

/// ggml's `mul_sum_i8_pairs_float`: Σ of 4 adjacent byte products per i32 lane, as f32.
#[inline]
#[target_feature(enable = "avx2,fma,f16c")]
fn mul_sum_i8_pairs(x: __m256i, y: __m256i) -> __m256 {
    let ax = _mm256_sign_epi8(x, x);
    let sy = _mm256_sign_epi8(y, x);
    let dot = _mm256_maddubs_epi16(ax, sy);
    _mm256_cvtepi32_ps(_mm256_madd_epi16(dot, _mm256_set1_epi16(1)))
}

/// 16 bytes of nibbles → 32 bytes: low nibbles first, then high nibbles (Q4_0/Q5_0 order).
#[inline]
#[target_feature(enable = "avx2,fma,f16c")]
fn nibbles32(s: &[u8]) -> __m256i {
    let lo = load_u8x16(s);
    let hi = _mm_srli_epi16::<4>(lo);
    _mm256_and_si256(_mm256_set_m128i(hi, lo), _mm256_set1_epi8(0x0f))
}

/// ggml's `bytes_from_bits_32`: byte j = 0xFF if bit j of the u32 is set, else 0.
#[inline]
#[target_feature(enable = "avx2,fma,f16c")]
fn bytes_from_bits_32(bits: u32) -> __m256i {
    let shuf = _mm256_set_epi64x(
        0x0303_0303_0303_0303,
        0x0202_0202_0202_0202,
        0x0101_0101_0101_0101,
        0,
    );
    let bytes = _mm256_shuffle_epi8(_mm256_set1_epi32(bits as i32), shuf);
    let bytes = _mm256_or_si256(bytes, _mm256_set1_epi64x(0x7fbf_dfef_f7fb_fdfe));
    _mm256_cmpeq_epi8(bytes, _mm256_set1_epi64x(-1))
}

// ---------------------------------------------------------------- Q8_0-activation dots

/// For each weight row `r` of `w` (`rows` rows back to back), calls
/// `f::<R>(w_r, a, per, t, out, o)` for groups of R = 4, then 1, activation rows starting at
/// `t`, where output `(t + i, r)` lives at `out[(t + i) * rows + r]` (`o` = that index at i = 0).
macro_rules! batch4 {
    ($f:ident, $w:expr, $rows:expr, $a:expr, $out:expr, $bb:expr) => {
        batch4!(
            $f,
            $w,
            $rows,
            $a,
            $out,
            $bb,
            |_r0: usize, _o: &mut [f32]| false
        )
    };
    ($f:ident, $w:expr, $rows:expr, $a:expr, $out:expr, $bb:expr, $w4:expr) => {{
        let (rb, n, per) = scalar::batch_shape($w, $rows, $a, $out);
        if n > 0 {
            assert_eq!(
                rb,
                per * $bb,
                "dot: weight row and activation row lengths differ"
            );
        }
        // Decode: four weight rows at a time against the one activation row (`$w4(r0)`
        // computes rows r0..r0 + 4 and returns true, or declines).
        let mut r_start = 0;
        if n == 1 {
            while r_start + 4 <= $rows && $w4(r_start, &mut *$out) {
                r_start += 4;
            }
        }
        for r in r_start..$rows {
            let wr = &$w[r * rb..(r + 1) * rb];
            let mut t = 0;
            while t + 4 <= n {
                $f::<4>(wr, $a, per, t, $out, $rows, r);
                t += 4;
            }
            while t < n {
                $f::<1>(wr, $a, per, t, $out, $rows, r);
                t += 1;
            }
        }
    }};
}

/// Shared body of the Q8_0/Q4_0/Q5_0 dots: `unpack(block)` gives the 32 signed weights.
#[inline]
#[target_feature(enable = "avx2,fma,f16c")]
#[allow(clippy::too_many_arguments)]
fn q8_rows<const R: usize>(
    bb: usize,
    unpack: impl Fn(&[u8]) -> __m256i,
    w: &[u8],
    a: &[BlockQ8],
    nb: usize,
    t: usize,
    out: &mut [f32],
    stride: usize,
    r0: usize,
) {
    let mut acc = [_mm256_setzero_ps(); R];
    for (i, b) in w.chunks_exact(bb).enumerate() {
        let dw = f16_at(b);
        let qx = unpack(b);
        for (r, acc) in acc.iter_mut().enumerate() {
            let ab = &a[(t + r) * nb + i];
            let q = mul_sum_i8_pairs(qx, load_i8x32(&ab.qs));
            *acc = _mm256_add_ps(*acc, _mm256_mul_ps(_mm256_set1_ps(dw * ab.d), q));
        }
    }
    for (r, acc) in acc.into_iter().enumerate() {
        out[(t + r) * stride + r0] = hsum(acc);
    }
}

/// Four weight rows (`w` holds them back to back, `rb` bytes each) against one activation row:
/// per output the same operations as `q8_rows::<1>`, with the activation block loaded once,
/// four independent accumulation chains, and the four reductions done together (each is
/// still `(s0 + s2) + (s1 + s3)` of its own lanes, so results are bit-identical).
#[inline]
#[target_feature(enable = "avx2,fma,f16c")]
fn q8_w4(
    bb: usize,
    unpack: impl Fn(&[u8]) -> __m256i,
    w: &[u8],
    rb: usize,
    a: &[BlockQ8],
    out: &mut [f32],
) {
    assert!(
        rb == a.len() * bb && w.len() >= 4 * rb && bb >= 2,
        "q8_w4: lengths"
    );
    let ahead = prefetch_rows(rb);
    let mut acc = [_mm256_setzero_ps(); 4];
    let base = w.as_ptr();
    for (i, ab) in a.iter().enumerate() {
        let qa = load_i8x32(&ab.qs);
        // SAFETY: block i of row r is `bb` bytes at r·rb + i·bb, inside `w` (asserted).
        let blk = |r: usize| unsafe { std::slice::from_raw_parts(base.add(r * rb + i * bb), bb) };
        // The four rows' f16 scales at once (the same IEEE products `f16 · d_a` as one row).
        let h = |r: usize| i16::from_le_bytes([blk(r)[0], blk(r)[1]]);
        let d8 = _mm256_castps128_ps256(_mm_mul_ps(
            _mm_cvtph_ps(_mm_setr_epi16(h(0), h(1), h(2), h(3), 0, 0, 0, 0)),
            _mm_set1_ps(ab.d),
        ));
        for (r, acc) in acc.iter_mut().enumerate() {
            // Prefetch the same spot of the next four rows (see `q4_0_w4`).
            _mm_prefetch::<_MM_HINT_T1>(base.wrapping_add((r + ahead) * rb + i * bb).cast());
            let q = mul_sum_i8_pairs(unpack(blk(r)), qa);
            let d = _mm256_permutevar8x32_ps(d8, _mm256_set1_epi32(r as i32));
            *acc = _mm256_add_ps(*acc, _mm256_mul_ps(d, q));
        }
    }
    store4(out, hsum4x(acc));
}

/// Q4_0 special case of [`q8_w4`]: with unsigned nibbles `q`, `Σ(q−8)·a = Σq·a − 8·Σa` per
/// lane; `Σa` per lane is computed once per activation block for the four rows, and `q·a`
/// needs no sign juggling (`maddubs` takes the unsigned operand first). Exact integers, so
/// the lanes equal those of `q8_rows` bit for bit.
#[inline]
#[target_feature(enable = "avx2,fma,f16c")]
fn q4_0_w4(w: &[u8], rb: usize, a: &[BlockQ8], out: &mut [f32]) {
    const BB: usize = q4_0::BLOCK_BYTES;
    assert!(rb == a.len() * BB && w.len() >= 4 * rb, "q4_0_w4: lengths");
    let ahead = prefetch_rows(rb);
    let ones8 = _mm256_set1_epi8(1);
    let ones16 = _mm256_set1_epi16(1);
    let m4 = _mm256_set1_epi8(0x0f);
    let shifts = _mm256_setr_epi32(0, 0, 0, 0, 4, 4, 4, 4);
    let mut acc = [_mm256_setzero_ps(); 4];
    let base = w.as_ptr();
    for (i, ab) in a.iter().enumerate() {
        let qa = load_i8x32(&ab.qs);
        let asum8 =
            _mm256_slli_epi32::<3>(_mm256_madd_epi16(_mm256_maddubs_epi16(ones8, qa), ones16));
        // SAFETY: block i of row r starts at r·rb + i·BB and has BB bytes; i < a.len() and
        // r < 4, so every read below stays inside `w` (asserted above).
        let blk = |r: usize| unsafe { base.add(r * rb + i * BB) };
        // The four rows' f16 scales at once: one conversion, one multiply by d_a (the same
        // IEEE products as the one-row path's scalar `f16 · d_a`).
        // SAFETY: 2 readable bytes at the start of each block (see above).
        let h = |r: usize| i16::from_le_bytes(unsafe { [*blk(r), *blk(r).add(1)] });
        let d4 = _mm_mul_ps(
            _mm_cvtph_ps(_mm_setr_epi16(h(0), h(1), h(2), h(3), 0, 0, 0, 0)),
            _mm_set1_ps(ab.d),
        );
        let d8 = _mm256_castps128_ps256(d4);
        for (r, acc) in acc.iter_mut().enumerate() {
            // Prefetch the same spot of the next four rows (the caller's following group):
            // short interleaved row streams train the hardware prefetcher poorly.
            // (Prefetching never faults; `wrapping_add` keeps the pointer arithmetic defined
            // even past the end of `w`.)
            _mm_prefetch::<_MM_HINT_T1>(base.wrapping_add((r + ahead) * rb + i * BB).cast());
            // SAFETY: the 16 nibble bytes follow the 2-byte scale inside the block.
            let lo = unsafe { _mm256_broadcastsi128_si256(_mm_loadu_si128(blk(r).add(2).cast())) };
            let q = _mm256_and_si256(_mm256_srlv_epi32(lo, shifts), m4);
            let lanes = _mm256_sub_epi32(
                _mm256_madd_epi16(_mm256_maddubs_epi16(q, qa), ones16),
                asum8,
            );
            let d = _mm256_permutevar8x32_ps(d8, _mm256_set1_epi32(r as i32));
            *acc = _mm256_add_ps(*acc, _mm256_mul_ps(d, _mm256_cvtepi32_ps(lanes)));
        }
    }
    store4(out, hsum4x(acc));
}

/// How many rows ahead the decode paths prefetch: at least the next group of four, and about
/// `PREFETCH_BYTES` ahead so DRAM latency is covered for short rows too.
const PREFETCH_BYTES: usize = 16 << 10;

#[inline]
fn prefetch_rows(rb: usize) -> usize {
    (PREFETCH_BYTES / rb.max(1)).div_ceil(4).max(1) * 4
}

/// `[reduce8(a0), reduce8(a1), reduce8(a2), reduce8(a3)]` in one vector.
#[inline]
#[target_feature(enable = "avx2,fma,f16c")]
pub(super) fn hsum4x(a: [__m256; 4]) -> __m128 {
    let s: [__m128; 4] =
        a.map(|v| _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps::<1>(v)));
    // t01 = [s0_0 + s0_2, s0_1 + s0_3, s1_0 + s1_2, s1_1 + s1_3]
    let t01 = _mm_add_ps(
        _mm_shuffle_ps::<0b01_00_01_00>(s[0], s[1]),
        _mm_shuffle_ps::<0b11_10_11_10>(s[0], s[1]),
    );
    let t23 = _mm_add_ps(
        _mm_shuffle_ps::<0b01_00_01_00>(s[2], s[3]),
        _mm_shuffle_ps::<0b11_10_11_10>(s[2], s[3]),
    );
    _mm_hadd_ps(t01, t23)
}

#[inline]
#[target_feature(enable = "avx2,fma,f16c")]
fn store4(out: &mut [f32], v: __m128) {
    assert!(out.len() >= 4);
    // SAFETY: at least 4 writable floats (asserted).
    unsafe { _mm_storeu_ps(out.as_mut_ptr(), v) }
}

#[inline]
#[target_feature(enable = "avx2,fma,f16c")]
#[allow(clippy::too_many_arguments)]
fn q8_0_rows<const R: usize>(
    w: &[u8],
    a: &[BlockQ8],
    nb: usize,
    t: usize,
    out: &mut [f32],
    stride: usize,
    r0: usize,
) {
    q8_rows::<R>(
        q8_0::BLOCK_BYTES,
        |b: &[u8]| q8_0_unpack(b),
        w,
        a,
        nb,
        t,
        out,
        stride,
        r0,
    );
}

#[inline]
#[target_feature(enable = "avx2,fma,f16c")]
fn q8_0_unpack(b: &[u8]) -> __m256i {
    load_u8x32(&b[2..])
}

#[inline]
#[target_feature(enable = "avx2,fma,f16c")]
fn q4_0_unpack(b: &[u8]) -> __m256i {
    _mm256_sub_epi8(nibbles32(&b[2..]), _mm256_set1_epi8(8))
}

#[inline]
#[target_feature(enable = "avx2,fma,f16c")]
fn q5_0_unpack(b: &[u8]) -> __m256i {
    // (nibble | bit5 << 4) - 16 == nibble | (bit5 ? 0 : 0xF0) as a signed byte.
    let qh = u32::from_le_bytes([b[2], b[3], b[4], b[5]]);
    let hi = _mm256_andnot_si256(bytes_from_bits_32(qh), _mm256_set1_epi8(0xf0u8 as i8));
    _mm256_or_si256(nibbles32(&b[6..]), hi)
}

#[inline]
#[target_feature(enable = "avx2,fma,f16c")]
#[allow(clippy::too_many_arguments)]
fn q4_0_rows<const R: usize>(
    w: &[u8],
    a: &[BlockQ8],
    nb: usize,
    t: usize,
    out: &mut [f32],
    stride: usize,
    r0: usize,
) {
    q8_rows::<R>(
        q4_0::BLOCK_BYTES,
        |b: &[u8]| q4_0_unpack(b),
        w,
        a,
        nb,
        t,
        out,
        stride,
        r0,
    );
}

#[inline]
#[target_feature(enable = "avx2,fma,f16c")]
#[allow(clippy::too_many_arguments)]
fn q5_0_rows<const R: usize>(
    w: &[u8],
    a: &[BlockQ8],
    nb: usize,
    t: usize,
    out: &mut [f32],
    stride: usize,
    r0: usize,
) {
    q8_rows::<R>(
        q5_0::BLOCK_BYTES,
        |b: &[u8]| q5_0_unpack(b),
        w,
        a,
        nb,
        t,
        out,
        stride,
        r0,
    );
}

#[target_feature(enable = "avx2,fma,f16c")]
fn dot_q8_0(w: &[u8], rows: usize, a: &[BlockQ8], out: &mut [f32]) {
    let rb = w.len().checked_div(rows).unwrap_or(0);
    let w4 = |r0: usize, out: &mut [f32]| {
        let unpack = |b: &[u8]| q8_0_unpack(b);
        q8_w4(
            q8_0::BLOCK_BYTES,
            unpack,
            &w[r0 * rb..(r0 + 4) * rb],
            rb,
            a,
            &mut out[r0..r0 + 4],
        );
        true
    };
    batch4!(q8_0_rows, w, rows, a, out, q8_0::BLOCK_BYTES, w4);
}

#[target_feature(enable = "avx2,fma,f16c")]
fn dot_q4_0(w: &[u8], rows: usize, a: &[BlockQ8], out: &mut [f32]) {
    let rb = w.len().checked_div(rows).unwrap_or(0);
    let w4 = |r0: usize, out: &mut [f32]| {
        q4_0_w4(&w[r0 * rb..(r0 + 4) * rb], rb, a, &mut out[r0..r0 + 4]);
        true
    };
    batch4!(q4_0_rows, w, rows, a, out, q4_0::BLOCK_BYTES, w4);
}

#[target_feature(enable = "avx2,fma,f16c")]
fn dot_q5_0(w: &[u8], rows: usize, a: &[BlockQ8], out: &mut [f32]) {
    let rb = w.len().checked_div(rows).unwrap_or(0);
    let w4 = |r0: usize, out: &mut [f32]| {
        let unpack = |b: &[u8]| q5_0_unpack(b);
        q8_w4(
            q5_0::BLOCK_BYTES,
            unpack,
            &w[r0 * rb..(r0 + 4) * rb],
            rb,
            a,
            &mut out[r0..r0 + 4],
        );
        true
    };
    batch4!(q5_0_rows, w, rows, a, out, q5_0::BLOCK_BYTES, w4);
}

// ---------------------------------------------------------------- K-quant dots

#[inline]
#[target_feature(enable = "avx2,fma,f16c")]
#[allow(clippy::too_many_arguments)]
fn q4k_rows<const R: usize>(
    w: &[u8],
    a: &[BlockQ8K],
    nb: usize,
    t: usize,
    out: &mut [f32],
    stride: usize,
    r0: usize,
) {
    const KMASK1: u32 = 0x3f3f_3f3f;
    const KMASK2: u32 = 0x0f0f_0f0f;
    const KMASK3: u32 = 0x0303_0303;
    let m4 = _mm256_set1_epi8(0x0f);
    let mut acc = [_mm256_setzero_ps(); R];
    let mut accm = [_mm_setzero_ps(); R];
    for (i, b) in w.chunks_exact(q4_k::BLOCK_BYTES).enumerate() {
        let (d, dmin) = (f16_at(&b[0..]), f16_at(&b[2..]));
        // Unpack the 6-bit scales (bytes 0..8) and mins (bytes 8..16) as ggml does.
        let u =
            |k: usize| u32::from_le_bytes([b[4 + 4 * k], b[5 + 4 * k], b[6 + 4 * k], b[7 + 4 * k]]);
        let (u0, u1, u2) = (u(0), u(1), u(2));
        let t3 = ((u2 >> 4) & KMASK2) | (((u1 >> 6) & KMASK3) << 4);
        let t2 = u1 & KMASK1;
        let t1 = (u2 & KMASK2) | (((u0 >> 6) & KMASK3) << 4);
        let t0 = u0 & KMASK1;
        let ms = _mm256_cvtepu8_epi16(_mm_set_epi32(t3 as i32, t2 as i32, t1 as i32, t0 as i32));
        let mins = _mm256_extracti128_si256::<1>(ms);
        let sc128 = _mm256_castsi256_si128(ms);
        let scales = _mm256_set_m128i(sc128, sc128);
        let q = &b[16..];
        let mut ql = [_mm256_setzero_si256(); 4];
        let mut qh = [_mm256_setzero_si256(); 4];
        let mut sl = [_mm256_setzero_si256(); 4];
        let mut sh = [_mm256_setzero_si256(); 4];
        for j in 0..4 {
            let bits = load_u8x32(&q[32 * j..]);
            ql[j] = _mm256_and_si256(bits, m4);
            qh[j] = _mm256_and_si256(_mm256_srli_epi16::<4>(bits), m4);
            let shuf = |s: usize| _mm256_set1_epi16((((2 * s + 1) << 8) | (2 * s)) as i16);
            sl[j] = _mm256_shuffle_epi8(scales, shuf(2 * j));
            sh[j] = _mm256_shuffle_epi8(scales, shuf(2 * j + 1));
        }
        for r in 0..R {
            let ab = &a[(t + r) * nb + i];
            // Mins: Σ_j m_j · (bsums[2j] + bsums[2j+1]).
            let bs = load_i8x32(bytemuck_i16(&ab.bsums));
            let q8s = _mm_hadd_epi16(
                _mm256_castsi256_si128(bs),
                _mm256_extracti128_si256::<1>(bs),
            );
            let prod = _mm_madd_epi16(mins, q8s);
            accm[r] = _mm_add_ps(
                accm[r],
                _mm_mul_ps(_mm_set1_ps(-(dmin * ab.d)), _mm_cvtepi32_ps(prod)),
            );
            let mut sumi = _mm256_setzero_si256();
            for j in 0..4 {
                let q8l = load_i8x32(&ab.qs[64 * j..]);
                let q8h = load_i8x32(&ab.qs[64 * j + 32..]);
                let pl = _mm256_madd_epi16(sl[j], _mm256_maddubs_epi16(ql[j], q8l));
                let ph = _mm256_madd_epi16(sh[j], _mm256_maddubs_epi16(qh[j], q8h));
                sumi = _mm256_add_epi32(sumi, _mm256_add_epi32(pl, ph));
            }
            acc[r] = _mm256_add_ps(
                acc[r],
                _mm256_mul_ps(_mm256_set1_ps(d * ab.d), _mm256_cvtepi32_ps(sumi)),
            );
        }
    }
    for r in 0..R {
        out[(t + r) * stride + r0] = hsum(acc[r]) + hsum128(accm[r]);
    }
}

/// The 32 bytes of 16 i16 as i8 slice (for a byte load).
#[inline]
fn bytemuck_i16(s: &[i16; 16]) -> &[i8] {
    // SAFETY: [i16; 16] is 32 initialised bytes; i8 has no alignment or validity requirement.
    unsafe { std::slice::from_raw_parts(s.as_ptr().cast::<i8>(), 32) }
}

#[target_feature(enable = "avx2,fma,f16c")]
fn dot_q4_k(w: &[u8], rows: usize, a: &[BlockQ8K], out: &mut [f32]) {
    batch4!(q4k_rows, w, rows, a, out, q4_k::BLOCK_BYTES);
}

#[inline]
#[target_feature(enable = "avx2,fma,f16c")]
#[allow(clippy::too_many_arguments)]
fn q6k_rows<const R: usize>(
    w: &[u8],
    a: &[BlockQ8K],
    nb: usize,
    t: usize,
    out: &mut [f32],
    stride: usize,
    r0: usize,
) {
    let (m4, m2, m32s) = (
        _mm256_set1_epi8(0x0f),
        _mm256_set1_epi8(3),
        _mm256_set1_epi8(32),
    );
    let mut acc = [_mm256_setzero_ps(); R];
    for (i, b) in w.chunks_exact(q6_k::BLOCK_BYTES).enumerate() {
        let d = f16_at(&b[208..]);
        let scales = load_u8x16(&b[192..]);
        let mut q6 = [_mm256_setzero_si256(); 8];
        let mut sc = [_mm256_setzero_si256(); 8];
        for h in 0..2 {
            let b1 = load_u8x32(&b[64 * h..]);
            let b2 = load_u8x32(&b[64 * h + 32..]);
            let bh = load_u8x32(&b[128 + 32 * h..]);
            let hb = |s: __m256i| _mm256_slli_epi16::<4>(_mm256_and_si256(s, m2));
            q6[4 * h] = _mm256_or_si256(_mm256_and_si256(b1, m4), hb(bh));
            q6[4 * h + 1] =
                _mm256_or_si256(_mm256_and_si256(b2, m4), hb(_mm256_srli_epi16::<2>(bh)));
            q6[4 * h + 2] = _mm256_or_si256(
                _mm256_and_si256(_mm256_srli_epi16::<4>(b1), m4),
                hb(_mm256_srli_epi16::<4>(bh)),
            );
            q6[4 * h + 3] = _mm256_or_si256(
                _mm256_and_si256(_mm256_srli_epi16::<4>(b2), m4),
                hb(_mm256_srli_epi16::<6>(bh)),
            );
            for k in 0..4 {
                // Scales of the two 16-element groups of these 32 elements, as 16 × i16.
                let s = 2 * (4 * h + k) as i64;
                let shuf =
                    _mm_set_epi64x((s + 1) * 0x0101_0101_0101_0101, s * 0x0101_0101_0101_0101);
                sc[4 * h + k] = _mm256_cvtepi8_epi16(_mm_shuffle_epi8(scales, shuf));
            }
        }
        for r in 0..R {
            let ab = &a[(t + r) * nb + i];
            let mut sumi = _mm256_setzero_si256();
            for g in 0..8 {
                let q8 = load_i8x32(&ab.qs[32 * g..]);
                let p = _mm256_sub_epi16(
                    _mm256_maddubs_epi16(q6[g], q8),
                    _mm256_maddubs_epi16(m32s, q8),
                );
                sumi = _mm256_add_epi32(sumi, _mm256_madd_epi16(sc[g], p));
            }
            acc[r] = _mm256_add_ps(
                acc[r],
                _mm256_mul_ps(_mm256_set1_ps(d * ab.d), _mm256_cvtepi32_ps(sumi)),
            );
        }
    }
    for r in 0..R {
        out[(t + r) * stride + r0] = hsum(acc[r]);
    }
}

#[target_feature(enable = "avx2,fma,f16c")]
fn dot_q6_k(w: &[u8], rows: usize, a: &[BlockQ8K], out: &mut [f32]) {
    batch4!(q6k_rows, w, rows, a, out, q6_k::BLOCK_BYTES);
}

// ---------------------------------------------------------------- float dots

/// `scalar::fdot`: Σ w·x over `n` elements with 4 × 8 fused lanes, then 8-wide steps, then
/// the fused scalar tail.
/// `load_w(i)` loads weights `i..i+8`; `w_at(i)` reads one.
#[inline]
#[target_feature(enable = "avx2,fma,f16c")]
#[allow(clippy::too_many_arguments)]
fn fdot_rows<const R: usize>(
    n: usize,
    load_w: impl Fn(usize) -> __m256,
    w_at: impl Fn(usize) -> f32,
    x: &[f32],
    t: usize,
    out: &mut [f32],
    stride: usize,
    r0: usize,
) {
    let mut acc = [[_mm256_setzero_ps(); 4]; R];
    let mut i = 0;
    while i + 32 <= n {
        for u in 0..4 {
            let wv = load_w(i + 8 * u);
            for (r, acc) in acc.iter_mut().enumerate() {
                let xv = load_f32x8(&x[(t + r) * n + i + 8 * u..]);
                acc[u] = _mm256_fmadd_ps(wv, xv, acc[u]);
            }
        }
        i += 32;
    }
    while i + 8 <= n {
        let wv = load_w(i);
        for (r, acc) in acc.iter_mut().enumerate() {
            acc[0] = _mm256_fmadd_ps(wv, load_f32x8(&x[(t + r) * n + i..]), acc[0]);
        }
        i += 8;
    }
    for (r, acc) in acc.iter().enumerate() {
        let s = _mm256_add_ps(_mm256_add_ps(acc[0], acc[1]), _mm256_add_ps(acc[2], acc[3]));
        let mut tail = 0f32;
        for j in i..n {
            tail = w_at(j).mul_add(x[(t + r) * n + j], tail);
        }
        out[(t + r) * stride + r0] = hsum(s) + tail;
    }
}

#[target_feature(enable = "avx2,fma,f16c")]
fn dot_f32(a: &[f32], b: &[f32]) -> f32 {
    assert_eq!(a.len(), b.len(), "dot_f32: lengths differ");
    let mut out = [0f32];
    fdot_rows::<1>(
        a.len(),
        |i| load_f32x8(&a[i..]),
        |i| a[i],
        b,
        0,
        &mut out,
        1,
        0,
    );
    out[0]
}

/// Float weight rows against activation rows, two activation rows at a time.
macro_rules! float_dot {
    ($w:expr, $rows:expr, $x:expr, $out:expr, $esize:expr, |$wr:ident, $i:ident| $load:expr, $at:expr) => {{
        let (rb, n, per) = scalar::batch_shape($w, $rows, $x, $out);
        let cols = rb / $esize;
        if n > 0 {
            assert_eq!(
                cols, per,
                "dot: weight row and activation row lengths differ"
            );
        }
        for r in 0..$rows {
            let $wr = &$w[r * rb..(r + 1) * rb];
            let lw = |$i: usize| $load;
            let wa = |$i: usize| $at;
            let mut t = 0;
            while t + 2 <= n {
                fdot_rows::<2>(cols, &lw, &wa, $x, t, $out, $rows, r);
                t += 2;
            }
            if t < n {
                fdot_rows::<1>(cols, &lw, &wa, $x, t, $out, $rows, r);
            }
        }
    }};
}

/// F32 weights (also the fallback of `avx512_f32` for rows that are not whole 32-element steps).
#[target_feature(enable = "avx2,fma,f16c")]
pub(super) fn dot_f32_bytes_avx2(w: &[u8], rows: usize, x: &[f32], out: &mut [f32]) {
    float_dot!(
        w,
        rows,
        x,
        out,
        4,
        |wr, i| load_f32x8_bytes(&wr[4 * i..]),
        { f32::from_le_bytes([wr[4 * i], wr[4 * i + 1], wr[4 * i + 2], wr[4 * i + 3]]) }
    );
}

#[target_feature(enable = "avx2,fma,f16c")]
fn dot_f16(w: &[u8], rows: usize, x: &[f32], out: &mut [f32]) {
    float_dot!(
        w,
        rows,
        x,
        out,
        2,
        |wr, i| load_f16x8(&wr[2 * i..]),
        f16_at(&wr[2 * i..])
    );
}

// ---------------------------------------------------------------- activations, elementwise

/// Q8_0 activation quantization, bit-identical to the scalar `quantize_row_q8_0_ref`
/// (`roundf` rounds half away from zero: truncate, then add ±1 where |frac| ≥ 0.5).
#[target_feature(enable = "avx2,fma,f16c")]
fn quantize_q8_0(x: &[f32], out: &mut [BlockQ8]) {
    let sign_mask = _mm256_set1_ps(-0.0);
    for (blk, xs) in out.iter_mut().zip(x.chunks_exact(QK)) {
        let v = [
            load_f32x8(&xs[0..]),
            load_f32x8(&xs[8..]),
            load_f32x8(&xs[16..]),
            load_f32x8(&xs[24..]),
        ];
        let mut m = _mm256_andnot_ps(sign_mask, v[0]);
        for &vi in &v[1..] {
            m = _mm256_max_ps(m, _mm256_andnot_ps(sign_mask, vi));
        }
        let m4 = _mm_max_ps(_mm256_castps256_ps128(m), _mm256_extractf128_ps::<1>(m));
        let m4 = _mm_max_ps(m4, _mm_movehl_ps(m4, m4));
        let m4 = _mm_max_ss(m4, _mm_movehdup_ps(m4));
        let amax = _mm_cvtss_f32(m4);
        let d = amax / 127.0;
        let id = if d != 0.0 { 1.0 / d } else { 0.0 };
        let idv = _mm256_set1_ps(id);
        let half = _mm256_set1_ps(0.5);
        let mut q = [_mm256_setzero_si256(); 4];
        for (qi, &vi) in q.iter_mut().zip(&v) {
            let s = _mm256_mul_ps(vi, idv);
            let tr = _mm256_round_ps::<{ _MM_FROUND_TO_ZERO | _MM_FROUND_NO_EXC }>(s);
            let frac = _mm256_andnot_ps(sign_mask, _mm256_sub_ps(s, tr));
            let away = _mm256_and_ps(
                _mm256_cmp_ps::<_CMP_GE_OQ>(frac, half),
                _mm256_or_ps(_mm256_and_ps(s, sign_mask), _mm256_set1_ps(1.0)),
            );
            *qi = _mm256_cvtps_epi32(_mm256_add_ps(tr, away));
        }
        // Pack 4 × 8 i32 → 32 i8 in order (packs work per 128-bit lane; fix with a permute).
        let p16a = _mm256_packs_epi32(q[0], q[1]);
        let p16b = _mm256_packs_epi32(q[2], q[3]);
        let p8 = _mm256_packs_epi16(p16a, p16b);
        let p8 = _mm256_permutevar8x32_epi32(p8, _mm256_setr_epi32(0, 4, 1, 5, 2, 6, 3, 7));
        // SAFETY: `qs` is 32 writable bytes.
        unsafe { _mm256_storeu_si256(blk.qs.as_mut_ptr().cast(), p8) };
        blk.d = crate::quant::f16::round(d);
    }
}

#[target_feature(enable = "avx2,fma,f16c")]
fn rmsnorm(out: &mut [f32], x: &[f32], w: &[f32], eps: f32) {
    assert!(
        out.len() == x.len() && w.len() == x.len(),
        "rmsnorm: lengths"
    );
    let ss = dot_f32(x, x) / x.len() as f32;
    let scale = 1.0 / (ss + eps).sqrt();
    let sv = _mm256_set1_ps(scale);
    let n8 = x.len() / 8 * 8;
    for i in (0..n8).step_by(8) {
        let v = _mm256_mul_ps(_mm256_mul_ps(load_f32x8(&x[i..]), sv), load_f32x8(&w[i..]));
        store_f32x8(&mut out[i..], v);
    }
    for i in n8..x.len() {
        out[i] = x[i] * scale * w[i];
    }
}

#[target_feature(enable = "avx2,fma,f16c")]
fn axpy(y: &mut [f32], a: f32, x: &[f32]) {
    assert_eq!(y.len(), x.len(), "axpy: lengths");
    let av = _mm256_set1_ps(a);
    let n8 = x.len() / 8 * 8;
    for i in (0..n8).step_by(8) {
        let v = _mm256_add_ps(load_f32x8(&y[i..]), _mm256_mul_ps(av, load_f32x8(&x[i..])));
        store_f32x8(&mut y[i..], v);
    }
    for i in n8..x.len() {
        y[i] += a * x[i];
    }
}

/// Attention of one head: scores by the canonical dot, the scalar softmax, and the weighted
/// sum of values accumulated in registers (head sizes that are multiples of 8, up to 256;
/// others take the scalar path). Bit-identical to `scalar::attend`.
#[allow(clippy::too_many_arguments)]
#[target_feature(enable = "avx2,fma,f16c")]
fn attend(
    q: &[f32],
    k: &[f32],
    v: &[f32],
    stride: usize,
    len: usize,
    scale: f32,
    scores: &mut [f32],
    out: &mut [f32],
) {
    let hd = q.len();
    if !hd.is_multiple_of(8) || hd > 256 || len == 0 {
        return scalar::attend(q, k, v, stride, len, scale, scores, out);
    }
    assert!(out.len() == hd && scores.len() >= len);
    assert!(k.len() >= (len - 1) * stride + hd && v.len() >= (len - 1) * stride + hd);
    let scores = &mut scores[..len];
    for (j, sc) in scores.iter_mut().enumerate() {
        *sc = dot_f32(q, &k[j * stride..j * stride + hd]) * scale;
    }
    scalar::softmax(scores);
    let mut acc = [_mm256_setzero_ps(); 32];
    let nv = hd / 8;
    for (j, &s) in scores.iter().enumerate() {
        let sv = _mm256_set1_ps(s);
        let vr = &v[j * stride..j * stride + hd];
        for (u, a) in acc[..nv].iter_mut().enumerate() {
            *a = _mm256_add_ps(*a, _mm256_mul_ps(sv, load_f32x8(&vr[8 * u..])));
        }
    }
    for (u, a) in acc[..nv].iter().enumerate() {
        store_f32x8(&mut out[8 * u..], *a);
    }
}
