//! The portable kernel set and oracle: plain safe Rust. Float dot products keep eight
//! independent partial sums (so the compiler can vectorise them without reassociating);
//! integer block dot products are exact.

use super::Kernels;
use crate::quant::{f16, q4_0, q4_k, q5_0, q6_k, q8_0, q8_k, BlockQ8, BlockQ8K, QK, QK_K};
use crate::quant::kquant::scale_min_k4;

pub static KERNELS: Kernels = Kernels {
    name: "scalar",
    dot_f32,
    dot_f32_bytes: |w, rows, x, out| batched(w, rows, x, out, dot_f32_bytes),
    dot_f16: |w, rows, x, out| batched(w, rows, x, out, dot_f16),
    dot_q8_0: |w, rows, a, out| batched(w, rows, a, out, dot_q8_0),
    dot_q4_0: |w, rows, a, out| batched(w, rows, a, out, dot_q4_0),
    dot_q5_0: |w, rows, a, out| batched(w, rows, a, out, dot_q5_0),
    dot_q4_k: |w, rows, a, out| batched(w, rows, a, out, dot_q4_k),
    dot_q6_k: |w, rows, a, out| batched(w, rows, a, out, dot_q6_k),
    quantize_q8_0: q8_0::quantize_row,
    quantize_q8_k: q8_k::quantize_row,
    rmsnorm,
    softmax,
    rope,
    silu_mul,
    axpy,
    attend,
};

/// Lengths of a batched dot call: `(row bytes, n, activation elements per row)`.
/// Panics when they do not divide evenly (a programming error).
pub fn batch_shape<A>(w: &[u8], rows: usize, a: &[A], out: &[f32]) -> (usize, usize, usize) {
    if rows == 0 || out.is_empty() {
        return (0, 0, 0);
    }
    let n = out.len() / rows;
    assert_eq!(n * rows, out.len(), "dot: output length is not rows × n");
    let rb = w.len() / rows;
    assert_eq!(rb * rows, w.len(), "dot: weight bytes are not rows × row bytes");
    let per = a.len() / n;
    assert_eq!(per * n, a.len(), "dot: activations are not n equal rows");
    (rb, n, per)
}

/// `out[t * rows + r] = f(w[r], a[t])` (see [`super::DotQ8`]).
#[inline]
pub fn batched<A>(w: &[u8], rows: usize, a: &[A], out: &mut [f32], f: fn(&[u8], &[A]) -> f32) {
    let (rb, n, per) = batch_shape(w, rows, a, out);
    for t in 0..n {
        for r in 0..rows {
            out[t * rows + r] = f(&w[r * rb..(r + 1) * rb], &a[t * per..(t + 1) * per]);
        }
    }
}

/// See [`super::Kernels::attend`].
#[allow(clippy::too_many_arguments)]
pub fn attend(
    q: &[f32],
    k: &[f32],
    v: &[f32],
    stride: usize,
    len: usize,
    scale: f32,
    scores: &mut [f32],
    out: &mut [f32],
) {
    let hd = q.len();
    let scores = &mut scores[..len];
    for (j, sc) in scores.iter_mut().enumerate() {
        *sc = dot_f32(q, &k[j * stride..j * stride + hd]) * scale;
    }
    softmax(scores);
    out.fill(0.0);
    for (j, &w) in scores.iter().enumerate() {
        axpy(out, w, &v[j * stride..j * stride + hd]);
    }
}

const LANES: usize = 8;

fn reduce(acc: [f32; LANES]) -> f32 {
    ((acc[0] + acc[4]) + (acc[1] + acc[5])) + ((acc[2] + acc[6]) + (acc[3] + acc[7]))
}

pub fn dot_f32(a: &[f32], b: &[f32]) -> f32 {
    assert_eq!(a.len(), b.len(), "dot_f32: lengths differ");
    let mut acc = [0f32; LANES];
    let (ac, bc) = (a.chunks_exact(LANES), b.chunks_exact(LANES));
    let tail: f32 = ac
        .remainder()
        .iter()
        .zip(bc.remainder())
        .map(|(x, y)| x * y)
        .sum();
    for (x, y) in ac.zip(bc) {
        for l in 0..LANES {
            acc[l] += x[l] * y[l];
        }
    }
    reduce(acc) + tail
}

