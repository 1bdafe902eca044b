//! Owning the real terminal: TTY check, raw mode + alternate screen on entry, and restoring it
//! exactly once — on normal exit, on error (the guard's `Drop`) and on panic (a hook installed
//! before raw mode is entered). A panic on the benchmark thread restores the terminal too; the
//! UI loop then leaves at once instead of drawing over the restored screen.

use std::io::{stdout, IsTerminal, Stdout};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Once;

use anyhow::{bail, Context};
use crossterm::execute;
use crossterm::terminal::{
    disable_raw_mode, enable_raw_mode, EnterAlternateScreen, LeaveAlternateScreen,
};
use ratatui::backend::CrosstermBackend;
use ratatui::Terminal;

static ACTIVE: AtomicBool = AtomicBool::new(false);
static HOOK: Once = Once::new();

/// Leave raw mode and the alternate screen, if we entered them (idempotent).
pub fn restore() {
    if ACTIVE.swap(false, Ordering::AcqRel) {
        let _ = disable_raw_mode();
        let _ = execute!(stdout(), LeaveAlternateScreen, crossterm::cursor::Show);
    }
}

/// Restores the terminal when dropped.
pub struct TerminalGuard {
    pub terminal: Terminal<CrosstermBackend<Stdout>>,
}

impl Drop for TerminalGuard {
    fn drop(&mut self) {
        restore();
    }
}

/// Check for a TTY, install the panic hook once, enter raw mode and the alternate screen.
pub fn enter() -> anyhow::Result<TerminalGuard> {
    if !stdout().is_terminal() {
        bail!("--tui needs an interactive terminal; run without --tui for the plain progress bar");
    }
    HOOK.call_once(|| {
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            restore();
            previous(info);
        }));
    });
    ACTIVE.store(true, Ordering::Release);
    let setup = || -> anyhow::Result<TerminalGuard> {
        enable_raw_mode().context("enabling terminal raw mode")?;
        execute!(stdout(), EnterAlternateScreen).context("entering the alternate screen")?;
        let terminal =
            Terminal::new(CrosstermBackend::new(stdout())).context("opening the terminal")?;
        Ok(TerminalGuard { terminal })
    };
    setup().inspect_err(|_| restore())
}
