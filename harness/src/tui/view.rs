//! Drawing: `impl Widget for &App`. This file picks the layout (full panes, or a compact list
//! when the terminal is smaller than [`FULL_MIN_WIDTH`]×[`FULL_MIN_HEIGHT`]) and draws the header
//! and footer; each pane is a small function in its own file. Nothing here mutates state, and
//! every area is clipped to the buffer, so any terminal size (even 1×1) renders without panic.

mod compact;
mod details;
mod help;
mod live;
mod log;
mod matrix;
mod results;
mod sensors;
#[cfg(test)]
pub(super) mod tests;

use ratatui::buffer::Buffer;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::{Color, Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Paragraph, Widget};

use super::app::{App, Focus, RunOutcome};
use crate::events::Control;

/// Below this size the charts do not fit and the compact list is drawn instead.
pub const FULL_MIN_WIDTH: u16 = 60;
pub const FULL_MIN_HEIGHT: u16 = 15;

impl Widget for &App {
    fn render(self, area: Rect, buf: &mut Buffer) {
        let area = area.intersection(buf.area);
        if area.is_empty() {
            return;
        }
        if area.width < FULL_MIN_WIDTH || area.height < FULL_MIN_HEIGHT {
            compact::render(self, area, buf);
        } else {
            render_full(self, area, buf);
        }
        if self.show_help {
            help::render(area, buf);
        }
    }
}

fn render_full(app: &App, area: Rect, buf: &mut Buffer) {
    let results_h = (app.rows.len() as u16 + 3).clamp(4, (area.height / 4).max(7));
    let log_h = if area.height < 30 { 3 } else { area.height / 6 };
    let [header, body, results_area, log_area, footer] = Layout::vertical([
        Constraint::Length(1),
        Constraint::Min(6),
        Constraint::Length(results_h),
        Constraint::Length(log_h),
        Constraint::Length(1),
    ])
    .areas(area);
    header_line(app).render(header, buf);
    let matrix_w = (area.width * 2 / 5).clamp(28, 48);
    let [left, right] =
        Layout::horizontal([Constraint::Length(matrix_w), Constraint::Fill(1)]).areas(body);
    matrix::render(app, left, buf);
    let [live_area, sensors_area] =
        Layout::vertical([Constraint::Fill(1), Constraint::Length(5)]).areas(right);
    let shows_live = app
        .live
        .as_ref()
        .is_some_and(|l| app.focused_index().is_none_or(|i| i == l.index));
    if shows_live {
        live::render(app, live_area, buf);
    } else {
        details::render(app, live_area, buf);
    }
    sensors::render(app, sensors_area, buf);
    results::render(app, results_area, buf);
    log::render(app, log_area, buf);
    footer_line().render(footer, buf);
}

/// "edgebench · smoke · 2/5 done · 1 failed · <state>".
pub(crate) fn header_line(app: &App) -> Paragraph<'static> {
    let failed = app
        .points
        .iter()
        .filter(|p| matches!(p.phase, super::app::point::Phase::Failed { .. }))
        .count();
    let mut text = format!(
        "edgebench · {} · {}/{} done",
        app.scenario.as_deref().unwrap_or("waiting for plan"),
        app.finished_count(),
        app.points.len()
    );
    if failed > 0 {
        text.push_str(&format!(" · {failed} failed"));
    }
    let mut spans = vec![Span::styled(
        text,
        Style::new().add_modifier(Modifier::BOLD),
    )];
    if let Some((banner, color)) = banner(app) {
        spans.push(Span::raw(" "));
        spans.push(Span::styled(
            format!(" {banner} "),
            Style::new().fg(Color::Black).bg(color),
        ));
    }
    Paragraph::new(Line::from(spans))
}

/// The state line of the header: what the run is doing or what the user asked for.
pub(crate) fn banner(app: &App) -> Option<(String, Color)> {
    match (&app.outcome, app.requested) {
        (Some(RunOutcome::Failed(_)), _) => {
            Some(("run failed (see log) — press q to exit".into(), Color::Red))
        }
        (Some(RunOutcome::Ok), _) => Some(("done — press q to exit".into(), Color::Green)),
        (None, Some(Control::Abort)) => {
            Some(("aborting — waiting for the runner…".into(), Color::Red))
        }
        (None, Some(Control::Stop)) => {
            Some(("stopping after the current point".into(), Color::Yellow))
        }
        (None, Some(Control::SkipCurrent)) => {
            Some(("skipping the current point".into(), Color::Yellow))
        }
        _ if app.plan_finished => Some(("plan finished".into(), Color::Green)),
        _ => None,
    }
}

fn footer_line() -> Paragraph<'static> {
    let keys = [
        ("q", "quit"),
        ("p", "stop after point"),
        ("s", "skip"),
        ("tab", "pane"),
        ("↑↓", "select"),
        ("o", "sort"),
        ("?", "help"),
    ];
    let mut spans = Vec::new();
    for (k, what) in keys {
        spans.push(Span::styled(
            k,
            Style::new().add_modifier(Modifier::REVERSED),
        ));
        spans.push(Span::raw(format!(" {what}  ")));
    }
    Paragraph::new(Line::from(spans)).style(Style::new().fg(Color::Gray))
}

/// A bordered block whose border is highlighted when `focus` is the app's focus.
pub(crate) fn pane<'a>(title: impl Into<Line<'a>>, app: &App, focus: Option<Focus>) -> Block<'a> {
    let focused = focus.is_some_and(|f| f == app.focus);
    let style = if focused {
        Style::new().fg(Color::Cyan)
    } else {
        Style::new().fg(Color::DarkGray)
    };
    Block::bordered().title(title).border_style(style)
}

/// `value` with `decimals` and a unit, or "n/a" when not measured/available.
pub(crate) fn or_na(value: Option<f64>, decimals: usize, unit: &str) -> String {
    match value {
        Some(v) if v.is_finite() => format!("{v:.decimals$}{unit}"),
        _ => "n/a".into(),
    }
}

pub(crate) fn mib(bytes: Option<u64>) -> Option<f64> {
    bytes.map(|b| b as f64 / crate::results::BYTES_PER_MIB)
}
