//! Chart plumbing shared by every chart of `report.html` and the history page: an x/y chart
//! (lines, markers, shaded x-spans), a horizontal bar chart with whiskers, drawn with
//! `plotters`' SVG backend, each with its title, axis names with units and a legend drawn
//! below the plot (never over the data). Text is SVG `<text>` in the generic `sans-serif`
//! family, so no font file is needed. Non-finite values are dropped before drawing: a chart
//! never holds a `NaN` coordinate or an empty path.

mod bars;
mod legend;

pub use bars::{Bar, BarChart};
use legend::{draw_legend, legend_height, Entry};

use plotters::chart::MeshStyle;
use plotters::coord::ranged1d::Ranged;
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

/// Tableau 10 (its grey made bluish, so no series is the mesh's grey), then ten darker
/// hues: distinct, colour-blind-friendly; series cycle through all twenty.
const PALETTE: [RGBColor; 20] = [
    RGBColor(31, 119, 180),
    RGBColor(255, 127, 14),
    RGBColor(44, 160, 44),
    RGBColor(214, 39, 40),
    RGBColor(148, 103, 189),
    RGBColor(140, 86, 75),
    RGBColor(227, 119, 194),
    RGBColor(110, 110, 130),
    RGBColor(188, 189, 34),
    RGBColor(23, 190, 207),
    RGBColor(10, 60, 110),
    RGBColor(170, 80, 0),
    RGBColor(0, 95, 40),
    RGBColor(130, 10, 20),
    RGBColor(80, 40, 130),
    RGBColor(200, 160, 120),
    RGBColor(140, 30, 100),
    RGBColor(40, 40, 90),
    RGBColor(110, 110, 0),
    RGBColor(0, 110, 120),
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

/// At most about `max` points: consecutive points in buckets, each bucket its highest point
/// (spikes and peaks, what these charts are read for, survive).
pub fn thin_max(points: Vec<(f64, f64)>, max: usize) -> Vec<(f64, f64)> {
    if points.len() <= max.max(1) {
        return points;
    }
    points
        .chunks(points.len().div_ceil(max.max(1)))
        .filter_map(|c| c.iter().copied().max_by(|a, b| a.1.total_cmp(&b.1)))
        .collect()
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

/// The axes' fonts and the mesh's greys, the same in every chart.
pub(super) fn house_style<'a, 'b, 'm, X, Y, DB>(
    mesh: &'m mut MeshStyle<'a, 'b, X, Y, DB>,
) -> &'m mut MeshStyle<'a, 'b, X, Y, DB>
where
    X: Ranged,
    Y: Ranged,
    DB: DrawingBackend,
{
    mesh.label_style(("sans-serif", TICK_FONT).into_font().color(&INK))
        .axis_desc_style(("sans-serif", AXIS_FONT).into_font().color(&INK))
        .max_light_lines(1)
        .light_line_style(RGBColor(242, 242, 242))
        .bold_line_style(RGBColor(215, 215, 215))
}

/// Render a closure's drawing into an SVG string.
pub(super) fn svg_string(
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

pub(super) fn err<E: std::fmt::Display>(e: E) -> String {
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
            house_style(&mut chart.configure_mesh())
                .x_desc(&self.x_desc)
                .y_desc(&self.y_desc)
                .x_labels(6)
                .y_labels(6)
                .x_label_formatter(&fx)
                .y_label_formatter(&fx)
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn thinning_keeps_the_peaks() {
        let pts: Vec<(f64, f64)> = (0..1000)
            .map(|i| (i as f64, if i == 501 { 9.0 } else { 1.0 }))
            .collect();
        let thin = thin_max(pts.clone(), 100);
        assert_eq!(thin.len(), 100);
        assert!(thin.contains(&(501.0, 9.0)));
        assert_eq!(thin_max(pts[..50].to_vec(), 100).len(), 50);
    }

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
