//! [`LlamaSession`]: a KV cache and scratch buffers, and the forward pass over a batch of new
//! tokens. Prefill pushes all prompt rows through each layer together (matrix-matrix
//! products); a decode step is the same code with one row.

use super::load::{Layer, LlamaModel};
use crate::kernels::{self, matmul_many, MatmulScratch, Task};
use crate::quant;
use edgebench_backend::{BackendError, Logits};

/// One generation stream over a [`LlamaModel`].
pub struct LlamaSession<'m> {
    m: &'m LlamaModel,
    pos: usize,
    /// `[layer][position][kv_dim]`, f32.
    k_cache: Vec<f32>,
    v_cache: Vec<f32>,
    s: Scratch,
}

/// Per-batch buffers, grown on demand and reused between calls.
#[derive(Default)]
struct Scratch {
    x: Vec<f32>,
    xn: Vec<f32>,
    q: Vec<f32>,
    k: Vec<f32>,
    v: Vec<f32>,
    att: Vec<f32>,
    proj: Vec<f32>,
    gate: Vec<f32>,
    up: Vec<f32>,
    scores: Vec<f32>,
    cos: Vec<f32>,
    sin: Vec<f32>,
    mm: MatmulScratch,
}

fn sized(v: &mut Vec<f32>, n: usize) -> &mut [f32] {
    v.resize(n, 0.0);
    &mut v[..n]
}

impl<'m> LlamaSession<'m> {
    pub fn new(m: &'m LlamaModel) -> Self {
        let n = m.hp.n_layer * m.max_seq * m.hp.kv_dim();
        LlamaSession {
            m,
            pos: 0,
            k_cache: vec![0.0; n],
            v_cache: vec![0.0; n],
            s: Scratch::default(),
        }
    }

    /// Positions held in the KV cache.
    pub fn position(&self) -> usize {
        self.pos
    }

    /// Feed `tokens` after the cached ones; return the logits of the last.
    pub fn forward(&mut self, tokens: &[u32]) -> Result<Logits, BackendError> {
        let hp = &self.m.hp;
        if tokens.is_empty() {
            return Err(BackendError::InvalidInput(
                "prefill needs at least one token".into(),
            ));
        }
        if let Some(&t) = tokens.iter().find(|&&t| t as usize >= hp.n_vocab) {
            return Err(BackendError::InvalidInput(format!(
                "token id {t} is outside the vocabulary (size {})",
                hp.n_vocab
            )));
        }
        let end = self.pos + tokens.len();
        if end > self.m.max_seq {
            return Err(BackendError::InvalidInput(format!(
                "sequence of {end} positions ({} cached + {} new) exceeds the KV cache of {} positions; raise max_seq_len (the model's context length is {})",
                self.pos,
                tokens.len(),
                self.m.max_seq,
                hp.n_ctx
            )));
        }
        let n = tokens.len();
        self.embed(tokens);
        for l in 0..hp.n_layer {
            self.layer(l, n);
        }
        self.pos = end;
        Ok(self.logits(n))
    }

    fn embed(&mut self, tokens: &[u32]) {
        let m = self.m;
        let e = m.hp.n_embd;
        let w = m.mat(&m.embd);
        let row_bytes = w.data.len() / w.rows;
        let x = sized(&mut self.s.x, tokens.len() * e);
        for (xr, &t) in x.chunks_exact_mut(e).zip(tokens) {
            let t = t as usize;
            let ok =
                quant::dequantize(w.ggml_type, &w.data[t * row_bytes..(t + 1) * row_bytes], xr);
            debug_assert!(ok, "embedding type validated at load");
        }
    }

