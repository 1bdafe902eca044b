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
use crate::quant::{x8, BlockQ8, BlockQ8K, QK, QK_K};
use std::sync::atomic::{AtomicUsize, Ordering};

/// A weight matrix `[rows, cols]` (ggml dims `[cols, rows]`): file layout, or
/// Q4_0/Q5_0/Q8_0/Q4_K/Q6_K rows interleaved by eight ([`crate::quant::x8`]) when `x8` is set.
#[derive(Debug, Clone, Copy)]
pub struct MatRef<'a> {
    pub ggml_type: GgmlType,
    pub rows: usize,
    pub cols: usize,
    pub data: &'a [u8],
    pub x8: bool,
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
    /// Σ of each Q8_0 activation block's quants (for interleaved Q4_0 and Q5_0).
    q8_sums: Vec<i32>,
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

/// Activation rows processed per kernel call.
const T_BLOCK: usize = 64;

thread_local! {
    /// A chunk's `[t][r]` outputs before they are scattered into the task's rows, kept per
    /// thread between calls: allocating it per call (up to 64 × 1536 floats) cost an `mmap`,
    /// page faults and a memset in every prefill matrix product.
    static CHUNK_OUT: std::cell::RefCell<Vec<f32>> = const { std::cell::RefCell::new(Vec::new()) };
}

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
        assert!(
            !t.w.x8 || x8::supported(t.w.ggml_type, t.w.rows),
            "matmul: {} [{}, {}] cannot be interleaved",
            t.w.ggml_type,
            t.w.rows,
            cols
        );
        let file_bytes =
            t.w.ggml_type
                .bytes_for((t.w.rows * cols) as u64)
                .expect("whole blocks") as usize;
        let want = if t.w.x8 {
            x8::packed_len(t.w.ggml_type, file_bytes)
        } else {
            file_bytes
        };
        assert_eq!(t.w.data.len(), want, "matmul: weight bytes");
    }
    if n == 0 {
        return;
    }
    let needs = |a: Act| tasks.iter().any(|t| act_of(t.w.ggml_type) == a);
    if needs(Act::Q8) {
        let nb = cols / QK;
        scratch.q8.resize(n * nb, BlockQ8::default());
        for t in 0..n {
            (k.quantize_q8_0)(
                &x[t * cols..(t + 1) * cols],
                &mut scratch.q8[t * nb..(t + 1) * nb],
            );
        }
        scratch.q8_sums.clear();
        if tasks.iter().any(|t| t.w.x8) {
            let sums = scratch.q8.iter().map(super::scalar_x8::block_sum);
            scratch.q8_sums.extend(sums);
        }
    }
    if needs(Act::Q8K) {
        let nb = cols / QK_K;
        scratch.q8k.resize(n * nb, BlockQ8K::default());
        for t in 0..n {
            (k.quantize_q8_k)(
                &x[t * cols..(t + 1) * cols],
                &mut scratch.q8k[t * nb..(t + 1) * nb],
            );
        }
    }
    let (q8, q8_sums, q8k) = (&scratch.q8[..], &scratch.q8_sums[..], &scratch.q8k[..]);

    // Work items: (task, first row, end row).
    let threads = pool.map_or(1, ThreadPool::threads);
    let total_rows: usize = tasks.iter().map(|t| t.w.rows).sum();
    let chunk = if threads == 1 {
        usize::MAX
    } else {
        // Decode: one contiguous run of rows per thread, so each thread streams its weights
        // the way the hardware prefetcher likes (measured faster on smollm-135m Q4_0 than 8
        // chunks per thread); prefill: 8 chunks per thread for balance. A multiple of 8 so
        // chunks of interleaved matrices hold whole groups.
        let per_thread = if n == 1 { 1 } else { 8 };
        (total_rows / (threads * per_thread)).clamp(16, 1 << 20) / x8::ROWS * x8::ROWS
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

    // One kernel call: `rows` weight rows from `r0` against activation rows `t0..t0 + tn`.
    let call = |w: &MatRef<'_>, r0: usize, rows: usize, t0: usize, tn: usize, o: &mut [f32]| {
        let rb = w.row_bytes();
        let wr = &w.data[r0 * rb..(r0 + rows) * rb];
        let (per8, perk) = (cols / QK, cols / QK_K);
        let xs = || &x[t0 * cols..(t0 + tn) * cols];
        let a8 = || &q8[t0 * per8..(t0 + tn) * per8];
        let ak = || &q8k[t0 * perk..(t0 + tn) * perk];
        if w.x8 {
            let sums = || &q8_sums[t0 * per8..(t0 + tn) * per8];
            return match w.ggml_type {
                GgmlType::Q4_0 => (k.dot_q4_0x8)(wr, rows, a8(), sums(), o),
                GgmlType::Q5_0 => (k.dot_q5_0x8)(wr, rows, a8(), sums(), o),
                GgmlType::Q8_0 => (k.dot_q8_0x8)(wr, rows, a8(), sums(), o),
                GgmlType::Q4K => (k.dot_q4_kx8)(wr, rows, ak(), o),
                GgmlType::Q6K => (k.dot_q6_kx8)(wr, rows, ak(), o),
                other => panic!("matmul: no interleaved kernel for {other}"),
            };
        }

        match w.ggml_type {
            GgmlType::F32 => (k.dot_f32_bytes)(wr, rows, xs(), o),
            GgmlType::F16 => (k.dot_f16)(wr, rows, xs(), o),
            GgmlType::Q8_0 => (k.dot_q8_0)(wr, rows, a8(), o),
            GgmlType::Q4_0 => (k.dot_q4_0)(wr, rows, a8(), o),
            GgmlType::Q5_0 => (k.dot_q5_0)(wr, rows, a8(), o),
            GgmlType::Q4K => (k.dot_q4_k)(wr, rows, ak(), o),
            GgmlType::Q6K => (k.dot_q6_k)(wr, rows, ak(), o),
            other => panic!("matmul: weight type {other} has no kernel"),
        }
    };
    let work = |_tid: usize| {
        loop {
            let i = next.fetch_add(1, Ordering::Relaxed);
            let Some(&(ti, r0, r1)) = items.get(i) else {
                break;
            };
            let (w, out) = (&mats[ti], outs[ti]);
            let rows = r1 - r0;
            if n == 1 || rows == w.rows {
                // One output row, or a chunk of all the rows: the kernel's `[t][r]` output is
                // the task's own layout, so it writes there directly.
                let (start, len) = (r0, (n - 1) * w.rows + rows);
                assert!(start + len <= out.1);
                // SAFETY: elements start..start + len are in bounds (checked above) and belong
                // to this chunk alone (for n > 1 the chunk is the whole matrix); the buffer
                // outlives the call.
                let o = unsafe { std::slice::from_raw_parts_mut(out.0.add(start), len) };
                let mut t0 = 0;
                while t0 < n {
                    let tn = T_BLOCK.min(n - t0);
                    call(w, r0, rows, t0, tn, &mut o[t0 * rows..(t0 + tn) * rows]);
                    t0 += tn;
                }
                continue;
            }
            CHUNK_OUT.with_borrow_mut(|tmp| {
                let mut t0 = 0;
                while t0 < n {
                    let tn = T_BLOCK.min(n - t0);
                    tmp.resize(tn * rows, 0f32);
                    call(w, r0, rows, t0, tn, &mut tmp[..tn * rows]);
                    for t in 0..tn {
                        let at = (t0 + t) * w.rows + r0;
                        assert!(at + rows <= out.1);
                        // SAFETY: elements at..at + rows are in bounds (checked above) and
                        // belong to this chunk alone; the buffer outlives the call.
                        let o = unsafe { std::slice::from_raw_parts_mut(out.0.add(at), rows) };
                        o.copy_from_slice(&tmp[t * rows..(t + 1) * rows]);
                    }
                    t0 += tn;
                }
            });
        }
    };
    match pool {
        Some(p) if p.threads() > 1 && items.len() > 1 => p.run(&work),
        _ => work(0),
    }
}
