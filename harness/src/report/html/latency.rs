//! Per-token latency: each decode step's latency over its token index (every measured run, one
//! colour per point) and the CDF of all steps, with the scenario's latency budget as a line.
//! Many points become small multiples, grouped by backend and model.

use super::svg::{color, thin_max, Line, Stroke, XyChart, INK};
use super::{figure, grid, groups, measured, missing, point_name};
use crate::results::{PointResult, Report};

/// Steps drawn per run; a longer generation is thinned to its bucket maxima.
const MAX_LINE_POINTS: usize = 800;

/// Points per chart before the charts split into small multiples.
const PER_CHART: usize = 6;

/// A budget farther above the data than this factor is named in the caption, not drawn
/// (it would flatten every line onto the axis).
const BUDGET_DRAW_FACTOR: f64 = 3.0;

fn steps_ms(p: &PointResult) -> Vec<f64> {
    p.runs
        .iter()
        .flat_map(|r| r.decode_latency_ns.iter().map(|&ns| ns as f64 / 1e6))
        .collect()
}

/// The empirical CDF of `xs` as (x, percent of steps ≤ x), at most ~400 points.
pub fn cdf(xs: &[f64]) -> Vec<(f64, f64)> {
    let mut v: Vec<f64> = xs.iter().copied().filter(|x| x.is_finite()).collect();
    v.sort_by(f64::total_cmp);
    let n = v.len();
    let every = n.div_ceil(400).max(1);
    let mut out: Vec<(f64, f64)> = Vec::new();
    for (i, &x) in v.iter().enumerate() {
        if i % every != 0 && i + 1 != n {
            continue;
        }
        let pct = (i + 1) as f64 / n as f64 * 100.0;
        // Equal latencies are one step of the CDF, at its top.
        match out.last_mut() {
            Some(last) if last.0 == x => last.1 = pct,
            _ => out.push((x, pct)),
        }
    }
    out
}

pub fn section(r: &Report) -> String {
    let points: Vec<&PointResult> = measured(r)
        .into_iter()
        .filter(|p| p.runs.iter().any(|run| !run.decode_latency_ns.is_empty()))
        .collect();
    if points.is_empty() {
        return missing(
            "No point recorded decode steps, so there is no per-token latency to draw.",
        );
    }
    let budget = r.scenario.latency_budget_ms_per_token;
    let mut figs = Vec::new();
    for (group, pts) in groups(&points, PER_CHART) {
        let suffix = if group.is_empty() {
            String::new()
        } else {
            format!(": {group}")
        };
        let max_ms = pts.iter().flat_map(|p| steps_ms(p)).fold(0.0f64, f64::max);
        let draw_budget = budget.filter(|b| *b <= max_ms * BUDGET_DRAW_FACTOR);
        let budget_note = match (budget, draw_budget) {
            (None, _) => " The scenario sets no latency budget.".to_string(),
            (Some(b), Some(_)) => format!(" Dashed: the budget, {b} ms per token."),
            (Some(b), None) => format!(
                " The budget ({b} ms per token) is above every step here ({max_ms:.2} ms at most), so it is off the axis."
            ),
        };
        let mut over_index = Vec::new();
        let mut cdfs = Vec::new();
        let mut max_index = 1.0f64;
        for (i, p) in pts.iter().enumerate() {
            let name = point_name(r, p);
            for run in &p.runs {
                let line: Vec<(f64, f64)> = run
                    .decode_latency_ns
                    .iter()
                    .enumerate()
                    .map(|(k, &ns)| ((k + 1) as f64, ns as f64 / 1e6))
                    .collect();
                max_index = max_index.max(line.len() as f64);
                over_index.push(Line::new(
                    name.clone(),
                    color(i),
                    Stroke::Thin,
                    thin_max(line, MAX_LINE_POINTS),
                ));
            }
            cdfs.push(Line::new(name, color(i), Stroke::Solid, cdf(&steps_ms(p))));
        }
        let mut vlines = Vec::new();
        if let Some(b) = draw_budget {
            over_index.push(Line::horizontal(
                format!("budget {b} ms"),
                INK,
                b,
                1.0,
                max_index,
            ));
            vlines.push((b, format!("budget {b} ms")));
        }
        let runs = pts.iter().map(|p| p.runs.len()).max().unwrap_or(0);
        figs.push(figure(
            "latency-over-index",
            XyChart {
                title: format!("Decode step latency{suffix}"),
                x_desc: "token index".into(),
                y_desc: "step latency (ms)".into(),
                height: 330,
                lines: over_index,
                y_from_zero: true,
                ..Default::default()
            }
            .render(),
            &format!(
                "Every decode step of every measured run (up to {runs} runs per point, one thin line each), by token index.{budget_note}"
            ),
        ));
        figs.push(figure(
            "latency-cdf",
            XyChart {
                title: format!("Step latency CDF{suffix}"),
                x_desc: "step latency (ms)".into(),
                y_desc: "steps at or below (%)".into(),
                height: 330,
                lines: cdfs,
                y_from_zero: true,
                vlines,
                ..Default::default()
            }
            .render(),
            &format!("Share of all decode steps at or below each latency.{budget_note}"),
        ));
    }
    grid(&figs)
}

#[cfg(test)]
mod tests {
    use super::cdf;

    #[test]
    fn cdf_ends_at_100_percent_and_is_monotone() {
        let c = cdf(&[3.0, 1.0, 2.0, 2.0, f64::NAN]);
        assert_eq!(c.first(), Some(&(1.0, 25.0)));
        assert_eq!(c.last(), Some(&(3.0, 100.0)));
        assert!(
            c.windows(2).all(|w| w[0].0 < w[1].0 && w[0].1 < w[1].1),
            "{c:?}"
        );
    }
}
