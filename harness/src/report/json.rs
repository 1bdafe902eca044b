//! `report.json`: the whole [`Report`], pretty-printed; plus the header/points pair that a run
//! writes as it goes.

use anyhow::{bail, Context, Result};
use std::path::Path;

use crate::results::{PointResult, Report, SCHEMA_VERSION};

pub fn write(path: &Path, report: &Report) -> Result<()> {
    let text = serde_json::to_string_pretty(report)?;
    std::fs::write(path, text + "\n").with_context(|| format!("writing {}", path.display()))
}

/// The report without points, written before the first point runs.
pub fn write_header(path: &Path, report: &Report) -> Result<()> {
    write(path, report)
}

fn check_version(path: &Path, v: &serde_json::Value) -> Result<()> {
    match v.get("schema_version").and_then(serde_json::Value::as_u64) {
        Some(n) if n == u64::from(SCHEMA_VERSION) => Ok(()),
        Some(n) => bail!(
            "{} has schema_version {n}; this edgebench reads version {SCHEMA_VERSION}",
            path.display()
        ),
        None => bail!(
            "{} has no schema_version: not an edgebench report",
            path.display()
        ),
    }
}

pub fn read(path: &Path) -> Result<Report> {
    let text =
        std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
    let v: serde_json::Value =
        serde_json::from_str(&text).with_context(|| format!("parsing {}", path.display()))?;
    check_version(path, &v)?;
    serde_json::from_value(v).with_context(|| format!("reading report {}", path.display()))
}

/// Rebuild a report from `run.json` and the points finished so far.
pub fn read_partial(header: &Path, points: &Path) -> Result<Report> {
    let mut report = read(header)?;
    let text = std::fs::read_to_string(points).unwrap_or_default();
    for (i, line) in text.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        // A line cut by a kill is dropped; the ones before it are kept.
        match serde_json::from_str::<PointResult>(line) {
            Ok(p) => report.points.push(p),
            Err(e) => eprintln!(
                "warning: {} line {}: {e}; ignoring it",
                points.display(),
                i + 1
            ),
        }
    }
    Ok(report)
}
