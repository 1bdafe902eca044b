//! Odd event sequences must never panic: random events (unknown indices, events before the plan,
//! events after a point finished, extreme and non-finite values, random keys) are applied and
//! rendered at random sizes.

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

use super::App;
use crate::events::{HarnessEvent, LogLevel, RunKind, WorkerEvent};
use crate::tui::test_support::*;

/// Small deterministic generator (xorshift64*), so failures reproduce.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

fn odd_f64(rng: &mut Rng) -> Option<f64> {
    [
        None,
        Some(0.0),
        Some(-1.0),
        Some(f64::NAN),
        Some(f64::INFINITY),
        Some(3.5),
        Some(1e12),
    ][rng.below(7) as usize]
}

fn random_event(rng: &mut Rng) -> HarnessEvent {
    let index = rng.below(6) as usize; // the plan has 3 points
    let latency_ns = [0, 1, 5_000_000, u64::MAX][rng.below(4) as usize];
    let kind = if rng.below(2) == 0 {
        RunKind::Warmup
    } else {
        RunKind::Measured
    };
    let t_ns = rng.next();
    let run = rng.below(3) as usize;
    let w = |event| worker(index, event);
    match rng.below(14) {
        0 => plan(vec![label(0, "a", 1), label(1, "b", 2), label(2, "c", 4)]),
        1 => HarnessEvent::PointStarted { index, pid: 1 },
        2 => w(WorkerEvent::LoadStarted { t_ns }),
        3 => w(WorkerEvent::RunStarted { t_ns, run, kind }),
        4 => w(WorkerEvent::Prefill {
            t_ns,
            run,
            prompt_tokens: 0,
            latency_ns,
            token: 0,
        }),
        5 | 6 => w(WorkerEvent::Token {
            t_ns,
            run,
            index: [0, 7, usize::MAX][rng.below(3) as usize],
            token: 0,
            latency_ns,
        }),
        7 => w(WorkerEvent::RunFinished {
            t_ns,
            run,
            kind,
            tokens: vec![],
        }),
        8 => w(WorkerEvent::Error {
            t_ns,
            kind: String::new(),
            message: "é\u{0}\t💥".repeat(40),
        }),
        9 => HarnessEvent::Rss {
            index,
            t_ns,
            rss_bytes: [0, 1, u64::MAX][rng.below(3) as usize],
        },
        10 => HarnessEvent::Sensors {
            t_ns,
            power_w: odd_f64(rng),
            temperature_c: odd_f64(rng),
            cpu_freq_mhz: odd_f64(rng),
        },
        11 => ok_result(
            label(index, "x", 1),
            [0.0, f64::NAN, 42.0][rng.below(3) as usize],
            rng.below(1 << 30),
        ),
        12 => failed_result(label(index, "x", 1), "", ""),
        _ => HarnessEvent::Log {
            level: LogLevel::Warn,
            message: "\n".repeat(rng.below(3) as usize),
        },
    }
}

#[test]
fn random_event_sequences_never_panic() {
    let keys = [
        KeyCode::Up,
        KeyCode::Down,
        KeyCode::Tab,
        KeyCode::Char('o'),
        KeyCode::Char('?'),
        KeyCode::Esc,
        KeyCode::Char('s'),
    ];
    for seed in 1..=20u64 {
        let mut rng = Rng(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15));
        let mut app = App::new();
        for step in 0..400 {
            app.apply(&random_event(&mut rng));
            if rng.below(8) == 0 {
                let code = keys[rng.below(keys.len() as u64) as usize];
                app.on_key(KeyEvent::new(code, KeyModifiers::NONE));
            }
            if step % 25 == 0 {
                let (w, h) = (rng.below(140) as u16, rng.below(50) as u16);
                render_lines(&app, w, h);
                render_lines(&app, 80, 24);
            }
        }
        app.run_ended(Some("x".into()));
        render_lines(&app, 80, 24);
    }
}
