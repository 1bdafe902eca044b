//! Q5_0 (ggml type 6): blocks of 32 elements, 22 bytes each: f16 scale `d`, 4 bytes `qh` (the
//! fifth bit of each element, little-endian u32, bit `j` for element `j`), 16 bytes of nibbles
//! (element `j` low nibble of byte `j`, element `j + 16` its high nibble). ggml's
//! `quantize_row_q5_0_ref`: signed max `max`, `d = max / -16`, `q = min(31, (int8)(x/d + 16.5))`;
//! value = `(q - 16) * d`. llama.cpp's Q4_K_M recipe uses it for Q4_K tensors whose rows are
//! not a multiple of 256.

use super::{f16, QK};

/// Bytes per block.
pub const BLOCK_BYTES: usize = 22;

/// Quantize one block of 32 values into its 22 bytes.
pub fn quantize_block(x: &[f32], out: &mut [u8]) {
    let (mut amax, mut max) = (0f32, 0f32);
    for &v in x {
        if amax < v.abs() {
            amax = v.abs();
            max = v;
        }
    }
    let d = max / -16.0;
    let id = if d != 0.0 { 1.0 / d } else { 0.0 };
    out[..2].copy_from_slice(&f16::from_f32(d).to_le_bytes());
    let mut qh = 0u32;
    for j in 0..QK / 2 {
        // `as i8` truncates toward zero like C's (int8_t) cast.
        let x0 = ((x[j] * id + 16.5) as i8).min(31) as u8;
        let x1 = ((x[j + QK / 2] * id + 16.5) as i8).min(31) as u8;
        out[6 + j] = (x0 & 0x0f) | ((x1 & 0x0f) << 4);
        qh |= u32::from((x0 & 0x10) >> 4) << j;
        qh |= u32::from((x1 & 0x10) >> 4) << (j + QK / 2);
    }
    out[2..6].copy_from_slice(&qh.to_le_bytes());
}

/// Quantize to file bytes.
pub fn quantize(x: &[f32]) -> Vec<u8> {
    let mut out = vec![0u8; x.len() / QK * BLOCK_BYTES];
    for (chunk, o) in x.chunks_exact(QK).zip(out.chunks_exact_mut(BLOCK_BYTES)) {
        quantize_block(chunk, o);
    }
    out
}

/// The 32 signed 5-bit values (`q - 16`, in -16..=15) of one block.
#[inline]
pub fn unpack(b: &[u8]) -> [i8; QK] {
    let qh = u32::from_le_bytes([b[2], b[3], b[4], b[5]]);
    let mut v = [0i8; QK];
    for j in 0..QK / 2 {
        let lo = (b[6 + j] & 0x0f) | ((((qh >> j) & 1) as u8) << 4);
        let hi = (b[6 + j] >> 4) | ((((qh >> (j + 16)) & 1) as u8) << 4);
        v[j] = lo as i8 - 16;
        v[j + QK / 2] = hi as i8 - 16;
    }
    v
}

/// Dequantize file bytes (`out.len()` elements).
pub fn dequantize(data: &[u8], out: &mut [f32]) {
    for (o, b) in out.chunks_exact_mut(QK).zip(data.chunks_exact(BLOCK_BYTES)) {
        let d = f16::to_f32(u16::from_le_bytes([b[0], b[1]]));
        for (v, q) in o.iter_mut().zip(unpack(b)) {
            *v = f32::from(q) * d;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hand_computed_block() {
        // max = -32 → d = 2 (f16 0x4000), id = 0.5. x = -32 → -16 + 16.5 = 0.5 → 0;
        // x = 30 → 15 + 16.5 = 31.5 → 31 (high bit set); x = 2 → 1 + 16.5 = 17 (high bit set).
        let mut x = [0f32; 32];
        x[0] = -32.0;
        x[1] = 30.0;
        x[16] = 2.0;
        let mut b = [0u8; 22];
        quantize_block(&x, &mut b);
        assert_eq!(&b[..2], &[0x00, 0x40]);
        let qh = u32::from_le_bytes([b[2], b[3], b[4], b[5]]);
        // Element 0: q = 0 (bit clear); 1: 31; 16: 17; zeros: 16 (bit set).
        assert_eq!(qh & 1, 0);
        assert_eq!((qh >> 1) & 1, 1);
        assert_eq!((qh >> 16) & 1, 1);
        assert_eq!(b[6], 0x10); // lo nibble of q0 = 0, hi nibble of q16 = 17 & 15 = 1
        assert_eq!(b[7], 0x0f); // q1 = 31 → 15; q17 = 16 → 0
        let mut back = [0f32; 32];
        dequantize(&b, &mut back);
        assert_eq!(back[0], -32.0);
        assert_eq!(back[1], 30.0);
        assert_eq!(back[16], 2.0);
        assert_eq!(back[2], 0.0);
    }
}
