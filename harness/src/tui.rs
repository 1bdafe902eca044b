//! Live terminal UI for a running benchmark (`--tui`). It follows ratatui's split of state,
//! drawing and loop: [`app`] folds [`HarnessEvent`](crate::events::HarnessEvent)s and key presses
//! into an [`App`]; [`view`] draws `&App` as a ratatui `Widget` (so tests render it headless
//! into a `Buffer`); [`run_loop`] owns the terminal, runs the benchmark on its own thread behind
//! a channel-backed [`Observer`](crate::events::Observer) and only polls and dispatches.
//! The TUI lives in the parent process; timed work happens in the worker process, so drawing
//! never perturbs a measurement directly.

pub mod app;
pub mod run_loop;
#[cfg(test)]
mod test_support;
pub mod view;

pub use app::{App, Focus, UiAction};
pub use run_loop::{run_with_tui, TuiOptions};
