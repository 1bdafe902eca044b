//! RSS over time per point (the worker's resident set, sampled by the parent), with the peak
//! after load (VmHWM once the model loaded) and the steady peak (VmHWM at the end) marked.

use super::svg::{color, thin_max, Line, Stroke, XyChart, INK};
use super::{figure, grid, groups, measured, missing, point_name};
use crate::results::{PointResult, Report, BYTES_PER_MIB};

const PER_CHART: usize = 6;
/// RSS samples drawn per point (10 ms apart: a longer run is thinned to bucket maxima).
const MAX_LINE_POINTS: usize = 800;

/// Where on the timeline a peak of `bytes` is first reached (the last sample when never).
fn time_of(p: &PointResult, bytes: u64) -> Option<f64> {
    let t = &p.memory.rss_timeline;
    t.iter()
        .find(|s| s.rss_bytes as f64 >= bytes as f64 * 0.98)
        .or(t.last())
        .map(|s| s.t_ms / 1e3)
}

pub fn section(r: &Report) -> String {
    let all = measured(r);
    let points: Vec<&PointResult> = all
        .iter()
        .copied()
        .filter(|p| !p.memory.rss_timeline.is_empty())
        .collect();
    if points.is_empty() {
        let why = all
            .iter()
            .find_map(|p| p.memory.note.clone())
            .unwrap_or_else(|| "no RSS samples were recorded".into());
        return missing(&format!("No RSS timeline to draw: {why}."));
    }
    let mut figs = Vec::new();
    for (group, pts) in groups(&points, PER_CHART) {
        let mut lines = Vec::new();
        let mut load_peaks = Vec::new();
        let mut steady_peaks = Vec::new();
        for (i, p) in pts.iter().enumerate() {
            lines.push(Line::new(
                point_name(r, p),
                color(i),
                Stroke::Solid,
                thin_max(
                    p.memory
                        .rss_timeline
                        .iter()
                        .map(|s| (s.t_ms / 1e3, s.rss_bytes as f64 / BYTES_PER_MIB))
                        .collect(),
                    MAX_LINE_POINTS,
                ),
            ));
            if let Some(b) = p.memory.peak_rss_load_bytes {
                load_peaks.extend(time_of(p, b).map(|t| (t, b as f64 / BYTES_PER_MIB)));
            }
            if let Some(b) = p.memory.peak_rss_steady_bytes {
                steady_peaks.extend(time_of(p, b).map(|t| (t, b as f64 / BYTES_PER_MIB)));
            }
        }
        lines.push(Line::new(
            "peak after load",
            INK,
            Stroke::Markers,
            load_peaks,
        ));
        lines.push(Line::new(
            "steady peak",
            INK,
            Stroke::Triangles,
            steady_peaks,
        ));
        let suffix = if group.is_empty() {
            String::new()
        } else {
            format!(": {group}")
        };
        figs.push(figure(
            "rss-over-time",
            XyChart {
                title: format!("Resident memory{suffix}"),
                x_desc: "time since worker start (s)".into(),
                y_desc: "RSS (MiB)".into(),
                height: 330,
                lines,
                y_from_zero: true,
                ..Default::default()
            }
            .render(),
            "RSS sampled every 10 ms; dots mark the peak right after the model loaded (VmHWM), triangles the steady peak at the end of the runs (drawn where the samples first reach it, or at the last sample when the peak fell between samples).",
        ));
    }
    let without = all.len() - points.len();
    if without > 0 {
        figs.push(missing(&format!(
            "{without} measured point(s) have no RSS samples and are not drawn."
        )));
    }
    grid(&figs)
}
