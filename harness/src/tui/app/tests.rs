//! `App::apply` / `App::on_key` state tests driven by scripted events.

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

use super::point::Phase;
use super::results::SortKey;
use super::*;
use crate::events::RunKind;
use crate::results::PointLabel;
use crate::tui::test_support::*;

fn labels() -> Vec<PointLabel> {
    vec![
        label(0, "reference", 1),
        label(1, "reference", 4),
        label(2, "tract", 4),
    ]
}

fn key(code: KeyCode) -> KeyEvent {
    KeyEvent::new(code, KeyModifiers::NONE)
}

#[test]
fn plan_start_queues_every_point() {
    let app = app_with(&[plan(labels())]);
    assert_eq!(app.points.len(), 3);
    assert!(app.points.iter().all(|p| p.phase == Phase::Queued));
    assert_eq!(app.budget_ms, Some(10.0));
    assert_eq!(app.scenario.as_deref(), Some("smoke"));
}

#[test]
fn token_events_drive_phase_progress_and_stats() {
    let mut events = vec![plan(labels())];
    events.extend(measured_run(1, 20, &[5.0, 6.0, 7.0, 50.0]));
    let app = app_with(&events);
    let p = &app.points[1];
    assert_eq!(p.phase, Phase::Running);
    assert_eq!(p.pid, Some(4242));
    assert_eq!(p.tokens_in_run, 5, "prefill token + 4 decode steps");
    assert_eq!(p.progress(), "r0 t5/32");
    let live = app.live.as_ref().unwrap();
    assert_eq!(live.index, 1);
    let s = live.decode_summary().unwrap();
    assert_eq!((s.n, s.p50_ms, s.p99_ms), (4, 6.0, 50.0));
    assert_eq!(live.ttft_summary_ms(), Some(20.0));
    assert_eq!(live.within_budget(10.0), Some(0.75));
    assert_eq!(app.running_index(), Some(1));
    assert_eq!(app.focused_index(), Some(1));
}

#[test]
fn warmup_steps_are_charted_but_not_counted() {
    let mut app = app_with(&[
        plan(labels()),
        HarnessEvent::PointStarted { index: 0, pid: 1 },
    ]);
    app.apply(&worker(
        0,
        WorkerEvent::RunStarted {
            t_ns: 1,
            run: 0,
            kind: RunKind::Warmup,
        },
    ));
    assert_eq!(app.points[0].phase, Phase::Warmup);
    app.apply(&worker(
        0,
        WorkerEvent::Token {
            t_ns: 2,
            run: 0,
            index: 0,
            token: 1,
            latency_ns: 9_000_000,
        },
    ));
    let live = app.live.as_ref().unwrap();
    assert_eq!(live.recent_ms.len(), 1);
    assert!(live.measured_ms.is_empty());
    app.apply(&worker(
        0,
        WorkerEvent::RunFinished {
            t_ns: 3,
            run: 0,
            kind: RunKind::Warmup,
            tokens: vec![],
        },
    ));
    assert_eq!(app.points[0].measured_runs_done, 0);
}

#[test]
fn failed_point_keeps_reason_and_logs_it() {
    let mut events = vec![plan(labels())];
    events.extend(measured_run(0, 20, &[5.0]));
    events.push(failed_result(
        label(0, "reference", 1),
        "crashed",
        "worker exited with signal 11",
    ));
    let app = app_with(&events);
    match &app.points[0].phase {
        Phase::Failed { reason } => assert!(reason.contains("signal 11"), "{reason}"),
        other => panic!("expected failed, got {other:?}"),
    }
    assert!(app
        .log
        .iter()
        .any(|l| l.level == LogLevel::Error && l.message.contains("signal 11")));
    assert!(app.rows.is_empty(), "failed points have no results row");
    assert_eq!(app.finished_count(), 1);
}

#[test]
fn late_worker_events_do_not_reopen_a_finished_point() {
    let mut events = vec![plan(labels())];
    events.extend(measured_run(0, 20, &[5.0]));
    events.push(ok_result(label(0, "reference", 1), 100.0, 200));
    events.extend(measured_run(0, 20, &[5.0]));
    let app = app_with(&events);
    assert_eq!(app.points[0].phase, Phase::Done);
    assert_eq!(app.rows.len(), 1);
}

