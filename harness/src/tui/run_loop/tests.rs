//! The loop run headless: `TestBackend` + scripted input, a real benchmark thread.

use std::collections::VecDeque;
use std::sync::mpsc;
use std::time::Duration;

use crossterm::event::{Event, KeyCode, KeyEvent, KeyModifiers};
use ratatui::backend::TestBackend;
use ratatui::Terminal;

use super::*;
use crate::tui::test_support::*;

/// Yields scripted events, then nothing; sleeps a little on "nothing" like a real poll.
struct Script(VecDeque<Option<Event>>);

impl InputSource for Script {
    fn next_event(&mut self, timeout: Duration) -> anyhow::Result<Option<Event>> {
        match self.0.pop_front().flatten() {
            Some(e) => Ok(Some(e)),
            None => {
                thread::sleep(timeout.min(Duration::from_millis(2)));
                Ok(None)
            }
        }
    }
}

fn key(c: char) -> Option<Event> {
    Some(Event::Key(KeyEvent::new(
        KeyCode::Char(c),
        KeyModifiers::NONE,
    )))
}

fn terminal() -> Terminal<TestBackend> {
    Terminal::new(TestBackend::new(100, 30)).unwrap()
}

#[test]
fn exits_when_done_and_shows_final_results() {
    let mut term = terminal();
    let opts = TuiOptions {
        exit_when_done: true,
        ..TuiOptions::default()
    };
    let r = drive(
        &mut term,
        &mut Script(VecDeque::new()),
        &opts,
        |obs: &mut dyn Observer| {
            let l = vec![label(0, "reference", 1), label(1, "reference", 2)];
            obs.on_event(&plan(l.clone()));
            for e in measured_run(0, 10, &[3.0, 4.0]) {
                obs.on_event(&e);
            }
            obs.on_event(&ok_result(l[0].clone(), 250.0, 100));
            obs.on_event(&ok_result(l[1].clone(), 125.0, 90));
            Ok(42)
        },
    );
    assert_eq!(r.unwrap(), 42);
    let lines = buffer_lines(term.backend().buffer());
    let text = lines.join("\n");
    assert!(contains(&lines, "250.0"), "{text}");
    assert!(contains(&lines, "done — press q to exit"), "{text}");
}

#[test]
fn keys_reach_the_runner_and_quit_waits_for_it() {
    let (seen_tx, seen_rx) = mpsc::channel();
    let script = [
        None,
        None,
        key('s'),
        None,
        None,
        key('p'),
        None,
        None,
        key('q'),
    ];
    let mut term = terminal();
    let r = drive(
        &mut term,
        &mut Script(script.into_iter().collect()),
        &TuiOptions::default(),
        move |obs: &mut dyn Observer| {
            obs.on_event(&plan(vec![label(0, "reference", 1)]));
            let mut last = Control::Continue;
            for _ in 0..5000 {
                let c = obs.control();
                if c != last {
                    seen_tx.send(c).unwrap();
                    last = c;
                }
                if c == Control::Abort {
                    return Ok("stopped cleanly");
                }
                thread::sleep(Duration::from_millis(1));
            }
            anyhow::bail!("never saw Abort")
        },
    );
    assert_eq!(r.unwrap(), "stopped cleanly");
    let seen: Vec<Control> = seen_rx.try_iter().collect();
    // Under load the runner thread may not poll between two keys, so it can miss a state; what
    // it sees must still be in key order (a skip cleared back to Continue once read, Stop kept
    // until Abort replaces it) and must end with Abort.
    let order = [
        Control::SkipCurrent,
        Control::Continue,
        Control::Stop,
        Control::Abort,
    ];
    let mut rest = order.iter();
    assert!(
        seen.iter().all(|c| rest.any(|o| o == c)),
        "out of order: {seen:?}"
    );
    assert_eq!(seen.last(), Some(&Control::Abort), "{seen:?}");
}

#[test]
fn run_errors_and_panics_come_back_as_errors() {
    let opts = TuiOptions {
        exit_when_done: true,
        ..TuiOptions::default()
    };
    let err = drive(
        &mut terminal(),
        &mut Script(VecDeque::new()),
        &opts,
        |_: &mut dyn Observer| -> anyhow::Result<()> { anyhow::bail!("scenario has no points") },
    )
    .unwrap_err();
    assert!(err.to_string().contains("no points"));
    // Without exit_when_done the final screen waits for q.
    let err = drive(
        &mut terminal(),
        &mut Script([None, None, key('q')].into_iter().collect()),
        &TuiOptions::default(),
        |_: &mut dyn Observer| -> anyhow::Result<()> { panic!("boom") },
    )
    .unwrap_err();
    assert!(format!("{err:#}").contains("panicked: boom"), "{err:#}");
}

#[test]
fn refuses_without_a_tty() {
    // Test harness stdout is captured or piped, never a TTY under CI.
    if std::io::IsTerminal::is_terminal(&std::io::stdout()) {
        return;
    }
    let err = run_with_tui(TuiOptions::default(), |_: &mut dyn Observer| Ok(())).unwrap_err();
    assert!(
        err.to_string()
            .contains("--tui needs an interactive terminal"),
        "{err}"
    );
}
