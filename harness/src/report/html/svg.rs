//! Chart plumbing shared by every chart of `report.html` and the history page: an x/y chart
//! (lines, markers, shaded x-spans), a horizontal bar chart with whiskers, drawn with
//! `plotters`' SVG backend, each with its title, axis names with units and a legend drawn
//! below the plot (never over the data). Text is SVG `<text>` in the generic `sans-serif`
//! family, so no font file is needed. Non-finite values are dropped before drawing: a chart
//! never holds a `NaN` coordinate or an empty path.

use plotters::coord::Shift;
use plotters::prelude::*;

/// Width of a chart in SVG pixels; the page scales it (`viewBox`) to the screen.
pub const WIDTH: u32 = 460;
/// Fonts in plotters' unit (the SVG font size is this ÷ 1.24).
const TITLE_FONT: f64 = 23.0;
const AXIS_FONT: f64 = 20.0;
const TICK_FONT: f64 = 19.0;
const LEGEND_FONT: f64 = 19.0;
/// Height of one legend row, pixels.
const LEGEND_ROW: u32 = 22;

/// Tableau 10: distinct, colour-blind-friendly hues; series cycle through them.
const PALETTE: [RGBColor; 10] = [
    RGBColor(31, 119, 180),
    RGBColor(255, 127, 14),
    RGBColor(44, 160, 44),
    RGBColor(214, 39, 40),
    RGBColor(148, 103, 189),
    RGBColor(140, 86, 75),
    RGBColor(227, 119, 194),
    RGBColor(127, 127, 127),
    RGBColor(188, 189, 34),
    RGBColor(23, 190, 207),
];

/// The `i`-th series colour.
pub fn color(i: usize) -> RGBColor {
    PALETTE[i % PALETTE.len()]
}

/// Near-black for reference lines (budgets, ceilings, peaks).
pub const INK: RGBColor = RGBColor(40, 40, 40);

/// How a line is drawn.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stroke {
    Solid,
    /// Thin solid line (many overlaid runs of one series).
    Thin,
    Dashed,
    /// Markers only, no line.
    Markers,
    /// Triangle markers (peaks).
    Triangles,
    /// Hollow rings around points (a highlighted set).
    Rings,
}

/// One series (or reference line) of an x/y chart.
#[derive(Debug, Clone)]
pub struct Line {
    /// Legend text; lines with the same name and colour share one legend entry.
    pub name: String,
    pub color: RGBColor,
    pub stroke: Stroke,
    pub points: Vec<(f64, f64)>,
    /// Marker radius, pixels.
    pub radius: u32,
}

impl Line {
    pub fn new(
        name: impl Into<String>,
        color: RGBColor,
        stroke: Stroke,
        points: Vec<(f64, f64)>,
    ) -> Line {
        Line {
            name: name.into(),
            color,
            stroke,
            points,
            radius: 4,
        }
    }

    /// The same line with markers of `radius` pixels.
    pub fn with_radius(mut self, radius: u32) -> Line {
        self.radius = radius;
        self
    }

    /// A horizontal line at `y` over `[x0, x1]`.
    pub fn horizontal(name: impl Into<String>, color: RGBColor, y: f64, x0: f64, x1: f64) -> Line {
        Line::new(name, color, Stroke::Dashed, vec![(x0, y), (x1, y)])
    }

    fn finite_points(&self) -> Vec<(f64, f64)> {
        self.points
            .iter()
            .copied()
            .filter(|(x, y)| x.is_finite() && y.is_finite())
            .collect()
    }
}

/// A shaded x-span (a phase of a power timeline).
#[derive(Debug, Clone)]
pub struct Band {
    pub name: String,
    pub color: RGBColor,
    pub x0: f64,
    pub x1: f64,
}

/// A line chart: x and y are numbers with units in their axis names.
#[derive(Debug, Clone, Default)]
pub struct XyChart {
    pub title: String,
    pub x_desc: String,
    pub y_desc: String,
    pub height: u32,
    pub lines: Vec<Line>,
    pub bands: Vec<Band>,
    /// Start the y axis at 0 (throughput, memory) instead of at the data's minimum.
    pub y_from_zero: bool,
    /// Vertical marks (change points): x and legend name.
    pub vlines: Vec<(f64, String)>,
}

