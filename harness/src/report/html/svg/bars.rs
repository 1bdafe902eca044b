//! A horizontal bar chart (one row per category, so long labels stay horizontal and
//! readable), with optional whiskers (intervals) and a reference mark per row.

use plotters::prelude::*;

use super::legend::{draw_legend, legend_height, Entry};
use super::{
    err, house_style, svg_string, tick, Stroke, INK, PALETTE, TICK_FONT, TITLE_FONT, WIDTH,
};

/// One bar of a horizontal bar chart.
#[derive(Debug, Clone)]
pub struct Bar {
    pub label: String,
    pub value: f64,
    /// Whisker (e.g. a 95% interval).
    pub whisker: Option<[f64; 2]>,
    /// A reference mark on this bar's row (e.g. its roofline ceiling).
    pub mark: Option<f64>,
    pub color: RGBColor,
}

/// Horizontal bars, one row per category (labels stay horizontal and readable).
#[derive(Debug, Clone, Default)]
pub struct BarChart {
    pub title: String,
    pub x_desc: String,
    pub bars: Vec<Bar>,
    /// Legend text for the whiskers and the marks (empty: no entry).
    pub whisker_name: String,
    pub mark_name: String,
    /// Legend entries for the bar colours: (name, colour).
    pub color_names: Vec<(String, RGBColor)>,
}

const BAR_ROW: u32 = 26;

impl BarChart {
    pub fn render(&self) -> Result<String, String> {
        let bars: Vec<&Bar> = self.bars.iter().filter(|b| b.value.is_finite()).collect();
        if bars.is_empty() {
            return Err("no finite values to draw".into());
        }
        let mut hi = 0.0f64;
        for b in &bars {
            hi = hi.max(b.value);
            if let Some([_, w]) = b.whisker.filter(|w| w[0].is_finite() && w[1].is_finite()) {
                hi = hi.max(w);
            }
        }
        // A mark far beyond the bars would squash them: marks up to 3× the largest bar widen
        // the axis; farther ones are drawn at the edge with their value.
        let data_hi = hi;
        for b in &bars {
            if let Some(m) = b.mark.filter(|m| m.is_finite() && *m <= 3.0 * data_hi) {
                hi = hi.max(m);
            }
        }
        let x1 = if hi > 0.0 { hi * 1.08 } else { 1.0 };
        let n = bars.len();
        let mut entries: Vec<Entry> = self
            .color_names
            .iter()
            .map(|(name, color)| Entry {
                name: name.clone(),
                color: *color,
                stroke: Stroke::Solid,
                filled_box: true,
                translucent: false,
            })
            .collect();
        if bars.iter().any(|b| b.whisker.is_some()) && !self.whisker_name.is_empty() {
            entries.push(Entry {
                name: self.whisker_name.clone(),
                color: INK,
                stroke: Stroke::Solid,
                filled_box: false,
                translucent: false,
            });
        }
        if bars.iter().any(|b| b.mark.is_some_and(f64::is_finite)) && !self.mark_name.is_empty() {
            entries.push(Entry {
                name: self.mark_name.clone(),
                color: PALETTE[3],
                stroke: Stroke::Dashed,
                filled_box: false,
                translucent: false,
            });
        }
        let legend_h = legend_height(&entries);
        let plot_h = 96 + BAR_ROW * n as u32;
        let height = plot_h + legend_h;
        let longest = bars
            .iter()
            .map(|b| b.label.chars().count())
            .max()
            .unwrap_or(4);
        let label_w = (longest as f64 * 8.8 + 16.0).clamp(60.0, (WIDTH / 2) as f64) as u32;
        svg_string(height, |root| {
            let (plot, legend) = root.split_vertically(plot_h);
            let mut chart = ChartBuilder::on(&plot)
                .caption(
                    &self.title,
                    ("sans-serif", TITLE_FONT).into_font().color(&INK),
                )
                .margin(8)
                .margin_right(22)
                .x_label_area_size(46)
                .y_label_area_size(label_w)
                .build_cartesian_2d(0.0..x1, -0.5..(n as f64 - 0.5))
                .map_err(err)?;
            let labels: Vec<String> = bars.iter().map(|b| b.label.clone()).collect();
            let fy = |v: &f64| {
                let i = v.round();
                if (v - i).abs() < 1e-6 && i >= 0.0 && (i as usize) < labels.len() {
                    // Row 0 at the top.
                    labels[labels.len() - 1 - i as usize].clone()
                } else {
                    String::new()
                }
            };
            let fx = |v: &f64| tick(*v);
            house_style(&mut chart.configure_mesh())
                .disable_y_mesh()
                .x_desc(&self.x_desc)
                .x_labels(6)
                .y_labels(n * 2 + 1)
                .x_label_formatter(&fx)
                .y_label_formatter(&fy)
                .draw()
                .map_err(err)?;
            let row = |i: usize| (n - 1 - i) as f64;
            chart
                .draw_series(bars.iter().enumerate().map(|(i, b)| {
                    Rectangle::new(
                        [(0.0, row(i) - 0.32), (b.value, row(i) + 0.32)],
                        b.color.filled(),
                    )
                }))
                .map_err(err)?;
            for (i, b) in bars.iter().enumerate() {
                if let Some([lo, hi]) = b.whisker.filter(|w| w[0].is_finite() && w[1].is_finite()) {
                    let y = row(i);
                    for seg in [
                        vec![(lo, y), (hi, y)],
                        vec![(lo, y - 0.2), (lo, y + 0.2)],
                        vec![(hi, y - 0.2), (hi, y + 0.2)],
                    ] {
                        chart
                            .draw_series(std::iter::once(PathElement::new(
                                seg,
                                INK.stroke_width(2),
                            )))
                            .map_err(err)?;
                    }
                }
                if let Some(m) = b.mark.filter(|m| m.is_finite()) {
                    let y = row(i);
                    let at = m.min(x1);
                    chart
                        .draw_series(DashedLineSeries::new(
                            vec![(at, y - 0.45), (at, y + 0.45)],
                            4,
                            3,
                            PALETTE[3].stroke_width(3),
                        ))
                        .map_err(err)?;
                    if m > x1 {
                        // Beyond the axis: say where.
                        chart
                            .draw_series(std::iter::once(Text::new(
                                format!("→ {}", tick(m)),
                                (x1 * 0.86, y + 0.48),
                                ("sans-serif", TICK_FONT * 0.85)
                                    .into_font()
                                    .color(&PALETTE[3]),
                            )))
                            .map_err(err)?;
                    }
                }
            }
            draw_legend(&legend, &entries).map_err(err)
        })
    }
}
