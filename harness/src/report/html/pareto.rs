//! The Pareto chart: decode tok/s against steady peak RAM, one marker per point (its size the
//! J/token when power was measured), the front (no other point faster, smaller and, when
//! measured everywhere, more frugal) ringed and joined.

use super::svg::{color, Line, Stroke, XyChart, INK};
use super::{figure, grid, measured, missing, point_name};
use crate::recommend::pareto_front;
use crate::results::{PointResult, Report, BYTES_PER_MIB};

pub fn section(r: &Report) -> String {
    let pts: Vec<(&PointResult, f64, f64, Option<f64>)> = measured(r)
        .into_iter()
        .filter_map(|p| {
            Some((
                p,
                p.latency.as_ref()?.decode_tok_s?,
                p.memory.peak_rss_steady_bytes? as f64,
                p.power.measured().and_then(|m| m.energy_per_token_j),
            ))
        })
        .collect();
    if pts.is_empty() {
        return missing(
            "No point has both decode tok/s and a steady peak RSS, so there is no speed-against-memory chart.",
        );
    }
    let front = pareto_front(&pts.iter().map(|p| (p.1, p.2, p.3)).collect::<Vec<_>>());
    let energies: Vec<f64> = pts.iter().filter_map(|p| p.3).collect();
    let (e_lo, e_hi) = energies
        .iter()
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), &e| {
            (lo.min(e), hi.max(e))
        });
    let radius = |e: Option<f64>| match e {
        Some(e) if e_hi > e_lo => 5 + ((e - e_lo) / (e_hi - e_lo) * 9.0).round() as u32,
        _ => 6,
    };
    let mut lines: Vec<Line> = pts
        .iter()
        .enumerate()
        .map(|(i, (p, tok_s, ram, e))| {
            Line::new(
                point_name(r, p),
                color(i),
                Stroke::Markers,
                vec![(ram / BYTES_PER_MIB, *tok_s)],
            )
            .with_radius(radius(*e))
        })
        .collect();
    let mut on_front: Vec<(f64, f64)> = pts
        .iter()
        .zip(&front)
        .filter(|(_, f)| **f)
        .map(|(p, _)| (p.2 / BYTES_PER_MIB, p.1))
        .collect();
    on_front.sort_by(|a, b| a.0.total_cmp(&b.0));
    lines.push(Line::new(
        "Pareto front",
        INK,
        Stroke::Dashed,
        on_front.clone(),
    ));
    lines.push(Line::new("", INK, Stroke::Rings, on_front).with_radius(11));
    let size = if energies.is_empty() {
        "J/token was not measured (no power sensor), so every marker has the same size."
    } else {
        "Marker size grows with J/token (larger uses more energy per token)."
    };
    grid(&[figure(
        "pareto",
        XyChart {
            title: "Speed against memory".into(),
            x_desc: "steady peak RSS (MiB)".into(),
            y_desc: "decode (tok/s)".into(),
            height: 360,
            lines,
            y_from_zero: true,
            ..Default::default()
        }
        .render(),
        &format!(
            "Up and to the left is better. Ringed and joined: the Pareto front (no other point is at least as fast with no more memory{}). {size}",
            if energies.len() == pts.len() { " and energy" } else { "" }
        ),
    )])
}
