//! The engine against an independent, obviously correct llama: naive f64 loops over the
//! canonical (Hugging Face layout) weights with rotate-half RoPE and full recomputation of
//! every position, no KV cache. Agreement on the F32 GGUF proves the forward pass and the
//! Q/K permutation convention together. Quantized files are held to named error budgets.

mod common;

use edgebench_backend::{argmax, conformance::max_abs_diff, Model};
use edgebench_reference::synth::{canonical_weights, LlamaWeights, Matrix, Preset, SynthQuant};

/// Largest |Δlogit| accepted between the f32 engine and the f64 oracle.
const F32_TOL: f32 = 1e-4;
/// Budgets of each reduced-precision file against the f64 oracle over the 20 positions
/// (logits have std ≈ 3 and range about ±10). Measured at seed 42: f16 0.0064 / 5.3e-4 / 20,
/// q8_0 0.20 / 0.015 / 20, q4_0 2.47 / 0.196 / 14 (max |Δ| / RMS(Δ)/std / top-1 of 20).
/// Q4_0's error on Gaussian weights compounds over layers; these are its honest numbers.
const F16_MAX_ABS: f32 = 0.02;
const F16_MAX_REL_RMS: f32 = 0.002;
const Q8_0_MAX_ABS: f32 = 0.3;
const Q8_0_MAX_REL_RMS: f32 = 0.03;
const Q8_0_MIN_TOP1: usize = 18;
const Q4_0_MAX_ABS: f32 = 3.5;
const Q4_0_MAX_REL_RMS: f32 = 0.3;
const Q4_0_MIN_TOP1: usize = 12;

fn matvec(m: &Matrix, x: &[f64]) -> Vec<f64> {
    (0..m.rows)
        .map(|r| {
            m.row(r)
                .iter()
                .zip(x)
                .map(|(&w, &v)| f64::from(w) * v)
                .sum()
        })
        .collect()
}

fn rmsnorm(x: &[f64], w: &[f32], eps: f64) -> Vec<f64> {
    let ms = x.iter().map(|v| v * v).sum::<f64>() / x.len() as f64;
    let s = 1.0 / (ms + eps).sqrt();
    x.iter()
        .zip(w)
        .map(|(v, &g)| v * s * f64::from(g))
        .collect()
}

/// Hugging Face `apply_rotary_pos_emb`: rotate_half over each head.
fn rope_rotate_half(x: &mut [f64], head_dim: usize, pos: usize, base: f64) {
    let half = head_dim / 2;
    for head in x.chunks_mut(head_dim) {
        for i in 0..half {
            let inv_freq = 1.0 / base.powf((2 * i) as f64 / head_dim as f64);
            let (c, s) = ((pos as f64 * inv_freq).cos(), (pos as f64 * inv_freq).sin());
            let (a, b) = (head[i], head[i + half]);
            head[i] = a * c - b * s;
            head[i + half] = b * c + a * s;
        }
    }
}

/// Logits at every position of `tokens`.
fn oracle(w: &LlamaWeights, tokens: &[u32]) -> Vec<Vec<f32>> {
    let c = &w.config;
    let (hd, nh, nkv) = (c.head_dim(), c.num_attention_heads, c.num_key_value_heads);
    let eps = f64::from(c.rms_norm_eps);
    let mut xs: Vec<Vec<f64>> = tokens
        .iter()
        .map(|&t| {
            w.embed_tokens
                .row(t as usize)
                .iter()
                .map(|&v| f64::from(v))
                .collect()
        })
        .collect();
    for layer in &w.layers {
        let mut qs = Vec::new();
        let mut ks = Vec::new();
        let mut vs = Vec::new();
        for (pos, x) in xs.iter().enumerate() {
            let h = rmsnorm(x, &layer.input_layernorm, eps);
            let mut q = matvec(&layer.q_proj, &h);
            let mut k = matvec(&layer.k_proj, &h);
            rope_rotate_half(&mut q, hd, pos, f64::from(c.rope_theta));
            rope_rotate_half(&mut k, hd, pos, f64::from(c.rope_theta));
            qs.push(q);
            ks.push(k);
            vs.push(matvec(&layer.v_proj, &h));
        }
        for (pos, x) in xs.iter_mut().enumerate() {
            let mut att = vec![0f64; nh * hd];
            for head in 0..nh {
                let kvh = head / (nh / nkv);
                let q = &qs[pos][head * hd..(head + 1) * hd];
                let scores: Vec<f64> = (0..=pos)
                    .map(|j| {
                        let k = &ks[j][kvh * hd..(kvh + 1) * hd];
                        q.iter().zip(k).map(|(a, b)| a * b).sum::<f64>() / (hd as f64).sqrt()
                    })
                    .collect();
                let max = scores.iter().cloned().fold(f64::NEG_INFINITY, f64::max);
                let exps: Vec<f64> = scores.iter().map(|s| (s - max).exp()).collect();
                let sum: f64 = exps.iter().sum();
                for (j, e) in exps.iter().enumerate() {
                    for d in 0..hd {
                        att[head * hd + d] += e / sum * vs[j][kvh * hd + d];
                    }
                }
            }
            let o = matvec(&layer.o_proj, &att);
            x.iter_mut().zip(&o).for_each(|(a, b)| *a += b);
            let h = rmsnorm(x, &layer.post_attention_layernorm, eps);
            let g = matvec(&layer.gate_proj, &h);
            let u = matvec(&layer.up_proj, &h);
            let act: Vec<f64> = g
                .iter()
                .zip(&u)
                .map(|(g, u)| g / (1.0 + (-g).exp()) * u)
                .collect();
            let d = matvec(&layer.down_proj, &act);
            x.iter_mut().zip(&d).for_each(|(a, b)| *a += b);
        }
    }
    xs.iter()
        .map(|x| {
            let h = rmsnorm(x, &w.norm, eps);
            matvec(w.output(), &h)
                .into_iter()
                .map(|v| v as f32)
                .collect()
        })
        .collect()
}

