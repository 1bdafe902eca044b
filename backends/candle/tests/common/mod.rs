//! Test support: model files from the shared synthesizer (`edgebench_reference::synth`, the
//! same files the reference engine runs), and edited copies of them for the error tests
//! (read with candle's GGUF reader, changed, written back with candle's GGUF writer).
#![allow(dead_code)]

use candle_core::quantized::gguf_file::{self, Value};
use candle_core::quantized::QTensor;
use candle_core::Device;
use edgebench_backend::{ModelFormat, ModelSpec};
use edgebench_reference::synth::{write_preset_gguf, Preset, SynthQuant};
use std::path::{Path, PathBuf};

pub const SEED: u64 = 42;
/// The tiny preset's vocabulary.
pub const TINY_VOCAB: usize = 256;

pub type Metadata = Vec<(String, Value)>;
pub type Tensors = Vec<(String, QTensor)>;

/// Synthesize `preset` in `quant` with [`SEED`] into `dir`.
pub fn synth(dir: &Path, preset: Preset, quant: SynthQuant) -> PathBuf {
    let path = dir.join(format!("{}-{}.gguf", preset.name(), quant.name()));
    write_preset_gguf(preset, SEED, quant, &path).expect("synthesize gguf");
    path
}

/// The tiny preset in `quant`, in a temp dir kept alive by the returned guard.
pub fn tiny(quant: SynthQuant) -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let path = synth(dir.path(), Preset::Tiny, quant);
    (dir, path)
}

pub fn spec(path: &Path) -> ModelSpec {
    ModelSpec {
        path: path.to_path_buf(),
        format: ModelFormat::Gguf,
        quant: None,
    }
}

/// Copy the GGUF file `src` to `dst` after `edit` changed its metadata and tensors.
pub fn edit(src: &Path, dst: &Path, edit: impl FnOnce(&mut Metadata, &mut Tensors)) {
    let mut f = std::fs::File::open(src).unwrap();
    let ct = gguf_file::Content::read(&mut f).unwrap();
    let mut names: Vec<&String> = ct.tensor_infos.keys().collect();
    names.sort();
    let mut tensors: Tensors = names
        .into_iter()
        .map(|n| (n.clone(), ct.tensor(&mut f, n, &Device::Cpu).unwrap()))
        .collect();
    let mut md: Metadata = ct.metadata.into_iter().collect();
    md.sort_by(|a, b| a.0.cmp(&b.0));
    edit(&mut md, &mut tensors);
    let md_refs: Vec<(&str, &Value)> = md.iter().map(|(k, v)| (k.as_str(), v)).collect();
    let t_refs: Vec<(&str, &QTensor)> = tensors.iter().map(|(k, v)| (k.as_str(), v)).collect();
    let mut out = std::fs::File::create(dst).unwrap();
    gguf_file::write(&mut out, &md_refs, &t_refs).unwrap();
}

/// Set metadata `key` to `value` (adding it if absent).
pub fn set(md: &mut Metadata, key: &str, value: Value) {
    md.retain(|(k, _)| k != key);
    md.push((key.to_string(), value));
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
