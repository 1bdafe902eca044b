//! The llama decoder-with-past graph, in the Hugging Face formulation that optimum exports:
//! rotate-half RoPE from `Sin`/`Cos` of `position_ids × inv_freq`, RMSNorm as
//! `Pow`/`ReduceMean`/`Add`/`Sqrt`/`Reciprocal`/`Mul`, SwiGLU with `Sigmoid`, grouped-query
//! attention by `Expand`ing the kv heads, a causal mask combined with `attention_mask`, and the
//! KV cache as `Concat(past, new)` on the sequence axis.

use crate::builder::{f32_bytes, int, ints, tensor, Builder};
use crate::linear::Linear;
use crate::proto::{DataType, Dim, Graph, ValueInfo};
use crate::source::{fetch, WeightSource};
use crate::OnnxVariant;
use edgebench_reference::synth::TensorId;

pub(crate) const BATCH: &str = "batch_size";
pub(crate) const SEQ: &str = "sequence_length";
pub(crate) const PAST: &str = "past_sequence_length";
pub(crate) const TOTAL: &str = "past_sequence_length + sequence_length";

fn p(s: &str) -> Dim {
    Dim::Param(s.into())
}

fn vi(name: &str, dt: DataType, dims: Vec<Dim>) -> ValueInfo {
    ValueInfo {
        name: name.into(),
        elem_type: dt,
        dims,
    }
}

