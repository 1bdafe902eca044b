//! Report files of a run: `report.json` (everything, with `schema_version`), `tokens.csv` (one
//! row per prefill/decode step), `report.md` (the table a human reads first) and `report.html`
//! (the charts). Each format is one small module; `edgebench report DIR` re-renders any of
//! them from `report.json`, or
//! rebuilds it from `run.json` + `points.jsonl` when `report.json` is missing, unreadable, older
//! than them or another run's. Every file is written atomically ([`write_atomic`]).

pub mod csv;
pub mod html;
pub mod json;
pub mod markdown;

use anyhow::{bail, Context, Result};
use std::io::Write;
use std::path::Path;

use crate::plan::RunPlan;
use crate::results::{Report, ScenarioInfo, ToolInfo, SCHEMA_VERSION};

pub const REPORT_JSON: &str = "report.json";
pub const TOKENS_CSV: &str = "tokens.csv";
pub const REPORT_MD: &str = "report.md";
pub use html::REPORT_HTML;
pub const POWER_CSV: &str = "power.csv";
/// The run's header (a report without points), written before the first point.
pub const HEADER_FILE: &str = "run.json";
/// One finished point per line, appended as each finishes.
pub const POINTS_FILE: &str = "points.jsonl";
/// The lock a running run holds on its folder (an exclusive `flock`).
pub const LOCK_FILE: &str = ".lock";
/// Every file a run writes into its folder (an earlier run's are removed when a folder is
/// reused, so none of them is ever read as the new run's).
pub const RUN_FILES: &[&str] = &[
    REPORT_JSON,
    TOKENS_CSV,
    REPORT_MD,
    REPORT_HTML,
    POWER_CSV,
    HEADER_FILE,
    POINTS_FILE,
];

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

/// CPU, architecture, cores, date and tool version: the line under a report's title.
pub fn machine_line(r: &Report) -> String {
    let e = &r.environment;
    format!(
        "{} · {} · {} cores · {} · edgebench {}{}",
        e.cpu_model.as_deref().unwrap_or("unknown CPU"),
        e.arch,
        e.logical_cores,
        r.created_utc,
        r.tool.version,
        r.tool
            .git_commit
            .as_deref()
            .map_or_else(String::new, |c| format!(" ({c})")),
    )
}

/// Write `bytes` to `path` so that a reader (or a crash, a kill, a full disk) sees the old
/// file or the whole new one, never a part: a temporary file in the same folder, fsync, rename.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<()> {
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    let name = path
        .file_name()
        .with_context(|| format!("{} has no file name", path.display()))?;
    let tmp = dir.join(format!(
        ".{}.tmp-{}",
        name.to_string_lossy(),
        std::process::id()
    ));
    let written = (|| -> std::io::Result<()> {
        let mut f = std::fs::File::create(&tmp)?;
        f.write_all(bytes)?;
        f.sync_all()?;
        drop(f);
        std::fs::rename(&tmp, path)?;
        // The rename itself reaches the disk with the folder's metadata.
        if let Ok(d) = std::fs::File::open(dir) {
            let _ = d.sync_all();
        }
        Ok(())
    })();
    if let Err(e) = written {
        let _ = std::fs::remove_file(&tmp);
        return Err(e).with_context(|| {
            format!(
                "writing {} (through {}); check free space and permissions there",
                path.display(),
                tmp.display()
            )
        });
    }
    Ok(())
}

/// Write every format into `dir`.
pub fn write_all(dir: &Path, report: &Report) -> Result<()> {
    write_run(dir, report, None)
}

/// [`write_all`] with the run's id in `report.json`.
pub fn write_run(dir: &Path, report: &Report, run_id: Option<&str>) -> Result<()> {
    json::write_run(&dir.join(REPORT_JSON), report, run_id)?;
    let mut tokens = Vec::new();
    csv::write_tokens(&mut tokens, report)
        .with_context(|| format!("rendering {}/{TOKENS_CSV}", dir.display()))?;
    write_atomic(&dir.join(TOKENS_CSV), &tokens)?;
    write_atomic(&dir.join(REPORT_MD), markdown::render(report).as_bytes())?;
    write_atomic(&dir.join(REPORT_HTML), html::render(report).as_bytes())?;
    Ok(())
}

/// Read a result directory (or a report file); what could not be read is said on stderr.
pub fn load(path: &Path) -> Result<Report> {
    let (report, notes) = load_with_notes(path)?;
    for n in notes {
        eprintln!("warning: {n}");
    }
    Ok(report)
}

fn modified(path: &Path) -> Option<std::time::SystemTime> {
    std::fs::metadata(path).and_then(|m| m.modified()).ok()
}

/// Read a result directory (or a report file), with notes on what was rebuilt or skipped.
/// `report.json` is used when it is readable, belongs to the run of `run.json` (same run id)
/// and is not older than `run.json` and `points.jsonl`; otherwise the report is rebuilt from
/// those two, which a run writes as it goes.
pub fn load_with_notes(path: &Path) -> Result<(Report, Vec<String>)> {
    let mut notes = Vec::new();
    let named_report =
        path.is_file() && path.file_name().and_then(|n| n.to_str()) == Some(REPORT_JSON);
    if path.is_file() && !named_report {
        // Some other report file, e.g. a copy: it is all there is.
        return Ok((json::read(path)?, notes));
    }
    let dir = if named_report {
        path.parent()
            .filter(|d| !d.as_os_str().is_empty())
            .unwrap_or(Path::new("."))
            .to_path_buf()
    } else {
        path.to_path_buf()
    };
    let full = dir.join(REPORT_JSON);
    let header = dir.join(HEADER_FILE);
    let points = dir.join(POINTS_FILE);
    let complete = if full.exists() {
        Some(json::read_run(&full))
    } else {
        None
    };
    if !header.exists() {
        return match complete {
            Some(r) => Ok((r?.0, notes)),
            None => bail!(
                "{} holds no {REPORT_JSON} (nor {HEADER_FILE} from an interrupted run); pass a directory written by `edgebench run`",
                dir.display()
            ),
        };
    }
    let header_id = match json::read_run(&header) {
        Ok((_, id)) => id,
        Err(e) => {
            return match complete {
                Some(Ok((r, _))) => {
                    notes.push(format!("{e:#}; showing {} as it is", full.display()));
                    Ok((r, notes))
                }
                _ => Err(e),
            }
        }
    };
    let why = match complete {
        None => format!("{} is missing (the run did not finish)", full.display()),
        Some(Err(e)) => format!("{} is unreadable ({e:#})", full.display()),
        Some(Ok((_, id))) if id != header_id => format!(
            "{} is from another run (run id {}, {HEADER_FILE} has {})",
            full.display(),
            id.as_deref().unwrap_or("none"),
            header_id.as_deref().unwrap_or("none")
        ),
        Some(Ok((r, _))) => {
            let newest_input = modified(&header).max(modified(&points));
            if modified(&full) >= newest_input {
                return Ok((r, notes));
            }
            format!("{} is older than {POINTS_FILE}", full.display())
        }
    };
    let report = json::read_partial(&header, &points, &mut notes)?;
    notes.insert(
        0,
        format!(
            "{why}; rebuilt the report from {HEADER_FILE} and {} point(s) in {POINTS_FILE}",
            report.points.len()
        ),
    );
    Ok((report, notes))
}
