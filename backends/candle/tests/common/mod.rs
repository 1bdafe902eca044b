//! Test support: tiny random llama GGUF files written with candle's own GGUF writer.
//! (Stand-in until the shared synthesizer in `edgebench-reference` is merged.)
#![allow(dead_code)]

use candle_core::quantized::gguf_file::{self, Value};
use candle_core::quantized::{GgmlDType, QTensor};
use candle_core::{Device, Tensor};
use edgebench_backend::{ModelFormat, ModelSpec};
use std::path::{Path, PathBuf};

pub struct Shape {
    pub vocab: usize,
    pub n_embd: usize,
    pub n_head: usize,
    pub n_kv_head: usize,
    pub n_layer: usize,
    pub n_ff: usize,
    pub ctx: usize,
}

pub const TINY: Shape = Shape {
    vocab: 256,
    n_embd: 64,
    n_head: 4,
    n_kv_head: 2,
    n_layer: 2,
    n_ff: 128,
    ctx: 128,
};

fn mix(mut z: u64) -> u64 {
    z = z.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

fn random(seed: u64, n: usize, scale: f32) -> Vec<f32> {
    (0..n)
        .map(|i| {
            let u = (mix(seed ^ (i as u64).wrapping_mul(0x100_0000_01B3)) >> 40) as f32
                / (1u64 << 24) as f32;
            (u * 2.0 - 1.0) * scale
        })
        .collect()
}

pub type Metadata = Vec<(String, Value)>;
pub type Tensors = Vec<(String, QTensor)>;

/// Write a random llama of `s` with 2-D weights in `ty` and 1-D norms in f32.
pub fn write_llama(path: &Path, s: &Shape, ty: GgmlDType, seed: u64) {
    let (md, tensors) = build_llama(s, ty, seed);
    write(path, &md, &tensors);
}

/// The metadata and tensors of a random llama, for tests that edit them before writing.
pub fn build_llama(s: &Shape, ty: GgmlDType, seed: u64) -> (Metadata, Tensors) {
    let hd = s.n_embd / s.n_head;
    let mut tensors: Vec<(String, QTensor)> = Vec::new();
    let mut k = seed;
    let mut add = |name: String, dims: Vec<usize>, ty: GgmlDType| {
        k = mix(k);
        let n: usize = dims.iter().product();
        let data = if dims.len() == 1 {
            random(k, n, 0.2).into_iter().map(|x| 1.0 + x).collect()
        } else {
            random(k, n, 1.7 / (dims[1] as f32).sqrt())
        };
        let t = Tensor::from_vec(data, dims, &Device::Cpu).unwrap();
        tensors.push((name, QTensor::quantize(&t, ty).unwrap()));
    };
    add("token_embd.weight".into(), vec![s.vocab, s.n_embd], ty);
    add("output_norm.weight".into(), vec![s.n_embd], GgmlDType::F32);
    add("output.weight".into(), vec![s.vocab, s.n_embd], ty);
    for i in 0..s.n_layer {
        let b = |n: &str| format!("blk.{i}.{n}.weight");
        add(b("attn_norm"), vec![s.n_embd], GgmlDType::F32);
        add(b("attn_q"), vec![s.n_head * hd, s.n_embd], ty);
        add(b("attn_k"), vec![s.n_kv_head * hd, s.n_embd], ty);
        add(b("attn_v"), vec![s.n_kv_head * hd, s.n_embd], ty);
        add(b("attn_output"), vec![s.n_embd, s.n_head * hd], ty);
        add(b("ffn_norm"), vec![s.n_embd], GgmlDType::F32);
        add(b("ffn_gate"), vec![s.n_ff, s.n_embd], ty);
        add(b("ffn_up"), vec![s.n_ff, s.n_embd], ty);
        add(b("ffn_down"), vec![s.n_embd, s.n_ff], ty);
    }
    let md: Vec<(&str, Value)> = vec![
        ("general.architecture", Value::String("llama".into())),
        ("llama.context_length", Value::U32(s.ctx as u32)),
        ("llama.embedding_length", Value::U32(s.n_embd as u32)),
        ("llama.block_count", Value::U32(s.n_layer as u32)),
        ("llama.feed_forward_length", Value::U32(s.n_ff as u32)),
        ("llama.attention.head_count", Value::U32(s.n_head as u32)),
        (
            "llama.attention.head_count_kv",
            Value::U32(s.n_kv_head as u32),
        ),
        ("llama.rope.dimension_count", Value::U32(hd as u32)),
        ("llama.attention.layer_norm_rms_epsilon", Value::F32(1e-5)),
        ("llama.rope.freq_base", Value::F32(10000.0)),
    ];
    let md = md.into_iter().map(|(k, v)| (k.to_string(), v)).collect();
    (md, tensors)
}

/// Write `md` and `tensors` as a GGUF file with candle's writer.
pub fn write(path: &Path, md: &Metadata, tensors: &Tensors) {
    let md_refs: Vec<(&str, &Value)> = md.iter().map(|(k, v)| (k.as_str(), v)).collect();
    let t_refs: Vec<(&str, &QTensor)> = tensors.iter().map(|(k, v)| (k.as_str(), v)).collect();
    let mut f = std::fs::File::create(path).unwrap();
    gguf_file::write(&mut f, &md_refs, &t_refs).unwrap();
}

/// Overwrite the type id of tensor `name` in the tensor table of the GGUF file at `path`.
pub fn patch_tensor_type(path: &Path, name: &str, type_id: u32) {
    let mut bytes = std::fs::read(path).unwrap();
    let needle = name.as_bytes();
    let at = bytes
        .windows(needle.len())
        .position(|w| w == needle)
        .unwrap_or_else(|| panic!("tensor {name} not in file"));
    let n_dims_at = at + needle.len();
    let n_dims = u32::from_le_bytes(bytes[n_dims_at..n_dims_at + 4].try_into().unwrap()) as usize;
    let type_at = n_dims_at + 4 + 8 * n_dims;
    bytes[type_at..type_at + 4].copy_from_slice(&type_id.to_le_bytes());
    std::fs::write(path, bytes).unwrap();
}

pub fn spec(path: &Path) -> ModelSpec {
    ModelSpec {
        path: path.to_path_buf(),
        format: ModelFormat::Gguf,
        quant: None,
    }
}

/// A tiny model of type `ty` in a temp dir (kept alive by the returned guard).
pub fn tiny(ty: GgmlDType) -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("tiny.gguf");
    write_llama(&path, &TINY, ty, 42);
    (dir, path)
}