/// One legend entry: its swatch and text.
struct Entry {
    name: String,
    color: RGBColor,
    stroke: Stroke,
    /// A filled box: bars (solid) or shaded spans (`translucent`).
    filled_box: bool,
    translucent: bool,
}

/// `[lo, hi]` padded by 5% (and made non-empty).
fn padded(lo: f64, hi: f64, from_zero: bool) -> (f64, f64) {
    let lo = if from_zero { lo.min(0.0) } else { lo };
    let span = hi - lo;
    if !span.is_finite() || span <= f64::EPSILON * hi.abs().max(1.0) {
        let d = if hi.abs() > 0.0 { hi.abs() * 0.1 } else { 1.0 };
        return (if from_zero { lo } else { lo - d }, hi + d);
    }
    (
        if from_zero && lo == 0.0 {
            0.0
        } else {
            lo - span * 0.05
        },
        hi + span * 0.05,
    )
}

/// Tick label of a number: few digits, no trailing noise.
pub fn tick(v: f64) -> String {
    let a = v.abs();
    if a == 0.0 {
        "0".into()
    } else if a >= 10_000.0 {
        format!("{:.0}k", v / 1000.0)
    } else if a >= 100.0 {
        format!("{v:.0}")
    } else if a >= 10.0 {
        format!("{v:.1}").trim_end_matches(".0").to_string()
    } else if a >= 0.01 {
        let s = format!("{v:.3}");
        s.trim_end_matches('0').trim_end_matches('.').to_string()
    } else {
        format!("{v:.0e}")
    }
}

/// Legend rows needed for `entries` at chart width.
fn legend_layout(entries: &[Entry]) -> Vec<Vec<usize>> {
    let mut rows: Vec<Vec<usize>> = Vec::new();
    let mut used = 0u32;
    for (i, e) in entries.iter().enumerate() {
        let w = entry_width(&e.name);
        if rows.is_empty() || used + w > WIDTH - 16 {
            rows.push(Vec::new());
            used = 0;
        }
        if let Some(r) = rows.last_mut() {
            r.push(i);
        }
        used += w;
    }
    rows
}

fn entry_width(name: &str) -> u32 {
    // Swatch, gap, ~8.6 px per character at the legend font, and spacing.
    34 + (name.chars().count() as f64 * 8.6).ceil() as u32 + 14
}

fn draw_legend<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    entries: &[Entry],
) -> Result<(), DrawingAreaErrorKind<DB::ErrorType>> {
    let font = ("sans-serif", LEGEND_FONT).into_font().color(&INK);
    for (row, idx) in legend_layout(entries).iter().enumerate() {
        let y = 6 + row as i32 * LEGEND_ROW as i32 + LEGEND_ROW as i32 / 2;
        let mut x = 12i32;
        for &i in idx {
            let e = &entries[i];
            if e.filled_box {
                let fill = if e.translucent {
                    e.color.mix(0.35).filled()
                } else {
                    e.color.filled()
                };
                area.draw(&Rectangle::new([(x, y - 6), (x + 24, y + 6)], fill))?;
            } else {
                match e.stroke {
                    Stroke::Markers => area.draw(&Circle::new((x + 12, y), 4, e.color.filled()))?,
                    Stroke::Triangles => {
                        area.draw(&TriangleMarker::new((x + 12, y), 5, e.color.filled()))?
                    }
                    Stroke::Rings => {
                        area.draw(&Circle::new((x + 12, y), 7, e.color.stroke_width(2)))?
                    }
                    Stroke::Dashed => {
                        for k in 0..3 {
                            area.draw(&PathElement::new(
                                vec![(x + k * 9, y), (x + k * 9 + 6, y)],
                                e.color.stroke_width(2),
                            ))?;
                        }
                    }
                    Stroke::Solid | Stroke::Thin => area.draw(&PathElement::new(
                        vec![(x, y), (x + 24, y)],
                        e.color.stroke_width(3),
                    ))?,
                }
            }
            area.draw(&Text::new(e.name.clone(), (x + 30, y - 8), font.clone()))?;
            x += entry_width(&e.name) as i32;
        }
    }
    Ok(())
}

