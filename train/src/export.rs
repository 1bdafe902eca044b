//! Between candle tensors and the writers' [`LlamaWeights`]; the trained f32 weights saved as
//! safetensors with Hugging Face tensor names (the cache keeps them, quantized files are
//! written from them on demand).

use crate::model::{tensor_ids, Params};
use crate::TrainError;
use candle_core::{Device, Tensor};
use edgebench_reference::synth::{LayerWeights, LlamaConfig, LlamaWeights, Matrix, TensorId};
use std::collections::HashMap;
use std::path::Path;

/// Hugging Face name of a tensor.
pub fn hf_name(id: TensorId) -> String {
    let l = |i: usize, s: &str| format!("model.layers.{i}.{s}.weight");
    match id {
        TensorId::Embed => "model.embed_tokens.weight".into(),
        TensorId::Norm => "model.norm.weight".into(),
        TensorId::LmHead => "lm_head.weight".into(),
        TensorId::AttnNorm(i) => l(i, "input_layernorm"),
        TensorId::Q(i) => l(i, "self_attn.q_proj"),
        TensorId::K(i) => l(i, "self_attn.k_proj"),
        TensorId::V(i) => l(i, "self_attn.v_proj"),
        TensorId::O(i) => l(i, "self_attn.o_proj"),
        TensorId::FfnNorm(i) => l(i, "post_attention_layernorm"),
        TensorId::Gate(i) => l(i, "mlp.gate_proj"),
        TensorId::Up(i) => l(i, "mlp.up_proj"),
        TensorId::Down(i) => l(i, "mlp.down_proj"),
    }
}

fn assemble(
    c: &LlamaConfig,
    get: &mut dyn FnMut(TensorId) -> Result<Vec<f32>, TrainError>,
) -> Result<LlamaWeights, TrainError> {
    let mut m = |id: TensorId| -> Result<Matrix, TrainError> {
        let (rows, cols) = id.shape(c);
        Ok(Matrix {
            rows,
            cols,
            data: get(id)?,
        })
    };
    let mut layers = Vec::with_capacity(c.num_hidden_layers);
    for l in 0..c.num_hidden_layers {
        layers.push(LayerWeights {
            input_layernorm: m(TensorId::AttnNorm(l))?.data,
            q_proj: m(TensorId::Q(l))?,
            k_proj: m(TensorId::K(l))?,
            v_proj: m(TensorId::V(l))?,
            o_proj: m(TensorId::O(l))?,
            post_attention_layernorm: m(TensorId::FfnNorm(l))?.data,
            gate_proj: m(TensorId::Gate(l))?,
            up_proj: m(TensorId::Up(l))?,
            down_proj: m(TensorId::Down(l))?,
        });
    }
    Ok(LlamaWeights {
        config: c.clone(),
        embed_tokens: m(TensorId::Embed)?,
        layers,
        norm: m(TensorId::Norm)?.data,
        lm_head: if c.tie_word_embeddings {
            None
        } else {
            Some(m(TensorId::LmHead)?)
        },
    })
}

/// The current values of `p` as writer input.
pub fn weights_of(p: &Params) -> Result<LlamaWeights, TrainError> {
    assemble(&p.config, &mut |id| {
        Ok(p.get(id).flatten_all()?.to_vec1::<f32>()?)
    })
}

fn tensors_of(w: &LlamaWeights) -> Result<HashMap<String, Tensor>, TrainError> {
    let c = &w.config;
    tensor_ids(c)
        .into_iter()
        .map(|id| {
            let (rows, cols) = id.shape(c);
            let t = Tensor::from_slice(w.get(id), (rows, cols), &Device::Cpu)?;
            let t = if rows == 1 { t.flatten_all()? } else { t };
            Ok((hf_name(id), t))
        })
        .collect()
}

/// Write `w` as safetensors at `path`.
pub fn save_weights(w: &LlamaWeights, path: &Path) -> Result<(), TrainError> {
    candle_core::safetensors::save(&tensors_of(w)?, path)?;
    Ok(())
}

/// Read weights of shape `c` saved by [`save_weights`].
pub fn load_weights(c: &LlamaConfig, path: &Path) -> Result<LlamaWeights, TrainError> {
    let map = candle_core::safetensors::load(path, &Device::Cpu)?;
    assemble(c, &mut |id| {
        let name = hf_name(id);
        let t = map.get(&name).ok_or_else(|| {
            TrainError::Invalid(format!(
                "{}: tensor `{name}` is missing; delete the file to retrain",
                path.display()
            ))
        })?;
        let v = t.flatten_all()?.to_vec1::<f32>()?;
        let (rows, cols) = id.shape(c);
        if v.len() != rows * cols {
            return Err(TrainError::Invalid(format!(
                "{}: tensor `{name}` has {} values, expected {}; delete the file to retrain",
                path.display(),
                v.len(),
                rows * cols
            )));
        }
        Ok(v)
    })
}