#[test]
fn unknown_point_indices_are_ignored_and_logged_once() {
    let mut app = app_with(&[HarnessEvent::PointStarted { index: 0, pid: 1 }]);
    assert!(app.points.is_empty() && app.live.is_none());
    app.apply(&plan(labels()));
    for _ in 0..3 {
        app.apply(&HarnessEvent::Rss {
            index: 9,
            t_ns: 0,
            rss_bytes: 1,
        });
        app.apply(&ok_result(label(9, "x", 1), 1.0, 1));
    }
    assert!(app.rows.is_empty() && app.live.is_none());
    let warnings = app.log.iter().filter(|l| l.message.contains("#9")).count();
    assert_eq!(warnings, 1);
}

#[test]
fn rss_and_sensors_are_tracked_without_inventing_zeros() {
    let mut app = app_with(&[
        plan(labels()),
        HarnessEvent::PointStarted { index: 2, pid: 7 },
    ]);
    for b in [100, 300, 200] {
        app.apply(&HarnessEvent::Rss {
            index: 2,
            t_ns: 0,
            rss_bytes: b,
        });
    }
    assert_eq!(app.points[2].peak_rss_bytes, Some(300));
    assert_eq!(app.live.as_ref().unwrap().rss_peak_bytes, Some(300));
    app.apply(&HarnessEvent::Sensors {
        t_ns: 0,
        power_w: Some(2.5),
        temperature_c: None,
        cpu_freq_mhz: Some(f64::NAN),
    });
    assert_eq!(app.sensors.power_w, Some(2.5));
    assert_eq!(app.sensors.temperature_c, None);
    assert_eq!(app.sensors.cpu_freq_mhz, None);
    assert_eq!(app.sensors.power_recent_mw.back(), Some(&2500));
}

#[test]
fn keys_map_to_runner_controls() {
    let mut app = app_with(&[plan(labels())]);
    assert_eq!(
        app.on_key(key(KeyCode::Char('s'))),
        Some(UiAction::Control(Control::SkipCurrent))
    );
    assert_eq!(
        app.on_key(key(KeyCode::Char('p'))),
        Some(UiAction::Control(Control::Stop))
    );
    assert_eq!(app.requested, Some(Control::Stop));
    assert_eq!(
        app.on_key(key(KeyCode::Char('s'))),
        Some(UiAction::Control(Control::SkipCurrent))
    );
    assert_eq!(
        app.requested,
        Some(Control::Stop),
        "skip does not hide a pending stop"
    );
    assert_eq!(app.on_key(key(KeyCode::Char('q'))), Some(UiAction::Quit));
    assert_eq!(
        app.on_key(KeyEvent::new(KeyCode::Char('c'), KeyModifiers::CONTROL)),
        Some(UiAction::Quit)
    );
    assert_eq!(app.requested, Some(Control::Abort));
    assert_eq!(app.on_key(key(KeyCode::Char('?'))), None);
    assert!(app.show_help);
    app.on_key(key(KeyCode::Esc));
    assert!(!app.show_help);
}

#[test]
fn navigation_keys_change_focus_selection_and_sort() {
    let mut app = app_with(&[plan(labels())]);
    app.on_key(key(KeyCode::Down));
    app.on_key(key(KeyCode::Down));
    app.on_key(key(KeyCode::Down));
    assert_eq!(app.selected, Some(2), "clamped at the last point");
    app.on_key(key(KeyCode::Up));
    assert_eq!(app.focused_index(), Some(1));
    app.on_key(key(KeyCode::Esc));
    assert_eq!(app.selected, None);
    app.on_key(key(KeyCode::Tab));
    assert_eq!(app.focus, Focus::Results);
    app.on_key(key(KeyCode::Char('o')));
    assert_eq!(app.sort, SortKey::TokS);
    app.on_key(key(KeyCode::Tab));
    assert_eq!(app.focus, Focus::Log);
}

#[test]
fn run_end_is_recorded_and_blocks_runner_keys() {
    let mut app = app_with(&[plan(labels())]);
    app.run_ended(Some("scenario invalid".into()));
    assert_eq!(
        app.outcome,
        Some(RunOutcome::Failed("scenario invalid".into()))
    );
    assert!(app.log.back().unwrap().message.contains("scenario invalid"));
    assert_eq!(app.on_key(key(KeyCode::Char('s'))), None);
    assert_eq!(app.on_key(key(KeyCode::Char('q'))), Some(UiAction::Quit));
}
