//! The TUI's event loop, the entry point the CLI calls. [`run_with_tui`] takes over the terminal,
//! runs the benchmark on its own thread with a channel-backed observer, and on the calling thread
//! only polls keys, drains events into [`App::apply`] and redraws (at most 20 Hz, and only when
//! something changed or once a second). [`drive`] is the same loop over any ratatui backend and
//! input source, so tests run it headless.

mod observer;
mod terminal;

use std::sync::mpsc;
use std::sync::Arc;
use std::thread;
use std::time::{Duration, Instant};

use anyhow::{anyhow, Context};
use crossterm::event::Event;
use ratatui::backend::Backend;
use ratatui::Terminal;

pub use observer::{ChannelObserver, SharedControl};

use super::app::{App, UiAction};
use crate::events::{Control, Observer};

/// Shortest time between two frames (20 Hz).
const MIN_FRAME: Duration = Duration::from_millis(50);
/// Redraw at least this often even when nothing changed.
const IDLE_REDRAW: Duration = Duration::from_secs(1);

#[derive(Debug, Clone)]
pub struct TuiOptions {
    /// Leave as soon as the run finishes (like `--tui-exit`) instead of showing the final
    /// results with a "done — press q to exit" banner.
    pub exit_when_done: bool,
    /// Longest wait for a key in one loop turn.
    pub poll_interval: Duration,
}

impl Default for TuiOptions {
    fn default() -> Self {
        TuiOptions {
            exit_when_done: false,
            poll_interval: MIN_FRAME,
        }
    }
}

/// Where key presses and resizes come from.
pub trait InputSource {
    /// The next terminal event, waiting at most `timeout`; `None` when there was none.
    fn next_event(&mut self, timeout: Duration) -> anyhow::Result<Option<Event>>;
}

/// The real terminal's input.
struct CrosstermInput;

impl InputSource for CrosstermInput {
    fn next_event(&mut self, timeout: Duration) -> anyhow::Result<Option<Event>> {
        if crossterm::event::poll(timeout).context("polling terminal input")? {
            Ok(Some(
                crossterm::event::read().context("reading terminal input")?,
            ))
        } else {
            Ok(None)
        }
    }
}

/// Run `run` (the benchmark) under the live TUI and return its result.
///
/// Fails at once, before touching the terminal, when stdout is not a TTY. The terminal is
/// restored on return, on error and on panic. `q` sends [`Control::Abort`] and waits for `run` to
/// return (a second `q` leaves without waiting).
pub fn run_with_tui<R, F>(options: TuiOptions, run: F) -> anyhow::Result<R>
where
    R: Send + 'static,
    F: FnOnce(&mut dyn Observer) -> anyhow::Result<R> + Send + 'static,
{
    let mut guard = terminal::enter()?;
    let result = drive(&mut guard.terminal, &mut CrosstermInput, &options, run);
    drop(guard);
    result
}

/// The loop behind [`run_with_tui`], over any backend and input source.
pub fn drive<B, I, R, F>(
    terminal: &mut Terminal<B>,
    input: &mut I,
    options: &TuiOptions,
    run: F,
) -> anyhow::Result<R>
where
    B: Backend,
    B::Error: Send + Sync + 'static,
    I: InputSource,
    R: Send + 'static,
    F: FnOnce(&mut dyn Observer) -> anyhow::Result<R> + Send + 'static,
{
    let (tx, rx) = mpsc::channel();
    let control = Arc::new(SharedControl::default());
    let mut observer = ChannelObserver {
        tx,
        control: Arc::clone(&control),
    };
    let mut handle = Some(
        thread::Builder::new()
            .name("edgebench-run".into())
            .spawn(move || run(&mut observer))
            .context("starting the benchmark thread")?,
    );
    let mut app = App::new();
    let mut result: Option<anyhow::Result<R>> = None;
    let (mut dirty, mut last_draw, mut quits) = (true, None::<Instant>, 0usize);
    let mut panicked = false;
    loop {
        if let Some(event) = input.next_event(options.poll_interval)? {
            match event {
                Event::Key(key) => match app.on_key(key) {
                    Some(UiAction::Quit) => {
                        control.request(Control::Abort);
                        quits += 1;
                    }
                    Some(UiAction::Control(c)) => control.request(c),
                    None => {}
                },
                Event::Resize(..) => {}
                _ => continue,
            }
            dirty = true;
        }
        while let Ok(event) = rx.try_recv() {
            app.apply(&event);
            dirty = true;
        }
        if let Some(h) = handle.take_if(|h| h.is_finished()) {
            while let Ok(event) = rx.try_recv() {
                app.apply(&event);
            }
            let r = h.join().unwrap_or_else(|panic| {
                panicked = true;
                Err(anyhow!(
                    "the benchmark thread panicked: {}",
                    panic_text(&panic)
                ))
            });
            app.run_ended(r.as_ref().err().map(|e| format!("{e:#}")));
            result = Some(r);
            dirty = true;
            if panicked {
                break;
            }
        }
        if result.is_some() && (quits > 0 || options.exit_when_done) {
            break;
        }
        if result.is_none() && quits > 1 {
            return Err(anyhow!(
                "quit before the runner stopped; points finished so far are on disk"
            ));
        }
        let since = last_draw.map(|t| t.elapsed());
        if since.is_none_or(|s| (dirty && s >= MIN_FRAME) || s >= IDLE_REDRAW) {
            terminal
                .draw(|frame| frame.render_widget(&app, frame.area()))
                .context("drawing the TUI")?;
            dirty = false;
            last_draw = Some(Instant::now());
        }
    }
    if !panicked {
        // The final state, drawn once more before leaving (headless tests read it back).
        let _ = terminal.draw(|frame| frame.render_widget(&app, frame.area()));
    }
    result.unwrap_or_else(|| Err(anyhow!("the benchmark thread produced no result")))
}

fn panic_text(panic: &Box<dyn std::any::Any + Send>) -> String {
    panic
        .downcast_ref::<&str>()
        .map(|s| s.to_string())
        .or_else(|| panic.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "(no message)".into())
}

#[cfg(test)]
mod tests;
