//! A persistent worker pool for matrix products, created once per loaded model.
//!
//! A decode step of a small model issues dozens of matrix-vector products of ~0.02–0.5 ms
//! each, so handing work to threads must cost microseconds, not a thread spawn or a futex
//! round trip per product. Like ggml's thread pool, workers *spin* on a round counter for a
//! while after each job (so the next product starts at once) and only then park on a
//! condition variable.
//!
//! Jobs take their work from a shared counter, and a round is *joined*, not assigned: a
//! worker must register (a CAS on the round word) before it touches the job, and the caller,
//! once its own call of the job returns (all work taken), closes the round and waits only for
//! the workers that joined. On a busy machine where a worker is descheduled, the caller does
//! the whole product itself instead of waiting a scheduler time slice for that worker.

use std::cell::UnsafeCell;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Condvar, Mutex};
use std::thread::JoinHandle;

/// Spin iterations (each a `spin_loop` hint, tens of ns) a worker waits for the next job
/// before parking: about a millisecond, longer than the gap between two products of a step.
const SPIN_BEFORE_PARK: u32 = 1 << 15;

type Job = dyn Fn(usize) + Sync;

/// Round word layout: bits 0..32 workers joined, bit 32 closed, bits 33.. round number.
const JOINED_MASK: u64 = 0xffff_ffff;
const CLOSED: u64 = 1 << 32;
const ROUND_SHIFT: u32 = 33;

struct Shared {
    /// Round number, closed flag and joined count (see the constants above).
    state: AtomicU64,
    /// Joined workers that have finished the current round.
    done: AtomicUsize,
    /// Workers parked (or about to park) on `cv`.
    sleepers: AtomicUsize,
    shutdown: AtomicBool,
    /// The current job; written only by `run` while no worker is inside a round.
    job: UnsafeCell<Option<*const Job>>,
    lock: Mutex<()>,
    cv: Condvar,
}

// SAFETY: `job` is written only by `run` between rounds (after the previous round was closed
// and every worker that joined it finished, `done == joined`), then published by the Release
// store of the new round word; a worker reads it only after joining the round with a
// successful Acquire CAS on that word, and `run` does not return (so the pointee lives) until
// that worker has incremented `done`.
unsafe impl Sync for Shared {}
// SAFETY: as above; the raw pointer is only dereferenced under that protocol.
unsafe impl Send for Shared {}

/// `threads - 1` workers plus the calling thread.
pub struct ThreadPool {
    shared: Arc<Shared>,
    workers: Vec<JoinHandle<()>>,
    /// Serialises `run` calls from different sessions sharing the pool.
    busy: Mutex<u64>,
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
            state: AtomicU64::new(CLOSED),
            done: AtomicUsize::new(0),
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
            busy: Mutex::new(0),
        }
    }

    /// Threads computing (workers + caller).
    pub fn threads(&self) -> usize {
        self.workers.len() + 1
    }

    /// Call `job(0)` on the caller and `job(i)` on each worker `i` that joins in time, and
    /// return when every started call has returned. `job` must take its work from a shared
    /// counter so that `job(0)` alone completes it. A panic in a worker's call aborts the
    /// process (a kernel panicking is a bug; the pool cannot unwind across threads).
    pub fn run(&self, job: &(dyn Fn(usize) + Sync)) {
        if self.workers.is_empty() {
            job(0);
            return;
        }
        let Ok(mut round) = self.busy.try_lock() else {
            // Another session is using the workers: compute alone (same results, by design).
            job(0);
            return;
        };
        *round += 1;
        let s = &*self.shared;
        // SAFETY: erasing the lifetime is sound because we do not return before every worker
        // that joined this round has finished with the pointer (see `unsafe impl Sync`).
        let ptr: *const Job =
            unsafe { std::mem::transmute::<&(dyn Fn(usize) + Sync), &'static Job>(job) };
        // SAFETY: no worker is inside a round (the previous `run` waited for them).
        unsafe { *s.job.get() = Some(ptr) };
        s.done.store(0, Ordering::Relaxed);
        s.state.store(*round << ROUND_SHIFT, Ordering::SeqCst);
        if s.sleepers.load(Ordering::SeqCst) > 0 {
            let _g = s.lock.lock().unwrap_or_else(|e| e.into_inner());
            s.cv.notify_all();
        }
        job(0);
        let joined = (s.state.fetch_or(CLOSED, Ordering::AcqRel) & JOINED_MASK) as usize;
        let mut spins = 0u32;
        while s.done.load(Ordering::Acquire) < joined {
            spins += 1;
            if spins < 1 << 12 {
                std::hint::spin_loop();
            } else {
                // A joined worker was descheduled mid-chunk (a busy machine): let it run.
                std::thread::yield_now();
            }
        }
    }
}

