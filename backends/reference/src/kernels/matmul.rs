//! Matrix products for every weight type, built on a kernel set's batched dot products and
//! spread over a [`ThreadPool`].
//!
//! Activations are converted once per call into what the weight type's dot product wants
//! (f32 as is, Q8_0 blocks, Q8_K blocks), as ggml does. The weight rows of all the products
//! in one call (e.g. Q, K and V, which share their input) are cut into chunks that threads
//! take from a shared counter; each chunk reads its weight rows once and dots each with every
//! activation row. Each output is one dot product computed by one thread in a fixed order, so
//! results do not depend on the thread count or the batch size: 2 threads equal 1 thread, and
//! batched prefill equals step-wise decoding, bit for bit.

use super::{Kernels, ThreadPool};
use crate::gguf::GgmlType;
use crate::quant::{BlockQ8, BlockQ8K, QK, QK_K};
use std::sync::atomic::{AtomicUsize, Ordering};

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

/// One product of a [`matmul_many`] call: `out` is `[n, w.rows]`.
#[derive(Debug)]
pub struct Task<'a, 'o> {
    pub w: MatRef<'a>,
    pub out: &'o mut [f32],
}

/// Reusable buffers for quantized activations.
#[derive(Debug, Default)]
pub struct MatmulScratch {
    q8: Vec<BlockQ8>,
    q8k: Vec<BlockQ8K>,
}

#[derive(Clone, Copy, PartialEq)]
enum Act {
    F32,
    Q8,
    Q8K,
}

fn act_of(ty: GgmlType) -> Act {
    match ty {
        GgmlType::F32 | GgmlType::F16 => Act::F32,
        GgmlType::Q8_0 | GgmlType::Q4_0 | GgmlType::Q5_0 => Act::Q8,
        GgmlType::Q4K | GgmlType::Q6K => Act::Q8K,
        other => panic!("matmul: weight type {other} has no kernel"),
    }
}

/// `out[t][r] = Σ_c w[r][c] · x[t][c]` for `t < n`, one thread, one matrix.
pub fn matmul(
    k: &Kernels,
    w: &MatRef<'_>,
    x: &[f32],
    n: usize,
    out: &mut [f32],
    scratch: &mut MatmulScratch,
) {
    matmul_many(k, None, x, n, &mut [Task { w: *w, out }], scratch);
}

/// Output pointer shared by the threads of one call.
#[derive(Clone, Copy)]
struct OutPtr(*mut f32, usize);
// SAFETY: the threads of one call write disjoint elements (each (t, r) belongs to exactly one
// chunk) and the call does not return before they are done.
unsafe impl Send for OutPtr {}
// SAFETY: as above.
unsafe impl Sync for OutPtr {}

/// Activation rows processed per kernel call (bounds the on-stack output buffer).
const T_BLOCK: usize = 64;

