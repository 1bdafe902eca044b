//! Decode tok/s per backend × quant × threads: one bar per point, its 95% bootstrap interval
//! as a whisker and its roofline ceiling (bandwidth ÷ bytes read per token) as a mark.

use super::svg::{color, Bar, BarChart};
use super::{figure, grid, measured, missing, point_name};
use crate::results::Report;

/// Bars are coloured by backend (the legend names them).
pub fn backend_colors(r: &Report) -> Vec<(String, plotters::style::RGBColor)> {
    let mut names: Vec<String> = Vec::new();
    for p in &r.points {
        if !names.contains(&p.label.backend) {
            names.push(p.label.backend.clone());
        }
    }
    names
        .into_iter()
        .enumerate()
        .map(|(i, n)| (n, color(i)))
        .collect()
}

pub fn section(r: &Report) -> String {
    let points = measured(r);
    if points.is_empty() {
        return missing("No point produced measurements, so there is no throughput to draw.");
    }
    let colors = backend_colors(r);
    let color_of = |b: &str| {
        colors
            .iter()
            .find(|(n, _)| n == b)
            .map_or(color(0), |(_, c)| *c)
    };
    let bars: Vec<Bar> = points
        .iter()
        .filter_map(|p| {
            let lat = p.latency.as_ref()?;
            Some(Bar {
                label: point_name(r, p),
                value: lat.decode_tok_s?,
                whisker: lat.decode_tok_s_ci95,
                mark: p.roofline.as_ref().map(|x| x.ceiling_tok_s),
                color: color_of(&p.label.backend),
            })
        })
        .collect();
    if bars.is_empty() {
        return missing(
            "No point has decode steps (gen_tokens = 0?), so decode tok/s is not measured.",
        );
    }
    let roof = if points.iter().any(|p| p.roofline.is_some()) {
        "The dashed mark is the roofline ceiling: read bandwidth at the point's working set ÷ the weight bytes read per token; a number after an arrow is a ceiling beyond the axis."
    } else {
        "No roofline: the memory bandwidth was not measured in this run (--no-calibration)."
    };
    let chart = BarChart {
        title: "Decode throughput".into(),
        x_desc: "decode (tok/s)".into(),
        bars,
        whisker_name: "95% CI".into(),
        mark_name: "roofline ceiling".into(),
        color_names: colors,
    };
    grid(&[figure(
        "decode-tok-s",
        chart.render(),
        &format!(
            "Median decode tokens/s over the measured runs, whiskers the 95% bootstrap interval. {roof}"
        ),
    )])
}