fn legend_height(entries: &[Entry]) -> u32 {
    let rows = legend_layout(entries).len() as u32;
    if rows == 0 {
        0
    } else {
        rows * LEGEND_ROW + 12
    }
}

/// Render a closure's drawing into an SVG string.
fn svg_string(
    height: u32,
    draw: impl FnOnce(&DrawingArea<SVGBackend, Shift>) -> Result<(), String>,
) -> Result<String, String> {
    let mut buf = String::new();
    {
        let root = SVGBackend::with_string(&mut buf, (WIDTH, height)).into_drawing_area();
        root.fill(&WHITE).map_err(|e| e.to_string())?;
        draw(&root)?;
        root.present().map_err(|e| e.to_string())?;
    }
    Ok(buf)
}

fn err<E: std::fmt::Display>(e: E) -> String {
    e.to_string()
}

impl XyChart {
    fn entries(&self) -> Vec<Entry> {
        let mut out: Vec<Entry> = Vec::new();
        let mut push = |name: &str, color: RGBColor, stroke: Stroke, filled_box: bool| {
            if !name.is_empty() && !out.iter().any(|e| e.name == name && e.color == color) {
                out.push(Entry {
                    name: name.to_string(),
                    color,
                    stroke,
                    filled_box,
                    translucent: filled_box,
                });
            }
        };
        for l in &self.lines {
            if !l.finite_points().is_empty() {
                push(&l.name, l.color, l.stroke, false);
            }
        }
        for b in &self.bands {
            push(&b.name, b.color, Stroke::Solid, true);
        }
        for (_, name) in &self.vlines {
            push(name, INK, Stroke::Dashed, false);
        }
        out
    }

