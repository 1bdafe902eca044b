//! Trained models in the per-user cache: one directory per preset, seed, corpus sha256, recipe
//! fingerprint and [`TRAIN_CODE_VERSION`], holding the f32 weights (`weights.safetensors`), `tokenizer.json`,
//! `training.json` (the report) and `eval.txt` (the held-out passage). A second request finds
//! the directory and trains nothing; model files of each quantization are written from the
//! cached weights the first time they are asked for.

use crate::corpus::Corpus;
use crate::export::{load_weights, save_weights};
use crate::{train, TrainError, TrainOptions, TrainPreset, TrainReport, TRAIN_CODE_VERSION};
use edgebench_reference::synth::{LlamaWeights, SynthQuant};
use edgebench_tokenizer::Tokenizer;
use std::path::{Path, PathBuf};

pub const WEIGHTS_FILE: &str = "weights.safetensors";
pub const TOKENIZER_FILE: &str = "tokenizer.json";
pub const REPORT_FILE: &str = "training.json";
/// The held-out evaluation passage, beside every model file of a trained model.
pub const EVAL_FILE: &str = "eval.txt";

/// `$EDGEBENCH_TRAINED_DIR`, else `$XDG_CACHE_HOME/edgebench/trained`, else
/// `$HOME/.cache/edgebench/trained`.
pub fn default_root() -> Option<PathBuf> {
    let var = |k: &str| {
        std::env::var_os(k)
            .filter(|v| !v.is_empty())
            .map(PathBuf::from)
    };
    var("EDGEBENCH_TRAINED_DIR")
        .or_else(|| edgebench_backend::user_cache_dir().map(|c| c.join("trained")))
}

/// The directory of one trained model under `root`: preset, seed, corpus sha256, recipe
/// fingerprint and code version in the name.
pub fn model_dir(root: &Path, preset: TrainPreset, seed: u64, corpus_sha256: &str) -> PathBuf {
    let sha = &corpus_sha256[..corpus_sha256.len().min(12)];
    root.join(format!(
        "{}-s{seed}-c{sha}-r{}-v{TRAIN_CODE_VERSION}",
        preset.name(),
        preset.recipe().fingerprint()
    ))
}

/// A trained model as the cache holds it.
#[derive(Debug, Clone)]
pub struct CachedModel {
    pub dir: PathBuf,
    pub preset: TrainPreset,
    pub weights: LlamaWeights,
    pub tokenizer: Tokenizer,
    pub report: TrainReport,
    /// `true` when this call trained it (`false`: found in the cache).
    pub trained_now: bool,
}

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> TrainError + '_ {
    move |source| TrainError::Io {
        path: path.to_path_buf(),
        source,
    }
}

/// The model of `preset`/`seed` on `corpus` from `root`, training (and storing) it first when
/// the cache does not have it.
pub fn load_or_train(
    root: &Path,
    corpus: &Corpus,
    preset: TrainPreset,
    seed: u64,
    progress: bool,
) -> Result<CachedModel, TrainError> {
    let dir = model_dir(root, preset, seed, &corpus.sha256);
    if dir.join(WEIGHTS_FILE).is_file() {
        return load(&dir, preset).map(|mut m| {
            m.trained_now = false;
            m
        });
    }
    let t = train(
        corpus,
        &TrainOptions {
            preset,
            seed,
            checkpoint_dir: Some(dir.with_extension("checkpoints")),
            progress,
            stop_after: None,
        },
    )?;
    // Written into a scratch directory and renamed, so a killed run leaves no half model.
    std::fs::create_dir_all(root).map_err(io(root))?;
    let scratch = root.join(format!(".partial-{}-{}", preset.name(), std::process::id()));
    std::fs::create_dir_all(&scratch).map_err(io(&scratch))?;
    save_weights(&t.weights, &scratch.join(WEIGHTS_FILE))?;
    t.tokenizer
        .write_hf_json(&scratch.join(TOKENIZER_FILE))
        .map_err(|e| TrainError::Invalid(e.to_string()))?;
    let report = serde_json::to_string_pretty(&t.report).expect("the report serializes");
    std::fs::write(scratch.join(REPORT_FILE), report).map_err(io(&scratch))?;
    std::fs::write(scratch.join(EVAL_FILE), &t.eval_text).map_err(io(&scratch))?;
    if std::fs::rename(&scratch, &dir).is_err() {
        // Another process stored the same model meanwhile: keep theirs.
        let _ = std::fs::remove_dir_all(&scratch);
    }
    let _ = std::fs::remove_dir_all(dir.with_extension("checkpoints"));
    Ok(CachedModel {
        dir,
        preset,
        weights: t.weights,
        tokenizer: t.tokenizer,
        report: t.report,
        trained_now: true,
    })
}