fn worker(s: &Shared, idx: usize) {
    let mut seen = 0u64;
    loop {
        let mut spins = 0u32;
        // Wait for an open round we have not seen, and join it.
        loop {
            if s.shutdown.load(Ordering::Acquire) {
                return;
            }
            let st = s.state.load(Ordering::Acquire);
            let round = st >> ROUND_SHIFT;
            if round != seen {
                if st & CLOSED != 0 {
                    seen = round; // too late for this one
                    continue;
                }
                if s.state
                    .compare_exchange_weak(st, st + 1, Ordering::AcqRel, Ordering::Relaxed)
                    .is_ok()
                {
                    seen = round;
                    break;
                }
                continue;
            }
            spins += 1;
            if spins < SPIN_BEFORE_PARK {
                std::hint::spin_loop();
                continue;
            }
            let mut g = s.lock.lock().unwrap_or_else(|e| e.into_inner());
            s.sleepers.fetch_add(1, Ordering::SeqCst);
            while s.state.load(Ordering::SeqCst) >> ROUND_SHIFT == seen
                && !s.shutdown.load(Ordering::SeqCst)
            {
                g = s.cv.wait(g).unwrap_or_else(|e| e.into_inner());
            }
            s.sleepers.fetch_sub(1, Ordering::SeqCst);
            spins = 0;
        }
        // SAFETY: we joined the round with an Acquire CAS after `run` wrote the job and
        // published the round (Release); `run` keeps the pointee alive until we bump `done`.
        let job = unsafe { (*s.job.get()).expect("job set before the round opens") };
        // SAFETY: see above; `Job` is `Sync`, so calling it from this thread is allowed.
        let call =
            std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| unsafe { (*job)(idx) }));
        if call.is_err() {
            eprintln!("edgebench-reference: a compute thread panicked; aborting");
            std::process::abort();
        }
        s.done.fetch_add(1, Ordering::Release);
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
    fn every_item_is_done_once_whoever_joins() {
        for threads in [1, 2, 3] {
            let pool = ThreadPool::new(threads);
            assert_eq!(pool.threads(), threads);
            for round in 0..300 {
                let items = 1 + round % 17;
                let next = AtomicUsize::new(0);
                let hits: Vec<AtomicUsize> = (0..items).map(|_| AtomicUsize::new(0)).collect();
                pool.run(&|_| loop {
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    let Some(h) = hits.get(i) else { break };
                    h.fetch_add(1, Ordering::Relaxed);
                });
                assert!(hits.iter().all(|h| h.load(Ordering::Relaxed) == 1));
            }
        }
    }

    #[test]
    fn parked_workers_wake_up_and_join() {
        let pool = ThreadPool::new(2);
        let seen = Mutex::new(Vec::new());
        std::thread::sleep(std::time::Duration::from_millis(100));
        // Long enough jobs that the woken worker joins at least once in a few tries.
        for _ in 0..50 {
            pool.run(&|i| {
                seen.lock().unwrap().push(i);
                std::thread::sleep(std::time::Duration::from_millis(2));
            });
            if seen.lock().unwrap().contains(&1) {
                break;
            }
        }
        assert!(seen.lock().unwrap().contains(&1), "worker never joined");
    }
}
