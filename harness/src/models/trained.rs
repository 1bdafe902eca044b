//! Trained models (`trained = "kjv-small"`, `edgebench model train`): trained once by
//! `edgebench-train` and kept in the per-user cache (keyed by preset, seed, corpus sha256 and
//! training code version), then written at the asked quantization from the cached f32 weights.
//! The lean build (no `train` feature) says how to get them; reading the held-out passage
//! beside a trained model file ([`eval_text`]) works in every build.

use std::path::Path;

/// The held-out evaluation passage of a trained model file (`eval.txt` in its directory,
/// written with `training.json` at training time); `None` for any other model.
pub fn eval_text(model_file: &Path) -> Option<String> {
    let dir = model_file.parent()?;
    if !dir.join("training.json").is_file() {
        return None;
    }
    std::fs::read_to_string(dir.join("eval.txt")).ok()
}

#[cfg(feature = "train")]
mod enabled {
    use anyhow::{anyhow, bail, Context, Result};
    use edgebench_backend::ModelFormat;
    use edgebench_train::{cache, corpus, CachedModel, TrainPreset};
    use std::path::{Path, PathBuf};

    fn preset_of(name: &str) -> Result<TrainPreset> {
        name.parse::<TrainPreset>().map_err(|e| anyhow!("{e}"))
    }

    /// The cached model of `preset`/`seed` (training it on first use), from `root` or the
    /// default cache; `corpus_file` replaces the KJV. Kept for the process: a run asks for the
    /// same model for every point and every verify variant, and reading and hashing the corpus
    /// and loading the weights once is enough (this also says "found"/"training" once).
    pub fn cached(
        preset: TrainPreset,
        seed: u64,
        corpus_file: Option<&Path>,
        root: Option<&Path>,
    ) -> Result<CachedModel> {
        type Key = (TrainPreset, u64, Option<PathBuf>, Option<PathBuf>);
        static KEPT: std::sync::Mutex<Vec<(Key, CachedModel)>> = std::sync::Mutex::new(Vec::new());
        let key: Key = (
            preset,
            seed,
            corpus_file.map(Path::to_path_buf),
            root.map(Path::to_path_buf),
        );
        let mut kept = KEPT.lock().unwrap_or_else(|e| e.into_inner());
        if let Some((_, m)) = kept.iter().find(|(k, _)| *k == key) {
            return Ok(m.clone());
        }
        let m = load_or_train(preset, seed, corpus_file, root)?;
        kept.push((key, m.clone()));
        Ok(m)
    }

    fn load_or_train(
        preset: TrainPreset,
        seed: u64,
        corpus_file: Option<&Path>,
        root: Option<&Path>,
    ) -> Result<CachedModel> {
        let root = match root {
            Some(r) => r.to_path_buf(),
            None => cache::default_root().context(
                "no cache directory for trained models (set EDGEBENCH_TRAINED_DIR, XDG_CACHE_HOME or HOME)",
            )?,
        };
        let corpus = match corpus_file {
            Some(f) => corpus::from_file(f)?,
            None => corpus::load(edgebench_backend::user_cache_dir().as_deref())?,
        };
        let dir = cache::model_dir(&root, preset, seed, &corpus.sha256);
        if dir.join(cache::WEIGHTS_FILE).is_file() {
            eprintln!(
                "{preset}: trained model found in {}, not retraining",
                dir.display()
            );
        } else {
            eprintln!(
                "{preset}: training on {} (first use; cached in {} afterwards)",
                corpus.source,
                dir.display()
            );
        }
        let m = edgebench_train::load_or_train(&root, &corpus, preset, seed, true)?;
        if m.trained_now {
            let r = &m.report;
            eprintln!(
                "{preset}: trained in {:.0} s ({:.0} tokens/s): train loss {:.3}, validation loss {:.3} (perplexity {:.1})",
                r.train_time_s, r.tokens_per_s, r.final_train_loss, r.final_valid_loss, r.valid_perplexity
            );
        }
        Ok(m)
    }

    /// The file of one quantization of a cached model.
    pub fn file(m: &CachedModel, format: ModelFormat, quant: &str) -> Result<PathBuf> {
        Ok(match format {
            ModelFormat::Gguf => m.gguf(
                quant
                    .parse::<edgebench_reference::synth::SynthQuant>()
                    .map_err(|e| anyhow!("{e}"))?,
            )?,
            ModelFormat::Onnx => m.onnx(
                edgebench_onnx_export::OnnxVariant::parse(quant).ok_or_else(|| {
                    anyhow!("ONNX models come in f32, int8 and int4, not `{quant}`")
                })?,
            )?,
            ModelFormat::Mock => bail!("the mock backend needs no model file"),
        })
    }

    pub fn materialize(
        preset: &str,
        seed: u64,
        format: ModelFormat,
        quant: &str,
    ) -> Result<PathBuf> {
        let m = cached(preset_of(preset)?, seed, None, None)
            .with_context(|| format!("trained model `{preset}`"))?;
        file(&m, format, quant)
    }

    pub fn train_command(
        preset: &str,
        corpus_file: Option<&Path>,
        out: Option<&Path>,
        seed: u64,
    ) -> Result<i32> {
        let m = cached(preset_of(preset)?, seed, corpus_file, out)?;
        let mut files = Vec::new();
        for q in crate::scenario::GGUF_QUANTS {
            files.push(file(&m, ModelFormat::Gguf, q)?);
        }
        for q in crate::scenario::ONNX_QUANTS {
            files.push(file(&m, ModelFormat::Onnx, q)?);
        }
        let r = &m.report;
        println!(
            "{preset}: {} parameters, vocabulary {}, {} steps of {}×{} tokens ({:.2} epochs)",
            r.parameters, r.vocab_size, r.steps, r.batch, r.seq_len, r.epochs
        );
        println!(
            "train loss {:.3}, validation loss {:.3} (perplexity {:.1}); trained in {:.0} s at {:.0} tokens/s ({} threads)",
            r.final_train_loss, r.final_valid_loss, r.valid_perplexity, r.train_time_s, r.tokens_per_s, r.threads
        );
        println!(
            "corpus: {} (sha256 {}); {}",
            r.corpus_source, r.corpus_sha256, r.split
        );
        for p in r.curve.iter() {
            println!(
                "  step {:>5}: train {:.3}, validation {:.3}",
                p.step, p.train_loss, p.valid_loss
            );
        }
        println!("files in {}:", m.dir.display());
        for f in files {
            println!("  {}", f.display());
        }
        Ok(0)
    }
}

#[cfg(not(feature = "train"))]
mod enabled {
    use anyhow::{bail, Result};
    use edgebench_backend::ModelFormat;
    use std::path::{Path, PathBuf};

    const MISSING: &str = crate::scenario::TRAIN_NOT_COMPILED;

    pub fn materialize(preset: &str, _: u64, _: ModelFormat, _: &str) -> Result<PathBuf> {
        bail!("trained model `{preset}`: {MISSING}")
    }

    pub fn train_command(_: &str, _: Option<&Path>, _: Option<&Path>, _: u64) -> Result<i32> {
        bail!("{MISSING}")
    }
}

/// `materialize`: the file a `trained` point loads (training the model on first use);
/// `train_command`: `edgebench model train`, train (or find in the cache, or in `out`), write
/// every quantization, print the report.
pub use enabled::{materialize, train_command};
