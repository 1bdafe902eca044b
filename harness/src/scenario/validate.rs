//! Scenario validation and error messages that name the file, line and field.

use std::path::{Path, PathBuf};

use super::{normalize_quant, Scenario, GGUF_QUANTS, ONNX_QUANTS};

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
const MODEL_FIELDS: &[&str] = &["synth", "path", "quant", "backends", "seed"];

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
        match (&m.synth, &m.path) {
            (Some(_), Some(_)) => {
                return bad(
                    "synth",
                    "a model has either `synth` or `path`, not both".into(),
                )
            }
            (None, None) => {
                return bad(
                    "models",
                    "each model needs `synth = \"<preset>\"` or `path = \"file\"`".into(),
                )
            }
            _ => {}
        }
        if m.quant.as_ref().is_some_and(|q| q.values().is_empty()) {
            return bad("quant", "must not be an empty list".into());
        }
        if m.synth.is_some() {
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
                "give either `prompt` (token ids) or `prompt_tokens` (a length), not both".into(),
            )
        }
        (None, None) => {
            return bad(
                "prompt_tokens",
                "missing: give `prompt_tokens = N` or `prompt = [ids]`".into(),
            )
        }
        (Some(p), None) if p.values().contains(&0) || p.values().is_empty() => {
            return bad("prompt_tokens", "must be at least 1".into())
        }
        (None, Some(p)) if p.is_empty() => {
            return bad("prompt", "must hold at least one token id".into())
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
    if s.max_repetitions < s.repetitions {
        return bad(
            "max_repetitions",
            format!("must be >= repetitions ({})", s.repetitions),
        );
    }
    for (field, v) in [
        ("min_duration_s", s.min_duration_s),
        ("cooldown_s", s.cooldown_s),
        ("timeout_s", s.timeout_s),
    ] {
        if !v.is_finite() || v < 0.0 {
            return bad(
                field,
                format!("must be a non-negative number of seconds, got {v}"),
            );
        }
    }
    if s.timeout_s == 0.0 {
        return bad("timeout_s", "must be more than 0 seconds".into());
    }
    if let Some(b) = s.latency_budget_ms_per_token {
        if !b.is_finite() || b <= 0.0 {
            return bad(
                "latency_budget_ms_per_token",
                format!("must be a positive number of milliseconds, got {b}"),
            );
        }
    }
    Ok(())
}