    /// The chart as an SVG document, or why it could not be drawn (no finite values).
    pub fn render(&self) -> Result<String, String> {
        let pts: Vec<(f64, f64)> = self.lines.iter().flat_map(Line::finite_points).collect();
        if pts.is_empty() {
            return Err("no finite values to draw".into());
        }
        let fold = |f: fn(&(f64, f64)) -> f64| {
            pts.iter()
                .map(f)
                .fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), v| {
                    (lo.min(v), hi.max(v))
                })
        };
        let (mut x_lo, mut x_hi) = fold(|p| p.0);
        for b in &self.bands {
            if b.x0.is_finite() && b.x1.is_finite() {
                x_lo = x_lo.min(b.x0);
                x_hi = x_hi.max(b.x1);
            }
        }
        let (y_lo, y_hi) = fold(|p| p.1);
        let (x0, x1) = padded(x_lo, x_hi, false);
        let (x0, x1) = if x_lo >= 0.0 {
            (x0.max(0.0), x1)
        } else {
            (x0, x1)
        };
        let (y0, y1) = padded(y_lo, y_hi, self.y_from_zero);
        let entries = self.entries();
        let legend_h = legend_height(&entries);
        let height = self.height.max(200) + legend_h;
        svg_string(height, |root| {
            let (plot, legend) = root.split_vertically(height - legend_h);
            let mut chart = ChartBuilder::on(&plot)
                .caption(
                    &self.title,
                    ("sans-serif", TITLE_FONT).into_font().color(&INK),
                )
                .margin(8)
                .margin_right(18)
                .x_label_area_size(50)
                .y_label_area_size(68)
                .build_cartesian_2d(x0..x1, y0..y1)
                .map_err(err)?;
            let fx = |v: &f64| tick(*v);
            chart
                .configure_mesh()
                .x_desc(&self.x_desc)
                .y_desc(&self.y_desc)
                .x_labels(6)
                .y_labels(6)
                .x_label_formatter(&fx)
                .y_label_formatter(&fx)
                .label_style(("sans-serif", TICK_FONT).into_font().color(&INK))
                .axis_desc_style(("sans-serif", AXIS_FONT).into_font().color(&INK))
                .max_light_lines(1)
                .light_line_style(RGBColor(242, 242, 242))
                .bold_line_style(RGBColor(215, 215, 215))
                .draw()
                .map_err(err)?;
            for b in &self.bands {
                if b.x0.is_finite() && b.x1.is_finite() && b.x1 > b.x0 {
                    chart
                        .draw_series(std::iter::once(Rectangle::new(
                            [(b.x0, y0), (b.x1, y1)],
                            b.color.mix(0.18).filled(),
                        )))
                        .map_err(err)?;
                }
            }
            for (x, _) in &self.vlines {
                if x.is_finite() {
                    chart
                        .draw_series(DashedLineSeries::new(
                            vec![(*x, y0), (*x, y1)],
                            6,
                            4,
                            INK.stroke_width(1),
                        ))
                        .map_err(err)?;
                }
            }
            for l in &self.lines {
                let p = l.finite_points();
                if p.is_empty() {
                    continue;
                }
                match l.stroke {
                    Stroke::Solid if p.len() == 1 => {
                        chart
                            .draw_series(p.iter().map(|&q| Circle::new(q, 4, l.color.filled())))
                            .map_err(err)?;
                    }
                    Stroke::Solid => {
                        chart
                            .draw_series(LineSeries::new(p.clone(), l.color.stroke_width(2)))
                            .map_err(err)?;
                        if p.len() <= 24 {
                            chart
                                .draw_series(p.iter().map(|&q| Circle::new(q, 3, l.color.filled())))
                                .map_err(err)?;
                        }
                    }
                    Stroke::Thin => {
                        chart
                            .draw_series(LineSeries::new(p, l.color.mix(0.75).stroke_width(1)))
                            .map_err(err)?;
                    }
                    Stroke::Dashed => {
                        chart
                            .draw_series(DashedLineSeries::new(p, 8, 5, l.color.stroke_width(2)))
                            .map_err(err)?;
                    }
                    Stroke::Markers => {
                        chart
                            .draw_series(
                                p.iter()
                                    .map(|&q| Circle::new(q, l.radius, l.color.filled())),
                            )
                            .map_err(err)?;
                    }
                    Stroke::Rings => {
                        chart
                            .draw_series(
                                p.iter()
                                    .map(|&q| Circle::new(q, l.radius, l.color.stroke_width(2))),
                            )
                            .map_err(err)?;
                    }
                    Stroke::Triangles => {
                        chart
                            .draw_series(
                                p.iter()
                                    .map(|&q| TriangleMarker::new(q, 6, l.color.filled())),
                            )
                            .map_err(err)?;
                    }
                }
            }
            draw_legend(&legend, &entries).map_err(err)
        })
    }
}

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
            chart
                .configure_mesh()
                .disable_y_mesh()
                .x_desc(&self.x_desc)
                .x_labels(6)
                .y_labels(n * 2 + 1)
                .x_label_formatter(&fx)
                .y_label_formatter(&fy)
                .label_style(("sans-serif", TICK_FONT).into_font().color(&INK))
                .axis_desc_style(("sans-serif", AXIS_FONT).into_font().color(&INK))
                .max_light_lines(1)
                .light_line_style(RGBColor(242, 242, 242))
                .bold_line_style(RGBColor(215, 215, 215))
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ticks_are_short() {
        assert_eq!(tick(0.0), "0");
        assert_eq!(tick(12.0), "12");
        assert_eq!(tick(12.5), "12.5");
        assert_eq!(tick(250.4), "250");
        assert_eq!(tick(0.25), "0.25");
        assert_eq!(tick(25_000.0), "25k");
    }

    #[test]
    fn a_chart_without_finite_values_is_refused_not_drawn() {
        let c = XyChart {
            title: "t".into(),
            lines: vec![Line::new(
                "a",
                color(0),
                Stroke::Solid,
                vec![(f64::NAN, 1.0)],
            )],
            ..Default::default()
        };
        assert!(c.render().is_err());
    }

    #[test]
    fn non_finite_points_are_dropped() {
        let c = XyChart {
            title: "t".into(),
            x_desc: "x (s)".into(),
            y_desc: "y (ms)".into(),
            height: 300,
            lines: vec![Line::new(
                "a",
                color(0),
                Stroke::Solid,
                vec![
                    (0.0, 1.0),
                    (1.0, f64::NAN),
                    (2.0, f64::INFINITY),
                    (3.0, 2.0),
                ],
            )],
            ..Default::default()
        };
        let svg = c.render().unwrap();
        assert!(!svg.contains("NaN") && !svg.contains("inf"), "{svg}");
        assert!(svg.contains("x (s)") && svg.contains("y (ms)"));
    }
}
