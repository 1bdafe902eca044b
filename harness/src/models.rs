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

/// Write a synthesized model, streaming one tensor at a time (a 1.1B model is never held in
/// memory as f32). Written into a scratch directory and moved into place, so a killed run never
/// leaves a half-written file under the final name (ONNX files over 2 GB come with a `_data`
/// sidecar that moves with them).
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
    let dir = out.parent().unwrap_or(Path::new("."));
    std::fs::create_dir_all(dir)
        .with_context(|| format!("creating model directory {}", dir.display()))?;
    let scratch = dir.join(format!(".partial-{}", std::process::id()));
    std::fs::create_dir_all(&scratch).with_context(|| format!("creating {}", scratch.display()))?;
    let name = out.file_name().context("model path has no file name")?;
    let tmp = scratch.join(name);
    let written = match format {
        ModelFormat::Gguf => quant
            .parse::<edgebench_reference::synth::SynthQuant>()
            .map_err(|e| anyhow::anyhow!("{e}"))
            .context("GGUF quantization")
            .and_then(|q| {
                edgebench_reference::synth::write_preset_gguf(p, seed, q, &tmp)
                    .with_context(|| format!("writing {}", tmp.display()))
            }),
        ModelFormat::Onnx => crate::onnx_synth::write(p, seed, quant, &tmp),
        ModelFormat::Mock => Err(anyhow::anyhow!("the mock backend needs no model file")),
    };
    let moved = written.and_then(|()| {
        for entry in std::fs::read_dir(&scratch)? {
            let entry = entry?;
            std::fs::rename(entry.path(), dir.join(entry.file_name())).with_context(|| {
                format!("moving {} into {}", entry.path().display(), dir.display())
            })?;
        }
        Ok(())
    });
    let _ = std::fs::remove_dir_all(&scratch);
    moved
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