/// Build the whole graph, fetching one tensor at a time from `w`. Initializers go through
/// `b` (which may stream them to an external data file).
pub(crate) fn build(
    w: &dyn WeightSource,
    variant: OnnxVariant,
    mut b: Builder,
) -> Result<(Graph, Builder), String> {
    let c = w.config().clone();
    let hd = c.head_dim() as i64;
    let (nh, nkv) = (c.num_attention_heads as i64, c.num_key_value_heads as i64);
    let (d, f, v) = (c.hidden_size, c.intermediate_size, c.vocab_size);
    let (qn, kvn) = (c.q_dim(), c.kv_dim());
    let mut lin = Linear::new(variant);

    let mut inputs = vec![
        vi("input_ids", DataType::Int64, vec![p(BATCH), p(SEQ)]),
        vi("attention_mask", DataType::Int64, vec![p(BATCH), p(TOTAL)]),
        vi("position_ids", DataType::Int64, vec![p(BATCH), p(SEQ)]),
    ];
    let mut outputs = vec![vi(
        "logits",
        DataType::Float,
        vec![p(BATCH), p(SEQ), Dim::Fixed(v as i64)],
    )];
    for i in 0..c.num_hidden_layers {
        for kind in ["key", "value"] {
            let kv = |t: &str| vec![p(BATCH), Dim::Fixed(nkv), p(t), Dim::Fixed(hd)];
            inputs.push(vi(
                &format!("past_key_values.{i}.{kind}"),
                DataType::Float,
                kv(PAST),
            ));
            outputs.push(vi(
                &format!("present.{i}.{kind}"),
                DataType::Float,
                kv(TOTAL),
            ));
        }
    }

    // Token embedding.
    b.scope("/model/embed_tokens");
    let mut h = embedding(&mut b, &fetch(w, TensorId::Embed)?, d, v, variant);

    // Additive attention mask [B, 1, S, T]: future positions and padded keys get f32::MIN.
    b.scope("/model/mask");
    let mask = attention_mask(&mut b);

    // RoPE tables [B, 1, S, hd] from position_ids.
    b.scope("/model/rotary_emb");
    let (cos, sin) = rope_tables(&mut b, c.head_dim(), c.rope_theta);

    let scale = b.f32s(&[1.0 / (c.head_dim() as f32).sqrt()], &[]);
    let eps = c.rms_norm_eps;
    for i in 0..c.num_hidden_layers {
        let pre = format!("model.layers.{i}");
        let sc = format!("/model/layers.{i}");
        let name = |s: &str| format!("{pre}.{s}.weight");

        b.scope(format!("{sc}/input_layernorm"));
        let g = fetch(w, TensorId::AttnNorm(i))?;
        let x = rms_norm(&mut b, &h, &g, eps, &name("input_layernorm"));

        b.scope(format!("{sc}/self_attn"));
        let q = lin.apply(
            &mut b,
            &x,
            &fetch(w, TensorId::Q(i))?,
            qn,
            d,
            &name("self_attn.q_proj"),
        );
        let k = lin.apply(
            &mut b,
            &x,
            &fetch(w, TensorId::K(i))?,
            kvn,
            d,
            &name("self_attn.k_proj"),
        );
        let vv = lin.apply(
            &mut b,
            &x,
            &fetch(w, TensorId::V(i))?,
            kvn,
            d,
            &name("self_attn.v_proj"),
        );
        let q = heads(&mut b, &q, nh, hd);
        let k = heads(&mut b, &k, nkv, hd);
        let vv = heads(&mut b, &vv, nkv, hd);
        let q = rope(&mut b, &q, &cos, &sin, hd);
        let k = rope(&mut b, &k, &cos, &sin, hd);

        let pk = format!("past_key_values.{i}.key");
        let pv = format!("past_key_values.{i}.value");
        let ok = format!("present.{i}.key");
        let ov = format!("present.{i}.value");
        b.op_into("Concat", &[&pk, &k], vec![int("axis", 2)], &[&ok]);
        b.op_into("Concat", &[&pv, &vv], vec![int("axis", 2)], &[&ov]);
        let k = repeat_kv(&mut b, &ok, nh / nkv, nh, hd);
        let vv = repeat_kv(&mut b, &ov, nh / nkv, nh, hd);

        let kt = b.op("Transpose", &[&k], vec![ints("perm", &[0, 1, 3, 2])]);
        let scores = b.op("MatMul", &[&q, &kt], vec![]);
        let scores = b.op("Mul", &[&scores, &scale], vec![]);
        let scores = b.op("Add", &[&scores, &mask], vec![]);
        let probs = b.op("Softmax", &[&scores], vec![int("axis", -1)]);
        let ctx = b.op("MatMul", &[&probs, &vv], vec![]);
        let ctx = b.op("Transpose", &[&ctx], vec![ints("perm", &[0, 2, 1, 3])]);
        let shape = b.i64s(&[0, 0, nh * hd], &[3]);
        let ctx = b.op("Reshape", &[&ctx, &shape], vec![]);
        let o = lin.apply(
            &mut b,
            &ctx,
            &fetch(w, TensorId::O(i))?,
            d,
            qn,
            &name("self_attn.o_proj"),
        );
        b.scope(sc.clone());
        h = b.op("Add", &[&h, &o], vec![]);

        b.scope(format!("{sc}/post_attention_layernorm"));
        let g = fetch(w, TensorId::FfnNorm(i))?;
        let x = rms_norm(&mut b, &h, &g, eps, &name("post_attention_layernorm"));
        b.scope(format!("{sc}/mlp"));
        let gate = lin.apply(
            &mut b,
            &x,
            &fetch(w, TensorId::Gate(i))?,
            f,
            d,
            &name("mlp.gate_proj"),
        );
        let up = lin.apply(
            &mut b,
            &x,
            &fetch(w, TensorId::Up(i))?,
            f,
            d,
            &name("mlp.up_proj"),
        );
        let sg = b.op("Sigmoid", &[&gate], vec![]);
        let act = b.op("Mul", &[&gate, &sg], vec![]);
        let gu = b.op("Mul", &[&act, &up], vec![]);
        let down = lin.apply(
            &mut b,
            &gu,
            &fetch(w, TensorId::Down(i))?,
            d,
            f,
            &name("mlp.down_proj"),
        );
        b.scope(sc);
        h = b.op("Add", &[&h, &down], vec![]);
    }

    b.scope("/model/norm");
    let g = fetch(w, TensorId::Norm)?;
    let x = rms_norm(&mut b, &h, &g, eps, "model.norm.weight");
    b.scope("/lm_head");
    let logits = lin.apply(
        &mut b,
        &x,
        &fetch(w, TensorId::LmHead)?,
        v,
        d,
        "lm_head.weight",
    );
    b.op_into("Identity", &[&logits], vec![], &["logits"]);

    let graph = Graph {
        name: "main_graph".into(),
        nodes: std::mem::take(&mut b.nodes),
        initializers: std::mem::take(&mut b.inits),
        inputs,
        outputs,
    };
    Ok((graph, b))
}

