//! Scenario files: the TOML a user writes to declare what to benchmark. Parsing is strict
//! (unknown fields are errors with a "did you mean"), every error names the file, the line and
//! the field, and list values sweep as a matrix (expanded by [`crate::plan`]).

mod validate;

use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};

pub use validate::ScenarioError;

/// Quantizations a synthesized model can be written in, per file format.
pub const GGUF_QUANTS: &[&str] = &["f32", "f16", "q8_0", "q4_0", "q4_k_m"];
pub const ONNX_QUANTS: &[&str] = &["f32", "int8", "int4"];
/// Why a `trained` model cannot be had in a build without the `train` feature, and the fix.
pub const TRAIN_NOT_COMPILED: &str = "training is not compiled into this build (the lean build leaves candle out); rebuild with `--features train`, or train elsewhere with `edgebench model train --out DIR` and use the GGUF file with `path = ...`";

/// Presets `trained = "..."` accepts (trained on the KJV by `edgebench-train`).
pub const TRAINED_PRESETS: &[&str] = &["kjv-micro", "kjv-small"];

/// `fp32` → `f32`, `fp16` → `f16`, lower case otherwise.
pub fn normalize_quant(q: &str) -> String {
    match q.to_ascii_lowercase().as_str() {
        "fp32" => "f32".into(),
        "fp16" => "f16".into(),
        other => other.to_string(),
    }
}

/// The built-in default scenario (also shipped as `scenarios/quick.toml`), used when that file
/// is not found so `edgebench run` works from any directory.
pub const BUILTIN_QUICK: &str = include_str!("../../scenarios/quick.toml");

/// A value or a list of values; a list sweeps.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(untagged, expecting = "a value or a list of values")]
pub enum OneOrMany<T> {
    One(T),
    Many(Vec<T>),
}

impl<T: Clone> OneOrMany<T> {
    pub fn values(&self) -> Vec<T> {
        match self {
            OneOrMany::One(v) => vec![v.clone()],
            OneOrMany::Many(v) => v.clone(),
        }
    }
}

/// A scenario's explicit prompt: `prompt = [1, 2, 3]` or `prompt = "In the beginning"`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(untagged, expecting = "a list of token ids or a text string")]
pub enum Prompt {
    Ids(Vec<u32>),
    Text(String),
}

/// How many runs one point makes. The scenario declares it (as flat fields, for the TOML
/// file), the plan and the worker carry it as this one struct.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Repetitions {
    /// Unmeasured runs before the measured ones.
    pub warmup: usize,
    /// Measured runs (at least).
    pub repetitions: usize,
    /// Upper bound on measured runs when `min_duration_s` asks for more.
    pub max_repetitions: usize,
    /// Keep adding measured runs until this much time was spent measuring (seconds).
    pub min_duration_s: f64,
}

impl Repetitions {
    /// `n` measured runs, nothing else (calibrations).
    pub fn exactly(warmup: usize, n: usize) -> Self {
        Repetitions {
            warmup,
            repetitions: n,
            max_repetitions: n,
            min_duration_s: 0.0,
        }
    }
}

/// A scenario as written in the file.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Scenario {
    pub name: String,
    #[serde(default)]
    pub description: Option<String>,
    pub models: Vec<ModelEntry>,
    /// Backend names, or `["all"]` for every backend compiled into this build.
    pub backends: OneOrMany<String>,
    /// Prompt length in tokens (ids drawn deterministically from `seed`); sweeps.
    #[serde(default)]
    pub prompt_tokens: Option<OneOrMany<usize>>,
    /// An explicit prompt (instead of `prompt_tokens`): token ids, or text the model's own
    /// tokenizer encodes (models with a tokenizer only).
    #[serde(default)]
    pub prompt: Option<Prompt>,
    /// Tokens to generate per run (the first one comes from the prefill); sweeps.
    pub gen_tokens: OneOrMany<usize>,
    #[serde(default = "one")]
    pub threads: OneOrMany<usize>,
    /// Unmeasured runs before the measured ones, per point.
    #[serde(default = "default_warmup")]
    pub warmup: usize,
    /// Measured runs per point (at least).
    #[serde(default = "default_repetitions")]
    pub repetitions: usize,
    /// Keep adding measured runs until this much time was spent measuring (seconds).
    #[serde(default)]
    pub min_duration_s: f64,
    /// Upper bound on measured runs when `min_duration_s` asks for more.
    #[serde(default = "default_max_repetitions")]
    pub max_repetitions: usize,
    /// Seed of the prompt token ids and of synthesized weights.
    #[serde(default = "default_seed")]
    pub seed: u64,
    /// Pause between points (seconds) so the device cools down.
    #[serde(default)]
    pub cooldown_s: f64,
    /// Interleave the points' repetitions: round 1 of every point, then round 2, ... (one
    /// worker per point and round), so slow drifts of a shared machine hit every point alike
    /// (`edgebench run --alternate` sets it too).
    #[serde(default)]
    pub alternate: bool,
    /// Per-token latency budget (ms); the report says what fraction of tokens met it.
    #[serde(default)]
    pub latency_budget_ms_per_token: Option<f64>,
    /// Evict the model file from the page cache before loading (measures cold load).
    #[serde(default)]
    pub cold_load: bool,
    /// A point whose worker runs longer than this is killed and marked failed (seconds).
    #[serde(default = "default_timeout_s")]
    pub timeout_s: f64,
    /// Check cross-backend agreement before timing.
    #[serde(default)]
    pub verify: bool,
    /// Power source: `auto`, `none`, or a named source.
    #[serde(default)]
    pub power: Option<String>,
    /// `edgebench compare`'s threshold when this run is the new side (percent; default 5).
    #[serde(default)]
    pub regression_threshold_pct: Option<f64>,
}

