//! Details of the point picked with ↑/↓ (when it is not the one running): status, error,
//! progress and, once finished, its measured numbers.

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::{Color, Style};
use ratatui::text::Line;
use ratatui::widgets::{Paragraph, Widget, Wrap};

use super::matrix::phase_style;
use super::{mib, or_na, pane};
use crate::tui::app::point::{Phase, PointState};
use crate::tui::app::App;

/// The lines describing one point.
pub(crate) fn detail_lines(p: &PointState) -> Vec<Line<'static>> {
    let l = &p.label;
    let mut lines = vec![
        Line::from(format!(
            "#{} {} · model {} · {} · {} threads · prompt {} · gen {}",
            l.index, l.backend, l.model, l.quant, l.threads, l.prompt_tokens, l.gen_tokens
        )),
        Line::styled(
            format!("status: {} · {}", p.phase.word(), p.progress()),
            phase_style(&p.phase),
        ),
    ];
    match &p.phase {
        Phase::Failed { reason } => lines.push(Line::styled(
            format!("error: {reason}"),
            Style::new().fg(Color::Red),
        )),
        Phase::Skipped {
            reason: Some(reason),
        } => lines.push(Line::from(format!("skipped: {reason}"))),
        _ => {}
    }
    if let Some(pid) = p.pid {
        lines.push(Line::from(format!("worker pid {pid}")));
    }
    let Some(r) = p.result.as_deref() else {
        return lines;
    };
    if let Some(lat) = &r.latency {
        let decode = lat.decode.as_ref();
        lines.push(Line::from(format!(
            "decode {} tok/s · TTFT p50 {} · step p50 {} · p99 {}",
            or_na(lat.decode_tok_s, 1, ""),
            or_na(Some(lat.ttft.p50_ns / 1e6), 1, " ms"),
            or_na(decode.map(|d| d.p50_ns / 1e6), 2, " ms"),
            or_na(decode.map(|d| d.p99_ns / 1e6), 2, " ms"),
        )));
        let budget = lat
            .within_budget_fraction
            .map(|f| format!("{:.0}% of steps within budget", f * 100.0));
        lines.push(Line::from(format!(
            "{} · runs agree: {}",
            budget.unwrap_or_else(|| "no latency budget".into()),
            if lat.runs_agree { "yes" } else { "NO" }
        )));
    }
    lines.push(Line::from(format!(
        "peak RSS load {} · steady {} · {} measured runs · wall {:.1} s",
        or_na(mib(r.memory.peak_rss_load_bytes), 1, " MiB"),
        or_na(mib(r.memory.peak_rss_steady_bytes), 1, " MiB"),
        r.runs.len(),
        r.wall_ns as f64 / 1e9
    )));
    if let Some(note) = &r.memory.note {
        lines.push(Line::from(format!("memory note: {note}")));
    }
    lines
}

pub(crate) fn render(app: &App, area: Rect, buf: &mut Buffer) {
    let block = pane("Point details (esc: follow running)", app, None);
    let lines = app
        .focused_index()
        .and_then(|i| app.points.get(i))
        .map(detail_lines)
        .unwrap_or_else(|| vec![Line::from("no point selected")]);
    Paragraph::new(lines)
        .wrap(Wrap { trim: true })
        .block(block)
        .render(area, buf);
}
