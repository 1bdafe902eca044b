//! Model files for a plan: synthesize `synth:` presets into a model directory (once per preset,
//! quantization, seed and format; reused across runs), and fingerprint files (sha256, size).

use anyhow::{bail, Context, Result};
use edgebench_backend::ModelFormat;
use sha2::{Digest, Sha256};
use std::collections::HashMap;
use std::io::Read;
use std::path::{Path, PathBuf};

use crate::plan::ModelSource;

/// Bumped whenever the synthesizer's output changes, so stale cached files are not reused.
const SYNTH_VERSION: u32 = 1;

/// Default directory for synthesized models: `$EDGEBENCH_MODEL_DIR` or `./.models`.
pub fn default_model_dir() -> PathBuf {
    std::env::var_os("EDGEBENCH_MODEL_DIR").map_or_else(|| PathBuf::from(".models"), PathBuf::from)
}

/// File name of a synthesized model.
pub fn synth_file_name(preset: &str, quant: &str, seed: u64, format: ModelFormat) -> String {
    format!(
        "{preset}-{quant}-s{seed}-v{SYNTH_VERSION}.{}",
        format.as_str()
    )
}

/// Write a synthesized model (atomically: temp file then rename).
pub fn synthesize(
    preset: &str,
    quant: &str,
    seed: u64,
    format: ModelFormat,
    out: &Path,
) -> Result<()> {
    let p: edgebench_reference::synth::Preset = preset
        .parse()
        .map_err(|e| anyhow::anyhow!("{e}"))
        .with_context(|| format!("synthesizing preset `{preset}`"))?;
    if let Some(dir) = out.parent() {
        std::fs::create_dir_all(dir)
            .with_context(|| format!("creating model directory {}", dir.display()))?;
    }
    let tmp = out.with_extension(format!("{}.partial", std::process::id()));
    let weights = edgebench_reference::synth::canonical_weights(p, seed);
    match format {
        ModelFormat::Gguf => {
            let q: edgebench_reference::synth::SynthQuant = quant
                .parse()
                .map_err(|e| anyhow::anyhow!("{e}"))
                .context("GGUF quantization")?;
            edgebench_reference::synth::write_gguf(&weights, q, &tmp)
                .with_context(|| format!("writing {}", tmp.display()))?;
        }
        ModelFormat::Onnx => crate::onnx_synth::write(&weights, quant, &tmp)?,
        ModelFormat::Mock => bail!("the mock backend needs no model file"),
    }
    std::fs::rename(&tmp, out).with_context(|| format!("moving {} into place", out.display()))?;
    Ok(())
}

/// The file a point loads, synthesizing it first when needed.
pub fn materialize(
    source: &ModelSource,
    format: ModelFormat,
    quant: &str,
    model_dir: &Path,
) -> Result<PathBuf> {
    match source {
        ModelSource::File { path } => {
            if !path.exists() {
                bail!("model file {} does not exist; check the `path` in the scenario (relative paths are relative to the scenario file)", path.display());
            }
            Ok(path.clone())
        }
        ModelSource::Mock { spec } => Ok(PathBuf::from(spec)),
        ModelSource::Synth { preset, seed } => {
            let out = model_dir.join(synth_file_name(preset, quant, *seed, format));
            if !out.exists() {
                synthesize(preset, quant, *seed, format, &out)?;
            }
            Ok(out)
        }
    }
}

/// sha256 and size of files, cached for the length of a run.
#[derive(Debug, Default)]
pub struct Fingerprints {
    cache: HashMap<PathBuf, (String, u64)>,
}

impl Fingerprints {
    pub fn of(&mut self, path: &Path) -> Result<(String, u64)> {
        if let Some(v) = self.cache.get(path) {
            return Ok(v.clone());
        }
        let v = sha256_file(path)?;
        self.cache.insert(path.to_path_buf(), v.clone());
        Ok(v)
    }
}

pub fn sha256_file(path: &Path) -> Result<(String, u64)> {
    let mut f = std::fs::File::open(path).with_context(|| format!("opening {}", path.display()))?;
    let mut h = Sha256::new();
    let mut buf = vec![0u8; 1 << 20];
    let mut total = 0u64;
    loop {
        let n = f
            .read(&mut buf)
            .with_context(|| format!("reading {}", path.display()))?;
        if n == 0 {
            break;
        }
        total += n as u64;
        h.update(&buf[..n]);
    }
    Ok((hex::encode(h.finalize()), total))
}
