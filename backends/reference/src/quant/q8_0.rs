//! Q8_0 (ggml type 8): blocks of 32 elements, 34 bytes each: f16 scale `d` then 32 × i8.
//! `d = max|x| / 127`, `q = round(x / d)` (computed as `x * (1/d)`, rounding half away from
//! zero like C's `roundf`), value = `q * d`.

use super::{f16, BlockQ8, QK};

/// Bytes per block.
pub const BLOCK_BYTES: usize = 34;

/// Quantize one block (ggml `quantize_row_q8_0_ref`). Returns the block with `d` rounded to f16.
pub fn quantize_block(x: &[f32]) -> BlockQ8 {
    let amax = x.iter().fold(0f32, |m, v| m.max(v.abs()));
    let d = amax / 127.0;
    let id = if d != 0.0 { 1.0 / d } else { 0.0 };
    let mut qs = [0i8; QK];
    for (q, &v) in qs.iter_mut().zip(x) {
        *q = (v * id).round() as i8;
    }
    BlockQ8 {
        d: f16::round(d),
        qs,
    }
}

/// Quantize an activation row into blocks (the `vec_dot_type` conversion ggml does once per row).
pub fn quantize_row(x: &[f32], out: &mut [BlockQ8]) {
    for (b, chunk) in out.iter_mut().zip(x.chunks_exact(QK)) {
        *b = quantize_block(chunk);
    }
}

/// Quantize to file bytes.
pub fn quantize(x: &[f32]) -> Vec<u8> {
    let mut out = Vec::with_capacity(x.len() / QK * BLOCK_BYTES);
    for chunk in x.chunks_exact(QK) {
        let b = quantize_block(chunk);
        out.extend_from_slice(&f16::from_f32(b.d).to_le_bytes());
        out.extend(b.qs.iter().map(|&q| q as u8));
    }
    out
}

/// Dequantize file bytes (`out.len()` elements).
pub fn dequantize(data: &[u8], out: &mut [f32]) {
    for (o, b) in out.chunks_exact_mut(QK).zip(data.chunks_exact(BLOCK_BYTES)) {
        let d = f16::to_f32(u16::from_le_bytes([b[0], b[1]]));
        for (v, &q) in o.iter_mut().zip(&b[2..]) {
            *v = f32::from(q as i8) * d;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hand_computed_block() {
        // max |x| = 127 → d = 1.0 (f16 0x3c00); q = round(x).
        let mut x = [0f32; 32];
        x[0] = 127.0;
        x[1] = -127.0;
        x[2] = 2.5; // rounds away from zero
        x[3] = -2.5;
        x[4] = 0.49;
        let bytes = quantize(&x);
        assert_eq!(bytes.len(), 34);
        assert_eq!(&bytes[..2], &[0x00, 0x3c]);
        assert_eq!(&bytes[2..7], &[127, (-127i8) as u8, 3, (-3i8) as u8, 0]);
        assert!(bytes[7..].iter().all(|&b| b == 0));
        let mut back = [0f32; 32];
        dequantize(&bytes, &mut back);
        assert_eq!(back[2], 3.0);
        assert_eq!(back[1], -127.0);
    }

    #[test]
    fn zero_block_has_zero_scale() {
        let bytes = quantize(&[0.0; 32]);
        assert!(bytes.iter().all(|&b| b == 0));
    }
}
