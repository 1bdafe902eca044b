//! Scalar oracle of the row-interleaved Q4_0/Q5_0/Q8_0/Q4_K/Q6_K dot products
//! ([`crate::quant::x8`]).
//!
//! Per output row and activation row: for each block, the exact integer sum `Σ q·a` (Q4_0:
//! `Σ nibble·a − 8·Σa`; Q5_0: `Σ q·a − 16·Σa` with unsigned 5-bit `q`), then
//! `acc = acc + (d_w·d_a) · sum` as a separate multiply and add, blocks in order (Q4_K and
//! Q6_K: per super-block, see their functions). That is what one 32-bit lane of the SIMD
//! versions computes, so every set agrees with this one bit for bit.

use crate::quant::x8::{self, q4k, q50, q6k, CHUNK, ROWS};
use crate::quant::{f16, q4_0, q5_0, q8_0, BlockQ8, BlockQ8K, QK, QK_K};

/// `(blocks per row, activation rows)` of an x8 call with `a_len` activation blocks and
/// `out_len` outputs; panics on inconsistent lengths (a programming error: the loader and
/// `matmul` guarantee them). `group_block` is the bytes of one group block of the layout.
fn shape(
    w: &[u8],
    rows: usize,
    group_block: usize,
    a_len: usize,
    out_len: usize,
) -> (usize, usize) {
    assert!(
        rows.is_multiple_of(ROWS),
        "x8 dot: rows must be a multiple of 8"
    );
    if rows == 0 || out_len == 0 {
        return (0, 0);
    }
    let n = out_len / rows;
    assert_eq!(n * rows, out_len, "x8 dot: output is not rows × n");
    let nb = a_len / n;
    assert_eq!(nb * n, a_len, "x8 dot: activations are not n equal rows");
    assert_eq!(
        w.len(),
        rows / ROWS * nb * group_block,
        "x8 dot: weight bytes"
    );
    (nb, n)
}

/// [`shape`] of a Q4_0/Q5_0/Q8_0 call (`bb` = bytes of one source block), with one activation
/// sum per block.
pub fn x8_shape(
    w: &[u8],
    rows: usize,
    bb: usize,
    a: &[BlockQ8],
    asum: &[i32],
    out: &[f32],
) -> (usize, usize) {
    assert_eq!(asum.len(), a.len(), "x8 dot: one activation sum per block");
    shape(w, rows, ROWS * bb, a.len(), out.len())
}

/// Σ of an activation block's quants (the `−8·Σa` correction of Q4_0, `−16·Σa` of Q5_0).
pub fn block_sum(b: &BlockQ8) -> i32 {
    b.qs.iter().map(|&q| i32::from(q)).sum()
}

fn x8_dot(
    w: &[u8],
    rows: usize,
    a: &[BlockQ8],
    asum: &[i32],
    out: &mut [f32],
    bb: usize,
    isum: impl Fn(&[u8], usize, &BlockQ8, i32) -> i32,
) {
    let (nb, n) = x8_shape(w, rows, bb, a, asum, out);
    let gb = ROWS * bb;
    for t in 0..n {
        for g in 0..rows / ROWS {
            let grp = &w[g * nb * gb..(g + 1) * nb * gb];
            let mut acc = [0f32; ROWS];
            for (b, blk) in grp.chunks_exact(gb).enumerate() {
                let ab = &a[t * nb + b];
                for (r, acc) in acc.iter_mut().enumerate() {
                    let dw = f16::to_f32(u16::from_le_bytes([blk[2 * r], blk[2 * r + 1]]));
                    let s = isum(blk, r, ab, asum[t * nb + b]);
                    *acc += (dw * ab.d) * s as f32;
                }
            }
            out[t * rows + g * ROWS..t * rows + (g + 1) * ROWS].copy_from_slice(&acc);
        }
    }
}

/// Interleaved Q4_0 weights (`rows` a multiple of 8) against `n` Q8_0 activation rows;
/// `asum[i] = Σ a[i].qs`; `out[t * rows + r]`.
pub fn dot_q4_0x8(w: &[u8], rows: usize, a: &[BlockQ8], asum: &[i32], out: &mut [f32]) {
    x8_dot(w, rows, a, asum, out, q4_0::BLOCK_BYTES, |blk, r, ab, s| {
        let qs = &blk[2 * ROWS..];
        let mut sum = 0i32;
        for c in 0..QK / 2 / CHUNK {
            for (k, &byte) in x8::chunk(qs, c, r).iter().enumerate() {
                sum += i32::from(byte & 0x0f) * i32::from(ab.qs[c * CHUNK + k]);
                sum += i32::from(byte >> 4) * i32::from(ab.qs[QK / 2 + c * CHUNK + k]);
            }
        }
        sum - 8 * s
    })
}

