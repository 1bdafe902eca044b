//! A persistent worker pool for matrix products, created once per loaded model.
//!
//! A decode step of a small model issues dozens of matrix-vector products of ~0.02–0.5 ms
//! each, so handing work to threads must cost microseconds, not a thread spawn or a futex
//! round trip per product. Like ggml's thread pool, workers *spin* on an epoch counter for a
//! while after each job (so the next product starts at once) and only then park on a
//! condition variable; the caller runs a share of the work itself and spins until the
//! workers report done. [`ThreadPool::run`] calls the job on every thread with its index;
//! jobs split their work by index or through a shared atomic counter.

use std::cell::UnsafeCell;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Condvar, Mutex};
use std::thread::JoinHandle;

/// Spin iterations (each a `spin_loop` hint, tens of ns) a worker waits for the next job
/// before parking: about a millisecond, longer than the gap between two products of a step.
const SPIN_BEFORE_PARK: u32 = 1 << 15;

type Job = dyn Fn(usize) + Sync;

struct Shared {
    /// Incremented (Release) once the job pointer for the next round is in place.
    epoch: AtomicUsize,
    /// Workers that have not finished the current round.
    pending: AtomicUsize,
    /// Workers parked (or about to park) on `cv`.
    sleepers: AtomicUsize,
    shutdown: AtomicBool,
    /// The current job; written only by the caller of `run` while no worker reads it.
    job: UnsafeCell<Option<*const Job>>,
    lock: Mutex<()>,
    cv: Condvar,
}

// SAFETY: `job` is written only by `run` before it publishes a new epoch (Release) and while
// every worker has finished the previous round (`pending == 0`, Acquire); workers read it only
// after observing the new epoch (Acquire) and before decrementing `pending`. The pointee is
// `Sync` and outlives the round because `run` does not return before `pending == 0`.
unsafe impl Sync for Shared {}
// SAFETY: as above; the raw pointer is only dereferenced under that protocol.
unsafe impl Send for Shared {}

/// `threads - 1` workers plus the calling thread.
pub struct ThreadPool {
    shared: Arc<Shared>,
    workers: Vec<JoinHandle<()>>,
    /// Serialises `run` calls from different sessions sharing the pool.
    busy: Mutex<()>,
}

impl std::fmt::Debug for ThreadPool {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ThreadPool")
            .field("threads", &self.threads())
            .finish()
    }
}

impl ThreadPool {
    /// A pool computing on `threads` threads (the caller counts as one; `0` acts as `1`).
    pub fn new(threads: usize) -> Self {
        let shared = Arc::new(Shared {
            epoch: AtomicUsize::new(0),
            pending: AtomicUsize::new(0),
            sleepers: AtomicUsize::new(0),
            shutdown: AtomicBool::new(false),
            job: UnsafeCell::new(None),
            lock: Mutex::new(()),
            cv: Condvar::new(),
        });
        let workers = (1..threads.max(1))
            .map(|idx| {
                let s = Arc::clone(&shared);
                std::thread::Builder::new()
                    .name(format!("edgebench-ref-{idx}"))
                    .spawn(move || worker(&s, idx))
                    .expect("spawning a compute thread")
            })
            .collect();
        ThreadPool {
            shared,
            workers,
            busy: Mutex::new(()),
        }
    }

    /// Threads computing (workers + caller).
    pub fn threads(&self) -> usize {
        self.workers.len() + 1
    }

