//! Compact view for terminals smaller than the full layout: the header, a hint that charts need
//! more room, then one line per point (tokens/s once known). Text is clipped, never wrapped.

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::{Color, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Widget};

use super::matrix::point_line;
use super::{header_line, or_na, FULL_MIN_HEIGHT, FULL_MIN_WIDTH};
use crate::tui::app::App;

pub(crate) fn render(app: &App, area: Rect, buf: &mut Buffer) {
    let header = Rect { height: 1, ..area };
    header_line(app).render(header, buf);
    let mut lines = vec![Line::styled(
        format!("terminal too small for charts (need {FULL_MIN_WIDTH}×{FULL_MIN_HEIGHT}) · ? help"),
        Style::new().fg(Color::DarkGray),
    )];
    for (i, p) in app.points.iter().enumerate() {
        let mut line = point_line(p, app.selected == Some(i));
        let tok_s = app.rows.iter().find(|r| r.index == i).and_then(|r| r.decode_tok_s);
        if tok_s.is_some() {
            line.spans.push(Span::raw(format!(" {} tok/s", or_na(tok_s, 1, ""))));
        }
        lines.push(line);
    }
    let body = Rect {
        y: area.y.saturating_add(1),
        height: area.height.saturating_sub(1),
        ..area
    };
    Paragraph::new(lines).render(body, buf);
}
