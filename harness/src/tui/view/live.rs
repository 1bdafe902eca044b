//! Live pane: decode-step latency of the running point as a line chart with the scenario's
//! latency budget as a horizontal line, and a stats line (tokens/s, TTFT, p50/p99 so far,
//! share of steps within budget).

use ratatui::buffer::Buffer;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::{Color, Style};
use ratatui::symbols::Marker;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Axis, Chart, Dataset, GraphType, LegendPosition, Paragraph, Widget, Wrap};

use super::{or_na, pane};
use crate::tui::app::live::LiveState;
use crate::tui::app::App;

/// "123.4 tok/s · TTFT 12.5 ms · p50 8.1 ms · p99 9.9 ms · ≤budget 97%".
pub(crate) fn stats_line(live: &LiveState, budget_ms: Option<f64>) -> Line<'static> {
    let sum = live.decode_summary();
    let mut parts = vec![
        Span::styled(
            format!("{} tok/s", or_na(sum.and_then(|s| s.tok_s()), 1, "")),
            Style::new().fg(Color::Cyan),
        ),
        Span::raw(format!(
            " · TTFT {}",
            or_na(live.ttft_summary_ms(), 1, " ms")
        )),
        Span::raw(format!(" · p50 {}", or_na(sum.map(|s| s.p50_ms), 2, " ms"))),
        Span::raw(format!(" · p99 {}", or_na(sum.map(|s| s.p99_ms), 2, " ms"))),
    ];
    if let Some(budget) = budget_ms {
        let within = live.within_budget(budget);
        let color = match within {
            Some(f) if f < 0.99 => Color::Red,
            _ => Color::Green,
        };
        parts.push(Span::styled(
            format!(
                " · budget {budget} ms: {} within",
                or_na(within.map(|f| f * 100.0), 0, "%")
            ),
            Style::new().fg(color),
        ));
    }
    Line::from(parts)
}

pub(crate) fn render(app: &App, area: Rect, buf: &mut Buffer) {
    let Some(live) = app.live.as_ref() else {
        return;
    };
    let label = app
        .points
        .get(live.index)
        .map(|p| format!("Live · {} · {}", p.phase.word(), p.label))
        .unwrap_or_else(|| "Live".into());
    let block = pane(label, app, None);
    let inner = block.inner(area);
    block.render(area, buf);
    let stats = stats_line(live, app.budget_ms);
    let stats_h = if stats.width() > inner.width as usize {
        2
    } else {
        1
    };
    let [stats_area, chart_area] =
        Layout::vertical([Constraint::Length(stats_h), Constraint::Fill(1)]).areas(inner);
    Paragraph::new(stats)
        .wrap(Wrap { trim: true })
        .render(stats_area, buf);
    if chart_area.height < 3 || chart_area.width < 12 {
        return;
    }
    if live.recent_ms.is_empty() {
        let msg = match app.points.get(live.index).map(|p| &p.phase) {
            Some(p) if p.is_terminal() => "no decode steps",
            _ => "waiting for the first decode step…",
        };
        Paragraph::new(msg).render(chart_area, buf);
        return;
    }
    latency_chart(live, app.budget_ms, chart_area, buf);
}

fn latency_chart(live: &LiveState, budget_ms: Option<f64>, area: Rect, buf: &mut Buffer) {
    let series: Vec<(f64, f64)> = live
        .recent_ms
        .iter()
        .map(|&(step, ms)| (step as f64, ms))
        .collect();
    let x0 = series.first().map_or(0.0, |p| p.0);
    let x1 = series.last().map_or(1.0, |p| p.0).max(x0 + 1.0);
    let max_ms = series.iter().map(|p| p.1).fold(0.0, f64::max);
    let y_max = budget_ms.map_or(max_ms, |b| max_ms.max(b)).max(0.001) * 1.15;
    let budget_pts: Vec<(f64, f64)> = budget_ms.map_or(Vec::new(), |b| vec![(x0, b), (x1, b)]);
    let mut datasets = vec![Dataset::default()
        .name("step ms")
        .marker(Marker::Braille)
        .graph_type(GraphType::Line)
        .style(Style::new().fg(Color::Cyan))
        .data(&series)];
    if let Some(b) = budget_ms {
        datasets.push(
            Dataset::default()
                .name(format!("budget {b} ms"))
                .marker(Marker::Braille)
                .graph_type(GraphType::Line)
                .style(Style::new().fg(Color::Red))
                .data(&budget_pts),
        );
    }
    let y_labels = [Line::from("0"), Line::from(format!("{y_max:.1} ms"))];
    Chart::new(datasets)
        .x_axis(Axis::default().bounds([x0, x1]))
        .y_axis(
            Axis::default()
                .bounds([0.0, y_max])
                .labels(y_labels)
                .style(Style::new().fg(Color::DarkGray)),
        )
        // The legend would cover most of a short chart; the stats line names the budget too.
        .legend_position((area.height >= 14).then_some(LegendPosition::TopRight))
        .hidden_legend_constraints((Constraint::Percentage(50), Constraint::Percentage(40)))
        .render(area, buf);
}