    /// Call `job(i)` once on each thread `i in 0..threads()` (the caller is 0) and return when
    /// all calls have returned. A panic in a worker's call aborts the process (a kernel
    /// panicking is a bug; the pool cannot unwind across threads).
    pub fn run(&self, job: &(dyn Fn(usize) + Sync)) {
        if self.workers.is_empty() {
            job(0);
            return;
        }
        let Ok(_guard) = self.busy.try_lock() else {
            // Another session is using the workers: compute alone (same results, by design).
            for i in 0..self.threads() {
                job(i);
            }
            return;
        };
        let s = &*self.shared;
        // SAFETY: erasing the lifetime is sound because we do not return before every worker
        // has finished with the pointer (`pending == 0` below), and no worker reads `job`
        // outside a round (see `unsafe impl Sync for Shared`).
        let ptr: *const Job = unsafe { std::mem::transmute::<&(dyn Fn(usize) + Sync), &'static Job>(job) };
        // SAFETY: no worker is in a round (the previous `run` waited for pending == 0).
        unsafe { *s.job.get() = Some(ptr) };
        s.pending.store(self.workers.len(), Ordering::Relaxed);
        s.epoch.fetch_add(1, Ordering::SeqCst);
        if s.sleepers.load(Ordering::SeqCst) > 0 {
            let _g = s.lock.lock().unwrap_or_else(|e| e.into_inner());
            s.cv.notify_all();
        }
        job(0);
        let mut spins = 0u32;
        while s.pending.load(Ordering::Acquire) != 0 {
            spins += 1;
            if spins < 1 << 12 {
                std::hint::spin_loop();
            } else {
                // A worker was descheduled (a busy, shared machine): let it run.
                std::thread::yield_now();
            }
        }
    }
}

fn worker(s: &Shared, idx: usize) {
    let mut seen = 0usize;
    loop {
        let mut spins = 0u32;
        let epoch = loop {
            let e = s.epoch.load(Ordering::Acquire);
            if e != seen || s.shutdown.load(Ordering::Relaxed) {
                break e;
            }
            spins += 1;
            if spins < SPIN_BEFORE_PARK {
                std::hint::spin_loop();
                continue;
            }
            let mut g = s.lock.lock().unwrap_or_else(|e| e.into_inner());
            s.sleepers.fetch_add(1, Ordering::SeqCst);
            while s.epoch.load(Ordering::SeqCst) == seen && !s.shutdown.load(Ordering::SeqCst) {
                g = s.cv.wait(g).unwrap_or_else(|e| e.into_inner());
            }
            s.sleepers.fetch_sub(1, Ordering::SeqCst);
            spins = 0;
        };
        if s.shutdown.load(Ordering::Acquire) {
            return;
        }
        seen = epoch;
        // SAFETY: the epoch was published (Release) after `job` was written, and `run` keeps
        // the pointee alive until we decrement `pending`.
        let job = unsafe { (*s.job.get()).expect("job set before the epoch") };
        // SAFETY: see above; `Job` is `Sync`, so calling it from this thread is allowed.
        let call = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| unsafe { (*job)(idx) }));
        if call.is_err() {
            eprintln!("edgebench-reference: a compute thread panicked; aborting");
            std::process::abort();
        }
        s.pending.fetch_sub(1, Ordering::Release);
    }
}

impl Drop for ThreadPool {
    fn drop(&mut self) {
        self.shared.shutdown.store(true, Ordering::SeqCst);
        {
            let _g = self.shared.lock.lock().unwrap_or_else(|e| e.into_inner());
            self.shared.cv.notify_all();
        }
        for w in self.workers.drain(..) {
            let _ = w.join();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_thread_runs_each_job_once() {
        for threads in [1, 2, 3] {
            let pool = ThreadPool::new(threads);
            assert_eq!(pool.threads(), threads);
            for round in 0..200 {
                let hits: Vec<AtomicUsize> = (0..threads).map(|_| AtomicUsize::new(0)).collect();
                pool.run(&|i| {
                    hits[i].fetch_add(round + 1, Ordering::Relaxed);
                });
                for h in &hits {
                    assert_eq!(h.load(Ordering::Relaxed), round + 1);
                }
            }
        }
    }

    #[test]
    fn parked_workers_wake_up() {
        let pool = ThreadPool::new(2);
        let n = AtomicUsize::new(0);
        pool.run(&|_| {
            n.fetch_add(1, Ordering::Relaxed);
        });
        std::thread::sleep(std::time::Duration::from_millis(50));
        pool.run(&|_| {
            n.fetch_add(1, Ordering::Relaxed);
        });
        assert_eq!(n.load(Ordering::Relaxed), 4);
    }
}
