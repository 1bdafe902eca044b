//! `y = x · Wᵀ` in the three encodings, each as ONNX Runtime's own tools write it.
//!
//! - fp32: `MatMul(x, Wᵀ)` with the weight stored transposed `[in, out]`, as torch exports it.
//! - int8 (`quantize_dynamic(weight_type=QInt8)`, per-tensor, symmetric, reduce_range off):
//!   `DynamicQuantizeLinear(x) -> (x_q:u8, x_scale, x_zp)` (one per activation, shared by all
//!   its consumers), `MatMulInteger(x_q, W_q:i8, x_zp, W_zp) -> i32`, `Cast(to=float)`,
//!   `Mul(x_scale, W_scale)`, `Mul` of the two.
//! - int4 (`MatMulNBitsQuantizer(block_size=32, is_symmetric=True)`):
//!   `com.microsoft::MatMulNBits(x, B:u8[N, K/32, 16], scales:f32[N, K/32])`, attributes
//!   `K`, `N`, `bits=4`, `block_size=32`, no zero points (implicit 8).

use crate::builder::{f32_bytes, int, tensor, Builder};
use crate::proto::DataType;
use crate::OnnxVariant;
use std::collections::HashMap;

/// The int4 block length (values per scale).
pub const BLOCK_SIZE: usize = 32;

/// Emits linear layers in one encoding; remembers which activations are already quantized.
pub(crate) struct Linear {
    variant: OnnxVariant,
    dynq: HashMap<String, [String; 3]>,
}

impl Linear {
    pub fn new(variant: OnnxVariant) -> Self {
        Linear {
            variant,
            dynq: HashMap::new(),
        }
    }

    /// `x [.., k] -> [.., n]` with `w` row-major `[n, k]` (Hugging Face `nn.Linear` layout).
    /// `name` is the weight's name (`model.layers.0.self_attn.q_proj.weight`).
    pub fn apply(
        &mut self,
        b: &mut Builder,
        x: &str,
        w: &[f32],
        n: usize,
        k: usize,
        name: &str,
    ) -> String {
        match self.variant {
            OnnxVariant::Fp32 => {
                let wt = b.init(tensor(
                    name,
                    DataType::Float,
                    &[k as i64, n as i64],
                    f32_bytes(&transpose(w, n, k)),
                ));
                b.op("MatMul", &[x, &wt], vec![])
            }
            OnnxVariant::Int8 => self.int8(b, x, w, n, k, name),
            OnnxVariant::Int4 => {
                let (packed, scales) = quantize_q4(w, n, k);
                let blocks = k.div_ceil(BLOCK_SIZE);
                let bq = b.init(tensor(
                    &format!("{name}_Q4"),
                    DataType::Uint8,
                    &[n as i64, blocks as i64, (BLOCK_SIZE / 2) as i64],
                    packed,
                ));
                let sc = b.init(tensor(
                    &format!("{name}_scales"),
                    DataType::Float,
                    &[n as i64, blocks as i64],
                    f32_bytes(&scales),
                ));
                let attrs = vec![
                    int("K", k as i64),
                    int("N", n as i64),
                    int("bits", 4),
                    int("block_size", BLOCK_SIZE as i64),
                ];
                b.op_n("MatMulNBits", "com.microsoft", &[x, &bq, &sc], attrs, 1)
                    .remove(0)
            }
        }
    }

    fn int8(
        &mut self,
        b: &mut Builder,
        x: &str,
        w: &[f32],
        n: usize,
        k: usize,
        name: &str,
    ) -> String {
        let [xq, xs, xz] = match self.dynq.get(x) {
            Some(v) => v.clone(),
            None => {
                let o = b.op_n("DynamicQuantizeLinear", "", &[x], vec![], 3);
                let v = [o[0].clone(), o[1].clone(), o[2].clone()];
                self.dynq.insert(x.to_string(), v.clone());
                v
            }
        };
        let (q, scale) = quantize_i8_symmetric(&transpose(w, n, k));
        let wq = b.init(tensor(
            &format!("{name}_quantized"),
            DataType::Int8,
            &[k as i64, n as i64],
            q.iter().map(|&v| v as u8).collect(),
        ));
        let ws = b.init(tensor(
            &format!("{name}_scale"),
            DataType::Float,
            &[],
            scale.to_le_bytes().to_vec(),
        ));
        let wz = b.init(tensor(
            &format!("{name}_zero_point"),
            DataType::Int8,
            &[],
            vec![0],
        ));
        let acc = b.op("MatMulInteger", &[&xq, &wq, &xz, &wz], vec![]);
        let accf = b.op("Cast", &[&acc], vec![int("to", DataType::Float as i64)]);
        let s = b.op("Mul", &[&xs, &ws], vec![]);
        b.op("Mul", &[&accf, &s], vec![])
    }
}

/// Row-major `[n, k]` to row-major `[k, n]`.
pub(crate) fn transpose(w: &[f32], n: usize, k: usize) -> Vec<f32> {
    let mut t = vec![0.0; w.len()];
    for r in 0..n {
        for c in 0..k {
            t[c * n + r] = w[r * k + c];
        }
    }
    t
}