#[inline]
fn f32_at(c: &[u8], l: usize) -> f32 {
    f32::from_le_bytes([c[4 * l], c[4 * l + 1], c[4 * l + 2], c[4 * l + 3]])
}

pub fn dot_f32_bytes(w: &[u8], x: &[f32]) -> f32 {
    assert_eq!(w.len(), 4 * x.len(), "dot_f32_bytes: lengths differ");
    let mut acc = [0f32; LANES];
    let (wc, xc) = (w.chunks_exact(4 * LANES), x.chunks_exact(LANES));
    let mut tail = 0f32;
    for (i, &v) in xc.remainder().iter().enumerate() {
        tail += f32_at(wc.remainder(), i) * v;
    }
    for (c, xs) in wc.zip(xc) {
        for l in 0..LANES {
            acc[l] += f32_at(c, l) * xs[l];
        }
    }
    reduce(acc) + tail
}

pub fn dot_f16(w: &[u8], x: &[f32]) -> f32 {
    assert_eq!(w.len(), 2 * x.len(), "dot_f16: lengths differ");
    let t = f16::table();
    let h = |c: &[u8], l: usize| t[u16::from_le_bytes([c[2 * l], c[2 * l + 1]]) as usize];
    let mut acc = [0f32; LANES];
    let (wc, xc) = (w.chunks_exact(2 * LANES), x.chunks_exact(LANES));
    let mut tail = 0f32;
    for (i, &v) in xc.remainder().iter().enumerate() {
        tail += h(wc.remainder(), i) * v;
    }
    for (c, xs) in wc.zip(xc) {
        for l in 0..LANES {
            acc[l] += h(c, l) * xs[l];
        }
    }
    reduce(acc) + tail
}

pub fn dot_q8_0(w: &[u8], a: &[BlockQ8]) -> f32 {
    assert_eq!(
        w.len(),
        a.len() * q8_0::BLOCK_BYTES,
        "dot_q8_0: lengths differ"
    );
    let mut sum = 0f32;
    for (b, ab) in w.chunks_exact(q8_0::BLOCK_BYTES).zip(a) {
        let d = f16::to_f32(u16::from_le_bytes([b[0], b[1]]));
        let mut s = 0i32;
        for (&q, &qa) in b[2..].iter().zip(&ab.qs) {
            s += i32::from(q as i8) * i32::from(qa);
        }
        sum += s as f32 * (d * ab.d);
    }
    sum
}

pub fn dot_q4_0(w: &[u8], a: &[BlockQ8]) -> f32 {
    assert_eq!(
        w.len(),
        a.len() * q4_0::BLOCK_BYTES,
        "dot_q4_0: lengths differ"
    );
    let mut sum = 0f32;
    for (b, ab) in w.chunks_exact(q4_0::BLOCK_BYTES).zip(a) {
        let d = f16::to_f32(u16::from_le_bytes([b[0], b[1]]));
        // Unpack to signed bytes first (element j: low nibble of byte j, j+16: high nibble),
        // then one exact integer dot product: the same sum ggml's generic code computes.
        let mut w8 = [0i8; QK];
        for j in 0..QK / 2 {
            w8[j] = (b[2 + j] & 0x0f) as i8 - 8;
            w8[j + QK / 2] = (b[2 + j] >> 4) as i8 - 8;
        }
        let s: i32 = w8
            .iter()
            .zip(&ab.qs)
            .map(|(&w, &a)| i32::from(w) * i32::from(a))
            .sum();
        sum += s as f32 * (d * ab.d);
    }
    sum
}

pub fn dot_q5_0(w: &[u8], a: &[BlockQ8]) -> f32 {
    assert_eq!(
        w.len(),
        a.len() * q5_0::BLOCK_BYTES,
        "dot_q5_0: lengths differ"
    );
    let mut sum = 0f32;
    for (b, ab) in w.chunks_exact(q5_0::BLOCK_BYTES).zip(a) {
        let d = f16::to_f32(u16::from_le_bytes([b[0], b[1]]));
        let s: i32 = q5_0::unpack(b)
            .iter()
            .zip(&ab.qs)
            .map(|(&w, &a)| i32::from(w) * i32::from(a))
            .sum();
        sum += s as f32 * (d * ab.d);
    }
    sum
}

