//! The portable kernel set and oracle: plain safe Rust. Float dot products keep eight
//! independent partial sums (so the compiler can vectorise them without reassociating);
//! integer block dot products are exact.

use super::Kernels;
use crate::quant::kquant::scale_min_k4;
use crate::quant::{f16, q4_0, q4_k, q5_0, q6_k, q8_0, q8_k, BlockQ8, BlockQ8K, QK, QK_K};

pub static KERNELS: Kernels = Kernels {
    name: "scalar",
    dot_f32,
    dot_f32_bytes: |w, rows, x, out| batched(w, rows, x, out, dot_f32_bytes),
    dot_f16: |w, rows, x, out| batched(w, rows, x, out, dot_f16),
    dot_q8_0: |w, rows, a, out| batched(w, rows, a, out, dot_q8_0),
    dot_q4_0: |w, rows, a, out| batched(w, rows, a, out, dot_q4_0),
    dot_q5_0: |w, rows, a, out| batched(w, rows, a, out, dot_q5_0),
    dot_q4_0x8: super::scalar_x8::dot_q4_0x8,
    dot_q5_0x8: super::scalar_x8::dot_q5_0x8,
    dot_q8_0x8: super::scalar_x8::dot_q8_0x8,
    dot_q4_kx8: super::scalar_x8::dot_q4_kx8,
    dot_q6_kx8: super::scalar_x8::dot_q6_kx8,
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
    assert_eq!(
        rb * rows,
        w.len(),
        "dot: weight bytes are not rows × row bytes"
    );
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

/// The canonical reduction of 8 lanes every kernel set uses (it is what an AVX2 horizontal
/// sum computes): `s_i = a_i + a_{i+4}`, then `(s0 + s2) + (s1 + s3)`.
#[inline]
pub fn reduce8(a: [f32; LANES]) -> f32 {
    let s = [a[0] + a[4], a[1] + a[5], a[2] + a[6], a[3] + a[7]];
    reduce4(s)
}

/// Four lanes: `(s0 + s2) + (s1 + s3)`.
#[inline]
pub fn reduce4(s: [f32; 4]) -> f32 {
    (s[0] + s[2]) + (s[1] + s[3])
}

/// The canonical float dot product of `n` elements (`w(i)`, `x[i]`): 4 × 8 lanes over steps
/// of 32 (`acc[u][l] = fma(w, x, acc[u][l])`, one rounding: [`f32::mul_add`]), then steps of 8
/// into `acc[0]`, lanes combined as `(acc0 + acc1) + (acc2 + acc3)`, [`reduce8`], plus the
/// tail fused in order. SIMD sets compute exactly this (`vfmadd`, NEON `vfmaq`), so they agree
/// bit for bit. Fused because a separate multiply and add is two instructions on the ports a
/// fused one needs once: f32 prefill's GEMM ran at half the float throughput llama.cpp's does
/// (README "Speed"). Only these float dots are fused; the quantized products' float steps stay
/// a multiply then an add.
#[inline]
fn fdot(n: usize, w: impl Fn(usize) -> f32, x: &[f32]) -> f32 {
    let mut acc = [[0f32; LANES]; 4];
    let mut i = 0;
    while i + 32 <= n {
        for (u, acc) in acc.iter_mut().enumerate() {
            for (l, a) in acc.iter_mut().enumerate() {
                let j = i + 8 * u + l;
                *a = w(j).mul_add(x[j], *a);
            }
        }
        i += 32;
    }
    while i + 8 <= n {
        for (l, a) in acc[0].iter_mut().enumerate() {
            *a = w(i + l).mul_add(x[i + l], *a);
        }
        i += 8;
    }
    let mut s = [0f32; LANES];
    for (l, v) in s.iter_mut().enumerate() {
        *v = (acc[0][l] + acc[1][l]) + (acc[2][l] + acc[3][l]);
    }
    let mut tail = 0f32;
    for (j, &xj) in x.iter().enumerate().take(n).skip(i) {
        tail = w(j).mul_add(xj, tail);
    }
    reduce8(s) + tail
}

pub fn dot_f32(a: &[f32], b: &[f32]) -> f32 {
    assert_eq!(a.len(), b.len(), "dot_f32: lengths differ");
    fdot(a.len(), |i| a[i], b)
}

pub fn dot_f32_bytes(w: &[u8], x: &[f32]) -> f32 {
    assert_eq!(w.len(), 4 * x.len(), "dot_f32_bytes: lengths differ");
    fdot(
        x.len(),
        |i| f32::from_le_bytes([w[4 * i], w[4 * i + 1], w[4 * i + 2], w[4 * i + 3]]),
        x,
    )
}

pub fn dot_f16(w: &[u8], x: &[f32]) -> f32 {
    assert_eq!(w.len(), 2 * x.len(), "dot_f16: lengths differ");
    let t = f16::table();
    fdot(
        x.len(),
        |i| t[u16::from_le_bytes([w[2 * i], w[2 * i + 1]]) as usize],
        x,
    )
}

/// The canonical integer lanes of one 32-value block: lane `l` = Σ of the products of values
/// `4l..4l+4` (what `maddubs` + `madd` leave in each 32-bit lane).
#[inline]
fn lanes32(w: &[i8], a: &[i8]) -> [i32; LANES] {
    let mut p = [0i32; LANES];
    for (l, v) in p.iter_mut().enumerate() {
        for e in 4 * l..4 * l + 4 {
            *v += i32::from(w[e]) * i32::from(a[e]);
        }
    }
    p
}

/// `acc[l] += d · lanes[l]` (multiply, then add).
#[inline]
fn acc8(acc: &mut [f32; LANES], d: f32, lanes: [i32; LANES]) {
    for (a, p) in acc.iter_mut().zip(lanes) {
        *a += d * p as f32;
    }
}

/// Shared body of the Q8_0/Q4_0/Q5_0 dots: `unpack(block)` gives the 32 signed weights.
#[inline]
fn dot_q8_blocks(w: &[u8], bb: usize, a: &[BlockQ8], unpack: impl Fn(&[u8]) -> [i8; QK]) -> f32 {
    assert_eq!(
        w.len(),
        a.len() * bb,
        "dot: weight and activation lengths differ"
    );
    let mut acc = [0f32; LANES];
    for (b, ab) in w.chunks_exact(bb).zip(a) {
        let d = f16::to_f32(u16::from_le_bytes([b[0], b[1]])) * ab.d;
        acc8(&mut acc, d, lanes32(&unpack(b), &ab.qs));
    }
    reduce8(acc)
}

pub fn dot_q8_0(w: &[u8], a: &[BlockQ8]) -> f32 {
    dot_q8_blocks(w, q8_0::BLOCK_BYTES, a, |b| {
        std::array::from_fn(|j| b[2 + j] as i8)
    })
}

pub fn dot_q4_0(w: &[u8], a: &[BlockQ8]) -> f32 {
    // Element j: low nibble of byte j, element j + 16: its high nibble; value q - 8.
    dot_q8_blocks(w, q4_0::BLOCK_BYTES, a, |b| {
        std::array::from_fn(|j| {
            let byte = b[2 + j % 16];
            (if j < 16 { byte & 0x0f } else { byte >> 4 }) as i8 - 8
        })
    })
}

pub fn dot_q5_0(w: &[u8], a: &[BlockQ8]) -> f32 {
    dot_q8_blocks(w, q5_0::BLOCK_BYTES, a, q5_0::unpack)
}

pub fn dot_q4_k(w: &[u8], a: &[BlockQ8K]) -> f32 {
    assert_eq!(
        w.len(),
        a.len() * q4_k::BLOCK_BYTES,
        "dot_q4_k: lengths differ"
    );
    let (mut acc, mut accm) = ([0f32; LANES], [0f32; 4]);
    for (b, ab) in w.chunks_exact(q4_k::BLOCK_BYTES).zip(a) {
        let d = f16::to_f32(u16::from_le_bytes([b[0], b[1]])) * ab.d;
        let dmin = f16::to_f32(u16::from_le_bytes([b[2], b[3]])) * ab.d;
        let (sc, q) = (&b[4..16], &b[16..]);
        let mut sumi = [0i32; LANES];
        let mut mins = [0i32; 8];
        for c in 0..QK_K / 64 {
            let (s1, m1) = scale_min_k4(2 * c, sc);
            let (s2, m2) = scale_min_k4(2 * c + 1, sc);
            mins[2 * c] = i32::from(m1);
            mins[2 * c + 1] = i32::from(m2);
            let qc = &q[32 * c..32 * c + 32];
            let lo: [i8; 32] = std::array::from_fn(|i| (qc[i] & 0x0f) as i8);
            let hi: [i8; 32] = std::array::from_fn(|i| (qc[i] >> 4) as i8);
            let pl = lanes32(&lo, &ab.qs[64 * c..64 * c + 32]);
            let ph = lanes32(&hi, &ab.qs[64 * c + 32..64 * c + 64]);
            for l in 0..LANES {
                sumi[l] += i32::from(s1) * pl[l] + i32::from(s2) * ph[l];
            }
        }
        // Mins: lane i = m_2i·(bsum_4i + bsum_4i+1) + m_2i+1·(bsum_4i+2 + bsum_4i+3).
        let bs = |j: usize| i32::from(ab.bsums[2 * j]) + i32::from(ab.bsums[2 * j + 1]);
        for (i, a) in accm.iter_mut().enumerate() {
            let prod = mins[2 * i] * bs(2 * i) + mins[2 * i + 1] * bs(2 * i + 1);
            *a += -dmin * prod as f32;
        }
        acc8(&mut acc, d, sumi);
    }
    reduce8(acc) + reduce4(accm)
}

pub fn dot_q6_k(w: &[u8], a: &[BlockQ8K]) -> f32 {
    assert_eq!(
        w.len(),
        a.len() * q6_k::BLOCK_BYTES,
        "dot_q6_k: lengths differ"
    );
    let mut acc = [0f32; LANES];
    for (b, ab) in w.chunks_exact(q6_k::BLOCK_BYTES).zip(a) {
        let d = f16::to_f32(u16::from_le_bytes([b[208], b[209]])) * ab.d;
        let q = q6_k::unpack(b);
        let mut sumi = [0i32; LANES];
        for g in 0..QK_K / 32 {
            // Each 32-value group has two 16-value scales: lanes 0..4 and 4..8.
            let p = lanes32(&q[32 * g..32 * g + 32], &ab.qs[32 * g..32 * g + 32]);
            let (s0, s1) = (
                i32::from(b[192 + 2 * g] as i8),
                i32::from(b[193 + 2 * g] as i8),
            );
            for l in 0..LANES {
                sumi[l] += if l < 4 { s0 } else { s1 } * p[l];
            }
        }
        acc8(&mut acc, d, sumi);
    }
    reduce8(acc)
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
