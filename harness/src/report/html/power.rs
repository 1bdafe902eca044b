//! Power over time per point with its phases shaded (idle, load, prefill, decode; warmup too),
//! and decode energy per token per point; when no sensor gave values, the reason in words.

use super::svg::{color, Band, Bar, BarChart, Line, Stroke, XyChart};
use super::{figure, grid, measured, missing, point_name};
use crate::results::Report;

/// Shading colour of a phase (the same in every chart).
fn phase_color(name: &str) -> plotters::style::RGBColor {
    match name {
        "idle" => color(7),
        "load" => color(4),
        "prefill" => color(1),
        "decode" => color(2),
        _ => color(8),
    }
}

pub fn section(r: &Report) -> String {
    let points = measured(r);
    let with_power: Vec<_> = points
        .iter()
        .filter_map(|p| Some((*p, p.power.measured()?)))
        .collect();
    if with_power.is_empty() {
        let why = r
            .power
            .as_ref()
            .and_then(|p| p.unavailable_reason.clone())
            .or_else(|| {
                points
                    .iter()
                    .find_map(|p| p.power.reason().map(str::to_string))
            })
            .unwrap_or_else(|| "no power source was set up for this run".into());
        return missing(&format!(
            "Power was not measured, so there is no power timeline and no J/token: {why}."
        ));
    }
    let mut figs = Vec::new();
    for (p, m) in &with_power {
        let t_end = m.timeline.last().map_or(0.0, |q| q.t_ms / 1e3);
        let bands: Vec<Band> = m
            .spans
            .iter()
            .map(|s| Band {
                name: s.name.clone(),
                color: phase_color(&s.name),
                x0: (s.start_ms / 1e3).max(0.0),
                x1: (s.end_ms / 1e3).min(t_end),
            })
            .filter(|b| b.x1 > b.x0)
            .collect();
        let phases = if bands.is_empty() {
            " This report holds no phase spans (written before they were kept), so phases are not shaded."
        } else {
            ""
        };
        figs.push(figure(
            "power-over-time",
            XyChart {
                title: format!("Power: {}", point_name(r, p)),
                x_desc: "time since sampling started (s)".into(),
                y_desc: "power (W)".into(),
                height: 300,
                lines: vec![Line::new(
                    m.source.clone(),
                    color(0),
                    Stroke::Solid,
                    m.timeline
                        .iter()
                        .map(|q| (q.t_ms / 1e3, q.power_w))
                        .collect(),
                )],
                bands,
                y_from_zero: true,
                ..Default::default()
            }
            .render(),
            &format!(
                "{} samples at {:.0} Hz from {}; shaded: the phases.{phases}",
                m.samples, m.sample_rate_hz, m.source
            ),
        ));
    }
    let bars: Vec<Bar> = with_power
        .iter()
        .filter_map(|(p, m)| {
            Some(Bar {
                label: point_name(r, p),
                value: m.energy_per_token_j?,
                whisker: None,
                mark: None,
                color: color(0),
            })
        })
        .collect();
    figs.push(if bars.is_empty() {
        missing("Power was measured but no point has a decode energy per token (no decode phase or no decode tokens).")
    } else {
        figure(
            "j-per-token",
            BarChart {
                title: "Energy per decode token".into(),
                x_desc: "decode energy (J/token)".into(),
                bars,
                ..Default::default()
            }
            .render(),
            "Decode energy ÷ decode tokens (gross; the idle-subtracted figure is in report.json).",
        )
    });
    let unmeasured = points.len() - with_power.len();
    if unmeasured > 0 {
        figs.push(missing(&format!(
            "{unmeasured} measured point(s) have no power figures and are not drawn."
        )));
    }
    grid(&figs)
}
