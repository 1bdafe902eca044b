//! Report files of a run: `report.json` (everything, with `schema_version`), `tokens.csv` (one
//! row per prefill/decode step) and `report.md` (the table a human reads first). Each format is
//! one small module; `edgebench report DIR` re-renders any of them from `report.json`, or from
//! `run.json` + `points.jsonl` when a run was interrupted before writing it.

pub mod csv;
pub mod json;
pub mod markdown;

use anyhow::{bail, Context, Result};
use std::path::Path;

use crate::plan::RunPlan;
use crate::results::{Report, ScenarioInfo, ToolInfo, SCHEMA_VERSION};

pub const REPORT_JSON: &str = "report.json";
pub const TOKENS_CSV: &str = "tokens.csv";
pub const REPORT_MD: &str = "report.md";
pub const POWER_CSV: &str = "power.csv";
/// The run's header (a report without points), written before the first point.
pub const HEADER_FILE: &str = "run.json";
/// One finished point per line, appended as each finishes.
pub const POINTS_FILE: &str = "points.jsonl";

/// A report with everything but the points.
pub fn new_report(plan: &RunPlan) -> Report {
    let s = &plan.scenario;
    Report {
        schema_version: SCHEMA_VERSION,
        tool: ToolInfo {
            name: "edgebench".into(),
            version: env!("CARGO_PKG_VERSION").into(),
            git_commit: option_env!("EDGEBENCH_GIT_COMMIT").map(str::to_string),
            features: crate::registry::compiled_features(),
        },
        scenario: ScenarioInfo {
            name: s.scenario.name.clone(),
            path: s.path.as_ref().map(|p| p.display().to_string()),
            source: s.source.clone(),
            latency_budget_ms_per_token: s.scenario.latency_budget_ms_per_token,
        },
        created_utc: chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        environment: crate::environment::collect(),
        harness_overhead: None,
        agreement: None,
        power: None,
        points: Vec::new(),
    }
}

/// Write every format into `dir`.
pub fn write_all(dir: &Path, report: &Report) -> Result<()> {
    json::write(&dir.join(REPORT_JSON), report)?;
    let mut f = std::fs::File::create(dir.join(TOKENS_CSV))
        .with_context(|| format!("creating {}/{TOKENS_CSV}", dir.display()))?;
    csv::write_tokens(&mut f, report)?;
    std::fs::write(dir.join(REPORT_MD), markdown::render(report))
        .with_context(|| format!("writing {}/{REPORT_MD}", dir.display()))?;
    Ok(())
}

/// Read a result directory (or a report.json path).
pub fn load(path: &Path) -> Result<Report> {
    let dir = if path.is_dir() {
        path.to_path_buf()
    } else {
        path.parent().unwrap_or(Path::new(".")).to_path_buf()
    };
    let full = dir.join(REPORT_JSON);
    if path.is_file() || full.exists() {
        let file = if path.is_file() {
            path.to_path_buf()
        } else {
            full
        };
        return json::read(&file);
    }
    let header = dir.join(HEADER_FILE);
    if header.exists() {
        return json::read_partial(&header, &dir.join(POINTS_FILE));
    }
    bail!("{} holds no {REPORT_JSON} (nor {} from an interrupted run); pass a directory written by `edgebench run`", dir.display(), HEADER_FILE)
}
