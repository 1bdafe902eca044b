//! Scripted event sequences and a buffer flattener for the TUI's headless tests.

use std::collections::BTreeMap;
use std::path::PathBuf;

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::widgets::Widget;

use super::app::App;
use crate::events::{HarnessEvent, RunKind, WorkerEvent};
use crate::results::PointLabel;
use crate::results::{
    ErrorKind, LatencyStats, LatencySummary, MemoryMetrics, PointError, PointResult, PointStatus,
};

pub fn label(index: usize, backend: &str, threads: usize) -> PointLabel {
    PointLabel {
        index,
        backend: backend.into(),
        model: "tiny".into(),
        quant: "q8_0".into(),
        threads,
        prompt_tokens: 16,
        gen_tokens: 32,
    }
}

/// A plan of `labels` with a 10 ms/token budget.
pub fn plan(labels: Vec<PointLabel>) -> HarnessEvent {
    HarnessEvent::PlanStarted {
        scenario: "smoke".into(),
        points: labels,
        out_dir: PathBuf::from("results/test-run"),
        latency_budget_ms_per_token: Some(10.0),
    }
}

pub fn worker(index: usize, event: WorkerEvent) -> HarnessEvent {
    HarnessEvent::Worker { index, event }
}

/// Start point `index` and stream one measured run: prefill (TTFT `ttft_ms`) then one token per
/// entry of `steps_ms`.
pub fn measured_run(index: usize, ttft_ms: u64, steps_ms: &[f64]) -> Vec<HarnessEvent> {
    let mut ev = vec![
        HarnessEvent::PointStarted { index, pid: 4242 },
        worker(index, WorkerEvent::LoadStarted { t_ns: 1 }),
        worker(
            index,
            WorkerEvent::RunStarted {
                t_ns: 2,
                run: 0,
                kind: RunKind::Measured,
            },
        ),
        worker(
            index,
            WorkerEvent::Prefill {
                t_ns: 3,
                run: 0,
                prompt_tokens: 16,
                latency_ns: ttft_ms * 1_000_000,
                token: 1,
            },
        ),
    ];
    for (i, ms) in steps_ms.iter().enumerate() {
        ev.push(worker(
            index,
            WorkerEvent::Token {
                t_ns: 4 + i as u64,
                run: 0,
                index: i,
                token: 7,
                latency_ns: (ms * 1e6) as u64,
            },
        ));
    }
    ev
}

fn stats(p50_ms: f64, p99_ms: f64) -> LatencyStats {
    LatencyStats {
        n: 10,
        mean_ns: p50_ms * 1e6,
        stddev_ns: 0.0,
        min_ns: 0,
        p50_ns: p50_ms * 1e6,
        p90_ns: p99_ms * 1e6,
        p99_ns: p99_ms * 1e6,
        max_ns: (p99_ms * 1e6) as u64,
    }
}

/// A successful result with the given decode speed and peak RAM.
pub fn ok_result(label: PointLabel, tok_s: f64, peak_mib: u64) -> HarnessEvent {
    let index = label.index;
    let label_clone = label.clone();
    let result = PointResult {
        label,
        status: PointStatus::Ok,
        error: None,
        model: None,
        backend_info: BTreeMap::new(),
        load: None,
        runs: Vec::new(),
        latency: Some(LatencySummary {
            ttft: stats(12.5, 13.0),
            decode: Some(stats(1000.0 / tok_s, 1200.0 / tok_s)),
            prefill_tok_s: 100.0,
            decode_tok_s: Some(tok_s),
            decode_tok_s_ci95: None,
            within_budget_fraction: None,
            runs_agree: true,
            harness_gap_p50_ns: None,
        }),
        memory: MemoryMetrics {
            peak_rss_load_bytes: Some(peak_mib * 1024 * 1024 / 2),
            peak_rss_steady_bytes: Some(peak_mib * 1024 * 1024),
            ..MemoryMetrics::default()
        },
        wall_ns: 1_000_000_000,
        ..PointResult::without_measurements(
            label_clone,
            PointStatus::Ok,
            PointError {
                kind: ErrorKind::Pending,
                message: String::new(),
            },
        )
    };
    HarnessEvent::PointFinished {
        index,
        result: Box::new(result),
    }
}

pub fn failed_result(label: PointLabel, kind: &str, message: &str) -> HarnessEvent {
    let index = label.index;
    let error = PointError {
        kind: ErrorKind::parse(kind),
        message: message.into(),
    };
    let result = PointResult::without_measurements(label, PointStatus::Failed, error);
    HarnessEvent::PointFinished {
        index,
        result: Box::new(result),
    }
}

pub fn app_with(events: &[HarnessEvent]) -> App {
    let mut app = App::new();
    for e in events {
        app.apply(e);
    }
    app
}

/// Render `app` into a `width`×`height` buffer.
pub fn render_buffer(app: &App, width: u16, height: u16) -> Buffer {
    let area = Rect::new(0, 0, width, height);
    let mut buf = Buffer::empty(area);
    app.render(area, &mut buf);
    buf
}

/// Render `app` into a `width`×`height` buffer and return its rows as strings.
pub fn render_lines(app: &App, width: u16, height: u16) -> Vec<String> {
    buffer_lines(&render_buffer(app, width, height))
}

/// Flatten a buffer to one string per row (wide-character continuation cells skipped).
pub fn buffer_lines(buf: &Buffer) -> Vec<String> {
    let area = buf.area;
    (area.top()..area.bottom())
        .map(|y| {
            (area.left()..area.right())
                .map(|x| buf[(x, y)].symbol())
                .collect::<String>()
        })
        .collect()
}

/// Whether any row contains `needle`.
pub fn contains(lines: &[String], needle: &str) -> bool {
    lines.iter().any(|l| l.contains(needle))
}

/// The first row containing `needle`.
pub fn line_with<'a>(lines: &'a [String], needle: &str) -> Option<&'a String> {
    lines.iter().find(|l| l.contains(needle))
}
