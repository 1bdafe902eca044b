//! Results-table rendering tests: rows fill in as points finish, `o` re-sorts, best values stand out.

use crossterm::event::KeyCode;

use crate::events::HarnessEvent;
use crate::tui::app::App;
use crate::tui::test_support::*;
use crate::tui::view::tests::{dump, labels, press};

pub(in crate::tui::view) fn finished_app() -> App {
    let l = labels();
    app_with(&[
        plan(l.clone()),
        ok_result(l[0].clone(), 40.0, 300),
        ok_result(l[1].clone(), 90.0, 500),
        ok_result(l[2].clone(), 60.0, 200),
        HarnessEvent::PlanFinished {
            out_dir: "results/test-run".into(),
        },
    ])
}

/// Backends and threads of the result rows, top to bottom.
fn table_order(lines: &[String]) -> Vec<String> {
    let header = lines
        .iter()
        .position(|l| l.contains("J/tok") && l.contains("RAM MiB"))
        .unwrap();
    lines[header + 1..]
        .iter()
        .take_while(|l| l.contains(" tiny "))
        .map(|l| {
            let w: Vec<&str> = l
                .trim_matches(|c| c == '│' || c == ' ')
                .split_whitespace()
                .collect();
            format!("{}/{}", w[0], w[3])
        })
        .collect()
}

#[test]
fn results_table_fills_in_and_sorts_by_each_key() {
    let mut app = finished_app();
    let lines = render_lines(&app, 100, 30);
    let text = dump(&lines);
    for h in [
        "backend", "model", "quant", "thr", "tok/s", "TTFT ms", "p99 ms", "RAM MiB", "J/tok",
    ] {
        assert!(contains(&lines, h), "header {h} missing:\n{text}");
    }
    assert_eq!(
        table_order(&lines),
        ["reference/1", "reference/4", "tract/4"],
        "{text}"
    );
    let row = line_with(&lines, "500.0").expect(&text);
    assert!(
        row.contains("500.0") && row.contains("n/a"),
        "J/token is n/a until results carry energy:\n{text}"
    );
    press(&mut app, KeyCode::Char('o'));
    let lines = render_lines(&app, 100, 30);
    assert!(contains(&lines, "sort: tok/s"), "{}", dump(&lines));
    assert_eq!(
        table_order(&lines),
        ["reference/4", "tract/4", "reference/1"]
    );
    press(&mut app, KeyCode::Char('o'));
    let lines = render_lines(&app, 100, 30);
    assert!(contains(&lines, "sort: RAM"), "{}", dump(&lines));
    assert_eq!(
        table_order(&lines),
        ["tract/4", "reference/1", "reference/4"]
    );
    press(&mut app, KeyCode::Char('o'));
    let lines = render_lines(&app, 100, 30);
    assert!(contains(&lines, "sort: J/token"), "{}", dump(&lines));
    assert_eq!(
        table_order(&lines),
        ["reference/1", "reference/4", "tract/4"],
        "all n/a: stable"
    );
}

/// Style of the first cell of `needle` in the row that contains `row_key` (and `needle`).
fn style_of(buf: &ratatui::buffer::Buffer, row_key: &str, needle: &str) -> ratatui::style::Style {
    let lines = buffer_lines(buf);
    let (y, row) = lines
        .iter()
        .enumerate()
        .find(|(_, l)| l.contains(row_key) && l.contains(needle))
        .unwrap_or_else(|| panic!("no row with {row_key} and {needle}:\n{}", dump(&lines)));
    let x = row[..row.find(needle).unwrap()].chars().count() as u16;
    buf[(x, y as u16)].style()
}

#[test]
fn best_value_per_column_is_highlighted() {
    use ratatui::buffer::Buffer;
    use ratatui::layout::Rect;
    use ratatui::style::{Color, Modifier};
    use ratatui::widgets::Widget;
    let app = finished_app();
    let area = Rect::new(0, 0, 100, 30);
    let mut buf = Buffer::empty(area);
    (&app).render(area, &mut buf);
    let best = Some(Color::Green);
    // Fastest (90 tok/s) and smallest (200 MiB) are bold green; 500 MiB is not.
    let fast = style_of(&buf, "500.0", "90.0");
    assert_eq!(fast.fg, best);
    assert!(fast.add_modifier.contains(Modifier::BOLD));
    let small = style_of(&buf, "60.0", "200.0");
    assert_eq!(small.fg, best);
    let big = style_of(&buf, "90.0", "500.0");
    assert_ne!(big.fg, best);
    assert!(!big.add_modifier.contains(Modifier::BOLD));
}

#[test]
fn done_banner_and_selected_point_details() {
    let mut app = finished_app();
    app.run_ended(None);
    press(&mut app, KeyCode::Down);
    let lines = render_lines(&app, 100, 30);
    let text = dump(&lines);
    assert!(contains(&lines, "done — press q to exit"), "{text}");
    assert!(contains(&lines, "Point details"), "{text}");
    assert!(contains(&lines, "decode 90.0 tok/s"), "{text}");
}