/// Per-tensor symmetric int8 as `quantize_dynamic` computes it: `scale = absmax / 127`
/// (range [-127, 127], zero point 0), `q = round_half_even(w / scale)` clipped.
pub(crate) fn quantize_i8_symmetric(w: &[f32]) -> (Vec<i8>, f32) {
    let absmax = w.iter().fold(0f32, |m, v| m.max(v.abs()));
    // ORT divides the range in f64 and stores the scale as f32.
    let scale = if absmax == 0.0 {
        1.0
    } else {
        (2.0 * f64::from(absmax) / 254.0) as f32
    };
    let q = w
        .iter()
        .map(|&v| (v / scale).round_ties_even().clamp(-127.0, 127.0) as i8)
        .collect();
    (q, scale)
}

/// Per-tensor asymmetric uint8, as `quantize_dynamic` quantizes a `Gather`'s table (it uses
/// the activation type there): the range [min(w, 0), max(w, 0)] maps onto [0, 255],
/// `zero_point = round_half_even(-rmin / scale)` in f64, `q = round_half_even(w / scale) + zp`.
pub(crate) fn quantize_u8_asymmetric(w: &[f32]) -> (Vec<u8>, f32, u8) {
    let rmin = w.iter().fold(0f32, |m, &v| m.min(v));
    let rmax = w.iter().fold(0f32, |m, &v| m.max(v));
    let scale64 = (f64::from(rmax) - f64::from(rmin)) / 255.0;
    if (scale64 as f32) < f32::MIN_POSITIVE {
        return (vec![0; w.len()], 1.0, 0);
    }
    let zp = (-f64::from(rmin) / scale64)
        .round_ties_even()
        .clamp(0.0, 255.0) as u8;
    let scale = scale64 as f32;
    let q = w
        .iter()
        .map(|&v| ((v / scale).round_ties_even() + f32::from(zp)).clamp(0.0, 255.0) as u8)
        .collect();
    (q, scale, zp)
}

/// Block-wise symmetric 4-bit along K, as MLAS' `MlasQuantizeBlockwise` does it for
/// `MatMulNBits` (checked code for code against ORT 1.32's `MatMulNBitsQuantizer`): per block
/// of 32 values of one output row, `m` = the block's max if
/// `|max| > |min|`, else its min; `scale = -m / 8`; `q = clamp(roundf(v · (1/scale) + 8), 0, 15)`
/// in f32 with rounding half away from zero; two codes per byte, even index in the low nibble.
/// When K is not a multiple of 32 the last block's padding is left out of the range and its
/// codes stay 0, as MLAS leaves them.
pub(crate) fn quantize_q4(w: &[f32], n: usize, k: usize) -> (Vec<u8>, Vec<f32>) {
    let blocks = k.div_ceil(BLOCK_SIZE);
    let mut packed = vec![0u8; n * blocks * BLOCK_SIZE / 2];
    let mut scales = vec![0f32; n * blocks];
    for r in 0..n {
        let row = &w[r * k..(r + 1) * k];
        for bi in 0..blocks {
            let vals = &row[bi * BLOCK_SIZE..((bi + 1) * BLOCK_SIZE).min(k)];
            let (mut min, mut max) = (f32::MAX, -f32::MAX);
            for &v in vals {
                min = min.min(v);
                max = max.max(v);
            }
            let m = if max.abs() > min.abs() { max } else { min };
            let scale = -m / 8.0;
            let recip = if scale != 0.0 { 1.0 / scale } else { 0.0 };
            scales[r * blocks + bi] = scale;
            let base = (r * blocks + bi) * BLOCK_SIZE / 2;
            for (i, &v) in vals.iter().enumerate() {
                let q = (v * recip + 8.0).round().clamp(0.0, 15.0) as u8;
                packed[base + i / 2] |= q << (4 * (i % 2));
            }
        }
    }
    (packed, scales)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn q4_roundtrips_within_one_step() {
        let k = 40; // not a multiple of 32: the second block is padded
        let w: Vec<f32> = (0..2 * k)
            .map(|i| ((i * 7919) % 23) as f32 - 11.0)
            .collect();
        let (p, s) = quantize_q4(&w, 2, k);
        assert_eq!(p.len(), 2 * 2 * 16);
        for r in 0..2 {
            for c in 0..k {
                let bi = c / 32;
                let byte = p[(r * 2 + bi) * 16 + (c % 32) / 2];
                let q = (byte >> (4 * (c % 2))) & 15;
                let sc = s[r * 2 + bi];
                let back = (f32::from(q) - 8.0) * sc;
                // Half a step, except a value opposite in sign to the block maximum that clamps at 15.
                assert!((back - w[r * k + c]).abs() <= sc.abs() + 1e-6);
            }
        }
    }

    #[test]
    fn i8_scale_maps_absmax_to_127() {
        let (q, s) = quantize_i8_symmetric(&[-2.54, 1.0, 0.0]);
        assert_eq!(q, [-127, 50, 0]);
        assert!((s - 0.02).abs() < 1e-7);
    }
}