/// Read a cached model directory.
pub fn load(dir: &Path, preset: TrainPreset) -> Result<CachedModel, TrainError> {
    let tokenizer = Tokenizer::from_hf_json_file(&dir.join(TOKENIZER_FILE))
        .map_err(|e| TrainError::Invalid(format!("{e}; delete {} to retrain", dir.display())))?;
    let report_path = dir.join(REPORT_FILE);
    let text = std::fs::read_to_string(&report_path).map_err(io(&report_path))?;
    let report: TrainReport = serde_json::from_str(&text).map_err(|e| {
        TrainError::Invalid(format!(
            "{}: {e}; delete {} to retrain",
            report_path.display(),
            dir.display()
        ))
    })?;
    let mut config = preset.recipe().config;
    config.vocab_size = tokenizer.vocab_size();
    let weights = load_weights(&config, &dir.join(WEIGHTS_FILE))?;
    Ok(CachedModel {
        dir: dir.to_path_buf(),
        preset,
        weights,
        tokenizer,
        report,
        trained_now: false,
    })
}

impl CachedModel {
    /// The GGUF file of quantization `quant` (f32, f16, q8_0, q4_0, q4_k_m), written on first
    /// use with the tokenizer embedded.
    pub fn gguf(&self, quant: SynthQuant) -> Result<PathBuf, TrainError> {
        let path = self
            .dir
            .join(format!("{}-{}.gguf", self.preset.name(), quant.name()));
        if !path.is_file() {
            let tmp = self
                .dir
                .join(format!(".{}.partial-{}", quant.name(), std::process::id()));
            edgebench_reference::synth::write_gguf_with_vocab(
                &self.weights,
                quant,
                &self.tokenizer.gguf_metadata(),
                &tmp,
            )
            .map_err(|e| TrainError::Invalid(e.to_string()))?;
            std::fs::rename(&tmp, &path).map_err(io(&path))?;
        }
        Ok(path)
    }

    /// The ONNX file of `variant`, written on first use (`tokenizer.json` is beside it).
    pub fn onnx(&self, variant: edgebench_onnx_export::OnnxVariant) -> Result<PathBuf, TrainError> {
        let q = match variant {
            edgebench_onnx_export::OnnxVariant::Fp32 => "f32",
            other => other.as_str(),
        };
        let path = self.dir.join(format!("{}-{q}.onnx", self.preset.name()));
        if !path.is_file() {
            let tmp = self
                .dir
                .join(format!(".{q}.partial-{}.onnx", std::process::id()));
            edgebench_onnx_export::write_onnx(&self.weights, variant, &tmp)
                .map_err(|e| TrainError::Invalid(e.to_string()))?;
            std::fs::rename(&tmp, &path).map_err(io(&path))?;
        }
        Ok(path)
    }

    /// The held-out evaluation passage.
    pub fn eval_text(&self) -> Result<String, TrainError> {
        let p = self.dir.join(EVAL_FILE);
        std::fs::read_to_string(&p).map_err(io(&p))
    }
}
