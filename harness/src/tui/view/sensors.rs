//! Memory and sensors pane: the worker's RSS now and its peak with a sparkline of recent
//! samples; power, energy per token (live estimate: power × mean step latency), temperature
//! and CPU frequency. Anything not available reads "n/a", never 0.

use ratatui::buffer::Buffer;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::{Color, Style};
use ratatui::widgets::{Paragraph, Sparkline, Widget};

use super::{mib, or_na, pane};
use crate::tui::app::App;

/// Live energy per token: latest power times the mean decode-step latency, in joules.
pub(crate) fn live_j_per_token(app: &App) -> Option<f64> {
    let power_w = app.sensors.power_w?;
    let mean_ms = app.live.as_ref()?.decode_summary()?.mean_ms;
    Some(power_w * mean_ms / 1000.0)
}

pub(crate) fn rss_text(app: &App) -> String {
    let live = app.live.as_ref();
    format!(
        "RSS {} · peak {}",
        or_na(mib(live.and_then(|l| l.rss_now_bytes)), 1, " MiB"),
        or_na(mib(live.and_then(|l| l.rss_peak_bytes)), 1, " MiB"),
    )
}

pub(crate) fn power_text(app: &App) -> String {
    format!(
        "power {} · {} J/tok",
        or_na(app.sensors.power_w, 2, " W"),
        or_na(live_j_per_token(app), 4, ""),
    )
}

pub(crate) fn thermal_text(app: &App) -> String {
    format!(
        "temp {} · cpu {}",
        or_na(app.sensors.temperature_c, 1, " °C"),
        or_na(app.sensors.cpu_freq_mhz, 0, " MHz"),
    )
}

pub(crate) fn render(app: &App, area: Rect, buf: &mut Buffer) {
    let block = pane("Memory · sensors", app, None);
    let inner = block.inner(area);
    block.render(area, buf);
    let [rss, power, thermal] = Layout::vertical([Constraint::Length(1); 3]).areas(inner);
    let rss_text = rss_text(app);
    let text_w = (rss_text.chars().count() as u16 + 1).min(rss.width);
    let [rss_label, rss_spark] =
        Layout::horizontal([Constraint::Length(text_w), Constraint::Fill(1)]).areas(rss);
    Paragraph::new(rss_text).render(rss_label, buf);
    if let Some(live) = app.live.as_ref() {
        let data: Vec<u64> = live.rss_recent.iter().map(|b| b / 1024).collect();
        let start = data.len().saturating_sub(rss_spark.width as usize);
        Sparkline::default()
            .data(data[start..].iter().copied())
            .style(Style::new().fg(Color::Magenta))
            .render(rss_spark, buf);
    }
    let power_text = power_text(app);
    let text_w = (power_text.chars().count() as u16 + 1).min(power.width);
    let [power_label, power_spark] =
        Layout::horizontal([Constraint::Length(text_w), Constraint::Fill(1)]).areas(power);
    Paragraph::new(power_text).render(power_label, buf);
    if app.sensors.power_w.is_some() {
        let recent = &app.sensors.power_recent_mw;
        let start = recent.len().saturating_sub(power_spark.width as usize);
        Sparkline::default()
            .data(recent.range(start..).copied())
            .style(Style::new().fg(Color::Yellow))
            .render(power_spark, buf);
    }
    Paragraph::new(thermal_text(app)).render(thermal, buf);
}
