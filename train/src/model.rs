//! The llama forward pass written for training: candle ops that all have backward passes
//! (no fused RMSNorm, softmax or RoPE kernels). Same math as the reference engine on the
//! exported file: RMSNorm `x / sqrt(mean(x²) + eps) · w`, Hugging Face rotate-half RoPE on
//! unpermuted q/k rows (the GGUF writer permutes them for llama.cpp's adjacent pairs, the ONNX
//! writer keeps them), grouped-query attention, SwiGLU, tied or untied output.

use candle_core::{DType, Device, Result, Tensor, Var, D};
use edgebench_reference::synth::{LlamaConfig, TensorId};
use rand::Rng;
use rand_pcg::Pcg64;

/// Trainable parameters, one [`Var`] per tensor, in Hugging Face layout.
#[derive(Debug)]
pub struct Params {
    pub config: LlamaConfig,
    /// `(id, var)`, in the order [`tensor_ids`] lists them.
    pub vars: Vec<(TensorId, Var)>,
}

/// Every tensor of a model, embedding first (no `LmHead` when tied).
pub fn tensor_ids(c: &LlamaConfig) -> Vec<TensorId> {
    let mut v = vec![TensorId::Embed];
    for l in 0..c.num_hidden_layers {
        v.extend([
            TensorId::AttnNorm(l),
            TensorId::Q(l),
            TensorId::K(l),
            TensorId::V(l),
            TensorId::O(l),
            TensorId::FfnNorm(l),
            TensorId::Gate(l),
            TensorId::Up(l),
            TensorId::Down(l),
        ]);
    }
    v.push(TensorId::Norm);
    if !c.tie_word_embeddings {
        v.push(TensorId::LmHead);
    }
    v
}

fn is_norm(id: TensorId) -> bool {
    matches!(
        id,
        TensorId::Norm | TensorId::AttnNorm(_) | TensorId::FfnNorm(_)
    )
}

/// A standard normal sample (Box-Muller on the seeded generator: the same on every platform).
fn normal(rng: &mut Pcg64) -> f32 {
    let u1: f64 = rng.random::<f64>().max(f64::MIN_POSITIVE);
    let u2: f64 = rng.random();
    ((-2.0 * u1.ln()).sqrt() * (2.0 * std::f64::consts::PI * u2).cos()) as f32
}

impl Params {
    /// GPT-2 style initialisation from `rng`: norms 1, matrices N(0, 0.02²), the projections
    /// into the residual stream (o, down) scaled by 1/sqrt(2·layers).
    pub fn init(c: &LlamaConfig, rng: &mut Pcg64, dev: &Device) -> Result<Params> {
        let resid = 0.02 / (2.0 * c.num_hidden_layers as f32).sqrt();
        let vars = tensor_ids(c)
            .into_iter()
            .map(|id| {
                let (rows, cols) = id.shape(c);
                let data: Vec<f32> = if is_norm(id) {
                    vec![1.0; rows * cols]
                } else {
                    let std = match id {
                        TensorId::O(_) | TensorId::Down(_) => resid,
                        _ => 0.02,
                    };
                    (0..rows * cols).map(|_| normal(rng) * std).collect()
                };
                let shape = if rows == 1 {
                    vec![cols]
                } else {
                    vec![rows, cols]
                };
                Ok((id, Var::from_tensor(&Tensor::from_vec(data, shape, dev)?)?))
            })
            .collect::<Result<_>>()?;
        Ok(Params {
            config: c.clone(),
            vars,
        })
    }

    pub fn get(&self, id: TensorId) -> &Tensor {
        let id = match id {
            TensorId::LmHead if self.config.tie_word_embeddings => TensorId::Embed,
            id => id,
        };
        self.vars
            .iter()
            .find(|(i, _)| *i == id)
            .map(|(_, v)| v.as_tensor())
            .expect("every tensor id has a var")
    }

    /// Matrices get weight decay, norms do not.
    pub fn decayed_and_not(&self) -> (Vec<Var>, Vec<Var>) {
        let (mut d, mut n) = (Vec::new(), Vec::new());
        for (id, v) in &self.vars {
            if is_norm(*id) {
                n.push(v.clone())
            } else {
                d.push(v.clone())
            }
        }
        (d, n)
    }

    pub fn parameter_count(&self) -> usize {
        self.vars.iter().map(|(_, v)| v.elem_count()).sum()
    }
}

/// cos/sin tables `[seq, head_dim]` for rotate-half RoPE (each frequency twice).
pub struct Rope {
    cos: Tensor,
    sin: Tensor,
}

