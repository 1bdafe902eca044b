//! Reads what a GGUF file declares (metadata and tensor table) before candle builds the
//! model: checks it is a llama candle can run, with every tensor present, of the expected
//! shape and of a type candle computes with, so problems surface as clear errors naming the
//! key or tensor instead of a shape error (or panic) in the middle of a forward pass.
//!
//! It also normalises metadata candle is strict about: candle reads the `llama.*` counts
//! only as `u32` and floats only as `f32` (a `u64` count fails, an `f64` `rope.freq_base`
//! is silently replaced by 10000), and it requires `llama.rope.dimension_count`, which
//! llama.cpp defaults to `embedding_length / head_count`; we write that default in.

mod tensors;

use candle_core::quantized::gguf_file::{Content, Value};
use edgebench_backend::{BackendError, ModelInfo};
use std::path::Path;

/// candle's RoPE tables hold this many positions (`quantized_llama::MAX_SEQ_LEN`).
pub(crate) const CANDLE_MAX_POSITIONS: usize = crate::quantized_llama::MAX_SEQ_LEN;

/// The llama hyper-parameters read from the metadata.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Hparams {
    pub n_embd: usize,
    pub n_head: usize,
    pub n_kv_head: usize,
    pub n_layer: usize,
    pub head_dim: usize,
}

/// What the file declares, checked.
pub(crate) struct Facts {
    pub info: ModelInfo,
    /// `llama.context_length`, if the file has it.
    pub file_context: Option<usize>,
}

/// Check `ct` (read from `path`, `file_size` bytes) and normalise its metadata for candle.
pub(crate) fn inspect(
    path: &Path,
    ct: &mut Content,
    file_size: u64,
) -> Result<Facts, BackendError> {
    let bad = |reason: String| BackendError::invalid_model(path, reason);
    let arch = match ct.metadata.get("general.architecture") {
        Some(Value::String(s)) => s.clone(),
        Some(_) => return Err(bad("`general.architecture` is not a string".into())),
        None => {
            return Err(bad(
                "no `general.architecture` key: not a llama.cpp-style GGUF model".into(),
            ))
        }
    };
    if arch != "llama" {
        return Err(unsupported(format!(
            "GGUF architecture `{arch}` in {} (this backend runs candle's quantized llama: \
             `llama` files only)",
            path.display()
        )));
    }
    let experts = int(ct, "llama.expert_count").map_err(bad)?.unwrap_or(0);
    if experts > 1 {
        return Err(unsupported(format!(
            "mixture-of-experts llama files (llama.expert_count = {experts} in {})",
            path.display()
        )));
    }
    let need = |ct: &Content, key: &str| -> Result<usize, BackendError> {
        match int(ct, key).map_err(bad)? {
            Some(v) if v > 0 => Ok(v as usize),
            Some(_) => Err(bad(format!("metadata `{key}` is 0"))),
            None => Err(bad(format!("metadata key `{key}` is missing"))),
        }
    };
    let n_embd = need(ct, "llama.embedding_length")?;
    let n_head = need(ct, "llama.attention.head_count")?;
    let n_kv_head = need(ct, "llama.attention.head_count_kv")?;
    let n_layer = need(ct, "llama.block_count")?;
    if n_embd % n_head != 0 || n_head % n_kv_head != 0 || (n_embd / n_head) % 2 != 0 {
        return Err(bad(format!(
            "inconsistent attention shape: embedding_length {n_embd}, head_count {n_head}, \
             head_count_kv {n_kv_head} (need head_count | embedding_length, \
             head_count_kv | head_count and an even head size)"
        )));
    }
    let head_dim = n_embd / n_head;
    let rope_dim = int(ct, "llama.rope.dimension_count")
        .map_err(bad)?
        .map_or(head_dim, |v| v as usize);
    if rope_dim != head_dim {
        return Err(unsupported(format!(
            "partial rotary embeddings (llama.rope.dimension_count {rope_dim} != head size \
             {head_dim} in {})",
            path.display()
        )));
    }
    float(ct, "llama.attention.layer_norm_rms_epsilon")
        .map_err(bad)?
        .ok_or_else(|| {
            bad("metadata key `llama.attention.layer_norm_rms_epsilon` is missing".into())
        })?;
    float(ct, "llama.rope.freq_base").map_err(bad)?;
    for key in [
        "llama.embedding_length",
        "llama.attention.head_count",
        "llama.attention.head_count_kv",
        "llama.block_count",
    ] {
        set_u32(ct, key).map_err(bad)?;
    }
    ct.metadata.insert(
        "llama.rope.dimension_count".into(),
        Value::U32(u32::try_from(rope_dim).map_err(|_| bad("rope dimension too large".into()))?),
    );

    let hp = Hparams {
        n_embd,
        n_head,
        n_kv_head,
        n_layer,
        head_dim,
    };
    let t = tensors::check(path, ct, &hp, file_size)?;
    if let Some(v) = int(ct, "llama.vocab_size").map_err(bad)? {
        if v as usize != t.vocab {
            return Err(bad(format!(
                "llama.vocab_size {v} disagrees with token_embd.weight ({} rows)",
                t.vocab
            )));
        }
    }
    let file_context = int(ct, "llama.context_length")
        .map_err(bad)?
        .map(|v| v as usize);
    let feed_forward_length = int(ct, "llama.feed_forward_length")
        .map_err(bad)?
        .map_or(t.n_ff, |v| v as usize);
    let info = ModelInfo {
        architecture: arch,
        vocab_size: t.vocab,
        context_length: file_context.unwrap_or(CANDLE_MAX_POSITIONS),
        embedding_length: n_embd,
        block_count: n_layer,
        head_count: n_head,
        head_count_kv: n_kv_head,
        feed_forward_length,
        weight_types: t.weight_types,
        parameter_count: t.parameter_count,
        weight_bytes: Some(t.bytes_per_token),
    };
    Ok(Facts { info, file_context })
}

