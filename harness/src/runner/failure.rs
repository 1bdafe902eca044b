//! Classify how a worker ended into a point error (or none, when it finished cleanly).

use crate::events::WorkerEvent;
use crate::results::{ErrorKind, PointError};
use crate::spawn::{signal_name, Exit, Outcome, StoppedBy};

fn last_lines(s: &str, n: usize) -> String {
    let lines: Vec<&str> = s.lines().filter(|l| !l.trim().is_empty()).collect();
    lines[lines.len().saturating_sub(n)..].join(" | ")
}

/// `None` when the worker reported `Finished` and exited 0.
pub fn classify(o: &Outcome, timeout_s: f64) -> Option<PointError> {
    let err = |kind: ErrorKind, message: String| Some(PointError::new(kind, message));
    match o.stopped_by {
        Some(StoppedBy::Timeout) => {
            return err(ErrorKind::Timeout, format!("the worker ran longer than timeout_s = {timeout_s} s and was killed; raise `timeout_s` in the scenario or lower gen_tokens/repetitions"))
        }
        Some(StoppedBy::Skip) => return err(ErrorKind::Skipped, "skipped by the user while running".into()),
        Some(StoppedBy::Abort) => return err(ErrorKind::Skipped, "run aborted by the user while this point ran".into()),
        Some(StoppedBy::Signal(s)) => return err(ErrorKind::Skipped, format!("the run was interrupted by {} while this point ran; its worker was ended", signal_name(s))),
        None => {}
    }
    if let Some(WorkerEvent::Error { kind, message, .. }) = o
        .events
        .iter()
        .rev()
        .find(|e| matches!(e, WorkerEvent::Error { .. }))
    {
        return err(ErrorKind::parse(kind), message.clone());
    }
    let finished = o
        .events
        .iter()
        .any(|e| matches!(e, WorkerEvent::Finished { .. }));
    let stderr = last_lines(&o.stderr_tail, 3);
    let detail = if stderr.is_empty() {
        String::new()
    } else {
        format!("; stderr: {stderr}")
    };
    match o.exit {
        Exit::Code(0) if finished => None,
        Exit::Code(0) => err(
            ErrorKind::Crashed,
            format!("the worker exited without finishing its runs{detail}"),
        ),
        Exit::Code(c) => err(
            ErrorKind::Crashed,
            format!("the worker exited with code {c}{detail}"),
        ),
        Exit::Signal(s) if s == crate::sys::SIGKILL => err(
            ErrorKind::Killed,
            format!(
                "the worker was killed by {} (out of memory, or killed externally){detail}",
                signal_name(s)
            ),
        ),
        Exit::Signal(s) => err(
            ErrorKind::Crashed,
            format!("the worker crashed: killed by {}{detail}", signal_name(s)),
        ),
    }
}
