//! Scenario validation and error messages that name the file, line and field. Every numeric
//! field has a range (the table [`INT_RANGES`] / [`SECONDS_RANGES`], documented in
//! `scenarios/README.md`); a value outside it is an error naming the field, the range and the
//! file, before anything runs.

use std::path::{Path, PathBuf};

use super::{normalize_quant, Prompt, Scenario, GGUF_QUANTS, ONNX_QUANTS, TRAINED_PRESETS};

/// Fields a scenario may hold (for "did you mean" suggestions).
const SCENARIO_FIELDS: &[&str] = &[
    "name",
    "description",
    "models",
    "backends",
    "prompt_tokens",
    "prompt",
    "gen_tokens",
    "threads",
    "warmup",
    "repetitions",
    "min_duration_s",
    "max_repetitions",
    "seed",
    "cooldown_s",
    "latency_budget_ms_per_token",
    "cold_load",
    "timeout_s",
    "verify",
    "power",
];
const MODEL_FIELDS: &[&str] = &[
    "synth",
    "trained",
    "path",
    "quant",
    "backends",
    "seed",
    "eval_text",
];

#[derive(Debug, thiserror::Error)]
pub enum ScenarioError {
    #[error("reading scenario file {}: {source}", path.display())]
    Read {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("scenario {file}{line}: {message}")]
    Invalid {
        file: String,
        line: String,
        message: String,
    },
}

fn file_name(path: Option<&Path>) -> String {
    path.map_or_else(|| "<built-in>".to_string(), |p| p.display().to_string())
}

/// 1-based line of the first `key = ...` in the source, if any.
fn line_of(source: &str, key: &str) -> Option<usize> {
    source
        .lines()
        .position(|l| {
            let t = l.trim_start();
            t.strip_prefix(key)
                .is_some_and(|rest| rest.trim_start().starts_with('='))
        })
        .map(|i| i + 1)
}

fn invalid(path: Option<&Path>, source: &str, field: &str, message: String) -> ScenarioError {
    ScenarioError::Invalid {
        file: file_name(path),
        line: line_of(source, field).map_or_else(String::new, |l| format!(" line {l}")),
        message: format!("field `{field}`: {message}"),
    }
}

/// Turn a TOML/serde error into one that names file, line and field, with a suggestion for
/// a misspelt field.
pub fn from_toml(err: toml::de::Error, source: &str, path: Option<&Path>) -> ScenarioError {
    let line = err
        .span()
        .map(|s| source[..s.start.min(source.len())].matches('\n').count() + 1);
    let mut message = err.message().to_string();
    if let Some(unknown) = message
        .strip_prefix("unknown field `")
        .and_then(|r| r.split('`').next())
        .map(str::to_string)
    {
        let known = if message.contains("`synth`") {
            MODEL_FIELDS
        } else {
            SCENARIO_FIELDS
        };
        if let Some(best) = known
            .iter()
            .map(|k| (strsim::jaro_winkler(&unknown, k), *k))
            .filter(|(s, _)| *s > 0.8)
            .max_by(|a, b| a.0.total_cmp(&b.0))
        {
            message = format!("unknown field `{unknown}` (did you mean `{}`?)", best.1);
        }
    }
    ScenarioError::Invalid {
        file: file_name(path),
        line: line.map_or_else(String::new, |l| format!(" line {l}")),
        message,
    }
}

/// The most prompt or generated tokens one point may ask for (2^20; the largest presets have a
/// context of a few thousand).
pub const MAX_TOKENS: usize = 1 << 20;
/// The most compute threads (the reference engine's pool has this bound too).
pub const MAX_THREADS: usize = 256;

/// Integer fields and their inclusive ranges (`max_repetitions` is also >= `repetitions`).
pub const INT_RANGES: &[(&str, usize, usize)] = &[
    ("prompt_tokens", 1, MAX_TOKENS),
    ("prompt", 1, MAX_TOKENS),
    ("gen_tokens", 1, MAX_TOKENS),
    ("threads", 1, MAX_THREADS),
    ("warmup", 0, 10_000),
    ("repetitions", 1, 100_000),
    ("max_repetitions", 1, 1_000_000),
];

/// Fields in seconds: (name, may be 0, most). `timeout_s` must be more than 0.
pub const SECONDS_RANGES: &[(&str, bool, f64)] = &[
    ("min_duration_s", true, 86_400.0),
    ("cooldown_s", true, 3_600.0),
    ("timeout_s", false, 604_800.0),
];

/// The most `latency_budget_ms_per_token` (an hour per token).
pub const MAX_LATENCY_BUDGET_MS: f64 = 3_600_000.0;

