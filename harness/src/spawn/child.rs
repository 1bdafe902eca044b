//! Supervising one worker process: hand it its point on stdin, read its JSON-lines events,
//! sample its RSS, enforce the timeout, obey skip/abort requests and SIGINT/SIGTERM, and reap it
//! with `wait4` to learn how it ended and its peak RSS even when it crashed. The worker leads
//! its own process group and dies with the parent ([`crate::sys::worker_command`]).

use std::io::{BufRead, BufReader, Read, Write};
use std::process::{Command, Stdio};
use std::sync::mpsc::{self, RecvTimeoutError};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use crate::clock::mono_ns;
use crate::events::{Control, WorkerEvent};

/// How the worker process ended (`Code(-1)` when it could not be waited for).
pub use crate::sys::ChildExit as Exit;

/// Why the parent stopped the worker, if it did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StoppedBy {
    Timeout,
    Skip,
    Abort,
    /// The parent got this signal (SIGINT, SIGTERM, SIGHUP) and ends the run.
    Signal(i32),
}

#[derive(Debug)]
pub struct Outcome {
    pub events: Vec<WorkerEvent>,
    pub rss: Vec<(u64, u64)>,
    pub exit: Exit,
    pub stopped_by: Option<StoppedBy>,
    pub exit_peak_rss_bytes: Option<u64>,
    pub stderr_tail: String,
    pub started_t_ns: u64,
    pub wall_ns: u64,
    /// Lines on the worker's event stream that were not events.
    pub stray_lines: Vec<String>,
}

/// What the supervisor reports while it runs.
pub enum Update<'a> {
    Started(u32),
    Event(&'a WorkerEvent),
    Rss { t_ns: u64, rss_bytes: u64 },
}

const STDERR_TAIL_BYTES: usize = 8192;

/// Run `cmd` to completion with `input` on its stdin. `on_update` sees every event and sample
/// and returns what to do next.
pub fn supervise(
    mut cmd: Command,
    input: Vec<u8>,
    timeout: Duration,
    rss_interval: Duration,
    mut on_update: impl FnMut(Update<'_>) -> Control,
) -> std::io::Result<Outcome> {
    cmd.stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    crate::sys::worker_command(&mut cmd);
    let started_t_ns = mono_ns();
    let started = Instant::now();
    let mut child = cmd.spawn()?;
    let pid = child.id();
    on_update(Update::Started(pid));

    // A thread, so a worker that never reads its stdin cannot block the supervisor; a write
    // error (the worker died first) shows in how the worker ended.
    let mut stdin = child.stdin.take().expect("stdin is piped");
    let writer = std::thread::spawn(move || {
        let _ = stdin.write_all(&input);
    });

    let stdout = child.stdout.take().expect("stdout is piped");
    let (tx, rx) = mpsc::channel::<Result<WorkerEvent, String>>();
    let reader = std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines() {
            let Ok(line) = line else { break };
            let parsed = serde_json::from_str::<WorkerEvent>(&line).map_err(|_| line);
            if tx.send(parsed).is_err() {
                break;
            }
        }
    });
    let tail = Arc::new(Mutex::new(Vec::<u8>::new()));
    let stderr_thread = {
        let tail = Arc::clone(&tail);
        let mut stderr = child.stderr.take().expect("stderr is piped");
        std::thread::spawn(move || {
            let mut buf = [0u8; 4096];
            while let Ok(n) = stderr.read(&mut buf) {
                if n == 0 {
                    break;
                }
                let mut t = tail.lock().unwrap_or_else(|p| p.into_inner());
                t.extend_from_slice(&buf[..n]);
                let excess = t.len().saturating_sub(STDERR_TAIL_BYTES);
                t.drain(..excess);
            }
        })
    };

    let mut events = Vec::new();
    let mut stray_lines = Vec::new();
    let mut rss = Vec::new();
    let mut stopped_by = None;
    let mut next_sample = Instant::now();
    loop {
        let wait = next_sample.saturating_duration_since(Instant::now());
        match rx.recv_timeout(wait) {
            Ok(Ok(ev)) => {
                let c = on_update(Update::Event(&ev));
                events.push(ev);
                stopped_by = stopped_by.or(handle_control(c, pid));
            }
            Ok(Err(line)) => stray_lines.push(line),
            Err(RecvTimeoutError::Timeout) => {}
            Err(RecvTimeoutError::Disconnected) => break,
        }
        if Instant::now() >= next_sample {
            next_sample = Instant::now() + rss_interval;
            if let Some((now, _peak)) = crate::rss::rss_of(pid) {
                let t = mono_ns();
                rss.push((t, now));
                let c = on_update(Update::Rss {
                    t_ns: t,
                    rss_bytes: now,
                });
                stopped_by = stopped_by.or(handle_control(c, pid));
            }
            if stopped_by.is_none() && started.elapsed() > timeout {
                kill(pid);
                stopped_by = Some(StoppedBy::Timeout);
            }
            if let (None, Some(sig)) = (stopped_by, crate::sys::stop_signal()) {
                kill(pid);
                stopped_by = Some(StoppedBy::Signal(sig));
            }
        }
    }
    let (exit, exit_peak_rss_bytes) = reap(pid);
    drop(child);
    let _ = writer.join();
    let _ = reader.join();
    let _ = stderr_thread.join();
    let stderr_tail =
        String::from_utf8_lossy(&tail.lock().unwrap_or_else(|p| p.into_inner())).into_owned();
    Ok(Outcome {
        events,
        rss,
        exit,
        stopped_by,
        exit_peak_rss_bytes,
        stderr_tail,
        started_t_ns,
        wall_ns: started.elapsed().as_nanos() as u64,
        stray_lines,
    })
}

fn handle_control(c: Control, pid: u32) -> Option<StoppedBy> {
    match c {
        Control::SkipCurrent => {
            kill(pid);
            Some(StoppedBy::Skip)
        }
        Control::Abort => {
            kill(pid);
            Some(StoppedBy::Abort)
        }
        Control::Continue | Control::Stop => None,
    }
}

fn kill(pid: u32) {
    crate::sys::kill_child(pid);
}

/// Wait for the child and read its exit status and peak RSS (ru_maxrss).
fn reap(pid: u32) -> (Exit, Option<u64>) {
    crate::sys::wait_child(pid).unwrap_or((Exit::Code(-1), None))
}

pub use crate::sys::signal_name;
