//! The tensor table of a llama GGUF: every tensor candle's `quantized_llama` reads must be
//! present with llama.cpp's shape and a type candle can multiply with. Also totals the
//! parameters, the types and the bytes a decode step reads.

use super::Hparams;
use candle_core::quantized::gguf_file::Content;
use candle_core::quantized::GgmlDType;
use edgebench_backend::BackendError;
use std::collections::BTreeMap;
use std::path::Path;

/// Totals over the tensor table.
pub(crate) struct TensorFacts {
    pub vocab: usize,
    pub n_ff: usize,
    pub parameter_count: u64,
    /// Types by bytes, largest first, joined with `+` (e.g. `q8_0+f32`).
    pub weight_types: String,
    /// Bytes of weights a decode step streams through, as candle holds them: quantized
    /// tensors at their file size, f32/f16/bf16 tensors as f32 (candle dequantizes them at
    /// load), plus one f32 embedding row (the whole table too when it doubles as the
    /// output matrix). Same accounting as the reference engine except for f16 weights.
    pub bytes_per_token: u64,
}

/// llama.cpp's lowercase name of a tensor type (`q4_0`, `q6_k`, ...).
pub(crate) fn type_name(t: GgmlDType) -> &'static str {
    match t {
        GgmlDType::F32 => "f32",
        GgmlDType::F16 => "f16",
        GgmlDType::BF16 => "bf16",
        GgmlDType::Q4_0 => "q4_0",
        GgmlDType::Q4_1 => "q4_1",
        GgmlDType::Q5_0 => "q5_0",
        GgmlDType::Q5_1 => "q5_1",
        GgmlDType::Q8_0 => "q8_0",
        GgmlDType::Q8_1 => "q8_1",
        GgmlDType::Q2K => "q2_k",
        GgmlDType::Q3K => "q3_k",
        GgmlDType::Q4K => "q4_k",
        GgmlDType::Q5K => "q5_k",
        GgmlDType::Q6K => "q6_k",
        GgmlDType::Q8K => "q8_k",
    }
}

/// Types candle 0.11.1 reads but ggml only uses for activations (no weight matmul kernel).
fn activation_only(t: GgmlDType) -> bool {
    matches!(t, GgmlDType::Q8_1 | GgmlDType::Q8K)
}

fn is_float(t: GgmlDType) -> bool {
    matches!(t, GgmlDType::F32 | GgmlDType::F16 | GgmlDType::BF16)
}