/// Semantic checks serde cannot express.
pub fn check(s: &Scenario, source: &str, path: Option<&Path>) -> Result<(), ScenarioError> {
    let bad = |field: &str, msg: String| Err(invalid(path, source, field, msg));
    if s.name.trim().is_empty() {
        return bad("name", "must not be empty".into());
    }
    if s.models.is_empty() {
        return bad(
            "models",
            "list at least one model (`[[models]]` with `synth` or `path`)".into(),
        );
    }
    for m in &s.models {
        let sources = [m.synth.is_some(), m.trained.is_some(), m.path.is_some()];
        if sources.iter().filter(|&&s| s).count() > 1 {
            return bad(
                "synth",
                "a model has one of `synth`, `trained` or `path`, not several".into(),
            );
        }
        if let Some(t) = m
            .trained
            .as_deref()
            .filter(|t| !TRAINED_PRESETS.contains(t))
        {
            return bad(
                "trained",
                format!(
                    "unknown training preset `{t}`; known: {}",
                    TRAINED_PRESETS.join(", ")
                ),
            );
        }
        if sources == [false; 3] {
            return bad(
                "models",
                "each model needs `synth = \"<preset>\"`, `trained = \"kjv-small\"` or `path = \"file\"`"
                    .into(),
            );
        }
        if m.quant.as_ref().is_some_and(|q| q.values().is_empty()) {
            return bad("quant", "must not be an empty list".into());
        }
        if m.synth.is_some() || m.trained.is_some() {
            let known = |q: &str| GGUF_QUANTS.contains(&q) || ONNX_QUANTS.contains(&q);
            if let Some(q) = m
                .quant
                .iter()
                .flat_map(|q| q.values())
                .map(|q| normalize_quant(&q))
                .find(|q| !known(q))
            {
                return bad(
                    "quant",
                    format!(
                        "unknown quantization `{q}`; GGUF: {}; ONNX: {}",
                        GGUF_QUANTS.join(", "),
                        ONNX_QUANTS.join(", ")
                    ),
                );
            }
        }
        for b in m.backends.iter().flatten() {
            if let Err(e) = crate::registry::entry(b) {
                return bad("backends", e.to_string());
            }
        }
    }
    if s.backends.values().is_empty() {
        return bad(
            "backends",
            "list at least one backend (e.g. [\"reference\"] or [\"all\"])".into(),
        );
    }
    for b in s.backends.values().iter().filter(|b| *b != "all") {
        if let Err(e) = crate::registry::entry(b) {
            return bad("backends", e.to_string());
        }
    }
    match (&s.prompt_tokens, &s.prompt) {
        (Some(_), Some(_)) => {
            return bad(
                "prompt",
                "give either `prompt` (token ids or text) or `prompt_tokens` (a length), not both"
                    .into(),
            )
        }
        (None, None) => {
            return bad(
                "prompt_tokens",
                "missing: give `prompt_tokens = N`, `prompt = [ids]` or `prompt = \"text\"`".into(),
            )
        }
        (Some(p), None) if p.values().contains(&0) || p.values().is_empty() => {
            return bad("prompt_tokens", "must be at least 1".into())
        }
        (None, Some(Prompt::Ids(p))) if p.is_empty() => {
            return bad("prompt", "must hold at least one token id".into())
        }
        (None, Some(Prompt::Text(t))) if t.trim().is_empty() => {
            return bad("prompt", "must hold some text (or token ids)".into())
        }
        _ => {}
    }
    if s.gen_tokens.values().is_empty() || s.gen_tokens.values().contains(&0) {
        return bad("gen_tokens", "must be at least 1".into());
    }
    if s.threads.values().is_empty() || s.threads.values().contains(&0) {
        return bad("threads", "must be at least 1".into());
    }
    if s.repetitions == 0 {
        return bad("repetitions", "must be at least 1".into());
    }
    let values = |field: &str| -> Vec<usize> {
        match field {
            "prompt_tokens" => s.prompt_tokens.iter().flat_map(|p| p.values()).collect(),
            "prompt" => match &s.prompt {
                Some(Prompt::Ids(ids)) => vec![ids.len()],
                // At most one token per byte, plus BOS: the bound the token count stays under.
                Some(Prompt::Text(t)) => vec![t.len() + 1],
                None => Vec::new(),
            },
            "gen_tokens" => s.gen_tokens.values(),
            "threads" => s.threads.values(),
            "warmup" => vec![s.warmup],
            "repetitions" => vec![s.repetitions],
            "max_repetitions" => vec![s.max_repetitions],
            _ => Vec::new(),
        }
    };
    for &(field, lo, hi) in INT_RANGES {
        if let Some(v) = values(field).into_iter().find(|v| !(lo..=hi).contains(v)) {
            let what = if field == "prompt" && matches!(s.prompt, Some(Prompt::Text(_))) {
                format!("is {} bytes of text", v - 1)
            } else if field == "prompt" {
                format!("holds {v} token ids")
            } else {
                format!("is {v}")
            };
            return bad(
                field,
                format!("must be between {lo} and {hi}, but {what}; lower it in the scenario"),
            );
        }
    }
    if s.max_repetitions < s.repetitions {
        return bad(
            "max_repetitions",
            format!("must be >= repetitions ({})", s.repetitions),
        );
    }
    for &(field, zero_ok, hi) in SECONDS_RANGES {
        let v = match field {
            "min_duration_s" => s.min_duration_s,
            "cooldown_s" => s.cooldown_s,
            _ => s.timeout_s,
        };
        let low_ok = if zero_ok { v >= 0.0 } else { v > 0.0 };
        if !v.is_finite() || !low_ok || v > hi {
            let lo = if zero_ok {
                "from 0"
            } else {
                "more than 0 and at most"
            };
            let range = if zero_ok {
                format!("{lo} to {hi} seconds")
            } else {
                format!("{lo} {hi} seconds")
            };
            return bad(field, format!("must be {range}, got {v}"));
        }
    }
    if let Some(b) = s.latency_budget_ms_per_token {
        if !b.is_finite() || b <= 0.0 || b > MAX_LATENCY_BUDGET_MS {
            return bad(
                "latency_budget_ms_per_token",
                format!(
                    "must be a positive number of milliseconds, at most {MAX_LATENCY_BUDGET_MS}, got {b}"
                ),
            );
        }
    }
    Ok(())
}
