//! Q4_K (ggml type 12): super-blocks of 256 elements, 144 bytes each: f16 `d`, f16 `dmin`,
//! 12 bytes packing eight 6-bit scales and eight 6-bit mins (one pair per 32-element
//! sub-block, see [`super::kquant::scale_min_k4`]), then 128 bytes of nibbles: for each
//! 64-element half-chunk `c`, byte `32c + l` holds element `64c + l` (low nibble) and
//! `64c + 32 + l` (high nibble). Value = `d·sc·q − dmin·m`. Quantizer: ggml's
//! `quantize_row_q4_K_ref` (the one llama.cpp uses without an importance matrix).

use super::f16;
use super::kquant::{make_qkx2_quants, nearest_int, scale_min_k4, QK_K};

/// Bytes per super-block.
pub const BLOCK_BYTES: usize = 144;

/// Quantize one super-block of 256 values into its 144 bytes.
pub fn quantize_block(x: &[f32], out: &mut [u8]) {
    let mut l = [0u8; QK_K];
    let (mut scales, mut mins) = ([0f32; 8], [0f32; 8]);
    let (mut max_scale, mut max_min) = (0f32, 0f32);
    let mut weights = [0f32; 32];
    for j in 0..QK_K / 32 {
        let xs = &x[32 * j..32 * j + 32];
        let mut sum_x2 = 0f32;
        for &v in xs {
            sum_x2 += v * v;
        }
        let av_x = (sum_x2 / 32.0).sqrt();
        for (w, &v) in weights.iter_mut().zip(xs) {
            *w = av_x + v.abs();
        }
        let (s, m) = make_qkx2_quants(
            15,
            xs,
            &weights,
            &mut l[32 * j..32 * j + 32],
            -1.0,
            0.1,
            20,
            false,
        );
        scales[j] = s;
        mins[j] = m;
        if s > max_scale {
            max_scale = s;
        }
        if m > max_min {
            max_min = m;
        }
    }
    let inv_scale = if max_scale > 0.0 {
        63.0 / max_scale
    } else {
        0.0
    };
    let inv_min = if max_min > 0.0 { 63.0 / max_min } else { 0.0 };
    let sc = &mut [0u8; 12];
    for j in 0..QK_K / 32 {
        // C: `uint8_t ls = nearest_int(..)` (wraps), then MIN(63, ls).
        let ls = (nearest_int(inv_scale * scales[j]) as u8).min(63);
        let lm = (nearest_int(inv_min * mins[j]) as u8).min(63);
        if j < 4 {
            sc[j] = ls;
            sc[j + 4] = lm;
        } else {
            sc[j + 4] = (ls & 0x0f) | ((lm & 0x0f) << 4);
            sc[j - 4] |= (ls >> 4) << 6;
            sc[j] |= (lm >> 4) << 6;
        }
    }
    let d_bits = f16::from_f32(max_scale / 63.0);
    let dmin_bits = f16::from_f32(max_min / 63.0);
    let (d_all, dmin_all) = (f16::to_f32(d_bits), f16::to_f32(dmin_bits));
    for j in 0..QK_K / 32 {
        let (s, m) = scale_min_k4(j, sc);
        let d = d_all * f32::from(s);
        if d == 0.0 {
            continue;
        }
        let dm = dmin_all * f32::from(m);
        for ii in 0..32 {
            l[32 * j + ii] = nearest_int((x[32 * j + ii] + dm) / d).clamp(0, 15) as u8;
        }
    }
    out[0..2].copy_from_slice(&d_bits.to_le_bytes());
    out[2..4].copy_from_slice(&dmin_bits.to_le_bytes());
    out[4..16].copy_from_slice(sc);
    let q = &mut out[16..];
    for c in 0..QK_K / 64 {
        for i in 0..32 {
            q[32 * c + i] = l[64 * c + i] | (l[64 * c + 32 + i] << 4);
        }
    }
}

/// Quantize to file bytes (`x.len()` a multiple of 256).
pub fn quantize(x: &[f32]) -> Vec<u8> {
    let mut out = vec![0u8; x.len() / QK_K * BLOCK_BYTES];
    for (chunk, o) in x.chunks_exact(QK_K).zip(out.chunks_exact_mut(BLOCK_BYTES)) {
        quantize_block(chunk, o);
    }
    out
}

/// Dequantize file bytes (`out.len()` elements), ggml's `dequantize_row_q4_K`.
pub fn dequantize(data: &[u8], out: &mut [f32]) {
    for (o, b) in out
        .chunks_exact_mut(QK_K)
        .zip(data.chunks_exact(BLOCK_BYTES))
    {
        let d = f16::to_f32(u16::from_le_bytes([b[0], b[1]]));
        let min = f16::to_f32(u16::from_le_bytes([b[2], b[3]]));
        let (sc, q) = (&b[4..16], &b[16..]);
        for c in 0..QK_K / 64 {
            let (s1, m1) = scale_min_k4(2 * c, sc);
            let (s2, m2) = scale_min_k4(2 * c + 1, sc);
            let (d1, m1) = (d * f32::from(s1), min * f32::from(m1));
            let (d2, m2) = (d * f32::from(s2), min * f32::from(m2));
            for i in 0..32 {
                let byte = q[32 * c + i];
                o[64 * c + i] = d1 * f32::from(byte & 0x0f) - m1;
                o[64 * c + 32 + i] = d2 * f32::from(byte >> 4) - m2;
            }
        }
    }
}