    fn layer(&mut self, l: usize, n: usize) {
        let m = self.m;
        let (hp, k) = (&m.hp, m.kernels);
        let layer: &Layer = &m.layers[l];
        let (e, qd, kvd, hd) = (hp.n_embd, hp.q_dim(), hp.kv_dim(), hp.head_dim);
        let s = &mut self.s;

        // Attention block.
        let xn = sized(&mut s.xn, n * e);
        for (o, x) in xn.chunks_exact_mut(e).zip(s.x.chunks_exact(e)) {
            (k.rmsnorm)(o, x, &layer.attn_norm, hp.rms_eps);
        }
        let pool = Some(&m.pool);
        let q = sized(&mut s.q, n * qd);
        let kk = sized(&mut s.k, n * kvd);
        let vv = sized(&mut s.v, n * kvd);
        let mut qkv = [
            Task {
                w: m.mat(&layer.wq),
                out: q,
            },
            Task {
                w: m.mat(&layer.wk),
                out: kk,
            },
            Task {
                w: m.mat(&layer.wv),
                out: vv,
            },
        ];
        matmul_many(k, pool, xn, n, &mut qkv, &mut s.mm);
        let (q, kk, vv) = (&mut s.q[..n * qd], &mut s.k[..n * kvd], &s.v[..n * kvd]);

        let cache_base = l * m.max_seq * kvd;
        for t in 0..n {
            let p = self.pos + t;
            rope_angles(p, hp.rot_dim, hp.rope_freq_base, &mut s.cos, &mut s.sin);
            (k.rope)(&mut q[t * qd..(t + 1) * qd], hd, &s.cos, &s.sin);
            (k.rope)(&mut kk[t * kvd..(t + 1) * kvd], hd, &s.cos, &s.sin);
            let at = cache_base + p * kvd;
            self.k_cache[at..at + kvd].copy_from_slice(&kk[t * kvd..(t + 1) * kvd]);
            self.v_cache[at..at + kvd].copy_from_slice(&vv[t * kvd..(t + 1) * kvd]);
        }

        let att = sized(&mut s.att, n * qd);
        let (kc, vc) = (&self.k_cache[cache_base..], &self.v_cache[cache_base..]);
        attention(m, self.pos, q, kc, vc, att, &mut s.scores);
        let proj = sized(&mut s.proj, n * e);
        let mut o = [Task {
            w: m.mat(&layer.wo),
            out: proj,
        }];
        matmul_many(k, pool, att, n, &mut o, &mut s.mm);
        (k.axpy)(&mut s.x, 1.0, proj);

        // Feed-forward block.
        let xn = sized(&mut s.xn, n * e);
        for (o, x) in xn.chunks_exact_mut(e).zip(s.x.chunks_exact(e)) {
            (k.rmsnorm)(o, x, &layer.ffn_norm, hp.rms_eps);
        }
        let gate = sized(&mut s.gate, n * hp.n_ff);
        let up = sized(&mut s.up, n * hp.n_ff);
        let mut gu = [
            Task {
                w: m.mat(&layer.w_gate),
                out: gate,
            },
            Task {
                w: m.mat(&layer.w_up),
                out: up,
            },
        ];
        matmul_many(k, pool, xn, n, &mut gu, &mut s.mm);
        let (gate, up) = (&mut s.gate[..n * hp.n_ff], &s.up[..n * hp.n_ff]);
        (k.silu_mul)(gate, up);
        let proj = sized(&mut s.proj, n * e);
        let mut down = [Task {
            w: m.mat(&layer.w_down),
            out: proj,
        }];
        matmul_many(k, pool, gate, n, &mut down, &mut s.mm);
        (k.axpy)(&mut s.x, 1.0, proj);
    }

    fn logits(&mut self, n: usize) -> Logits {
        let m = self.m;
        let (hp, k) = (&m.hp, m.kernels);
        let e = hp.n_embd;
        let last = &self.s.x[(n - 1) * e..n * e];
        let xn = sized(&mut self.s.xn, e);
        (k.rmsnorm)(xn, last, &m.output_norm, hp.rms_eps);
        let mut logits = vec![0f32; hp.n_vocab];
        let mut out = [Task {
            w: m.mat(&m.output),
            out: &mut logits,
        }];
        matmul_many(k, Some(&m.pool), xn, 1, &mut out, &mut self.s.mm);
        logits
    }
}

/// [`kernels::attention`] of the new tokens over one layer's cache, on the model's threads.
fn attention(
    m: &LlamaModel,
    pos: usize,
    q: &[f32],
    kc: &[f32],
    vc: &[f32],
    att: &mut [f32],
    scores: &mut Vec<f32>,
) {
    let hp = &m.hp;
    let shape = kernels::AttentionShape {
        heads: hp.n_head,
        group: hp.group(),
        head_dim: hp.head_dim,
        kv_dim: hp.kv_dim(),
    };
    kernels::attention(m.kernels, &m.pool, &shape, pos, q, kc, vc, att, scores);
}

/// Cosines and sines of the RoPE angles for position `pos`, as ggml computes them:
/// `theta_scale = base^(-2/rot_dim)`, `theta_0 = pos`, `theta_{i+1} = theta_i * theta_scale`
/// (in f32), so pair `i` turns by `pos * base^(-2i/rot_dim)`.
pub(crate) fn rope_angles(
    pos: usize,
    rot_dim: usize,
    base: f32,
    cos: &mut Vec<f32>,
    sin: &mut Vec<f32>,
) {
    let theta_scale = base.powf(-2.0 / rot_dim as f32);
    let mut theta = pos as f32;
    cos.clear();
    sin.clear();
    for _ in 0..rot_dim / 2 {
        cos.push(theta.cos());
        sin.push(theta.sin());
        theta *= theta_scale;
    }
}
