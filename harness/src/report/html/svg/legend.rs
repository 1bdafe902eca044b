//! The legend below a chart: one entry per series, reference line or shaded span, laid out
//! in rows that fit the chart's width (so it never covers the data).

use plotters::coord::Shift;
use plotters::prelude::*;

use super::{Stroke, INK, LEGEND_FONT, LEGEND_ROW, WIDTH};

/// One legend entry: its swatch and text.
pub struct Entry {
    pub name: String,
    pub color: RGBColor,
    pub stroke: Stroke,
    /// A filled box: bars (solid) or shaded spans (`translucent`).
    pub filled_box: bool,
    pub translucent: bool,
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

pub fn draw_legend<DB: DrawingBackend>(
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

pub fn legend_height(entries: &[Entry]) -> u32 {
    let rows = legend_layout(entries).len() as u32;
    if rows == 0 {
        0
    } else {
        rows * LEGEND_ROW + 12
    }
}
