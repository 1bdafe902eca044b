//! Matrix products for every weight type, built on a kernel set's dot products. One code path
//! serves decode (one activation row) and batched prefill (several rows): each weight row is
//! read once and dotted with every activation row while it is hot in cache. Each output is
//! the same dot product whatever the batch size, so batched and step-wise results agree bit
//! for bit.

use super::Kernels;
use crate::gguf::GgmlType;
use crate::quant::{BlockQ8, QK};

/// A weight matrix `[rows, cols]` (ggml dims `[cols, rows]`) in the mapped file.
#[derive(Debug, Clone, Copy)]
pub struct MatRef<'a> {
    pub ggml_type: GgmlType,
    pub rows: usize,
    pub cols: usize,
    pub data: &'a [u8],
}

impl MatRef<'_> {
    fn row_bytes(&self) -> usize {
        self.data.len() / self.rows.max(1)
    }
}

/// `out[t][r] = Σ_c w[r][c] · x[t][c]` for `t < n`: `x` is `[n, cols]`, `out` is `[n, rows]`.
/// `q8` is scratch for the quantized activations (resized as needed).
///
/// Panics if the lengths do not match the shapes (the model loader validates every shape, so
/// this is a programming error, not bad input) or the type is not F32/F16/Q8_0/Q4_0.
pub fn matmul(
    k: &Kernels,
    w: &MatRef<'_>,
    x: &[f32],
    n: usize,
    out: &mut [f32],
    q8: &mut Vec<BlockQ8>,
) {
    let (rows, cols) = (w.rows, w.cols);
    assert_eq!(x.len(), n * cols, "matmul: activation length");
    assert_eq!(out.len(), n * rows, "matmul: output length");
    let rb = w.row_bytes();
    match w.ggml_type {
        GgmlType::F32 | GgmlType::F16 => {
            let dot = if w.ggml_type == GgmlType::F32 {
                k.dot_f32_bytes
            } else {
                k.dot_f16
            };
            for (r, wr) in w.data.chunks_exact(rb).enumerate() {
                for t in 0..n {
                    out[t * rows + r] = dot(wr, &x[t * cols..(t + 1) * cols]);
                }
            }
        }
        GgmlType::Q8_0 | GgmlType::Q4_0 => {
            let nb = cols / QK;
            q8.resize(n * nb, BlockQ8::default());
            for t in 0..n {
                (k.quantize_q8_0)(&x[t * cols..(t + 1) * cols], &mut q8[t * nb..(t + 1) * nb]);
            }
            let dot = if w.ggml_type == GgmlType::Q8_0 {
                k.dot_q8_0
            } else {
                k.dot_q4_0
            };
            for (r, wr) in w.data.chunks_exact(rb).enumerate() {
                for t in 0..n {
                    out[t * rows + r] = dot(wr, &q8[t * nb..(t + 1) * nb]);
                }
            }
        }
        other => panic!("matmul: weight type {other} has no kernel"),
    }
}
