//! Q6_K (ggml type 14): super-blocks of 256 elements, 210 bytes each: `ql[128]` (low 4 bits),
//! `qh[64]` (high 2 bits), `scales[16]` (i8, one per 16 elements), f16 `d` last. In each
//! 128-element half `h` (ql offset 64h, qh offset 32h, scales offset 8h), for `l < 32`:
//! element `l` = low nibble of `ql[l]` + bits 0-1 of `qh[l]`, `l+32` = low nibble of
//! `ql[l+32]` + bits 2-3, `l+64` = high nibble of `ql[l]` + bits 4-5, `l+96` = high nibble of
//! `ql[l+32]` + bits 6-7; value = `d·scale·(q − 32)`. Quantizer: `quantize_row_q6_K_ref`.

use super::f16;
use super::kquant::{make_qx_quants, nearest_int, QK_K};

/// Bytes per super-block.
pub const BLOCK_BYTES: usize = 210;

/// Quantize one super-block of 256 values into its 210 bytes.
pub fn quantize_block(x: &[f32], out: &mut [u8]) {
    let mut l = [0i8; QK_K];
    let mut scales = [0f32; QK_K / 16];
    let (mut max_scale, mut max_abs_scale) = (0f32, 0f32);
    for ib in 0..QK_K / 16 {
        let s = make_qx_quants(32, &x[16 * ib..16 * ib + 16], &mut l[16 * ib..16 * ib + 16]);
        scales[ib] = s;
        if s.abs() > max_abs_scale {
            max_abs_scale = s.abs();
            max_scale = s;
        }
    }
    out.iter_mut().for_each(|b| *b = 0);
    if max_abs_scale < 1e-15 {
        return;
    }
    let iscale = -128.0 / max_scale;
    let d_bits = f16::from_f32(1.0 / iscale);
    let d_all = f16::to_f32(d_bits);
    let mut sc = [0i8; 16];
    for ib in 0..QK_K / 16 {
        sc[ib] = nearest_int(iscale * scales[ib]).min(127) as i8;
    }
    for j in 0..QK_K / 16 {
        let d = d_all * f32::from(sc[j]);
        if d == 0.0 {
            continue;
        }
        for ii in 0..16 {
            l[16 * j + ii] = (nearest_int(x[16 * j + ii] / d).clamp(-32, 31) + 32) as i8;
        }
    }
    let l = l.map(|v| v as u8);
    for h in 0..2 {
        let (j, ql, qh) = (128 * h, 64 * h, 128 + 32 * h);
        for i in 0..32 {
            let (q1, q2, q3, q4) = (l[j + i], l[j + i + 32], l[j + i + 64], l[j + i + 96]);
            out[ql + i] = (q1 & 0x0f) | ((q3 & 0x0f) << 4);
            out[ql + i + 32] = (q2 & 0x0f) | ((q4 & 0x0f) << 4);
            out[qh + i] = (q1 >> 4) | ((q2 >> 4) << 2) | ((q3 >> 4) << 4) | ((q4 >> 4) << 6);
        }
    }
    for (o, s) in out[192..208].iter_mut().zip(sc) {
        *o = s as u8;
    }
    out[208..210].copy_from_slice(&d_bits.to_le_bytes());
}

/// Quantize to file bytes (`x.len()` a multiple of 256).
pub fn quantize(x: &[f32]) -> Vec<u8> {
    let mut out = vec![0u8; x.len() / QK_K * BLOCK_BYTES];
    for (chunk, o) in x.chunks_exact(QK_K).zip(out.chunks_exact_mut(BLOCK_BYTES)) {
        quantize_block(chunk, o);
    }
    out
}

/// The 256 signed 6-bit values (`q − 32`) of one block, in element order.
#[inline]
pub fn unpack(b: &[u8]) -> [i8; QK_K] {
    let mut v = [0i8; QK_K];
    for h in 0..2 {
        let (ql, qh) = (&b[64 * h..64 * h + 64], &b[128 + 32 * h..128 + 32 * h + 32]);
        let o = &mut v[128 * h..128 * h + 128];
        for l in 0..32 {
            o[l] = ((ql[l] & 0x0f) | ((qh[l] & 3) << 4)) as i8 - 32;
            o[l + 32] = ((ql[l + 32] & 0x0f) | (((qh[l] >> 2) & 3) << 4)) as i8 - 32;
            o[l + 64] = ((ql[l] >> 4) | (((qh[l] >> 4) & 3) << 4)) as i8 - 32;
            o[l + 96] = ((ql[l + 32] >> 4) | (((qh[l] >> 6) & 3) << 4)) as i8 - 32;
        }
    }
    v
}

/// Dequantize file bytes (`out.len()` elements), ggml's `dequantize_row_q6_K`.
pub fn dequantize(data: &[u8], out: &mut [f32]) {
    for (o, b) in out
        .chunks_exact_mut(QK_K)
        .zip(data.chunks_exact(BLOCK_BYTES))
    {
        let d = f16::to_f32(u16::from_le_bytes([b[208], b[209]]));
        let q = unpack(b);
        for (i, v) in o.iter_mut().enumerate() {
            // Scale index: 16-element groups in element order (ggml's `is + 0/2/4/6`).
            let sc = b[192 + i / 16] as i8;
            *v = d * f32::from(sc) * f32::from(q[i]);
        }
    }
}
