//! Q8_K: the activation format K-quant dot products use (ggml type 15, never stored in model
//! files). 256 values per block, an f32 scale, i8 quants and the sums of each 16 quants.
//! ggml's `quantize_row_q8_K_ref`: signed max `max`, `iscale = -127 / max`,
//! `q = min(127, nearest_int(iscale·x))`, `d = 1 / iscale`.

use super::kquant::{nearest_int, QK_K};

/// One activation super-block.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct BlockQ8K {
    pub d: f32,
    pub qs: [i8; QK_K],
    pub bsums: [i16; QK_K / 16],
}

impl Default for BlockQ8K {
    fn default() -> Self {
        BlockQ8K {
            d: 0.0,
            qs: [0; QK_K],
            bsums: [0; QK_K / 16],
        }
    }
}

/// Quantize one block of 256 values.
pub fn quantize_block(x: &[f32], y: &mut BlockQ8K) {
    let (mut max, mut amax) = (0f32, 0f32);
    for &v in x {
        if v.abs() > amax {
            amax = v.abs();
            max = v;
        }
    }
    if amax == 0.0 {
        *y = BlockQ8K::default();
        return;
    }
    let iscale = -127.0 / max;
    for (q, &v) in y.qs.iter_mut().zip(x) {
        *q = nearest_int(iscale * v).min(127) as i8;
    }
    for (s, g) in y.bsums.iter_mut().zip(y.qs.chunks_exact(16)) {
        *s = g.iter().map(|&q| i16::from(q)).sum();
    }
    y.d = 1.0 / iscale;
}

/// Quantize an activation row (length a multiple of 256) into blocks.
pub fn quantize_row(x: &[f32], out: &mut [BlockQ8K]) {
    for (b, chunk) in out.iter_mut().zip(x.chunks_exact(QK_K)) {
        quantize_block(chunk, b);
    }
}
