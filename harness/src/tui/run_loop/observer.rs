//! The benchmark side of the TUI: an [`Observer`] that forwards every event to the UI thread
//! over a channel and answers `control()` from the latest key press.
//!
//! Controls are shared through one atomic. `Stop` and `Abort` are sticky (once asked for, every
//! later `control()` returns them, so a runner that polls mid-point and again between points sees
//! them both times); `SkipCurrent` is consumed by the first `control()` that reads it, so it
//! skips one point, not all the rest. A weaker request never overwrites a stronger one.

use std::sync::atomic::{AtomicU8, Ordering};
use std::sync::mpsc::Sender;
use std::sync::Arc;

use crate::events::{Control, HarnessEvent, Observer};

const CONTINUE: u8 = 0;
const SKIP: u8 = 1;
const STOP: u8 = 2;
const ABORT: u8 = 3;

/// The control the UI asks the runner for, shared between the two threads.
#[derive(Debug, Default)]
pub struct SharedControl(AtomicU8);

impl SharedControl {
    /// Ask for `control`; ignored when a stronger one is already pending.
    pub fn request(&self, control: Control) {
        let code = match control {
            Control::Continue => CONTINUE,
            Control::SkipCurrent => SKIP,
            Control::Stop => STOP,
            Control::Abort => ABORT,
        };
        self.0.fetch_max(code, Ordering::AcqRel);
    }

    /// What the runner should do now (consumes a pending skip).
    pub fn take(&self) -> Control {
        match self.0.load(Ordering::Acquire) {
            SKIP => {
                match self
                    .0
                    .compare_exchange(SKIP, CONTINUE, Ordering::AcqRel, Ordering::Acquire)
                {
                    Ok(_) => Control::SkipCurrent,
                    // Raced with a stronger request: report that one (it is sticky).
                    Err(code) => decode(code),
                }
            }
            code => decode(code),
        }
    }
}

fn decode(code: u8) -> Control {
    match code {
        SKIP => Control::SkipCurrent,
        STOP => Control::Stop,
        ABORT => Control::Abort,
        _ => Control::Continue,
    }
}

/// Observer handed to the benchmark: events go to the UI, controls come from it.
pub struct ChannelObserver {
    pub(crate) tx: Sender<HarnessEvent>,
    pub(crate) control: Arc<SharedControl>,
}

impl Observer for ChannelObserver {
    fn on_event(&mut self, event: &HarnessEvent) {
        // The UI may already be gone (user quit); the run must go on undisturbed.
        let _ = self.tx.send(event.clone());
    }

    fn control(&mut self) -> Control {
        self.control.take()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn skip_is_consumed_stop_and_abort_stick() {
        let c = SharedControl::default();
        assert_eq!(c.take(), Control::Continue);
        c.request(Control::SkipCurrent);
        assert_eq!(c.take(), Control::SkipCurrent);
        assert_eq!(c.take(), Control::Continue);
        c.request(Control::Stop);
        c.request(Control::SkipCurrent);
        assert_eq!(c.take(), Control::Stop);
        assert_eq!(c.take(), Control::Stop);
        c.request(Control::Abort);
        c.request(Control::Stop);
        assert_eq!(c.take(), Control::Abort);
        assert_eq!(c.take(), Control::Abort);
    }
}