fn unsupported(what: String) -> BackendError {
    BackendError::Unsupported {
        backend: crate::NAME.into(),
        what,
    }
}

/// An integer metadata value of any integer type; `Err` if present with another type.
fn int(ct: &Content, key: &str) -> Result<Option<u64>, String> {
    let v = match ct.metadata.get(key) {
        None => return Ok(None),
        Some(v) => v,
    };
    let n: Option<u64> = match v {
        Value::U8(x) => Some(u64::from(*x)),
        Value::U16(x) => Some(u64::from(*x)),
        Value::U32(x) => Some(u64::from(*x)),
        Value::U64(x) => Some(*x),
        Value::I8(x) => u64::try_from(*x).ok(),
        Value::I16(x) => u64::try_from(*x).ok(),
        Value::I32(x) => u64::try_from(*x).ok(),
        Value::I64(x) => u64::try_from(*x).ok(),
        _ => return Err(format!("metadata `{key}` is not an integer ({v:?})")),
    };
    n.map(Some)
        .ok_or_else(|| format!("metadata `{key}` is negative ({v:?})"))
}

/// A float metadata value (`f32` or `f64`), rewritten as `f32` for candle.
fn float(ct: &mut Content, key: &str) -> Result<Option<f32>, String> {
    let x = match ct.metadata.get(key) {
        None => return Ok(None),
        Some(Value::F32(x)) => *x,
        Some(Value::F64(x)) => *x as f32,
        Some(v) => return Err(format!("metadata `{key}` is not a float ({v:?})")),
    };
    if !x.is_finite() || x <= 0.0 {
        return Err(format!(
            "metadata `{key}` must be a positive number, found {x}"
        ));
    }
    ct.metadata.insert(key.into(), Value::F32(x));
    Ok(Some(x))
}

/// Rewrite an integer metadata value as `u32`, the only integer type candle reads.
fn set_u32(ct: &mut Content, key: &str) -> Result<(), String> {
    if let Some(v) = int(ct, key)? {
        let v = u32::try_from(v).map_err(|_| format!("metadata `{key}` = {v} is too large"))?;
        ct.metadata.insert(key.into(), Value::U32(v));
    }
    Ok(())
}