/// Every task's product with the same activations `x` (`[n, cols]`), on `pool`'s threads
/// (`None`: the calling thread only).
///
/// Panics if the lengths do not match the shapes (the model loader validates every shape, so
/// this is a programming error, not bad input) or a type has no kernel.
pub fn matmul_many(
    k: &Kernels,
    pool: Option<&ThreadPool>,
    x: &[f32],
    n: usize,
    tasks: &mut [Task<'_, '_>],
    scratch: &mut MatmulScratch,
) {
    let Some(first) = tasks.first() else { return };
    let cols = first.w.cols;
    assert_eq!(x.len(), n * cols, "matmul: activation length");
    for t in tasks.iter() {
        assert_eq!(t.w.cols, cols, "matmul: tasks with different inputs");
        assert_eq!(t.out.len(), n * t.w.rows, "matmul: output length");
        assert_eq!(
            t.w.data.len() as u64,
            t.w.ggml_type
                .bytes_for((t.w.rows * cols) as u64)
                .expect("whole blocks"),
            "matmul: weight bytes"
        );
    }
    if n == 0 {
        return;
    }
    let needs = |a: Act| tasks.iter().any(|t| act_of(t.w.ggml_type) == a);
    if needs(Act::Q8) {
        let nb = cols / QK;
        scratch.q8.resize(n * nb, BlockQ8::default());
        for t in 0..n {
            (k.quantize_q8_0)(&x[t * cols..(t + 1) * cols], &mut scratch.q8[t * nb..(t + 1) * nb]);
        }
    }
    if needs(Act::Q8K) {
        let nb = cols / QK_K;
        scratch.q8k.resize(n * nb, BlockQ8K::default());
        for t in 0..n {
            (k.quantize_q8_k)(&x[t * cols..(t + 1) * cols], &mut scratch.q8k[t * nb..(t + 1) * nb]);
        }
    }
    let (q8, q8k) = (&scratch.q8[..], &scratch.q8k[..]);

    // Work items: (task, first row, end row).
    let threads = pool.map_or(1, ThreadPool::threads);
    let total_rows: usize = tasks.iter().map(|t| t.w.rows).sum();
    let chunk = if threads == 1 {
        usize::MAX
    } else {
        (total_rows / (threads * 8)).clamp(16, 4096)
    };
    let mut items = Vec::new();
    for (i, t) in tasks.iter().enumerate() {
        let mut r = 0;
        while r < t.w.rows {
            let e = t.w.rows.min(r.saturating_add(chunk));
            items.push((i, r, e));
            r = e;
        }
    }
    let outs: Vec<OutPtr> = tasks
        .iter_mut()
        .map(|t| OutPtr(t.out.as_mut_ptr(), t.out.len()))
        .collect();
    let mats: Vec<MatRef<'_>> = tasks.iter().map(|t| t.w).collect();
    let next = AtomicUsize::new(0);

    let work = |_tid: usize| {
        let mut tmp = [0f32; T_BLOCK];
        loop {
            let i = next.fetch_add(1, Ordering::Relaxed);
            let Some(&(ti, r0, r1)) = items.get(i) else { break };
            let (w, out) = (&mats[ti], outs[ti]);
            let rb = w.row_bytes();
            for r in r0..r1 {
                let wr = &w.data[r * rb..(r + 1) * rb];
                let mut t0 = 0;
                while t0 < n {
                    let tn = T_BLOCK.min(n - t0);
                    let o = &mut tmp[..tn];
                    match w.ggml_type {
                        GgmlType::F32 => (k.dot_f32_bytes)(wr, &x[t0 * cols..(t0 + tn) * cols], o),
                        GgmlType::F16 => (k.dot_f16)(wr, &x[t0 * cols..(t0 + tn) * cols], o),
                        ty => {
                            let (per8, perk) = (cols / QK, cols / QK_K);
                            let a8 = || &q8[t0 * per8..(t0 + tn) * per8];
                            let ak = || &q8k[t0 * perk..(t0 + tn) * perk];
                            match ty {
                                GgmlType::Q8_0 => (k.dot_q8_0)(wr, a8(), o),
                                GgmlType::Q4_0 => (k.dot_q4_0)(wr, a8(), o),
                                GgmlType::Q5_0 => (k.dot_q5_0)(wr, a8(), o),
                                GgmlType::Q4K => (k.dot_q4_k)(wr, ak(), o),
                                GgmlType::Q6K => (k.dot_q6_k)(wr, ak(), o),
                                other => panic!("matmul: weight type {other} has no kernel"),
                            }
                        }
                    }
                    for (j, &v) in o.iter().enumerate() {
                        let idx = (t0 + j) * w.rows + r;
                        assert!(idx < out.1);
                        // SAFETY: idx is in bounds (checked above) and element (t0 + j, r)
                        // belongs to this chunk alone; the buffer outlives the call.
                        unsafe { *out.0.add(idx) = v };
                    }
                    t0 += tn;
                }
            }
        }
    };
    match pool {
        Some(p) if p.threads() > 1 && items.len() > 1 => p.run(&work),
        _ => work(0),
    }
}