/// `Gather` over the embedding table (int8: a uint8 table + `DequantizeLinear`, as
/// `quantize_dynamic` writes it).
fn embedding(b: &mut Builder, table: &[f32], d: usize, v: usize, variant: OnnxVariant) -> String {
    let dims = [v as i64, d as i64];
    let name = "model.embed_tokens.weight";
    match variant {
        OnnxVariant::Int8 => {
            let (q, scale, zp) = crate::linear::quantize_u8_asymmetric(table);
            let tq = b.init(tensor(
                &format!("{name}_quantized"),
                DataType::Uint8,
                &dims,
                q,
            ));
            let ts = b.init(tensor(
                &format!("{name}_scale"),
                DataType::Float,
                &[],
                scale.to_le_bytes().to_vec(),
            ));
            let tz = b.init(tensor(
                &format!("{name}_zero_point"),
                DataType::Uint8,
                &[],
                vec![zp],
            ));
            let g = b.op("Gather", &[&tq, "input_ids"], vec![]);
            b.op("DequantizeLinear", &[&g, &ts, &tz], vec![])
        }
        _ => {
            let t = b.init(tensor(name, DataType::Float, &dims, f32_bytes(table)));
            b.op("Gather", &[&t, "input_ids"], vec![])
        }
    }
}

/// `weight * x / sqrt(mean(x²) + eps)` over the last axis.
fn rms_norm(b: &mut Builder, x: &str, weight: &[f32], eps: f32, name: &str) -> String {
    let two = b.f32s(&[2.0], &[]);
    let eps = b.f32s(&[eps], &[]);
    let axes = b.i64s(&[-1], &[1]);
    let w = b.init(tensor(
        name,
        DataType::Float,
        &[weight.len() as i64],
        f32_bytes(weight),
    ));
    let sq = b.op("Pow", &[x, &two], vec![]);
    let mean = b.op("ReduceMean", &[&sq, &axes], vec![int("keepdims", 1)]);
    let var = b.op("Add", &[&mean, &eps], vec![]);
    let std = b.op("Sqrt", &[&var], vec![]);
    let inv = b.op("Reciprocal", &[&std], vec![]);
    let xn = b.op("Mul", &[x, &inv], vec![]);
    b.op("Mul", &[&w, &xn], vec![])
}

/// `[B, S, n*hd] -> [B, n, S, hd]`.
fn heads(b: &mut Builder, x: &str, n: i64, hd: i64) -> String {
    let shape = b.i64s(&[0, 0, n, hd], &[4]);
    let r = b.op("Reshape", &[x, &shape], vec![]);
    b.op("Transpose", &[&r], vec![ints("perm", &[0, 2, 1, 3])])
}

/// `x * cos + rotate_half(x) * sin` with `rotate_half(x) = [-x2, x1]`.
fn rope(b: &mut Builder, x: &str, cos: &str, sin: &str, hd: i64) -> String {
    let axes = b.i64s(&[3], &[1]);
    let zero = b.i64s(&[0], &[1]);
    let half = b.i64s(&[hd / 2], &[1]);
    let end = b.i64s(&[hd], &[1]);
    let x1 = b.op("Slice", &[x, &zero, &half, &axes], vec![]);
    let x2 = b.op("Slice", &[x, &half, &end, &axes], vec![]);
    let nx2 = b.op("Neg", &[&x2], vec![]);
    let rot = b.op("Concat", &[&nx2, &x1], vec![int("axis", -1)]);
    let a = b.op("Mul", &[x, cos], vec![]);
    let c = b.op("Mul", &[&rot, sin], vec![]);
    b.op("Add", &[&a, &c], vec![])
}

