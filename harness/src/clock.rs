//! The one clock of a run: CLOCK_MONOTONIC in nanoseconds, the same in the parent and every
//! worker, so token events, RSS samples and power samples line up on one time axis.

/// Nanoseconds on CLOCK_MONOTONIC (system-wide, so comparable across processes).
pub fn mono_ns() -> u64 {
    crate::sys::monotonic_ns()
}