/// Engine logits for each prompt prefix (fresh session, batched prefill of `prompt[..k]`) and
/// then for `n` greedy steps (decided by the oracle's tokens so both see the same stream).
fn engine_positions(model: &dyn Model, tokens: &[u32], prompt_len: usize) -> Vec<Vec<f32>> {
    let mut out = Vec::new();
    for k in 1..=prompt_len {
        out.push(model.session().unwrap().prefill(&tokens[..k]).unwrap());
    }
    let mut s = model.session().unwrap();
    s.prefill(&tokens[..prompt_len]).unwrap();
    for &t in &tokens[prompt_len..] {
        out.push(s.step(t).unwrap());
    }
    out
}

struct Reference {
    tokens: Vec<u32>,
    logits: Vec<Vec<f32>>,
}

/// Oracle run: 12-token prompt then 8 greedy tokens.
fn reference() -> Reference {
    let w = canonical_weights(Preset::Tiny, common::SEED);
    let mut tokens = common::prompt(w.config.vocab_size as u32);
    for _ in 0..8 {
        let l = oracle(&w, &tokens);
        tokens.push(argmax(l.last().unwrap()).unwrap());
    }
    // logits[i] is the prediction after tokens[..=i], for all 20 positions.
    let logits = oracle(&w, &tokens);
    Reference { tokens, logits }
}

/// Max |Δlogit|, RMS(Δ)/std(logits) over all positions, top-1 agreements, engine logits.
fn compare(q: SynthQuant) -> (f32, f32, usize, Vec<Vec<f32>>) {
    let dir = tempfile::tempdir().unwrap();
    let r = reference();
    let model = common::load(&common::tiny(dir.path(), q), 64);
    let got = engine_positions(model.as_ref(), &r.tokens, 12);
    assert_eq!(got.len(), r.logits.len());
    let max = got
        .iter()
        .zip(&r.logits)
        .map(|(a, b)| max_abs_diff(a, b))
        .fold(0.0, f32::max);
    let top1 = got
        .iter()
        .zip(&r.logits)
        .filter(|(a, b)| argmax(a) == argmax(b))
        .count();
    let (mut se, mut ss, mut n) = (0f64, 0f64, 0f64);
    for (a, b) in got.iter().zip(&r.logits) {
        let mean = b.iter().map(|&v| f64::from(v)).sum::<f64>() / b.len() as f64;
        for (x, y) in a.iter().zip(b) {
            se += f64::from(x - y).powi(2);
            ss += (f64::from(*y) - mean).powi(2);
            n += 1.0;
        }
    }
    let rel = ((se / n).sqrt() / (ss / n).sqrt()) as f32;
    (max, rel, top1, got)
}

#[test]
fn f32_engine_matches_the_hf_oracle_at_every_position() {
    let (max, rel, top1, got) = compare(SynthQuant::F32);
    println!("f32: max |Δ| {max:e}, rel rms {rel:e}, top-1 {top1}/20");
    assert!(
        max <= F32_TOL,
        "f32 engine vs oracle: max |Δlogit| {max} > {F32_TOL}"
    );
    assert!(rel < 1e-5, "f32 engine vs oracle: relative RMS {rel}");
    assert_eq!(top1, 20);
    // The engine's own greedy choices are the oracle's tokens.
    let r = reference();
    for (i, l) in got.iter().enumerate().skip(11).take(8) {
        assert_eq!(
            argmax(l),
            Some(r.tokens[i + 1]),
            "greedy token after position {i}"
        );
    }
}

#[test]
fn f16_is_within_budget() {
    let (max, rel, top1, _) = compare(SynthQuant::F16);
    println!("f16: max |Δ| {max}, rel rms {rel}, top-1 {top1}/20");
    assert!(
        max <= F16_MAX_ABS,
        "f16: max |Δlogit| {max} > {F16_MAX_ABS}"
    );
    assert!(
        rel <= F16_MAX_REL_RMS,
        "f16: relative RMS {rel} > {F16_MAX_REL_RMS}"
    );
    assert!(top1 >= 19, "f16: top-1 agreement {top1}/20");
}

#[test]
fn q8_0_is_within_budget() {
    let (max, rel, top1, _) = compare(SynthQuant::Q8_0);
    println!("q8_0: max |Δ| {max}, rel rms {rel}, top-1 {top1}/20");
    assert!(
        max <= Q8_0_MAX_ABS,
        "q8_0: max |Δlogit| {max} > {Q8_0_MAX_ABS}"
    );
    assert!(
        rel <= Q8_0_MAX_REL_RMS,
        "q8_0: relative RMS {rel} > {Q8_0_MAX_REL_RMS}"
    );
    assert!(top1 >= Q8_0_MIN_TOP1, "q8_0: top-1 agreement {top1}/20");
}

#[test]
fn q4_0_is_within_budget() {
    let (max, rel, top1, _) = compare(SynthQuant::Q4_0);
    println!("q4_0: max |Δ| {max}, rel rms {rel}, top-1 {top1}/20");
    assert!(
        max <= Q4_0_MAX_ABS,
        "q4_0: max |Δlogit| {max} > {Q4_0_MAX_ABS}"
    );
    assert!(
        rel <= Q4_0_MAX_REL_RMS,
        "q4_0: relative RMS {rel} > {Q4_0_MAX_REL_RMS}"
    );
    assert!(top1 >= Q4_0_MIN_TOP1, "q4_0: top-1 agreement {top1}/20");
}
