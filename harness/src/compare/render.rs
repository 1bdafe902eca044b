//! `edgebench compare` output: a markdown table, JSON (the [`Comparison`]s as they are) and
//! JUnit XML (one test case per point × metric; a regression is a failure whose message has
//! the figures), so CI systems and lab schedulers show regressions as failed tests.

use std::fmt::Write;

use super::{Comparison, Row, RunRef, Verdict};

fn num(v: Option<f64>) -> String {
    match v {
        None => "n/a".into(),
        Some(x) if x.abs() >= 1e6 => format!("{:.1} Mi", x / crate::results::BYTES_PER_MIB),
        Some(x) if x.abs() >= 100.0 => format!("{x:.1}"),
        Some(x) if x.abs() >= 1.0 => format!("{x:.2}"),
        Some(x) => format!("{x:.4}"),
    }
}

fn ratio_cell(r: &Row) -> String {
    match (r.ratio, r.ratio_ci95) {
        (Some(x), Some([lo, hi])) => format!("{x:.3} [{lo:.3}, {hi:.3}]"),
        (Some(x), None) => format!("{x:.3} [CI n/a]"),
        _ => "n/a".into(),
    }
}

fn p_cell(r: &Row) -> String {
    r.p_value
        .map_or_else(|| "n/a".into(), |p| format!("{p:.2e}"))
}

fn outlier_cell(r: &Row) -> String {
    match (r.base_outliers, r.new_outliers) {
        (Some(b), Some(n)) => format!("{}/{} · {}/{}", b.total(), b.n, n.total(), n.n),
        _ => "–".into(),
    }
}

fn basis_name(b: crate::stats::compare::Basis) -> &'static str {
    use crate::stats::compare::Basis;
    match b {
        Basis::MannWhitney => "mann-whitney",
        Basis::CiOverlap => "ci-overlap",
        Basis::RatioCi => "ratio-ci",
        Basis::ThresholdOnly => "threshold-only",
    }
}

/// A row's note as ` (note)`, or nothing.
fn note_suffix(r: &Row) -> String {
    r.note
        .as_ref()
        .map_or_else(String::new, |n| format!(" ({n})"))
}

/// One side of a comparison: path, date, device (fingerprint id) and commit.
fn run_line(run: &RunRef) -> String {
    format!(
        "{} · {} · device {} ({}) · commit {}",
        run.path,
        run.created_utc,
        run.device.as_deref().unwrap_or("unnamed"),
        run.fingerprint.id,
        run.git_commit.as_deref().unwrap_or("unknown")
    )
}

/// One line naming a row's figures (JUnit messages, `history`).
pub fn describe(r: &Row) -> String {
    format!(
        "{} {}: base {} → new {}, ratio {}, p {}, {}{}",
        r.key,
        r.metric,
        num(r.base),
        num(r.new),
        ratio_cell(r),
        p_cell(r),
        r.verdict.as_str(),
        note_suffix(r)
    )
}

/// The markdown report of every comparison.
pub fn markdown(cs: &[Comparison]) -> String {
    let mut s = String::new();
    for c in cs {
        let _ = writeln!(
            s,
            "## {} → {}\n\nbase: {}  \nnew:  {}  \nthreshold {:.1}% · a change counts when it is beyond the threshold **and** significant (Mann-Whitney p < 0.002, or non-overlapping 95% intervals when samples are few)\n",
            c.base.path,
            c.new.path,
            run_line(&c.base),
            run_line(&c.new),
            c.threshold * 100.0
        );
        for w in &c.warnings {
            let _ = writeln!(s, "> **⚠ WARNING: {w}**\n");
        }
        s.push_str("| point | metric | base | new | ratio new/base [95% CI] | p | outliers base · new | decided by | verdict |\n|---|---|---:|---:|---:|---:|---:|---|---|\n");
        for r in &c.rows {
            let verdict = if r.regression {
                format!("**{}**", r.verdict.as_str())
            } else {
                r.verdict.as_str().to_string()
            };
            let _ = writeln!(
                s,
                "| {} | {} | {} | {} | {} | {} | {} | {} | {}{} |",
                r.key,
                r.metric,
                num(r.base),
                num(r.new),
                ratio_cell(r),
                p_cell(r),
                outlier_cell(r),
                r.basis.map_or("–", basis_name),
                verdict,
                note_suffix(r)
            );
        }
        if c.rows
            .iter()
            .any(|r| r.basis == Some(crate::stats::compare::Basis::CiOverlap))
        {
            s.push_str("\nNote: rows decided by `ci-overlap` had too few runs a side for the rank test to reach p < 0.002 (7 a side are needed); non-overlapping intervals of 3 runs are weak evidence that a change of machine load between the runs also gives. Use `repetitions = 7` or more (as `scenarios/nightly.toml` does) for a gate.\n");
        }
        let count = |v: Verdict| c.rows.iter().filter(|r| r.verdict == v).count();
        let _ = writeln!(
            s,
            "\n{} regression(s), {} faster, {} unchanged, {} new, {} gone. For peak_rss_steady_bytes and j_per_token, slower means more. `[CI n/a]`: the report keeps one value per point for that metric, so only the threshold decides.\n",
            c.regressions().count(),
            count(Verdict::Faster),
            count(Verdict::Unchanged),
            count(Verdict::New),
            count(Verdict::Gone)
        );
    }
    s
}

fn xml(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// JUnit XML: one `<testsuite>` per comparison, one `<testcase>` per point × metric.
pub fn junit(cs: &[Comparison]) -> String {
    let total: usize = cs.iter().map(|c| c.rows.len()).sum();
    let failures: usize = cs.iter().map(|c| c.regressions().count()).sum();
    let mut s = format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites name=\"edgebench compare\" tests=\"{total}\" failures=\"{failures}\">\n"
    );
    for c in cs {
        let device = c.new.device.as_deref().unwrap_or("unnamed");
        let skipped = c
            .rows
            .iter()
            .filter(|r| !r.regression && matches!(r.verdict, Verdict::New | Verdict::Gone))
            .count();
        let _ = writeln!(
            s,
            "  <testsuite name=\"{}\" tests=\"{}\" failures=\"{}\" skipped=\"{skipped}\" timestamp=\"{}\">",
            xml(&format!("compare {} -> {} on {device}", c.base.path, c.new.path)),
            c.rows.len(),
            c.regressions().count(),
            xml(&c.new.created_utc)
        );
        for w in &c.warnings {
            let _ = writeln!(
                s,
                "    <properties><property name=\"warning\" value=\"{}\"/></properties>",
                xml(w)
            );
        }
        for r in &c.rows {
            let _ = write!(
                s,
                "    <testcase classname=\"{}\" name=\"{}\"",
                xml(&format!("edgebench.{device}.{}", r.key.backend)),
                xml(&format!("{} · {}", r.key, r.metric))
            );
            if r.regression {
                let _ = writeln!(
                    s,
                    ">\n      <failure type=\"regression\" message=\"{}\">{}</failure>\n    </testcase>",
                    xml(&describe(r)),
                    xml(&describe(r))
                );
            } else if matches!(r.verdict, Verdict::New | Verdict::Gone) {
                let _ = writeln!(
                    s,
                    ">\n      <skipped message=\"{}\"/>\n    </testcase>",
                    xml(&describe(r))
                );
            } else {
                s.push_str("/>\n");
            }
        }
        s.push_str("  </testsuite>\n");
    }
    s.push_str("</testsuites>\n");
    s
}
