//! Q4_0 (ggml type 2): blocks of 32 elements, 18 bytes each: f16 scale `d` then 16 bytes of
//! nibbles. ggml's `quantize_row_q4_0_ref`: take the element with the largest magnitude *with
//! its sign* (`max`), `d = max / -8`, `q = min(15, (int8)(x / d + 8.5))`. Element `j` goes in
//! the low nibble of byte `j`, element `j + 16` in its high nibble; value = `(q - 8) * d`.

use super::{f16, QK};

/// Bytes per block.
pub const BLOCK_BYTES: usize = 18;

/// Quantize one block of 32 values into its 18 bytes.
pub fn quantize_block(x: &[f32], out: &mut [u8]) {
    let (mut amax, mut max) = (0f32, 0f32);
    for &v in x {
        if amax < v.abs() {
            amax = v.abs();
            max = v;
        }
    }
    let d = max / -8.0;
    let id = if d != 0.0 { 1.0 / d } else { 0.0 };
    out[..2].copy_from_slice(&f16::from_f32(d).to_le_bytes());
    for j in 0..QK / 2 {
        // `as i8` truncates toward zero like C's (int8_t) cast; the value is in 0.5..=16.5.
        let lo = ((x[j] * id + 8.5) as i8).min(15) as u8;
        let hi = ((x[j + QK / 2] * id + 8.5) as i8).min(15) as u8;
        out[2 + j] = lo | (hi << 4);
    }
}

/// Quantize to file bytes.
pub fn quantize(x: &[f32]) -> Vec<u8> {
    let mut out = vec![0u8; x.len() / QK * BLOCK_BYTES];
    for (chunk, o) in x.chunks_exact(QK).zip(out.chunks_exact_mut(BLOCK_BYTES)) {
        quantize_block(chunk, o);
    }
    out
}

/// Dequantize file bytes (`out.len()` elements).
pub fn dequantize(data: &[u8], out: &mut [f32]) {
    for (o, b) in out.chunks_exact_mut(QK).zip(data.chunks_exact(BLOCK_BYTES)) {
        let d = f16::to_f32(u16::from_le_bytes([b[0], b[1]]));
        for j in 0..QK / 2 {
            o[j] = (i32::from(b[2 + j] & 0x0f) - 8) as f32 * d;
            o[j + QK / 2] = (i32::from(b[2 + j] >> 4) - 8) as f32 * d;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hand_computed_block() {
        // max = -16 (largest magnitude, negative) → d = 2.0 (f16 0x4000), id = 0.5.
        let mut x = [0f32; 32];
        x[0] = -16.0; // -8 + 8.5 = 0.5 → 0
        x[1] = 14.0; // 7 + 8.5 = 15.5 → 15
        x[2] = 3.0; // 1.5 + 8.5 = 10
        x[16] = 1.0; // 0.5 + 8.5 = 9 → high nibble of byte 0
        x[17] = -3.1; // -1.55 + 8.5 = 6.95 → 6
        let mut b = [0u8; 18];
        quantize_block(&x, &mut b);
        assert_eq!(&b[..2], &[0x00, 0x40]);
        assert_eq!(b[2], 0x90); // lo 0, hi 9
        assert_eq!(b[3], 0x6f); // lo 15, hi 6
        assert_eq!(b[4], 0x8a); // lo 10, hi 8 (zero)
        assert!(b[5..].iter().all(|&v| v == 0x88));
        let mut back = [0f32; 32];
        dequantize(&b, &mut back);
        assert_eq!(&back[..3], &[-16.0, 14.0, 4.0]);
        assert_eq!(back[16], 2.0);
        assert_eq!(back[17], -4.0);
    }

    #[test]
    fn positive_max_gives_negative_scale_and_clamps_to_15() {
        // max = +8 → d = -1; x = 8 → -8 + 8.5 = 0.5 → 0; x = -8 → 8 + 8.5 = 16.5 → 16 → 15.
        let mut x = [0f32; 32];
        x[0] = 8.0;
        x[1] = -8.0;
        let mut b = [0u8; 18];
        quantize_block(&x, &mut b);
        assert_eq!(&b[..2], &[0x00, 0xbc]); // -1.0
        assert_eq!(b[2] & 0x0f, 0);
        assert_eq!(b[3] & 0x0f, 15);
    }
}
