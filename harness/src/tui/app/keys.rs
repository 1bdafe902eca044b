//! Key handling: the key map in one place. `on_key` changes only view state (focus, selection,
//! sort, help) and returns what the loop must tell the runner; it never blocks or draws.

use crossterm::event::{KeyCode, KeyEvent, KeyEventKind, KeyModifiers};

use super::App;
use crate::events::Control;

/// Which pane ↑/↓ act on; `tab` cycles.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Focus {
    #[default]
    Matrix,
    Results,
    Log,
}

impl Focus {
    pub fn next(self) -> Self {
        match self {
            Focus::Matrix => Focus::Results,
            Focus::Results => Focus::Log,
            Focus::Log => Focus::Matrix,
        }
    }
}

/// What a key asks the loop to do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UiAction {
    /// Pass this control to the runner (`s` → SkipCurrent, `p` → Stop).
    Control(Control),
    /// Leave: the runner gets `Control::Abort` if still running, then the UI closes.
    Quit,
}

/// The key map, shown by the help overlay.
pub const KEY_HELP: &[(&str, &str)] = &[
    (
        "q / Ctrl-C",
        "quit (aborts the running point; finished points stay on disk)",
    ),
    ("p", "stop after the current point"),
    ("s", "skip the current point"),
    ("tab", "switch focused pane (matrix / results / log)"),
    (
        "↑ / ↓",
        "select a point (matrix), a result row, or scroll the log",
    ),
    ("esc", "follow the running point again / close help"),
    ("o", "cycle results sort: finish order, tok/s, RAM, J/token"),
    ("?", "toggle this help"),
];

impl App {
    /// Handle one key press; returns the action for the runner, if any.
    pub fn on_key(&mut self, key: KeyEvent) -> Option<UiAction> {
        if key.kind == KeyEventKind::Release {
            return None;
        }
        let ctrl = key.modifiers.contains(KeyModifiers::CONTROL);
        match key.code {
            KeyCode::Char('c') if ctrl => return Some(self.request(Control::Abort)),
            KeyCode::Char('q') | KeyCode::Char('Q') => return Some(self.request(Control::Abort)),
            KeyCode::Char('?') => self.show_help = !self.show_help,
            KeyCode::Esc if self.show_help => self.show_help = false,
            KeyCode::Esc => self.selected = None,
            KeyCode::Char('p') if !self.is_over() => return Some(self.request(Control::Stop)),
            KeyCode::Char('s') if !self.is_over() => {
                return Some(self.request(Control::SkipCurrent))
            }
            KeyCode::Char('o') => self.sort = self.sort.next(),
            KeyCode::Tab => self.focus = self.focus.next(),
            KeyCode::BackTab => self.focus = self.focus.next().next(),
            KeyCode::Up => self.move_selection(-1),
            KeyCode::Down => self.move_selection(1),
            _ => {}
        }
        None
    }

    /// Record the request for the header and turn it into an action. A weaker request never
    /// hides a stronger one (Abort > Stop > SkipCurrent).
    fn request(&mut self, control: Control) -> UiAction {
        let rank = |c: Option<Control>| match c {
            Some(Control::Abort) => 3,
            Some(Control::Stop) => 2,
            Some(Control::SkipCurrent) => 1,
            _ => 0,
        };
        if rank(Some(control)) >= rank(self.requested) {
            self.requested = Some(control);
        }
        match control {
            Control::Abort => UiAction::Quit,
            other => UiAction::Control(other),
        }
    }

    fn move_selection(&mut self, delta: isize) {
        match self.focus {
            Focus::Log => {
                let max = self.log.len().saturating_sub(1);
                self.log_scroll = self.log_scroll.saturating_add_signed(-delta).min(max);
            }
            Focus::Results => {
                let order: Vec<usize> = super::results::sorted_rows(&self.rows, self.sort)
                    .iter()
                    .map(|r| r.index)
                    .collect();
                if order.is_empty() {
                    return;
                }
                let pos = self
                    .selected
                    .and_then(|s| order.iter().position(|&i| i == s))
                    .map_or(0, |p| step(p, delta, order.len()));
                self.selected = Some(order[pos]);
            }
            Focus::Matrix => {
                let n = self.points.len();
                if n == 0 {
                    return;
                }
                let from = self.focused_index().unwrap_or(0).min(n - 1);
                self.selected = Some(step(from, delta, n));
            }
        }
    }
}

/// Move `pos` by `delta` within `0..len`, clamped at the ends.
fn step(pos: usize, delta: isize, len: usize) -> usize {
    pos.saturating_add_signed(delta).min(len - 1)
}
