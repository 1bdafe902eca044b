//! TTFT and prefill tok/s against prompt length, one line per configuration (the point's name
//! without its prompt length), drawn when the scenario sweeps the prompt length.

use super::svg::{color, Line, Stroke, XyChart};
use super::{figure, grid, measured, missing};
use crate::results::{PointResult, Report};

/// A configuration: everything in the label but the prompt length.
fn config(p: &PointResult) -> String {
    let l = &p.label;
    format!(
        "{} {} {} t{} g{}",
        l.backend, l.model, l.quant, l.threads, l.gen_tokens
    )
}

pub fn section(r: &Report) -> String {
    let points = measured(r);
    let mut prompts: Vec<usize> = points.iter().map(|p| p.label.prompt_tokens).collect();
    prompts.sort_unstable();
    prompts.dedup();
    if prompts.len() < 2 {
        let what = prompts.first().map_or_else(
            || "no point ran".to_string(),
            |n| format!("every point uses a {n}-token prompt"),
        );
        return missing(&format!(
            "The scenario does not sweep the prompt length ({what}), so TTFT and prefill tok/s are in the table below rather than drawn against it."
        ));
    }
    let mut configs: Vec<String> = Vec::new();
    for p in &points {
        if !configs.contains(&config(p)) {
            configs.push(config(p));
        }
    }
    // Drop the parts every configuration shares from the legend.
    let shared_model = points
        .iter()
        .all(|p| p.label.model == points[0].label.model);
    let shared_gen = points
        .iter()
        .all(|p| p.label.gen_tokens == points[0].label.gen_tokens);
    let legend = |p: &PointResult| {
        let l = &p.label;
        let mut s = l.backend.clone();
        if !shared_model {
            s += &format!(" {}", l.model);
        }
        s += &format!(" {} t{}", l.quant, l.threads);
        if !shared_gen {
            s += &format!(" g{}", l.gen_tokens);
        }
        s
    };
    let series = |value: &dyn Fn(&PointResult) -> Option<f64>| -> Vec<Line> {
        configs
            .iter()
            .enumerate()
            .filter_map(|(i, c)| {
                let mut pts: Vec<&&PointResult> =
                    points.iter().filter(|p| &config(p) == c).collect();
                pts.sort_by_key(|p| p.label.prompt_tokens);
                let xy: Vec<(f64, f64)> = pts
                    .iter()
                    .filter_map(|p| Some((p.label.prompt_tokens as f64, value(p)?)))
                    .collect();
                (!xy.is_empty()).then(|| Line::new(legend(pts[0]), color(i), Stroke::Solid, xy))
            })
            .collect()
    };
    let ttft = series(&|p| Some(p.latency.as_ref()?.ttft.p50_ns / 1e6));
    let prefill = series(&|p| p.latency.as_ref().map(|l| l.prefill_tok_s));
    grid(&[
        figure(
            "ttft-vs-prompt",
            XyChart {
                title: "Time to first token".into(),
                x_desc: "prompt length (tokens)".into(),
                y_desc: "TTFT (ms)".into(),
                height: 330,
                lines: ttft,
                y_from_zero: true,
                ..Default::default()
            }
            .render(),
            "Median time to first token (the prefill call) over the measured runs.",
        ),
        figure(
            "prefill-vs-prompt",
            XyChart {
                title: "Prefill throughput".into(),
                x_desc: "prompt length (tokens)".into(),
                y_desc: "prefill (tok/s)".into(),
                height: 330,
                lines: prefill,
                y_from_zero: true,
                ..Default::default()
            }
            .render(),
            "Prompt tokens ÷ median TTFT.",
        ),
    ])
}
