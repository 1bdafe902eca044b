//! `report.json`: the whole [`Report`], pretty-printed; plus the header/points pair that a run
//! writes as it goes. Each file of a run carries the run's id (`run_id`, next to the report's
//! fields), so a file left by another run in the same folder is never taken for this run's.

use anyhow::{bail, Context, Result};
use std::path::Path;

use crate::results::{PointResult, Report, SCHEMA_VERSION};

/// The JSON key of a run's id in `run.json` and `report.json`.
pub const RUN_ID_KEY: &str = "run_id";

/// A report with its run's id after its own fields (field order kept, unlike a `Value`).
#[derive(serde::Serialize)]
struct WithRunId<'a> {
    #[serde(flatten)]
    report: &'a Report,
    #[serde(skip_serializing_if = "Option::is_none")]
    run_id: Option<&'a str>,
}

/// The report as JSON text, with `run_id` when given.
fn to_text(report: &Report, run_id: Option<&str>) -> Result<String> {
    Ok(serde_json::to_string_pretty(&WithRunId { report, run_id })? + "\n")
}

/// Write `report.json` atomically (a reader sees the old file or the whole new one).
pub fn write(path: &Path, report: &Report) -> Result<()> {
    write_run(path, report, None)
}

/// [`write`] with the run's id in the file.
pub fn write_run(path: &Path, report: &Report, run_id: Option<&str>) -> Result<()> {
    super::write_atomic(path, to_text(report, run_id)?.as_bytes())
}

/// The report without points, written before the first point runs.
pub fn write_header(path: &Path, report: &Report, run_id: &str) -> Result<()> {
    write_run(path, report, Some(run_id))
}

/// One `points.jsonl` line: the point as one line of JSON and its newline, so the caller can
/// append it with a single `write_all`.
pub fn point_line(p: &PointResult) -> Result<Vec<u8>> {
    let mut line = serde_json::to_vec(p)?;
    line.push(b'\n');
    Ok(line)
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

/// Read a report file.
pub fn read(path: &Path) -> Result<Report> {
    Ok(read_run(path)?.0)
}

/// Read a report file and the run id it carries (`None` in files written before run ids).
pub fn read_run(path: &Path) -> Result<(Report, Option<String>)> {
    let bytes = std::fs::read(path).with_context(|| format!("reading {}", path.display()))?;
    let v: serde_json::Value =
        serde_json::from_slice(&bytes).with_context(|| format!("parsing {}", path.display()))?;
    check_version(path, &v)?;
    let run_id = v
        .get(RUN_ID_KEY)
        .and_then(serde_json::Value::as_str)
        .map(str::to_string);
    let report =
        serde_json::from_value(v).with_context(|| format!("reading report {}", path.display()))?;
    Ok((report, run_id))
}

/// Rebuild a report from `run.json` and the points finished so far; says which lines of
/// `points.jsonl` could not be read in `notes` (each line is kept or dropped on its own).
pub fn read_partial(header: &Path, points: &Path, notes: &mut Vec<String>) -> Result<Report> {
    let (mut report, _) = read_run(header)?;
    let bytes = match std::fs::read(points) {
        Ok(b) => b,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            notes.push(format!(
                "{} does not exist: the run ended before its first point finished",
                points.display()
            ));
            Vec::new()
        }
        Err(e) => return Err(e).with_context(|| format!("reading {}", points.display())),
    };
    let (found, mut line_notes) = parse_points(&bytes);
    report.points = found;
    notes.extend(
        line_notes
            .drain(..)
            .map(|n| format!("{}: {n}; ignoring it", points.display())),
    );
    Ok(report)
}

/// Every point of a `points.jsonl` text that parses, and a note for each line that does not:
/// not UTF-8 (cut inside a character), not a point, or cut off without its newline.
pub fn parse_points(bytes: &[u8]) -> (Vec<PointResult>, Vec<String>) {
    let mut points = Vec::new();
    let mut notes = Vec::new();
    let ends_with_newline = bytes.last() == Some(&b'\n');
    let lines: Vec<&[u8]> = bytes.split(|&b| b == b'\n').collect();
    let last = lines.len().saturating_sub(1);
    for (i, line) in lines.iter().enumerate() {
        if line.iter().all(u8::is_ascii_whitespace) {
            continue;
        }
        let n = i + 1;
        let unterminated = i == last && !ends_with_newline;
        let text = match std::str::from_utf8(line) {
            Ok(t) => t,
            Err(e) => {
                notes.push(format!(
                    "line {n} is not valid UTF-8 (at byte {}{}): a line cut inside a character",
                    e.valid_up_to(),
                    if unterminated {
                        ", and it has no newline: the run was killed while writing it"
                    } else {
                        ""
                    }
                ));
                continue;
            }
        };
        match serde_json::from_str::<PointResult>(text) {
            Ok(p) => points.push(p),
            Err(e) if unterminated => notes.push(format!(
                "line {n} is cut off (no newline at its end: the run was killed while writing it): {e}"
            )),
            Err(e) => notes.push(format!("line {n} is not a point: {e}")),
        }
    }
    (points, notes)
}

#[cfg(test)]
mod tests {
    use super::parse_points;

    #[test]
    fn unreadable_lines_are_named_and_the_others_kept() {
        // Not a point, then a line cut inside "é" without its newline.
        let (points, notes) = parse_points(b"\n{\"x\": 1}\n{\"label\":\"caf\xC3");
        assert!(points.is_empty());
        assert_eq!(notes.len(), 2, "{notes:?}");
        assert!(notes[0].starts_with("line 2 is not a point"), "{notes:?}");
        assert!(
            notes[1].contains("line 3 is not valid UTF-8") && notes[1].contains("no newline"),
            "{notes:?}"
        );
        let (_, notes) = parse_points(b"{\"label\":");
        assert!(notes[0].contains("line 1 is cut off"), "{notes:?}");
    }
}
