//! Model files for a plan: synthesize `synth:` presets into a model directory (once per preset,
//! quantization, seed and format; reused across runs), and fingerprint files (sha256, size).
//! A model path must name a regular file: it is checked without blocking, so a FIFO or a
//! device (`/dev/zero`) fails its point at once instead of hanging the run.

use anyhow::{bail, Context, Result};
use edgebench_backend::ModelFormat;
use sha2::{Digest, Sha256};
use std::collections::HashMap;
use std::io::Read;
use std::path::{Path, PathBuf};

use crate::plan::ModelSource;

mod trained;
pub use trained::{eval_text, train_command};

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
            open_regular(path)?;
            Ok(path.clone())
        }
        ModelSource::Mock { spec } => Ok(PathBuf::from(spec)),
        ModelSource::Trained { preset, seed } => trained::materialize(preset, *seed, format, quant),
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

/// What a file that is not a regular file is, for messages.
fn kind_of(t: std::fs::FileType) -> &'static str {
    use std::os::unix::fs::FileTypeExt;
    if t.is_dir() {
        "a directory"
    } else if t.is_fifo() {
        "a FIFO (named pipe)"
    } else if t.is_char_device() {
        "a character device"
    } else if t.is_block_device() {
        "a block device"
    } else if t.is_socket() {
        "a socket"
    } else {
        "not a file"
    }
}

/// Open a model file for reading, refusing at once (never blocking) anything but a regular
/// file: a FIFO would block the open or the read forever, `/dev/zero` would never end.
pub fn open_regular(path: &Path) -> Result<std::fs::File> {
    let f = crate::sys::open_nonblocking(path)
        .with_context(|| format!("opening model file {}", path.display()))?;
    let t = f
        .metadata()
        .with_context(|| format!("reading the type of {}", path.display()))?
        .file_type();
    if !t.is_file() {
        bail!(
            "model file {} is {} and not a regular file; point the scenario's `path` at a model file (.gguf or .onnx)",
            path.display(),
            kind_of(t)
        );
    }
    Ok(f)
}

/// sha256 and size of a regular file (anything else is refused at once, see [`open_regular`]).
pub fn sha256_file(path: &Path) -> Result<(String, u64)> {
    let mut f = open_regular(path)?;
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fifos_and_devices_are_refused_without_blocking() {
        let d = tempfile::tempdir().unwrap();
        let fifo = d.path().join("m.gguf");
        assert!(std::process::Command::new("mkfifo")
            .arg(&fifo)
            .status()
            .unwrap()
            .success());
        let e = format!("{:#}", sha256_file(&fifo).unwrap_err());
        assert!(
            e.contains("a FIFO (named pipe) and not a regular file"),
            "{e}"
        );
        let zero = d.path().join("z.gguf");
        std::os::unix::fs::symlink("/dev/zero", &zero).unwrap();
        let e = format!("{:#}", sha256_file(&zero).unwrap_err());
        assert!(e.contains("a character device"), "{e}");
        let ok = d.path().join("ok.gguf");
        std::fs::write(&ok, b"abc").unwrap();
        let (sha, len) = sha256_file(&ok).unwrap();
        assert_eq!(len, 3);
        assert!(sha.starts_with("ba7816bf"), "{sha}");
    }
}
