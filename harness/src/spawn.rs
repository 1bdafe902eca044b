//! Running one `edgebench worker` process from the parent: hand it its point (on its stdin, so
//! no file of one run can be read by another), supervise it
//! ([`child`]), forward what it reports to the observers. Shared by the benchmark runner and
//! the agreement gate, which both measure in worker processes.

mod child;

use anyhow::{Context, Result};
use std::path::PathBuf;
use std::process::Command;
use std::sync::mpsc::Receiver;
use std::time::Duration;

use crate::collect::sampler::Sample;
use crate::events::{HarnessEvent, Observer};
use crate::worker::WorkerPoint;

pub use child::{signal_name, supervise, Exit, Outcome, StoppedBy, Update};

#[derive(Debug, Clone)]
pub struct RunOptions {
    pub out_dir: PathBuf,
    pub model_dir: PathBuf,
    /// The `edgebench` binary that runs `worker` (normally the current executable).
    pub worker_exe: PathBuf,
    /// Measure the harness's own per-token cost (mock backend) and the memory bandwidth first.
    pub calibrate: bool,
    pub rss_interval: Duration,
}

/// Start one worker with its point on stdin and supervise it, forwarding its events to `obs`.
pub fn spawn_worker(
    wp: &WorkerPoint,
    opts: &RunOptions,
    index: usize,
    timeout: Duration,
    live: Option<&Receiver<Sample>>,
    obs: &mut dyn Observer,
) -> Result<Outcome> {
    let input = serde_json::to_vec(wp)?;
    let mut cmd = Command::new(&opts.worker_exe);
    cmd.arg("worker").arg(crate::worker::POINT_ON_STDIN);
    let outcome = supervise(cmd, input, timeout, opts.rss_interval, |u| {
        for s in live.into_iter().flat_map(|rx| rx.try_iter()) {
            obs.on_event(&HarnessEvent::Sensors {
                t_ns: s.t_ns,
                power_w: s.power_w,
                temperature_c: s.temp_c,
                cpu_freq_mhz: s.cpu_freq_mhz,
            });
        }
        match u {
            Update::Started(pid) => obs.on_event(&HarnessEvent::PointStarted { index, pid }),
            Update::Event(e) => obs.on_event(&HarnessEvent::Worker {
                index,
                event: e.clone(),
            }),
            Update::Rss { t_ns, rss_bytes } => obs.on_event(&HarnessEvent::Rss {
                index,
                t_ns,
                rss_bytes,
            }),
        }
        obs.control()
    })
    .with_context(|| format!("starting worker {}", opts.worker_exe.display()))?;
    Ok(outcome)
}
