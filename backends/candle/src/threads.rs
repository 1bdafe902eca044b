//! Sizing candle's CPU thread pools from `LoadOptions::threads`.
//!
//! candle 0.11.1 computes on two process-wide pools, each sized once, at first use:
//! - its *barrier pool* (`candle_core::utils::barrier_pool`: quantized matmuls and some
//!   element-wise kernels) with `CANDLE_NUM_THREADS`, else `RAYON_NUM_THREADS`, else the
//!   number of physical cores, minus one (the calling thread works too);
//! - the *rayon global pool* (softmax, RMSNorm, RoPE in candle-nn; the `gemm` crate behind
//!   f32/f16 matmuls, which also reads `RAYON_NUM_THREADS` on every call).
//!
//! So at the first load we set both environment variables to `threads`, build the rayon
//! global pool with that size and force the barrier pool into existence, then check both
//! sizes. The setting is per process, which fits the harness (one worker process per
//! benchmark point); a later load asking for another count is refused with an error that
//! says so, rather than silently measuring with the wrong count.

use edgebench_backend::BackendError;
use std::sync::Mutex;

/// The thread count fixed by the first successful load, if any.
static CONFIGURED: Mutex<Option<usize>> = Mutex::new(None);

/// Fix candle's pools at `threads`, or check they already are.
pub(crate) fn configure(threads: usize) -> Result<(), BackendError> {
    if threads == 0 {
        return Err(BackendError::InvalidInput(
            "threads must be at least 1 (LoadOptions::threads = 0)".into(),
        ));
    }
    let mut configured = CONFIGURED.lock().unwrap_or_else(|p| p.into_inner());
    if let Some(n) = *configured {
        return if n == threads {
            Ok(())
        } else {
            Err(fixed_elsewhere(n, threads))
        };
    }
    // Rust 2021: `set_var` is safe to call; racing `getenv` in other threads is the caveat,
    // and this runs at load, before any candle compute starts in this process.
    std::env::set_var("CANDLE_NUM_THREADS", threads.to_string());
    std::env::set_var("RAYON_NUM_THREADS", threads.to_string());
    // Fails only if the global pool already exists; the size check below covers that.
    let _ = rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build_global();
    let rayon_n = rayon::current_num_threads();
    let barrier_n = candle_core::utils::barrier_pool().n_workers() + 1;
    if rayon_n != threads || barrier_n != threads {
        return Err(BackendError::Unavailable {
            backend: crate::NAME.into(),
            reason: format!(
                "candle's thread pools were sized before the first load \
                 (rayon global pool {rayon_n}, candle barrier pool {barrier_n} threads; \
                 {threads} requested)"
            ),
            fix: format!(
                "start the process with CANDLE_NUM_THREADS={threads} RAYON_NUM_THREADS={threads}, \
                 or load the candle model before anything else uses rayon or candle"
            ),
        });
    }
    *configured = Some(threads);
    Ok(())
}

/// The thread count in effect: the configured one, or what candle would pick now.
pub(crate) fn current() -> (usize, &'static str) {
    let configured = *CONFIGURED.lock().unwrap_or_else(|p| p.into_inner());
    match configured {
        Some(n) => (n, "set at load from LoadOptions::threads"),
        None => (
            candle_core::utils::get_num_threads(),
            "candle default (RAYON_NUM_THREADS or physical cores); fixed at first load",
        ),
    }
}

fn fixed_elsewhere(have: usize, want: usize) -> BackendError {
    BackendError::Unavailable {
        backend: crate::NAME.into(),
        reason: format!(
            "candle sizes its thread pools once per process; this process already uses {have} \
             threads and cannot switch to {want}"
        ),
        fix: "load each thread count in its own process (the harness runs one worker process \
              per benchmark point)"
            .into(),
    }
}
