//! The sampler thread. The parent starts it (never the timed worker): it polls the power source
//! at a fixed rate (default 100 Hz, capped at what the source can deliver), the CPU temperature
//! and frequency every `slow_every`-th tick, stamps everything with [`mono_ns`] and hands each
//! sample to a callback (the TUI's live view) before keeping it. It measures its own CPU time so
//! the report can show what sampling cost.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::mpsc;
use std::thread::JoinHandle;
use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::clock::mono_ns;
use crate::collect::cpufreq::{self, FreqReader};
use crate::collect::energy::wrapping_delta;
use crate::collect::power::{PowerError, PowerSource, Reading, Unavailable};
use crate::collect::sysfs_root;
use crate::collect::thermal::{cpu_zone, read_temp_c};
use crate::collect::throttle::{find_vcgencmd, read_vcgencmd};

/// One instant; `None` fields were not read at this tick or not available.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
pub struct Sample {
    pub t_ns: u64,
    /// Instantaneous power; for counter sources, the mean since the previous sample.
    pub power_w: Option<f64>,
    /// Cumulative energy counter (counter sources only), joules.
    pub energy_counter_j: Option<f64>,
    pub temp_c: Option<f64>,
    pub cpu_freq_mhz: Option<f64>,
}

/// How to sample.
#[derive(Debug, Clone)]
pub struct SamplerConfig {
    /// Power samples per second (capped at the source's `max_rate_hz`).
    pub rate_hz: f64,
    /// Temperature and frequency every this many ticks at `rate_hz` (10 → 10 Hz at 100 Hz; the
    /// same pace is kept when the power rate is capped), and at the first and last sample.
    pub slow_every: u32,
    /// Sysfs root for temperature and frequency.
    pub root: PathBuf,
    /// `vcgencmd` to read `get_throttled` from at start and stop (Raspberry Pi).
    pub vcgencmd: Option<PathBuf>,
}

impl Default for SamplerConfig {
    /// 100 Hz, slow every 10th tick, `sysfs_root()`, `vcgencmd` from `PATH` when the root is `/`.
    fn default() -> Self {
        let root = sysfs_root();
        let vcgencmd = (root == std::path::Path::new("/"))
            .then(find_vcgencmd)
            .flatten();
        SamplerConfig {
            rate_hz: 100.0,
            slow_every: 10,
            root,
            vcgencmd,
        }
    }
}

/// Everything the sampler saw between start and stop.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct SampleSeries {
    /// Name of the power source; `None` when power was unavailable (see `unavailable`).
    pub source: Option<String>,
    pub source_info: BTreeMap<String, String>,
    pub unavailable: Option<String>,
    /// Wrap range of `energy_counter_j`, when the source reports a raw counter.
    pub counter_wrap_j: Option<f64>,
    pub started_ns: u64,
    pub stopped_ns: u64,
    /// The rate the sampler aimed for after capping.
    pub target_rate_hz: f64,
    pub samples: Vec<Sample>,
    pub read_errors: usize,
    pub last_error: Option<String>,
    /// Caveats from the source (e.g. a charging battery).
    pub notes: Vec<String>,
    pub temp_zone: Option<String>,
    pub scaling_max_mhz: Option<f64>,
    pub governor: Option<String>,
    /// `vcgencmd get_throttled` bits at start and stop.
    pub vcgencmd_start: Option<u32>,
    pub vcgencmd_end: Option<u32>,
    /// CPU time the sampler thread used (clock_gettime CLOCK_THREAD_CPUTIME_ID).
    pub sampler_cpu_ns: Option<u64>,
}

impl SampleSeries {
    pub fn achieved_rate_hz(&self) -> f64 {
        let span_s = self.stopped_ns.saturating_sub(self.started_ns) as f64 * 1e-9;
        if span_s > 0.0 {
            self.samples.len() as f64 / span_s
        } else {
            0.0
        }
    }

    pub fn period_ns(&self) -> u64 {
        (1e9 / self.target_rate_hz.max(1e-3)) as u64
    }

    pub fn sampler_cpu_ns_per_sample(&self) -> Option<f64> {
        let n = self.samples.len();
        self.sampler_cpu_ns
            .filter(|_| n > 0)
            .map(|ns| ns as f64 / n as f64)
    }
}

/// Live samples go here (called on the sampler thread; keep it short).
pub type OnSample = Box<dyn FnMut(&Sample) + Send>;

type Output = (SampleSeries, Option<Box<dyn PowerSource>>);

/// A running sampler; [`Sampler::stop`] returns the series and the source (for the next point).
pub struct Sampler {
    stop: mpsc::Sender<()>,
    handle: JoinHandle<Output>,
}

impl Sampler {
    /// Start sampling. Pass [`crate::collect::power::detect`]'s result: when power is
    /// unavailable the thread still records temperature and frequency at `rate_hz / slow_every`.
    pub fn start(
        source: Result<Box<dyn PowerSource>, Unavailable>,
        cfg: SamplerConfig,
        on_sample: OnSample,
    ) -> std::io::Result<Sampler> {
        let (stop, rx) = mpsc::channel();
        let handle = std::thread::Builder::new()
            .name("edgebench-sampler".into())
            .spawn(move || run(source, cfg, on_sample, rx))?;
        Ok(Sampler { stop, handle })
    }