/// `[B, nkv, T, hd] -> [B, nkv*rep, T, hd]`, each kv head repeated `rep` times in a row.
fn repeat_kv(b: &mut Builder, x: &str, rep: i64, nh: i64, hd: i64) -> String {
    if rep == 1 {
        return x.to_string();
    }
    let ax = b.i64s(&[2], &[1]);
    let u = b.op("Unsqueeze", &[x, &ax], vec![]);
    let shape = b.i64s(&[1, 1, rep, 1, 1], &[5]);
    let e = b.op("Expand", &[&u, &shape], vec![]);
    let back = b.i64s(&[0, nh, -1, hd], &[4]);
    b.op("Reshape", &[&e, &back], vec![])
}

/// `[B, 1, S, T]` additive mask: 0 where query i (absolute position T-S+i) may see key j
/// (j <= T-S+i and attention_mask[j] == 1), `f32::MIN` elsewhere.
fn attention_mask(b: &mut Builder) -> String {
    let one_idx = b.i64s(&[1], &[]);
    let zero_s = b.i64s(&[0], &[]);
    let one_s = b.i64s(&[1], &[]);
    let ids_shape = b.op("Shape", &["input_ids"], vec![]);
    let am_shape = b.op("Shape", &["attention_mask"], vec![]);
    let s_len = b.op("Gather", &[&ids_shape, &one_idx], vec![int("axis", 0)]);
    let t_len = b.op("Gather", &[&am_shape, &one_idx], vec![int("axis", 0)]);
    let past = b.op("Sub", &[&t_len, &s_len], vec![]);
    let q_pos = b.op("Range", &[&past, &t_len, &one_s], vec![]);
    let k_pos = b.op("Range", &[&zero_s, &t_len, &one_s], vec![]);
    let ax0 = b.i64s(&[0], &[1]);
    let ax1 = b.i64s(&[1], &[1]);
    let kp = b.op("Unsqueeze", &[&k_pos, &ax0], vec![]);
    let qp = b.op("Unsqueeze", &[&q_pos, &ax1], vec![]);
    let future = b.op("Greater", &[&kp, &qp], vec![]);
    let zero = b.i64s(&[0], &[]);
    let pad = b.op("Equal", &["attention_mask", &zero], vec![]);
    let ax12 = b.i64s(&[1, 2], &[2]);
    let pad = b.op("Unsqueeze", &[&pad, &ax12], vec![]);
    let masked = b.op("Or", &[&future, &pad], vec![]);
    let min = b.f32s(&[f32::MIN], &[]);
    let zf = b.f32s(&[0.0], &[]);
    b.op("Where", &[&masked, &min, &zf], vec![])
}

/// `cos`/`sin` of `position_ids × inv_freq`, duplicated to the full head dim, `[B, 1, S, hd]`.
fn rope_tables(b: &mut Builder, head_dim: usize, theta: f32) -> (String, String) {
    let half = head_dim / 2;
    let inv_freq: Vec<f32> = (0..half)
        .map(|i| 1.0 / (theta as f64).powf((2 * i) as f64 / head_dim as f64) as f32)
        .collect();
    let inv = b.init(tensor(
        "/model/rotary_emb/inv_freq",
        DataType::Float,
        &[1, 1, half as i64],
        f32_bytes(&inv_freq),
    ));
    let pos = b.op(
        "Cast",
        &["position_ids"],
        vec![int("to", DataType::Float as i64)],
    );
    let ax = b.i64s(&[2], &[1]);
    let pos = b.op("Unsqueeze", &[&pos, &ax], vec![]);
    let freqs = b.op("Mul", &[&pos, &inv], vec![]);
    let emb = b.op("Concat", &[&freqs, &freqs], vec![int("axis", -1)]);
    let ax1 = b.i64s(&[1], &[1]);
    let emb = b.op("Unsqueeze", &[&emb, &ax1], vec![]);
    let cos = b.op("Cos", &[&emb], vec![]);
    let sin = b.op("Sin", &[&emb], vec![]);
    (cos, sin)
}
