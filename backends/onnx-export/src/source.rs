//! The weights the graph writer reads: a borrowed, Hugging Face-layout view of a llama
//! (linear weights row-major `[out, in]`, q/k rows *not* permuted for adjacent-pair RoPE).

/// Shape hyper-parameters of a llama.
#[derive(Debug, Clone, PartialEq)]
pub struct Shape {
    pub vocab_size: usize,
    pub hidden_size: usize,
    pub intermediate_size: usize,
    pub num_layers: usize,
    pub num_heads: usize,
    pub num_kv_heads: usize,
    pub head_dim: usize,
    pub rms_norm_eps: f32,
    pub rope_theta: f32,
}

/// One decoder layer's tensors.
#[derive(Debug, Clone)]
pub struct LayerView<'a> {
    pub attn_norm: &'a [f32],
    pub q: &'a [f32],
    pub k: &'a [f32],
    pub v: &'a [f32],
    pub o: &'a [f32],
    pub ffn_norm: &'a [f32],
    pub gate: &'a [f32],
    pub up: &'a [f32],
    pub down: &'a [f32],
}

/// Everything the writer needs; `lm_head` is the embedding when the model ties them.
#[derive(Debug, Clone)]
pub struct WeightsView<'a> {
    pub shape: Shape,
    pub embedding: &'a [f32],
    pub layers: Vec<LayerView<'a>>,
    pub final_norm: &'a [f32],
    pub lm_head: &'a [f32],
}

impl WeightsView<'_> {
    /// Check every tensor's length against the shape, naming the first that is wrong.
    pub fn validate(&self) -> Result<(), String> {
        let s = &self.shape;
        let (d, f, v) = (s.hidden_size, s.intermediate_size, s.vocab_size);
        let (q, kv) = (s.num_heads * s.head_dim, s.num_kv_heads * s.head_dim);
        if s.num_heads == 0 || s.num_kv_heads == 0 || !s.num_heads.is_multiple_of(s.num_kv_heads) {
            return Err(format!(
                "num_heads {} must be a non-zero multiple of num_kv_heads {}",
                s.num_heads, s.num_kv_heads
            ));
        }
        if !s.head_dim.is_multiple_of(2) {
            return Err(format!("head_dim {} must be even for RoPE", s.head_dim));
        }
        let mut checks = vec![
            ("embedding".to_string(), self.embedding.len(), v * d),
            ("final_norm".into(), self.final_norm.len(), d),
            ("lm_head".into(), self.lm_head.len(), v * d),
        ];
        if self.layers.len() != s.num_layers {
            return Err(format!(
                "{} layers given, shape says {}",
                self.layers.len(),
                s.num_layers
            ));
        }
        for (i, l) in self.layers.iter().enumerate() {
            for (n, got, want) in [
                ("attn_norm", l.attn_norm.len(), d),
                ("q_proj", l.q.len(), q * d),
                ("k_proj", l.k.len(), kv * d),
                ("v_proj", l.v.len(), kv * d),
                ("o_proj", l.o.len(), d * q),
                ("ffn_norm", l.ffn_norm.len(), d),
                ("gate_proj", l.gate.len(), f * d),
                ("up_proj", l.up.len(), f * d),
                ("down_proj", l.down.len(), d * f),
            ] {
                checks.push((format!("layers.{i}.{n}"), got, want));
            }
        }
        for (n, got, want) in checks {
            if got != want {
                return Err(format!("tensor {n} has {got} values, expected {want}"));
            }
        }
        Ok(())
    }
}

impl<'a> From<&'a edgebench_reference::synth::LlamaWeights> for WeightsView<'a> {
    fn from(w: &'a edgebench_reference::synth::LlamaWeights) -> Self {
        let c = &w.config;
        WeightsView {
            shape: Shape {
                vocab_size: c.vocab_size,
                hidden_size: c.hidden_size,
                intermediate_size: c.intermediate_size,
                num_layers: c.num_hidden_layers,
                num_heads: c.num_attention_heads,
                num_kv_heads: c.num_key_value_heads,
                head_dim: c.head_dim(),
                rms_norm_eps: c.rms_norm_eps,
                rope_theta: c.rope_theta,
            },
            embedding: &w.embed_tokens.data,
            layers: w
                .layers
                .iter()
                .map(|l| LayerView {
                    attn_norm: &l.input_layernorm,
                    q: &l.q_proj.data,
                    k: &l.k_proj.data,
                    v: &l.v_proj.data,
                    o: &l.o_proj.data,
                    ffn_norm: &l.post_attention_layernorm,
                    gate: &l.gate_proj.data,
                    up: &l.up_proj.data,
                    down: &l.down_proj.data,
                })
                .collect(),
            final_norm: &w.norm,
            lm_head: &w.output().data,
        }
    }
}
