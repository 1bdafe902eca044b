//! Results table: one row per point that finished with measurements, in the order `o` picks,
//! with the best value of each column highlighted. J/token reads "n/a" until results carry
//! energy (see `app::results::energy_per_token_j`).

use ratatui::buffer::Buffer;
use ratatui::layout::{Constraint, Rect};
use ratatui::style::{Color, Modifier, Style};
use ratatui::widgets::{Cell, Paragraph, Row, StatefulWidget, Table, TableState, Widget};

use super::{or_na, pane};
use crate::tui::app::results::{best_values, sorted_rows, ResultRow};
use crate::tui::app::{App, Focus};

pub(crate) const HEADERS: [&str; 9] = [
    "backend", "model", "quant", "thr", "tok/s", "TTFT ms", "p99 ms", "RAM MiB", "J/tok",
];

/// A numeric cell, bold green when it is the column's best.
fn num_cell(value: Option<f64>, best: Option<f64>, decimals: usize) -> Cell<'static> {
    let text = or_na(value, decimals, "");
    let is_best = matches!((value, best), (Some(v), Some(b)) if v == b);
    let style = if is_best {
        Style::new().fg(Color::Green).add_modifier(Modifier::BOLD)
    } else if value.is_none() {
        Style::new().fg(Color::DarkGray)
    } else {
        Style::new()
    };
    Cell::from(text).style(style)
}

pub(crate) fn render(app: &App, area: Rect, buf: &mut Buffer) {
    let title = format!(
        "Results ({}) · sort: {} [o]",
        app.rows.len(),
        app.sort.name()
    );
    let block = pane(title, app, Some(Focus::Results));
    if app.rows.is_empty() {
        Paragraph::new("no finished points yet")
            .style(Style::new().fg(Color::DarkGray))
            .block(block)
            .render(area, buf);
        return;
    }
    let best = best_values(&app.rows);
    let order = sorted_rows(&app.rows, app.sort);
    let selected = app
        .selected
        .and_then(|s| order.iter().position(|r| r.index == s));
    let rows = order.iter().map(|r: &&ResultRow| {
        Row::new(vec![
            Cell::from(r.backend.clone()),
            Cell::from(r.model.clone()),
            Cell::from(r.quant.clone()),
            Cell::from(r.threads.to_string()),
            num_cell(r.decode_tok_s, best.decode_tok_s, 1),
            num_cell(r.ttft_ms, best.ttft_ms, 1),
            num_cell(r.p99_ms, best.p99_ms, 2),
            num_cell(r.peak_ram_mib, best.peak_ram_mib, 1),
            num_cell(r.j_per_token, best.j_per_token, 4),
        ])
    });
    let text_w = |f: fn(&ResultRow) -> usize, min: usize| {
        app.rows.iter().map(f).max().unwrap_or(0).clamp(min, 18) as u16
    };
    let widths = [
        Constraint::Length(text_w(|r| r.backend.chars().count(), 7)),
        Constraint::Length(text_w(|r| r.model.chars().count(), 5)),
        Constraint::Length(6),
        Constraint::Length(3),
        Constraint::Length(8),
        Constraint::Length(7),
        Constraint::Length(7),
        Constraint::Length(7),
        Constraint::Length(6),
    ];
    let header = Row::new(HEADERS).style(Style::new().add_modifier(Modifier::UNDERLINED));
    let table = Table::new(rows, widths)
        .header(header)
        .block(block)
        .column_spacing(1)
        .row_highlight_style(Style::new().add_modifier(Modifier::REVERSED));
    let mut state = TableState::default().with_selected(selected);
    StatefulWidget::render(table, area, buf, &mut state);
}

#[cfg(test)]
pub(super) mod tests;
