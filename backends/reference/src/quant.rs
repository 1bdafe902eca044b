//! Tensor element types the engine computes with, bit-compatible with ggml: F32, F16, Q8_0,
//! Q4_0, Q5_0, Q4_K and Q6_K (plus Q8_K, the activation format of K-quant dot products). Quantizers follow ggml's `quantize_row_*_ref`, dequantizers ggml's
//! `dequantize_row_*`, so files we write are the files llama.cpp would write.

pub mod f16;
pub mod kquant;
pub mod q4_0;
pub mod q4_k;
pub mod q5_0;
pub mod q6_k;
pub mod q8_0;
pub mod q8_k;
pub mod x8;

pub use kquant::QK_K;
pub use q8_k::BlockQ8K;

use crate::gguf::GgmlType;

/// Elements per Q8_0 / Q4_0 block.
pub const QK: usize = 32;

/// An activation block quantized to Q8_0 for integer dot products. `d` is the block scale
/// already rounded through f16, exactly as ggml stores it in `block_q8_0`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct BlockQ8 {
    pub d: f32,
    pub qs: [i8; QK],
}

impl Default for BlockQ8 {
    fn default() -> Self {
        BlockQ8 {
            d: 0.0,
            qs: [0; QK],
        }
    }
}

/// Dequantize `data` (a whole number of rows of `ty`) into `out`. Returns `false` if the type
/// is not one the engine computes with or the lengths do not match.
pub fn dequantize(ty: GgmlType, data: &[u8], out: &mut [f32]) -> bool {
    let Some(need) = ty.bytes_for(out.len() as u64) else {
        return false;
    };
    if need != data.len() as u64 {
        return false;
    }
    match ty {
        GgmlType::F32 => {
            for (o, c) in out.iter_mut().zip(data.chunks_exact(4)) {
                *o = f32::from_le_bytes([c[0], c[1], c[2], c[3]]);
            }
        }
        GgmlType::F16 => f16::dequantize(data, out),
        GgmlType::Q8_0 => q8_0::dequantize(data, out),
        GgmlType::Q4_0 => q4_0::dequantize(data, out),
        GgmlType::Q5_0 => q5_0::dequantize(data, out),
        GgmlType::Q4K => q4_k::dequantize(data, out),
        GgmlType::Q6K => q6_k::dequantize(data, out),
        _ => return false,
    }
    true
}

/// Quantize `x` (length a multiple of the block size) to `ty`'s bytes. `None` for types the
/// engine cannot write or lengths that are not whole blocks.
pub fn quantize(ty: GgmlType, x: &[f32]) -> Option<Vec<u8>> {
    ty.bytes_for(x.len() as u64)?;
    Some(match ty {
        GgmlType::F32 => x.iter().flat_map(|v| v.to_le_bytes()).collect(),
        GgmlType::F16 => f16::quantize(x),
        GgmlType::Q8_0 => q8_0::quantize(x),
        GgmlType::Q4_0 => q4_0::quantize(x),
        GgmlType::Q5_0 => q5_0::quantize(x),
        GgmlType::Q4K => q4_k::quantize(x),
        GgmlType::Q6K => q6_k::quantize(x),
        _ => return None,
    })
}

/// Root-mean-square difference of two equally long slices (a test and budget helper).
pub fn rmse(a: &[f32], b: &[f32]) -> f32 {
    assert_eq!(a.len(), b.len(), "rmse of slices of different lengths");
    if a.is_empty() {
        return 0.0;
    }
    let s: f64 = a.iter().zip(b).map(|(x, y)| f64::from(x - y).powi(2)).sum();
    (s / a.len() as f64).sqrt() as f32
}
