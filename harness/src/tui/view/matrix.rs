//! Matrix pane: one line per plan point with its status, progress and (when failed) the reason.
//! Scrolls so the focused point stays visible.

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::{Color, Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Widget};

use super::{or_na, pane};
use crate::tui::app::point::{Phase, PointState};
use crate::tui::app::{App, Focus};

pub(crate) fn phase_style(phase: &Phase) -> Style {
    match phase {
        Phase::Queued => Style::new().fg(Color::DarkGray),
        Phase::Loading | Phase::Warmup => Style::new().fg(Color::Yellow),
        Phase::Running => Style::new().fg(Color::Cyan).add_modifier(Modifier::BOLD),
        Phase::Done => Style::new().fg(Color::Green),
        Phase::Failed { .. } => Style::new().fg(Color::Red),
        Phase::Skipped { .. } => Style::new().fg(Color::Magenta),
    }
}

/// One point as a line: symbol, label, status word, progress or failure reason.
pub(crate) fn point_line(p: &PointState, selected: bool) -> Line<'static> {
    let l = &p.label;
    let status = match &p.phase {
        Phase::Failed { reason } => format!("failed: {reason}"),
        Phase::Skipped {
            reason: Some(reason),
        } => format!("skipped: {reason}"),
        Phase::Queued => "queued".to_string(),
        Phase::Running => p.progress(),
        Phase::Done => match p.result.as_ref().and_then(|r| r.latency.as_ref()) {
            Some(l) => format!("{} tok/s", or_na(l.decode_tok_s, 1, "")),
            None => "done".to_string(),
        },
        other => format!("{} {}", other.word(), p.progress()),
    };
    let mut line = Line::from(vec![
        Span::styled(format!("{} ", p.phase.symbol()), phase_style(&p.phase)),
        Span::raw(format!(
            "{} {} {} t{} ",
            l.backend, l.model, l.quant, l.threads
        )),
        Span::styled(status, phase_style(&p.phase)),
    ]);
    if selected {
        line = line.style(Style::new().add_modifier(Modifier::REVERSED));
    }
    line
}

pub(crate) fn render(app: &App, area: Rect, buf: &mut Buffer) {
    let block = pane(
        format!("Matrix ({} points)", app.points.len()),
        app,
        Some(Focus::Matrix),
    );
    let inner = block.inner(area);
    block.render(area, buf);
    let focused = app.focused_index();
    let rows = inner.height as usize;
    let first = match focused {
        Some(f) if rows > 0 && f >= rows => f + 1 - rows,
        _ => 0,
    };
    let lines: Vec<Line> = app
        .points
        .iter()
        .enumerate()
        .skip(first)
        .take(rows)
        .map(|(i, p)| point_line(p, app.selected == Some(i)))
        .collect();
    if lines.is_empty() {
        Paragraph::new("waiting for the plan…").render(inner, buf);
    } else {
        Paragraph::new(lines).render(inner, buf);
    }
}
