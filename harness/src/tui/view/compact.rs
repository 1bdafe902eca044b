//! Compact view for terminals smaller than the full layout: the header, a hint that charts need
//! more room, then one line per point (tokens/s once done), scrolled to the focused one. Text is clipped, never wrapped.

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::{Color, Style};
use ratatui::text::Line;
use ratatui::widgets::{Paragraph, Widget};

use super::matrix::point_line;
use super::{header_line, FULL_MIN_HEIGHT, FULL_MIN_WIDTH};
use crate::tui::app::App;

pub(crate) fn render(app: &App, area: Rect, buf: &mut Buffer) {
    let header = Rect { height: 1, ..area };
    header_line(app).render(header, buf);
    let mut lines = vec![Line::styled(
        format!("terminal too small for charts (need {FULL_MIN_WIDTH}×{FULL_MIN_HEIGHT}) · ? help"),
        Style::new().fg(Color::DarkGray),
    )];
    // Keep the focused point on screen: skip leading points when the list is taller.
    let rows = area.height.saturating_sub(2) as usize;
    let first = match app.focused_index() {
        Some(f) if rows > 0 && f >= rows => f + 1 - rows,
        _ => 0,
    };
    for (i, p) in app.points.iter().enumerate().skip(first) {
        lines.push(point_line(p, app.selected == Some(i)));
    }
    let body = Rect {
        y: area.y.saturating_add(1),
        height: area.height.saturating_sub(1),
        ..area
    };
    Paragraph::new(lines).render(body, buf);
}
