//! Power, temperature and frequency around each point: one power source detected per run, an
//! idle baseline before the first point, a sampler thread in the parent while each worker
//! runs (never inside the timed process), and per-phase energy from the worker's events.

use std::sync::mpsc::{self, Receiver};
use std::time::Duration;

use crate::clock::mono_ns;
use crate::collect::energy::{self, PhaseSpan};
use crate::collect::phases::PhaseTracker;
use crate::collect::power::{self, PowerChoice, PowerSource, Unavailable};
use crate::collect::sampler::{Sample, Sampler, SamplerConfig};
use crate::collect::throttle::{thermal_metrics, ThrottleConfig};
use crate::events::WorkerEvent;
use crate::results::{PowerMetrics, ThermalMetrics};

/// How long the idle baseline is measured before the first point (only with a power source).
pub const IDLE_BASELINE: Duration = Duration::from_secs(2);

pub struct Sensors {
    source: Option<Box<dyn PowerSource>>,
    unavailable: Option<String>,
    pub idle_power_w: Option<f64>,
    /// Every sample of the run, with the point it belongs to (for power.csv).
    pub samples: Vec<(usize, Sample)>,
}

/// A sampler running alongside one worker.
pub struct Running {
    sampler: Sampler,
    pub live: Receiver<Sample>,
}

impl Sensors {
    pub fn detect(choice: &PowerChoice) -> Sensors {
        match power::detect(&crate::collect::sysfs_root(), choice) {
            Ok(s) => Sensors {
                source: Some(s),
                unavailable: None,
                idle_power_w: None,
                samples: Vec::new(),
            },
            Err(u) => Sensors {
                source: None,
                unavailable: Some(u.reason),
                idle_power_w: None,
                samples: Vec::new(),
            },
        }
    }

    /// The power source in use, if any.
    pub fn source_name(&self) -> Option<String> {
        self.source.as_ref().map(|s| s.name().to_string())
    }

    /// Why power is not measured, if it is not.
    pub fn unavailable_reason(&self) -> Option<&str> {
        self.unavailable.as_deref()
    }

    fn take_source(&mut self) -> Result<Box<dyn PowerSource>, Unavailable> {
        self.source.take().ok_or_else(|| {
            Unavailable::new(
                self.unavailable
                    .clone()
                    .unwrap_or_else(|| "the power source was lost".into()),
            )
        })
    }

    fn start_sampler(&mut self) -> Option<Running> {
        let (tx, live) = mpsc::channel();
        let src = self.take_source();
        let on_sample = Box::new(move |s: &Sample| {
            let _ = tx.send(*s);
        });
        match Sampler::start(src, SamplerConfig::default(), on_sample) {
            Ok(sampler) => Some(Running { sampler, live }),
            Err(e) => {
                self.unavailable = Some(format!("could not start the sampler thread: {e}"));
                None
            }
        }
    }

    /// Measure idle power for [`IDLE_BASELINE`] with nothing running (skipped without a source).
    pub fn measure_idle(&mut self) {
        if self.source.is_none() {
            return;
        }
        let Some(r) = self.start_sampler() else {
            return;
        };
        let start = mono_ns();
        std::thread::sleep(IDLE_BASELINE);
        let end = mono_ns();
        let (series, back) = r.sampler.stop();
        self.source = back;
        self.idle_power_w = energy::average_power_w(&series, start, end);
    }

    /// Start sampling for a point (temperature and frequency are sampled even without power).
    pub fn start_point(&mut self) -> Option<Running> {
        self.start_sampler()
    }

    /// Stop sampling and turn the samples and the worker's events into metrics.
    pub fn finish_point(
        &mut self,
        index: usize,
        running: Option<Running>,
        events: &[WorkerEvent],
    ) -> (PowerMetrics, Option<ThermalMetrics>) {
        let Some(r) = running else {
            let reason = self
                .unavailable
                .clone()
                .unwrap_or_else(|| "no sampler ran".into());
            return (PowerMetrics::unavailable(reason), None);
        };
        let (series, back) = r.sampler.stop();
        if back.is_some() {
            self.source = back;
        }
        let mut tracker = PhaseTracker::new();
        for e in events {
            tracker.on_event(e);
        }
        let (spans, decode_tokens): (Vec<PhaseSpan>, u64) = tracker.finish();
        let power = energy::summarize(&series, &spans, Some(decode_tokens), self.idle_power_w);
        let window = match (events.first(), events.last()) {
            (Some(a), Some(b)) => Some((a.t_ns(), b.t_ns())),
            _ => None,
        };
        let thermal = thermal_metrics(&series, window, &ThrottleConfig::default());
        self.samples
            .extend(series.samples.into_iter().map(|s| (index, s)));
        (power, Some(thermal))
    }
}
