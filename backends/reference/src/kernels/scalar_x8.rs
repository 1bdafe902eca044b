//! Scalar oracle of the row-interleaved Q4_0/Q8_0/Q4_K dot products ([`crate::quant::x8`]).
//!
//! Per output row and activation row: for each block, the exact integer sum `Σ q·a` (Q4_0:
//! `Σ nibble·a − 8·Σa`), then `acc = acc + (d_w·d_a) · sum` as a separate multiply and add,
//! blocks in order. That is what one 32-bit lane of the SIMD versions computes, so every set
//! agrees with this one bit for bit.

use crate::quant::x8::{self, q4k, CHUNK, ROWS};
use crate::quant::{f16, q4_0, q8_0, BlockQ8, BlockQ8K, QK, QK_K};

/// Shapes of an x8 call: `(blocks per row, activation rows)`; panics on inconsistent lengths
/// (a programming error: the loader and `matmul` guarantee them).
pub fn x8_shape(
    w: &[u8],
    rows: usize,
    bb: usize,
    a: &[BlockQ8],
    asum: &[i32],
    out: &[f32],
) -> (usize, usize) {
    assert!(
        rows.is_multiple_of(ROWS),
        "x8 dot: rows must be a multiple of 8"
    );
    if rows == 0 || out.is_empty() {
        return (0, 0);
    }
    let n = out.len() / rows;
    assert_eq!(n * rows, out.len(), "x8 dot: output is not rows × n");
    let nb = a.len() / n;
    assert_eq!(nb * n, a.len(), "x8 dot: activations are not n equal rows");
    assert_eq!(asum.len(), a.len(), "x8 dot: one activation sum per block");
    assert_eq!(w.len(), rows * nb * bb, "x8 dot: weight bytes");
    (nb, n)
}

/// Σ of an activation block's quants (the `−8·Σa` correction of Q4_0).
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
                let (scales, qs) = blk.split_at(2 * ROWS);
                for (r, acc) in acc.iter_mut().enumerate() {
                    let dw = f16::to_f32(u16::from_le_bytes([scales[2 * r], scales[2 * r + 1]]));
                    let s = isum(qs, r, ab, asum[t * nb + b]);
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
    x8_dot(w, rows, a, asum, out, q4_0::BLOCK_BYTES, |qs, r, ab, s| {
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

/// As [`dot_q4_0x8`] for interleaved Q8_0 weights (`asum` is not needed but checked).
pub fn dot_q8_0x8(w: &[u8], rows: usize, a: &[BlockQ8], asum: &[i32], out: &mut [f32]) {
    x8_dot(w, rows, a, asum, out, q8_0::BLOCK_BYTES, |qs, r, ab, _| {
        let mut sum = 0i32;
        for c in 0..QK / CHUNK {
            for (k, &byte) in x8::chunk(qs, c, r).iter().enumerate() {
                sum += i32::from(byte as i8) * i32::from(ab.qs[c * CHUNK + k]);
            }
        }
        sum
    })
}

/// Shapes of a Q4_K x8 call: `(super-blocks per row, activation rows)`; panics on
/// inconsistent lengths.
pub fn x8k_shape(w: &[u8], rows: usize, a: &[BlockQ8K], out: &[f32]) -> (usize, usize) {
    assert!(
        rows.is_multiple_of(ROWS),
        "x8 dot: rows must be a multiple of 8"
    );
    if rows == 0 || out.is_empty() {
        return (0, 0);
    }
    let n = out.len() / rows;
    assert_eq!(n * rows, out.len(), "x8 dot: output is not rows × n");
    let nb = a.len() / n;
    assert_eq!(nb * n, a.len(), "x8 dot: activations are not n equal rows");
    assert_eq!(
        w.len(),
        rows / ROWS * nb * q4k::BYTES,
        "x8 dot: weight bytes"
    );
    (nb, n)
}

/// Interleaved Q4_K weights ([`crate::quant::x8::q4k`]) against `n` Q8_K activation rows,
/// `out[t * rows + r]`. Per row and super-block: `isum = Σ_j sc_j·Σ_{i∈j} q_i·a_i` and
/// `msum = Σ_j m_j·Σ_{i∈j} a_i` (exact integers), then `acc = acc + (d·d_a)·isum` and
/// `acc = acc − (dmin·d_a)·msum`, super-blocks in order.
pub fn dot_q4_kx8(w: &[u8], rows: usize, a: &[BlockQ8K], out: &mut [f32]) {
    let (nb, n) = x8k_shape(w, rows, a, out);
    let f16_at = |b: &[u8], i: usize| f16::to_f32(u16::from_le_bytes([b[i], b[i + 1]]));
    for t in 0..n {
        for g in 0..rows / ROWS {
            let mut acc = [0f32; ROWS];
            for b in 0..nb {
                let blk = &w[(g * nb + b) * q4k::BYTES..][..q4k::BYTES];
                let ab = &a[t * nb + b];
                let qs = &blk[q4k::QS..];
                for (r, acc) in acc.iter_mut().enumerate() {
                    let (mut isum, mut msum) = (0i32, 0i32);
                    for j in 0..QK_K / 32 {
                        let (p, hi) = (j / 2, j % 2 == 1);
                        let mut s = 0i32;
                        for c in 0..8 {
                            let at = ((p * 8 + c) * ROWS + r) * CHUNK;
                            for (k, &byte) in qs[at..at + CHUNK].iter().enumerate() {
                                let q = if hi { byte >> 4 } else { byte & 0x0f };
                                s += i32::from(q) * i32::from(ab.qs[32 * j + 4 * c + k]);
                            }
                        }
                        isum += i32::from(blk[q4k::SC + j * ROWS + r]) * s;
                        let bsum = i32::from(ab.bsums[2 * j]) + i32::from(ab.bsums[2 * j + 1]);
                        msum += i32::from(blk[q4k::MN + (p * ROWS + r) * 2 + j % 2]) * bsum;
                    }
                    let d = f16_at(blk, q4k::D + 2 * r) * ab.d;
                    let dmin = f16_at(blk, q4k::DMIN + 2 * r) * ab.d;
                    *acc += d * isum as f32;
                    *acc -= dmin * msum as f32;
                }
            }
            out[t * rows + g * ROWS..t * rows + (g + 1) * ROWS].copy_from_slice(&acc);
        }
    }
}
