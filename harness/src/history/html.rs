//! `edgebench history html`: a self-contained page with each series' trend (one chart per
//! device × point, grouped by metric and device), the fitted segment levels and the detected
//! change points ([`crate::stats::changepoint`]) marked. Same chart plumbing and page style
//! as `report.html`.

use anyhow::Result;
use rusqlite::Connection;
use std::fmt::Write;

use crate::compare::metrics::MetricDef;
use crate::history::series::{self, Series};
use crate::report::html::svg::{color, Line, Stroke, XyChart};
use crate::report::html::{esc, figure, grid, missing};
use crate::stats::changepoint::segments;

/// The x axis: time since the page's first run, in days (hours when the runs span under two
/// days).
struct TimeAxis {
    t0: chrono::DateTime<chrono::FixedOffset>,
    unit_s: f64,
    desc: &'static str,
}

impl TimeAxis {
    fn new(times: impl Iterator<Item = chrono::DateTime<chrono::FixedOffset>>) -> Option<TimeAxis> {
        let times: Vec<_> = times.collect();
        let t0 = *times.iter().min()?;
        let t1 = *times.iter().max()?;
        let span_s = (t1 - t0).num_seconds() as f64;
        Some(if span_s < 2.0 * 86_400.0 {
            TimeAxis {
                t0,
                unit_s: 3600.0,
                desc: "hours since the first run on this page",
            }
        } else {
            TimeAxis {
                t0,
                unit_s: 86_400.0,
                desc: "days since the first run on this page",
            }
        })
    }

    fn x(&self, created_utc: &str) -> Option<f64> {
        let t = chrono::DateTime::parse_from_rfc3339(created_utc).ok()?;
        Some((t - self.t0).num_seconds() as f64 / self.unit_s)
    }
}

/// Unit of a metric for its axis name.
fn axis(metric: &MetricDef) -> String {
    let unit = match metric.name {
        "decode_tok_s" | "prefill_tok_s" => "tok/s",
        "ttft_p50_ms" | "decode_p99_ms" => "ms",
        "peak_rss_steady_bytes" => "bytes",
        "j_per_token" => "J/token",
        _ => "",
    };
    format!("{} ({unit})", metric.name)
}

/// One series' chart: values with their intervals, segment levels, change points.
fn chart(se: &Series, metric: &MetricDef, axis_t: &TimeAxis) -> String {
    let xs: Vec<Option<f64>> = se.points.iter().map(|p| axis_t.x(&p.created_utc)).collect();
    let ys: Vec<f64> = se.points.iter().map(|p| p.value).collect();
    let cis: Vec<Option<[f64; 2]>> = se.points.iter().map(|p| p.ci95).collect();
    let segs = segments(&ys, &cis);
    let values: Vec<(f64, f64)> = xs
        .iter()
        .zip(&ys)
        .filter_map(|(x, y)| Some(((*x)?, *y)))
        .collect();
    let mut lines = vec![Line::new(metric.name, color(0), Stroke::Solid, values)];
    for (x, p) in xs.iter().zip(&se.points) {
        if let (Some(x), Some([lo, hi])) = (x, p.ci95) {
            // One legend entry: entries with the same name and colour are merged.
            lines.push(Line::new(
                "95% CI",
                color(0),
                Stroke::Thin,
                vec![(*x, lo), (*x, hi)],
            ));
        }
    }
    let mut vlines = Vec::new();
    for (k, s) in segs.iter().enumerate() {
        let x0 = xs.get(s.start).copied().flatten();
        let x1 = xs.get(s.end.saturating_sub(1)).copied().flatten();
        // A one-run segment is its point: no level line of zero length.
        if let (Some(a), Some(b)) = (x0, x1.filter(|b| x0.is_some_and(|a| *b > a))) {
            lines.push(Line::horizontal("segment level", color(1), s.level, a, b));
        }
        if k > 0 {
            if let Some(a) = x0 {
                vlines.push((a, "change point".to_string()));
            }
        }
    }
    let caption = format!(
        "{} run(s), {} segment(s); {} is better. Latest level {}.",
        se.points.len(),
        segs.len(),
        if metric.higher_is_better {
            "higher"
        } else {
            "lower"
        },
        segs.last()
            .map_or_else(|| "n/a".into(), |s| format!("{:.3}", s.level))
    );
    figure(
        "history-trend",
        XyChart {
            title: se.key.to_string(),
            x_desc: axis_t.desc.into(),
            y_desc: axis(metric),
            height: 300,
            lines,
            vlines,
            ..Default::default()
        }
        .render(),
        &caption,
    )
}

/// The page for `metrics`, optionally of one device.
pub fn render(conn: &Connection, metrics: &[MetricDef], device: Option<&str>) -> Result<String> {
    let mut body = String::new();
    let mut all: Vec<(MetricDef, Vec<Series>)> = Vec::new();
    for m in metrics {
        all.push((*m, series::load(conn, m.name, device, &[])?));
    }
    let time_axis = TimeAxis::new(
        all.iter()
            .flat_map(|(_, s)| s.iter().flat_map(|se| se.points.iter()))
            .filter_map(|p| chrono::DateTime::parse_from_rfc3339(&p.created_utc).ok()),
    );
    for (m, ser) in &all {
        let _ = writeln!(body, "<section><h2>{}</h2>", esc(&axis(m)));
        let Some(time_axis) = time_axis.as_ref().filter(|_| !ser.is_empty()) else {
            body += &missing(&format!(
                "No {} values in the history{}.",
                m.name,
                device.map_or_else(String::new, |d| format!(" for device {d}"))
            ));
            body += "</section>\n";
            continue;
        };
        let mut devices: Vec<&str> = ser.iter().map(|s| s.device.as_str()).collect();
        devices.dedup();
        for d in devices {
            let _ = writeln!(body, "<h3>device {}</h3>", esc(d));
            let figs: Vec<String> = ser
                .iter()
                .filter(|s| s.device == d)
                .map(|s| chart(s, m, time_axis))
                .collect();
            body += &grid(&figs);
        }
        body += "</section>\n";
    }
    let first = time_axis
        .as_ref()
        .map_or_else(|| "no runs".to_string(), |t| t.t0.to_rfc3339());
    Ok(crate::report::html::page(
        "edgebench history",
        &format!(
            "Each chart is one series (device × point) over time; the dashed orange lines are the fitted levels, the black dashed verticals the detected change points. Time 0 is {first}."
        ),
        &body,
    ))
}
