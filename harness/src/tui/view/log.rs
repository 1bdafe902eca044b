//! Log pane: the newest log lines (harness `Log` events, point failures and skips), scrollable
//! with ↑/↓ when focused.

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::{Color, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Widget};

use super::pane;
use crate::events::LogLevel;
use crate::tui::app::{App, Focus};

fn level_span(level: LogLevel) -> Span<'static> {
    match level {
        LogLevel::Info => Span::styled("info ", Style::new().fg(Color::Blue)),
        LogLevel::Warn => Span::styled("warn ", Style::new().fg(Color::Yellow)),
        LogLevel::Error => Span::styled("error ", Style::new().fg(Color::Red)),
    }
}

pub(crate) fn render(app: &App, area: Rect, buf: &mut Buffer) {
    let title = if app.log_scroll > 0 {
        format!("Log (↑{} older)", app.log_scroll)
    } else {
        "Log".to_string()
    };
    let block = pane(title, app, Some(Focus::Log));
    let inner = block.inner(area);
    block.render(area, buf);
    let rows = inner.height as usize;
    let end = app.log.len().saturating_sub(app.log_scroll);
    let start = end.saturating_sub(rows);
    let lines: Vec<Line> = app
        .log
        .range(start..end)
        .map(|l| Line::from(vec![level_span(l.level), Span::raw(l.message.clone())]))
        .collect();
    Paragraph::new(lines).render(inner, buf);
}