/// Exact integer dot of `n` unsigned weight values with `n` activation quants.
#[inline]
fn idot_u8(w: impl Iterator<Item = u8>, a: &[i8]) -> i32 {
    w.zip(a).map(|(w, &a)| i32::from(w) * i32::from(a)).sum()
}

pub fn dot_q4_k(w: &[u8], a: &[BlockQ8K]) -> f32 {
    assert_eq!(
        w.len(),
        a.len() * q4_k::BLOCK_BYTES,
        "dot_q4_k: lengths differ"
    );
    let mut sum = 0f32;
    for (b, ab) in w.chunks_exact(q4_k::BLOCK_BYTES).zip(a) {
        let d = f16::to_f32(u16::from_le_bytes([b[0], b[1]])) * ab.d;
        let dmin = f16::to_f32(u16::from_le_bytes([b[2], b[3]])) * ab.d;
        let (sc, q) = (&b[4..16], &b[16..]);
        let (mut isum, mut msum) = (0i32, 0i32);
        for c in 0..QK_K / 64 {
            let (s1, m1) = scale_min_k4(2 * c, sc);
            let (s2, m2) = scale_min_k4(2 * c + 1, sc);
            let qc = &q[32 * c..32 * c + 32];
            let lo = idot_u8(qc.iter().map(|&v| v & 0x0f), &ab.qs[64 * c..64 * c + 32]);
            let hi = idot_u8(qc.iter().map(|&v| v >> 4), &ab.qs[64 * c + 32..64 * c + 64]);
            isum += i32::from(s1) * lo + i32::from(s2) * hi;
            let bs = |j: usize| i32::from(ab.bsums[2 * j]) + i32::from(ab.bsums[2 * j + 1]);
            msum += i32::from(m1) * bs(2 * c) + i32::from(m2) * bs(2 * c + 1);
        }
        sum += d * isum as f32 - dmin * msum as f32;
    }
    sum
}

pub fn dot_q6_k(w: &[u8], a: &[BlockQ8K]) -> f32 {
    assert_eq!(
        w.len(),
        a.len() * q6_k::BLOCK_BYTES,
        "dot_q6_k: lengths differ"
    );
    let mut sum = 0f32;
    for (b, ab) in w.chunks_exact(q6_k::BLOCK_BYTES).zip(a) {
        let d = f16::to_f32(u16::from_le_bytes([b[208], b[209]])) * ab.d;
        let q = q6_k::unpack(b);
        let mut isum = 0i32;
        for g in 0..QK_K / 16 {
            let s: i32 = q[16 * g..16 * g + 16]
                .iter()
                .zip(&ab.qs[16 * g..16 * g + 16])
                .map(|(&w, &a)| i32::from(w) * i32::from(a))
                .sum();
            isum += i32::from(b[192 + g] as i8) * s;
        }
        sum += d * isum as f32;
    }
    sum
}

pub fn rmsnorm(out: &mut [f32], x: &[f32], w: &[f32], eps: f32) {
    let ss = dot_f32(x, x) / x.len() as f32;
    let scale = 1.0 / (ss + eps).sqrt();
    for ((o, &v), &g) in out.iter_mut().zip(x).zip(w) {
        *o = v * scale * g;
    }
}

pub fn softmax(x: &mut [f32]) {
    let max = x.iter().copied().fold(f32::NEG_INFINITY, f32::max);
    let mut sum = 0f32;
    for v in x.iter_mut() {
        *v = (*v - max).exp();
        sum += *v;
    }
    let inv = 1.0 / sum;
    for v in x.iter_mut() {
        *v *= inv;
    }
}

pub fn rope(x: &mut [f32], head_dim: usize, cos: &[f32], sin: &[f32]) {
    for head in x.chunks_exact_mut(head_dim) {
        for (i, (&c, &s)) in cos.iter().zip(sin).enumerate() {
            let (x0, x1) = (head[2 * i], head[2 * i + 1]);
            head[2 * i] = x0 * c - x1 * s;
            head[2 * i + 1] = x0 * s + x1 * c;
        }
    }
}

pub fn silu_mul(gate: &mut [f32], up: &[f32]) {
    for (g, &u) in gate.iter_mut().zip(up) {
        *g = *g / (1.0 + (-*g).exp()) * u;
    }
}

pub fn axpy(y: &mut [f32], a: f32, x: &[f32]) {
    for (yv, &xv) in y.iter_mut().zip(x) {
        *yv += a * xv;
    }
}
