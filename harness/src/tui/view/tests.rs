//! Headless rendering tests: scripted events → `App` → `Buffer` → text assertions.

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

use crate::events::{HarnessEvent, LogLevel};
use crate::tui::app::App;
use crate::tui::test_support::*;
use crate::tui::view::results::tests::finished_app;

pub(super) fn labels() -> Vec<crate::results::PointLabel> {
    vec![
        label(0, "reference", 1),
        label(1, "reference", 4),
        label(2, "tract", 4),
    ]
}

pub(super) fn running_app() -> App {
    let mut events = vec![plan(labels())];
    events.extend(measured_run(
        0,
        25,
        &[4.0, 5.0, 6.0, 5.0, 12.0, 5.0, 4.0, 5.0],
    ));
    events.push(HarnessEvent::Rss {
        index: 0,
        t_ns: 5,
        rss_bytes: 64 * 1024 * 1024,
    });
    events.push(HarnessEvent::Rss {
        index: 0,
        t_ns: 6,
        rss_bytes: 80 * 1024 * 1024,
    });
    app_with(&events)
}

pub(super) fn press(app: &mut App, code: KeyCode) {
    app.on_key(KeyEvent::new(code, KeyModifiers::NONE));
}

pub(super) fn dump(lines: &[String]) -> String {
    lines.join("\n")
}

#[test]
fn live_pane_shows_chart_budget_and_stats() {
    let lines = render_lines(&running_app(), 100, 30);
    let text = dump(&lines);
    assert!(
        contains(&lines, "Live · running · reference tiny q8_0 t1"),
        "{text}"
    );
    assert!(contains(&lines, "TTFT 25.0 ms"), "{text}");
    assert!(contains(&lines, "p50 5.00 ms"), "{text}");
    assert!(contains(&lines, "p99 12.00 ms"), "{text}");
    assert!(contains(&lines, "budget 10 ms: 88% within"), "{text}");
    let buf = render_buffer(&running_app(), 100, 30);
    let red_braille = buf.content().iter().any(|c| {
        c.fg == ratatui::style::Color::Red
            && ('\u{2801}'..='\u{28FF}').contains(&c.symbol().chars().next().unwrap_or(' '))
    });
    assert!(red_braille, "budget line drawn in red:\n{text}");
    let tall = render_lines(&running_app(), 120, 50);
    assert!(
        contains(&tall, "budget 10 ms") && contains(&tall, "step ms"),
        "legend on a tall chart:\n{}",
        dump(&tall)
    );
    assert!(
        lines
            .iter()
            .any(|l| l.chars().any(|c| ('\u{2801}'..='\u{28FF}').contains(&c))),
        "braille chart drawn:\n{text}"
    );
    assert!(contains(&lines, "tok/s"), "{text}");
}

#[test]
fn matrix_shows_status_and_progress() {
    let lines = render_lines(&running_app(), 100, 30);
    let text = dump(&lines);
    assert!(
        contains(&lines, "▶ reference tiny q8_0 t1 r0 t9/32"),
        "{text}"
    );
    assert!(contains(&lines, "· tract tiny q8_0 t4 queued"), "{text}");
}

#[test]
fn memory_pane_shows_rss_and_peak() {
    let lines = render_lines(&running_app(), 100, 30);
    let text = dump(&lines);
    assert!(contains(&lines, "RSS 80.0 MiB · peak 80.0 MiB"), "{text}");
}

#[test]
fn missing_sensors_read_na_never_zero() {
    let mut app = running_app();
    app.apply(&HarnessEvent::Sensors {
        t_ns: 0,
        power_w: None,
        temperature_c: None,
        cpu_freq_mhz: None,
    });
    let lines = render_lines(&app, 100, 30);
    let text = dump(&lines);
    assert!(contains(&lines, "power n/a · n/a J/tok"), "{text}");
    assert!(contains(&lines, "temp n/a · cpu n/a"), "{text}");
    app.apply(&HarnessEvent::Sensors {
        t_ns: 1,
        power_w: Some(4.0),
        temperature_c: Some(55.5),
        cpu_freq_mhz: Some(1800.0),
    });
    let lines = render_lines(&app, 100, 30);
    let text = dump(&lines);
    assert!(contains(&lines, "power 4.00 W"), "{text}");
    assert!(contains(&lines, "temp 55.5 °C · cpu 1800 MHz"), "{text}");
    // 4 W × mean step 5.75 ms = 0.023 J per token.
    assert!(contains(&lines, "0.0230 J/tok"), "{text}");
}

#[test]
fn failed_point_reason_in_matrix_and_log() {
    let mut app = running_app();
    app.apply(&failed_result(
        label(0, "reference", 1),
        "crashed",
        "worker killed by SIGSEGV",
    ));
    let lines = render_lines(&app, 120, 30);
    let text = dump(&lines);
    let matrix_line = line_with(&lines, "✗ reference").expect(&text);
    assert!(matrix_line.contains("failed: crashed"), "{text}");
    assert!(
        contains(
            &lines,
            "error [reference tiny q8_0 t1 p16 g32] failed: crashed: worker killed by SIGSEGV"
        ),
        "{text}"
    );
    assert!(
        contains(&lines, "1 failed"),
        "header counts failures:\n{text}"
    );
}

#[test]
fn help_overlay_lists_keys() {
    let mut app = running_app();
    press(&mut app, KeyCode::Char('?'));
    let lines = render_lines(&app, 80, 24);
    let text = dump(&lines);
    assert!(contains(&lines, "Keys"), "{text}");
    assert!(contains(&lines, "skip the current point"), "{text}");
}

#[test]
fn fits_80x24_with_all_panes() {
    let mut app = running_app();
    app.apply(&ok_result(label(1, "reference", 4), 90.0, 500));
    app.apply(&HarnessEvent::Log {
        level: LogLevel::Warn,
        message: "power unavailable: no INA219".into(),
    });
    let lines = render_lines(&app, 80, 24);
    let text = dump(&lines);
    for needle in [
        "Matrix",
        "Live",
        "Memory",
        "Results",
        "Log",
        "power unavailable",
        "tok/s",
        "q quit",
    ] {
        assert!(
            contains(&lines, needle),
            "{needle} missing at 80x24:\n{text}"
        );
    }
}

#[test]
fn small_terminal_gets_compact_list() {
    let mut app = finished_app();
    app.apply(&failed_result(
        label(2, "tract", 4),
        "unavailable",
        "not compiled in",
    ));
    let lines = render_lines(&app, 40, 10);
    let text = dump(&lines);
    assert!(contains(&lines, "terminal too small for charts"), "{text}");
    assert!(
        contains(&lines, "✓ reference tiny q8_0 t4 90.0 tok/s"),
        "{text}"
    );
    assert!(contains(&lines, "✗ tract"), "{text}");
}

#[test]
fn no_size_panics_from_1x1_up() {
    let mut app = running_app();
    app.apply(&ok_result(label(1, "reference", 4), 90.0, 500));
    app.apply(&HarnessEvent::Sensors {
        t_ns: 0,
        power_w: Some(3.0),
        temperature_c: None,
        cpu_freq_mhz: None,
    });
    let empty = App::new();
    let mut help = finished_app();
    press(&mut help, KeyCode::Char('?'));
    for a in [&app, &empty, &help] {
        for w in (0..=130).step_by(3).chain([1, 59, 60, 80]) {
            for h in (0..=40).step_by(2).chain([1, 14, 15, 24]) {
                render_lines(a, w, h);
            }
        }
    }
    assert_eq!(render_lines(&app, 1, 1).len(), 1);
}