    /// Stop (one final sample is taken at the stop instant) and collect.
    pub fn stop(self) -> Output {
        let _ = self.stop.send(());
        self.handle.join().unwrap_or_else(|_| {
            let series = SampleSeries {
                unavailable: Some("the sampler thread panicked".into()),
                ..Default::default()
            };
            (series, None)
        })
    }
}

pub use crate::sys::thread_cpu_ns;

fn run(
    source: Result<Box<dyn PowerSource>, Unavailable>,
    cfg: SamplerConfig,
    mut on_sample: OnSample,
    stop: mpsc::Receiver<()>,
) -> Output {
    let mut s = SampleSeries::default();
    let mut source = match source {
        Ok(src) => {
            s.source = Some(src.name().to_string());
            s.source_info = src.describe();
            s.notes.extend(src.caveat());
            Some(src)
        }
        Err(u) => {
            s.unavailable = Some(u.reason);
            None
        }
    };
    let cap = source
        .as_ref()
        .and_then(|src| src.max_rate_hz())
        .unwrap_or(f64::INFINITY);
    let slow_hz = cfg.rate_hz / cfg.slow_every.max(1) as f64;
    let rate_hz = match source {
        Some(_) => cfg.rate_hz.min(cap).max(0.1),
        None => slow_hz.max(0.1),
    };
    // Temperature and frequency keep their own pace when the power rate was capped.
    let slow_every = (rate_hz / slow_hz).round().max(1.0) as u64;
    s.target_rate_hz = rate_hz;
    let zone = cpu_zone(&cfg.root);
    s.temp_zone = zone.as_ref().map(|z| z.0.clone());
    let freqs = FreqReader::new(&cfg.root);
    let all = cpufreq::read_cpu_freqs(&cfg.root);
    s.scaling_max_mhz = cpufreq::scaling_max_mhz(&all);
    s.governor = cpufreq::governor(&all);
    s.vcgencmd_start = cfg.vcgencmd.as_deref().and_then(|c| read_vcgencmd(c).ok());
    let period_ns = (1e9 / rate_hz) as u64;
    // The sampler's cost is the steady-state loop (reads, callback, sleeping), not the set-up.
    let cpu0 = thread_cpu_ns();
    s.started_ns = mono_ns();
    let mut tick: u64 = 0;
    let mut last_counter: Option<(u64, f64)> = None;
    loop {
        let stopping = match tick {
            0 => false,
            _ => {
                let next = s.started_ns + tick * period_ns;
                let wait = next.saturating_sub(mono_ns());
                !matches!(
                    stop.recv_timeout(Duration::from_nanos(wait)),
                    Err(mpsc::RecvTimeoutError::Timeout)
                )
            }
        };
        let mut sample = Sample {
            t_ns: mono_ns(),
            ..Default::default()
        };
        if let Some(src) = source.as_mut() {
            match src.read() {
                Ok(Reading::PowerW(w)) => sample.power_w = Some(w),
                Ok(Reading::CounterJ { counter_j, wrap_j }) => {
                    s.counter_wrap_j = wrap_j;
                    sample.energy_counter_j = Some(counter_j);
                    if let Some((t0, c0)) = last_counter {
                        let dt_s = sample.t_ns.saturating_sub(t0) as f64 * 1e-9;
                        sample.power_w = wrapping_delta(c0, counter_j, wrap_j)
                            .filter(|_| dt_s > 0.0)
                            .map(|d| d / dt_s);
                    }
                    last_counter = Some((sample.t_ns, counter_j));
                }
                Err(PowerError::NotReady { .. }) => {}
                Err(e) => {
                    s.read_errors += 1;
                    s.last_error = Some(e.to_string());
                }
            }
        }
        if tick.checked_rem(slow_every) == Some(0) || stopping {
            sample.temp_c = zone.as_ref().and_then(|z| read_temp_c(&z.1));
            sample.cpu_freq_mhz = freqs.max_cur_mhz();
        }
        on_sample(&sample);
        s.samples.push(sample);
        if stopping {
            break;
        }
        // Skip ticks we are already late for instead of bursting to catch up.
        let behind = mono_ns().saturating_sub(s.started_ns) / period_ns.max(1);
        tick = (tick + 1).max(behind + 1);
    }
    s.stopped_ns = mono_ns();
    s.sampler_cpu_ns = cpu0.zip(thread_cpu_ns()).map(|(a, b)| b.saturating_sub(a));
    s.vcgencmd_end = cfg.vcgencmd.as_deref().and_then(|c| read_vcgencmd(c).ok());
    let late_caveat = source.as_ref().and_then(|src| src.caveat());
    if let Some(c) = late_caveat.filter(|c| !s.notes.contains(c)) {
        s.notes.push(c);
    }
    (s, source)
}