impl Rope {
    pub fn new(c: &LlamaConfig, seq: usize, dev: &Device) -> Result<Rope> {
        let hd = c.head_dim();
        let half = hd / 2;
        let mut cos = Vec::with_capacity(seq * hd);
        let mut sin = Vec::with_capacity(seq * hd);
        for p in 0..seq {
            for _copy in 0..2 {
                for i in 0..half {
                    let freq = c.rope_theta.powf(-2.0 * i as f32 / hd as f32);
                    let a = p as f32 * freq;
                    cos.push(a.cos());
                    sin.push(a.sin());
                }
            }
        }
        Ok(Rope {
            cos: Tensor::from_vec(cos, (seq, hd), dev)?,
            sin: Tensor::from_vec(sin, (seq, hd), dev)?,
        })
    }

    /// `x` `[b, heads, t, hd]` rotated: `x·cos + rotate_half(x)·sin`.
    fn apply(&self, x: &Tensor) -> Result<Tensor> {
        let (_, _, t, hd) = x.dims4()?;
        let half = hd / 2;
        let x1 = x.narrow(D::Minus1, 0, half)?;
        let x2 = x.narrow(D::Minus1, half, half)?;
        let rot = Tensor::cat(&[&x2.neg()?, &x1], D::Minus1)?;
        let cos = self.cos.narrow(0, 0, t)?;
        let sin = self.sin.narrow(0, 0, t)?;
        x.broadcast_mul(&cos)?.add(&rot.broadcast_mul(&sin)?)
    }
}

fn rms_norm(x: &Tensor, w: &Tensor, eps: f32) -> Result<Tensor> {
    let ms = x.sqr()?.mean_keepdim(D::Minus1)?;
    x.broadcast_div(&(ms + f64::from(eps))?.sqrt()?)?
        .broadcast_mul(w)
}

/// `x` `[n, in]` times the transposed `[out, in]` weight.
fn linear(x: &Tensor, w: &Tensor) -> Result<Tensor> {
    x.matmul(&w.t()?)
}

/// Logits `[b·t, vocab]` for token ids `[b, t]`.
pub fn forward(p: &Params, rope: &Rope, ids: &Tensor) -> Result<Tensor> {
    let c = &p.config;
    let (b, t) = ids.dims2()?;
    let (h, kv, hd) = (c.num_attention_heads, c.num_key_value_heads, c.head_dim());
    let eps = c.rms_norm_eps;
    let mask: Vec<f32> = (0..t * t)
        .map(|i| if i % t > i / t { -1e9 } else { 0.0 })
        .collect();
    let mask = Tensor::from_vec(mask, (t, t), ids.device())?;
    let mut x = p
        .get(TensorId::Embed)
        .index_select(&ids.flatten_all()?, 0)?; // [b·t, d]
    let scale = 1.0 / (hd as f64).sqrt();
    for l in 0..c.num_hidden_layers {
        let hn = rms_norm(&x, p.get(TensorId::AttnNorm(l)), eps)?;
        let heads = |w: TensorId, n: usize| -> Result<Tensor> {
            linear(&hn, p.get(w))?
                .reshape((b, t, n, hd))?
                .transpose(1, 2)?
                .contiguous()
        };
        let q = rope.apply(&heads(TensorId::Q(l), h)?)?;
        let k = rope.apply(&heads(TensorId::K(l), kv)?)?;
        let v = heads(TensorId::V(l), kv)?;
        let rep = |x: Tensor| -> Result<Tensor> {
            if h == kv {
                return Ok(x);
            }
            x.unsqueeze(2)?
                .broadcast_as((b, kv, h / kv, t, hd))?
                .reshape((b, h, t, hd))
        };
        let (k, v) = (rep(k)?, rep(v)?);
        let att = (q.matmul(&k.t()?.contiguous()?)? * scale)?.broadcast_add(&mask)?;
        let att = candle_nn::ops::softmax(&att, D::Minus1)?;
        let o = att.matmul(&v)?.transpose(1, 2)?.reshape((b * t, h * hd))?;
        x = (x + linear(&o, p.get(TensorId::O(l)))?)?;
        let hn = rms_norm(&x, p.get(TensorId::FfnNorm(l)), eps)?;
        let g = linear(&hn, p.get(TensorId::Gate(l)))?.silu()?;
        let u = linear(&hn, p.get(TensorId::Up(l)))?;
        x = (x + linear(&(g * u)?, p.get(TensorId::Down(l)))?)?;
    }
    let x = rms_norm(&x, p.get(TensorId::Norm), eps)?;
    linear(&x, p.get(TensorId::LmHead))
}

/// Mean cross-entropy (nats per token) of predicting `targets` `[b, t]`.
pub fn loss(p: &Params, rope: &Rope, ids: &Tensor, targets: &Tensor) -> Result<Tensor> {
    let logits = forward(p, rope, ids)?;
    candle_nn::loss::cross_entropy(&logits, &targets.flatten_all()?.to_dtype(DType::U32)?)
}