/// Check the tensor table of `ct` against `hp`; `file_size` bounds every tensor's data.
pub(crate) fn check(
    path: &Path,
    ct: &Content,
    hp: &Hparams,
    file_size: u64,
) -> Result<TensorFacts, BackendError> {
    let bad = |reason: String| BackendError::invalid_model(path, reason);
    // Bound the layer count by the table before building per-layer lists from it.
    let needed = hp.n_layer.saturating_mul(9).saturating_add(2);
    if needed > ct.tensor_infos.len() {
        return Err(bad(format!(
            "llama.block_count {} needs at least {needed} tensors, the file has {}",
            hp.n_layer,
            ct.tensor_infos.len()
        )));
    }
    let dims = |name: &str| -> Result<(GgmlDType, Vec<usize>), BackendError> {
        let ti = ct
            .tensor_infos
            .get(name)
            .ok_or_else(|| bad(format!("tensor `{name}` is missing")))?;
        Ok((ti.ggml_dtype, ti.shape.dims().to_vec()))
    };
    let (_, embd) = dims("token_embd.weight")?;
    if embd.len() != 2 || embd[1] != hp.n_embd || embd[0] == 0 {
        return Err(bad(format!(
            "tensor `token_embd.weight` has shape {embd:?}, expected [vocab, {}] \
             (llama.cpp lists it as {{{}, vocab}})",
            hp.n_embd, hp.n_embd
        )));
    }
    let vocab = embd[0];
    let (_, gate) = dims("blk.0.ffn_gate.weight")?;
    let n_ff = match gate.as_slice() {
        [rows, cols] if *cols == hp.n_embd && *rows > 0 => *rows,
        _ => {
            return Err(bad(format!(
            "tensor `blk.0.ffn_gate.weight` has shape {gate:?}, expected [feed_forward_length, {}]",
            hp.n_embd
        )))
        }
    };
    let (e, q, kv) = (
        hp.n_embd,
        hp.n_head * hp.head_dim,
        hp.n_kv_head * hp.head_dim,
    );
    let mut expected: Vec<(String, Vec<usize>)> = vec![
        ("output_norm.weight".into(), vec![e]),
        ("token_embd.weight".into(), vec![vocab, e]),
    ];
    let tied = !ct.tensor_infos.contains_key("output.weight");
    if !tied {
        expected.push(("output.weight".into(), vec![vocab, e]));
    }
    for i in 0..hp.n_layer {
        let b = |n: &str| format!("blk.{i}.{n}.weight");
        expected.extend([
            (b("attn_norm"), vec![e]),
            (b("attn_q"), vec![q, e]),
            (b("attn_k"), vec![kv, e]),
            (b("attn_v"), vec![kv, e]),
            (b("attn_output"), vec![e, q]),
            (b("ffn_norm"), vec![e]),
            (b("ffn_gate"), vec![n_ff, e]),
            (b("ffn_up"), vec![n_ff, e]),
            (b("ffn_down"), vec![e, n_ff]),
        ]);
    }
    for (name, want) in &expected {
        let (ty, got) = dims(name)?;
        if &got != want {
            return Err(bad(format!(
                "tensor `{name}` has shape {got:?}, expected {want:?} (candle's row-major order; \
                 llama.cpp lists dimensions reversed)"
            )));
        }
        if activation_only(ty) {
            return Err(BackendError::Unsupported {
                backend: crate::NAME.into(),
                what: format!(
                    "tensor `{name}` of type {} in {} (ggml uses it for activations only; \
                     candle has no weight kernel for it): requantize with llama-quantize",
                    type_name(ty),
                    path.display()
                ),
            });
        }
        check_data_fits(path, ct, name, ty, want, file_size)?;
        let row = *want.last().unwrap_or(&0);
        if !row.is_multiple_of(ty.block_size()) {
            return Err(bad(format!(
                "tensor `{name}` is {} with rows of {row} values, not a multiple of its block \
                 size {}",
                type_name(ty),
                ty.block_size()
            )));
        }
    }

    let mut bytes_by_type: BTreeMap<&'static str, u64> = BTreeMap::new();
    let mut parameter_count = 0u64;
    for ti in ct.tensor_infos.values() {
        let n = ti
            .shape
            .dims()
            .iter()
            .fold(1u64, |acc, &d| acc.saturating_mul(d as u64));
        parameter_count = parameter_count.saturating_add(n);
        let bytes = bytes_by_type.entry(type_name(ti.ggml_dtype)).or_default();
        *bytes = bytes.saturating_add(file_bytes(ti.ggml_dtype, n));
    }
    let mut by_size: Vec<_> = bytes_by_type.into_iter().collect();
    by_size.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(b.0)));
    let weight_types = by_size
        .iter()
        .map(|(t, _)| *t)
        .collect::<Vec<_>>()
        .join("+");

    let mut bytes_per_token = hp.n_embd as u64 * 4;
    for (name, shape) in &expected {
        if name == "token_embd.weight" && !tied {
            continue;
        }
        let ty = ct.tensor_infos[name].ggml_dtype;
        let n = shape.iter().product::<usize>() as u64;
        bytes_per_token += if is_float(ty) {
            n * 4
        } else {
            file_bytes(ty, n)
        };
    }
    Ok(TensorFacts {
        vocab,
        n_ff,
        parameter_count,
        weight_types,
        bytes_per_token,
    })
}

/// The tensor's bytes lie inside the file. Checked before candle sizes anything from the
/// metadata (its RoPE tables are allocated before it reads a tensor), so a truncated file
/// or one declaring absurd shapes is an error here rather than a huge allocation there.
fn check_data_fits(
    path: &Path,
    ct: &Content,
    name: &str,
    ty: GgmlDType,
    dims: &[usize],
    file_size: u64,
) -> Result<(), BackendError> {
    let elems = dims
        .iter()
        .try_fold(1u64, |acc, &d| acc.checked_mul(d as u64));
    let offset = ct.tensor_infos[name].offset;
    let end = elems
        .and_then(|n| (n / ty.block_size() as u64).checked_mul(ty.type_size() as u64))
        .and_then(|bytes| bytes.checked_add(offset))
        .and_then(|end| end.checked_add(ct.tensor_data_offset));
    match end {
        Some(end) if end <= file_size => Ok(()),
        _ => Err(BackendError::invalid_model(
            path,
            format!(
                "tensor `{name}` ({} {dims:?} at data offset {offset}) extends past the end of \
                 the file ({file_size} bytes): the file is truncated or its tensor table is corrupt",
                type_name(ty)
            ),
        )),
    }
}

fn file_bytes(ty: GgmlDType, elems: u64) -> u64 {
    elems / ty.block_size() as u64 * ty.type_size() as u64
}
