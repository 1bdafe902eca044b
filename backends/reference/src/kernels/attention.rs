//! Causal attention of a batch of new tokens over a layer's KV cache, with the (token, head)
//! pairs spread over a [`ThreadPool`] when there is enough work. Each pair is one
//! [`Kernels::attend`] call computed by one thread, so the result does not depend on the
//! thread count.

use super::{Kernels, ThreadPool};
use std::sync::atomic::{AtomicUsize, Ordering};

/// Head layout of one attention call.
#[derive(Debug, Clone, Copy)]
pub struct AttentionShape {
    /// Query heads.
    pub heads: usize,
    /// Query heads per KV head (grouped-query attention).
    pub group: usize,
    /// Elements per head.
    pub head_dim: usize,
    /// Elements of one cached position (KV heads × head size).
    pub kv_dim: usize,
}

/// Output pointer shared by the threads of one [`attention`] call.
#[derive(Clone, Copy)]
struct Shared(*mut f32, usize);
// SAFETY: each (token, head) output slice and each thread's score row is written by exactly
// one thread, and `attention` does not return before the pool round is over.
unsafe impl Send for Shared {}
// SAFETY: as above.
unsafe impl Sync for Shared {}

impl Shared {
    /// The pointer (a method, so closures capture the whole `Sync` wrapper).
    fn at(self, i: usize) -> *mut f32 {
        self.0.wrapping_add(i)
    }
}

/// Below this many multiply-adds a pool round costs more than it saves.
const PARALLEL_MIN_WORK: usize = 1 << 16;

/// The `n = q.len() / (heads · head_dim)` new tokens' query heads (`q`, `[n, heads·head_dim]`)
/// at positions `pos..pos + n` attend causally over the cached keys and values `kc`, `vc`
/// (positions from 0, `kv_dim` apart) into `att` (`[n, heads·head_dim]`); `scores` is scratch.
#[allow(clippy::too_many_arguments)]
pub fn attention(
    k: &Kernels,
    pool: &ThreadPool,
    shape: &AttentionShape,
    pos: usize,
    q: &[f32],
    kc: &[f32],
    vc: &[f32],
    att: &mut [f32],
    scores: &mut Vec<f32>,
) {
    let AttentionShape {
        heads,
        group,
        head_dim: hd,
        kv_dim: kvd,
    } = *shape;
    let qd = heads * hd;
    let n = q.len() / qd;
    assert_eq!(att.len(), n * qd, "attention: output length");
    let scale = 1.0 / (hd as f32).sqrt();
    let threads = pool.threads();
    let max_len = pos + n;
    scores.resize(threads * max_len, 0.0);
    let sc = Shared(scores.as_mut_ptr(), scores.len());
    let out = Shared(att.as_mut_ptr(), att.len());
    let next = AtomicUsize::new(0);
    let work = |tid: usize| loop {
        let i = next.fetch_add(1, Ordering::Relaxed);
        if i >= n * heads {
            break;
        }
        let (t, h) = (i / heads, i % heads);
        let len = pos + t + 1; // causal: positions 0..=p
        let kvh = h / group;
        assert!(tid < threads && (tid + 1) * max_len <= sc.1 && t * qd + (h + 1) * hd <= out.1);
        // SAFETY: thread `tid` alone uses scores[tid·max_len..][..len] (in bounds: tid <
        // threads, len ≤ max_len), and pair (t, h) alone writes att[t·qd + h·hd..][..hd] (in
        // bounds, asserted); both buffers outlive the pool round.
        let (scores, o) = unsafe {
            (
                std::slice::from_raw_parts_mut(sc.at(tid * max_len), len),
                std::slice::from_raw_parts_mut(out.at(t * qd + h * hd), hd),
            )
        };
        let qh = &q[t * qd + h * hd..t * qd + (h + 1) * hd];
        (k.attend)(
            qh,
            &kc[kvh * hd..],
            &vc[kvh * hd..],
            kvd,
            len,
            scale,
            scores,
            o,
        );
    };
    if threads > 1 && n * heads > 1 && n * heads * max_len * hd >= PARALLEL_MIN_WORK {
        pool.run(&work);
    } else {
        work(0);
    }
}