/// As [`dot_q4_0x8`] for interleaved Q5_0 weights ([`crate::quant::x8::q50`]): per block
/// `Σ q·a − 16·Σa` with `q = nibble | fifth bit << 4`.
pub fn dot_q5_0x8(w: &[u8], rows: usize, a: &[BlockQ8], asum: &[i32], out: &mut [f32]) {
    x8_dot(w, rows, a, asum, out, q5_0::BLOCK_BYTES, |blk, r, ab, s| {
        let mut sum = 0i32;
        for c in 0..QK / 2 / CHUNK {
            for (k, &byte) in x8::chunk(&blk[q50::QS..], c, r).iter().enumerate() {
                let lo = (byte & 0x0f) | q50::fifth_bit(blk, c, r, k, false) << 4;
                let hi = (byte >> 4) | q50::fifth_bit(blk, c, r, k, true) << 4;
                sum += i32::from(lo) * i32::from(ab.qs[c * CHUNK + k]);
                sum += i32::from(hi) * i32::from(ab.qs[QK / 2 + c * CHUNK + k]);
            }
        }
        sum - 16 * s
    })
}

/// As [`dot_q4_0x8`] for interleaved Q8_0 weights (`asum` is not needed but checked).
pub fn dot_q8_0x8(w: &[u8], rows: usize, a: &[BlockQ8], asum: &[i32], out: &mut [f32]) {
    x8_dot(w, rows, a, asum, out, q8_0::BLOCK_BYTES, |blk, r, ab, _| {
        let qs = &blk[2 * ROWS..];
        let mut sum = 0i32;
        for c in 0..QK / CHUNK {
            for (k, &byte) in x8::chunk(qs, c, r).iter().enumerate() {
                sum += i32::from(byte as i8) * i32::from(ab.qs[c * CHUNK + k]);
            }
        }
        sum
    })
}

/// [`shape`] of a Q4_K call.
pub fn x8k_shape(w: &[u8], rows: usize, a: &[BlockQ8K], out: &[f32]) -> (usize, usize) {
    shape(w, rows, q4k::BYTES, a.len(), out.len())
}

/// Row `r`'s scale and min sums of one Q4_K group super-block given its per-sub-block quant
/// sums `s(j) = Σ_{i∈j} q_i·a_i`: `(Σ_j sc_j·s(j), Σ_j m_j·Σ_{i∈j} a_i)`.
pub fn q4k_row_sums(blk: &[u8], ab: &BlockQ8K, r: usize, s: impl Fn(usize) -> i32) -> (i32, i32) {
    let (mut isum, mut msum) = (0i32, 0i32);
    for j in 0..QK_K / 32 {
        isum += i32::from(blk[q4k::SC + j * ROWS + r]) * s(j);
        let bsum = i32::from(ab.bsums[2 * j]) + i32::from(ab.bsums[2 * j + 1]);
        msum += i32::from(blk[q4k::MN + ((j / 2) * ROWS + r) * 2 + j % 2]) * bsum;
    }
    (isum, msum)
}

/// Row `r`'s float step of a Q4_K group super-block: `acc + (d·d_a)·isum − (dmin·d_a)·msum`,
/// each a separate multiply then add/subtract, in that order.
pub fn q4k_row_acc(acc: f32, blk: &[u8], ab: &BlockQ8K, r: usize, isum: i32, msum: i32) -> f32 {
    let f16_at = |i: usize| f16::to_f32(u16::from_le_bytes([blk[i], blk[i + 1]]));
    let d = f16_at(q4k::D + 2 * r) * ab.d;
    let dmin = f16_at(q4k::DMIN + 2 * r) * ab.d;
    let acc = acc + d * isum as f32;
    acc - dmin * msum as f32
}

