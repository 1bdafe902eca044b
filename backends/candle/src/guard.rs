//! Turns candle's failure modes into [`BackendError`]s: its `Result` errors and its panics.
//! candle indexes and reshapes freely, so a malformed file can panic deep inside it; every
//! call into candle goes through [`guarded`], which catches the unwind.

use edgebench_backend::BackendError;
use std::panic::{catch_unwind, AssertUnwindSafe};

/// Run `f`, turning a panic into `Err(message)`. The callers decide which error kind it is.
pub(crate) fn guarded<T>(f: impl FnOnce() -> candle_core::Result<T>) -> Result<T, String> {
    match catch_unwind(AssertUnwindSafe(f)) {
        Ok(Ok(v)) => Ok(v),
        Ok(Err(e)) => Err(first_line(&e.to_string())),
        Err(payload) => Err(format!("candle panicked: {}", panic_message(&*payload))),
    }
}

/// candle errors may carry a backtrace after the first line; reports want the first line.
fn first_line(s: &str) -> String {
    s.lines().next().unwrap_or("").trim().to_string()
}

fn panic_message(payload: &(dyn std::any::Any + Send)) -> String {
    if let Some(s) = payload.downcast_ref::<&str>() {
        (*s).to_string()
    } else if let Some(s) = payload.downcast_ref::<String>() {
        s.clone()
    } else {
        "(non-string panic payload)".to_string()
    }
}

/// A runtime failure of this backend.
pub(crate) fn runtime(message: impl std::fmt::Display) -> BackendError {
    BackendError::runtime(crate::NAME, message)
}

#[cfg(test)]
mod tests {
    use super::guarded;

    #[test]
    fn panics_and_errors_become_messages() {
        assert_eq!(guarded(|| Ok(3)), Ok(3));
        let e = guarded::<()>(|| candle_core::bail!("bad shape\nbacktrace...")).unwrap_err();
        assert_eq!(e, "bad shape");
        let e = guarded::<()>(|| panic!("index out of range")).unwrap_err();
        assert_eq!(e, "candle panicked: index out of range");
    }
}