/// One model: a file, or a `synth` preset the harness generates (deterministic from `seed`).
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ModelEntry {
    /// A stable display name and comparison key (`compare`, `history`) for this model, kept
    /// when its path or mock cost changes between runs; default: the preset or file stem.
    #[serde(default)]
    pub name: Option<String>,
    /// Synthesize a model of this preset (`tiny`, `stories15m`, `smollm-135m`, `tinyllama-1.1b`).
    #[serde(default)]
    pub synth: Option<String>,
    /// Or a model trained on the KJV (`kjv-small`, `kjv-micro`), cached after the first run.
    #[serde(default)]
    pub trained: Option<String>,
    /// Or use this file (relative paths are relative to the scenario file).
    #[serde(default)]
    pub path: Option<PathBuf>,
    /// Quantizations: for `synth`, which variants to make (sweeps); for `path`, a label.
    #[serde(default)]
    pub quant: Option<OneOrMany<String>>,
    /// Restrict this model to some backends.
    #[serde(default)]
    pub backends: Option<Vec<String>>,
    /// Override the scenario's seed for this model's weights.
    #[serde(default)]
    pub seed: Option<u64>,
    /// `path` models only: the file's expected sha256 (64 hex digits); a mismatch fails the
    /// model's points before load ([`crate::integrity`]).
    #[serde(default)]
    pub sha256: Option<String>,
    /// `path` models only: the file's minisign signature (relative to the scenario file);
    /// default `<path>.minisig` when `trusted_keys` is set.
    #[serde(default)]
    pub signature: Option<PathBuf>,
    /// minisign public keys (`RW...`), one of which must have signed the file.
    #[serde(default)]
    pub trusted_keys: Option<Vec<String>>,
    /// A held-out text file (relative to the scenario file) on which `verify = true` measures
    /// perplexity and KL vs f32, for a model with a tokenizer; trained models bring their own.
    #[serde(default)]
    pub eval_text: Option<PathBuf>,
}

impl ModelEntry {
    /// This model's sha256 pin and signature requirement, paths resolved against `base_dir`
    /// (the scenario file's directory); an error names the field and the fix.
    pub fn integrity(
        &self,
        base_dir: &Path,
    ) -> Result<Option<crate::integrity::Requirement>, String> {
        let declared = crate::integrity::Declared {
            path: self.path.as_deref(),
            synth: self.synth.is_some() || self.trained.is_some(),
            sha256: self.sha256.as_deref(),
            signature: self.signature.as_deref(),
            trusted_keys: self.trusted_keys.as_deref(),
        };
        crate::integrity::requirement(declared, base_dir)
    }
}

fn one() -> OneOrMany<usize> {
    OneOrMany::One(1)
}
fn default_warmup() -> usize {
    1
}
fn default_repetitions() -> usize {
    3
}
fn default_max_repetitions() -> usize {
    100
}
fn default_seed() -> u64 {
    42
}
fn default_timeout_s() -> f64 {
    600.0
}

impl Scenario {
    /// The repetition settings every point of this scenario uses.
    pub fn runs(&self) -> Repetitions {
        Repetitions {
            warmup: self.warmup,
            repetitions: self.repetitions,
            max_repetitions: self.max_repetitions,
            min_duration_s: self.min_duration_s,
        }
    }
}

/// A parsed scenario with where it came from.
#[derive(Debug, Clone)]
pub struct LoadedScenario {
    pub scenario: Scenario,
    /// `None` for the built-in default.
    pub path: Option<PathBuf>,
    pub source: String,
}

impl LoadedScenario {
    /// Directory relative model paths are resolved against.
    pub fn base_dir(&self) -> PathBuf {
        self.path
            .as_ref()
            .and_then(|p| p.parent().map(Path::to_path_buf))
            .unwrap_or_else(|| PathBuf::from("."))
    }
}

/// Read and validate a scenario file.
pub fn load(path: &Path) -> Result<LoadedScenario, ScenarioError> {
    let source = std::fs::read_to_string(path).map_err(|e| ScenarioError::Read {
        path: path.to_path_buf(),
        source: e,
    })?;
    parse(&source, Some(path))
}

/// Parse and validate scenario text; `path` is used in messages.
pub fn parse(source: &str, path: Option<&Path>) -> Result<LoadedScenario, ScenarioError> {
    let scenario: Scenario =
        toml::from_str(source).map_err(|e| validate::from_toml(e, source, path))?;
    validate::check(&scenario, source, path)?;
    let base = path.and_then(Path::parent).unwrap_or(Path::new("."));
    let integrity = |m: &ModelEntry| m.integrity(base).map(drop);
    scenario
        .models
        .iter()
        .try_for_each(integrity)
        .map_err(|message| ScenarioError::Invalid {
            file: path.map_or_else(|| "<built-in>".into(), |p| p.display().to_string()),
            line: String::new(),
            message,
        })?;
    Ok(LoadedScenario {
        scenario,
        path: path.map(Path::to_path_buf),
        source: source.to_string(),
    })
}