/// Interleaved Q4_K weights ([`crate::quant::x8::q4k`]) against `n` Q8_K activation rows,
/// `out[t * rows + r]`. Per row and super-block: `isum = Σ_j sc_j·Σ_{i∈j} q_i·a_i` and
/// `msum = Σ_j m_j·Σ_{i∈j} a_i` (exact integers), then `acc = acc + (d·d_a)·isum` and
/// `acc = acc − (dmin·d_a)·msum`, super-blocks in order.
pub fn dot_q4_kx8(w: &[u8], rows: usize, a: &[BlockQ8K], out: &mut [f32]) {
    let (nb, n) = x8k_shape(w, rows, a, out);
    for t in 0..n {
        for g in 0..rows / ROWS {
            let mut acc = [0f32; ROWS];
            for b in 0..nb {
                let blk = &w[(g * nb + b) * q4k::BYTES..][..q4k::BYTES];
                let ab = &a[t * nb + b];
                let qs = &blk[q4k::QS..];
                for (r, acc) in acc.iter_mut().enumerate() {
                    let (isum, msum) = q4k_row_sums(blk, ab, r, |j| {
                        let (p, hi) = (j / 2, j % 2 == 1);
                        let mut s = 0i32;
                        for c in 0..8 {
                            for (k, &byte) in x8::chunk(qs, p * 8 + c, r).iter().enumerate() {
                                let q = if hi { byte >> 4 } else { byte & 0x0f };
                                s += i32::from(q) * i32::from(ab.qs[32 * j + 4 * c + k]);
                            }
                        }
                        s
                    });
                    *acc = q4k_row_acc(*acc, blk, ab, r, isum, msum);
                }
            }
            out[t * rows + g * ROWS..t * rows + (g + 1) * ROWS].copy_from_slice(&acc);
        }
    }
}

/// The shape of a Q6_K call (as `shape`).
pub fn x8q6k_shape(w: &[u8], rows: usize, a: &[BlockQ8K], out: &[f32]) -> (usize, usize) {
    shape(w, rows, q6k::BYTES, a.len(), out.len())
}

/// Row `r`'s correction `Σ_j sc_j·Σ_{i∈j} a_i` of a Q6_K group super-block (the `−32` of its
/// quants, applied as `−32·` this).
pub fn q6k_row_msum(blk: &[u8], ab: &BlockQ8K, r: usize) -> i32 {
    (0..QK_K / 16)
        .map(|j| q6k::scale(blk, r, j) * i32::from(ab.bsums[j]))
        .sum()
}

/// Row `r`'s step of a Q6_K group super-block given `Σ_j sc_j·Σ_{i∈j} q_i·a_i`: the `−32`
/// correction, then `acc + (d·d_a)·isum` (multiply, multiply, add).
pub fn q6k_row_acc(acc: f32, blk: &[u8], ab: &BlockQ8K, r: usize, scaled: i32) -> f32 {
    let isum = scaled - 32 * q6k_row_msum(blk, ab, r);
    let d = f16::to_f32(u16::from_le_bytes([
        blk[q6k::D + 2 * r],
        blk[q6k::D + 2 * r + 1],
    ]));
    acc + (d * ab.d) * isum as f32
}

/// Interleaved Q6_K weights ([`crate::quant::x8::q6k`]) against `n` Q8_K activation rows,
/// `out[t * rows + r]`. Per row and super-block: `isum = Σ_j sc_j·Σ_{i∈j} q_i·a_i −
/// 32·Σ_j sc_j·Σ_{i∈j} a_i` with unsigned 6-bit `q` (an exact integer), then
/// `acc = acc + (d·d_a)·isum` (multiply, multiply, add), super-blocks in order.
pub fn dot_q6_kx8(w: &[u8], rows: usize, a: &[BlockQ8K], out: &mut [f32]) {
    let (nb, n) = x8q6k_shape(w, rows, a, out);
    for t in 0..n {
        for g in 0..rows / ROWS {
            let mut acc = [0f32; ROWS];
            for b in 0..nb {
                let blk = &w[(g * nb + b) * q6k::BYTES..][..q6k::BYTES];
                let ab = &a[t * nb + b];
                for (r, acc) in acc.iter_mut().enumerate() {
                    let mut isum = 0i32;
                    for j in 0..QK_K / 16 {
                        let s: i32 = (16 * j..16 * j + 16)
                            .map(|i| i32::from(q6k::quant(blk, r, i)) * i32::from(ab.qs[i]))
                            .sum();
                        isum += q6k::scale(blk, r, j) * s;
                    }
                    *acc = q6k_row_acc(*acc, blk, ab, r, isum);
                }
            }
            out[t * rows + g * ROWS..t * rows + (g + 1) * ROWS].copy_from_slice(&acc);
        }
    }
}
