//! The sampler thread end to end with fake sources: rate, slow-tick temperature and frequency,
//! counters turned into power, the rate cap, no power at all, and the raw-I2C driver.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use edgebench::clock::mono_ns;
use edgebench::collect::energy::{self, PhaseSpan};
use edgebench::collect::power::ina219_fake::FakeIna219;
use edgebench::collect::power::ina219_i2c::Ina219;
use edgebench::collect::power::{PowerError, PowerSource, Reading, Unavailable};
use edgebench::collect::sampler::{Sample, SampleSeries, Sampler, SamplerConfig};
use edgebench::collect::throttle::{thermal_metrics, ThrottleConfig};

fn within_1pct(got: f64, want: f64) {
    assert!(
        (got - want).abs() <= 0.01 * want.abs(),
        "got {got}, want {want}"
    );
}

/// A source with a known power, as instantaneous watts or as a RAPL-like counter.
struct Fake {
    watts: f64,
    counter: bool,
    t0: u64,
    cap_hz: Option<f64>,
}

impl PowerSource for Fake {
    fn name(&self) -> &str {
        "fake"
    }
    fn describe(&self) -> BTreeMap<String, String> {
        BTreeMap::new()
    }
    fn read(&mut self) -> Result<Reading, PowerError> {
        let t_s = (mono_ns() - self.t0) as f64 * 1e-9;
        Ok(match self.counter {
            true => Reading::CounterJ {
                counter_j: self.watts * t_s,
                wrap_j: None,
            },
            false => Reading::PowerW(self.watts),
        })
    }
    fn max_rate_hz(&self) -> Option<f64> {
        self.cap_hz
    }
}

fn fake_root() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let z = dir.path().join("sys/class/thermal/thermal_zone0");
    std::fs::create_dir_all(&z).unwrap();
    std::fs::write(z.join("type"), "cpu-thermal\n").unwrap();
    std::fs::write(z.join("temp"), "51500\n").unwrap();
    let f = dir.path().join("sys/devices/system/cpu/cpu0/cpufreq");
    std::fs::create_dir_all(&f).unwrap();
    std::fs::write(f.join("scaling_cur_freq"), "1500000\n").unwrap();
    std::fs::write(f.join("scaling_max_freq"), "1800000\n").unwrap();
    std::fs::write(f.join("scaling_governor"), "ondemand\n").unwrap();
    dir
}

fn run_sampler(
    source: Result<Box<dyn PowerSource>, Unavailable>,
    root: &std::path::Path,
    ms: u64,
) -> (SampleSeries, usize) {
    let seen = Arc::new(AtomicUsize::new(0));
    let counter = seen.clone();
    let cfg = SamplerConfig {
        rate_hz: 100.0,
        slow_every: 10,
        root: root.to_path_buf(),
        vcgencmd: None,
    };
    let sampler = Sampler::start(
        source,
        cfg,
        Box::new(move |_s: &Sample| {
            counter.fetch_add(1, Ordering::Relaxed);
        }),
    )
    .unwrap();
    std::thread::sleep(std::time::Duration::from_millis(ms));
    let (series, _source) = sampler.stop();
    (series, seen.load(Ordering::Relaxed))
}

#[test]
fn sampler_records_power_temperature_frequency_and_its_own_cost() {
    let root = fake_root();
    let src = Fake {
        watts: 3.0,
        counter: false,
        t0: mono_ns(),
        cap_hz: None,
    };
    let (s, live) = run_sampler(Ok(Box::new(src)), root.path(), 400);
    assert_eq!(live, s.samples.len(), "every sample goes to the callback");
    assert!(
        s.samples.len() >= 20 && s.samples.len() <= 45,
        "{} samples in 0.4 s at 100 Hz",
        s.samples.len()
    );
    assert!(s.samples.windows(2).all(|w| w[0].t_ns < w[1].t_ns));
    assert_eq!(s.samples[0].temp_c, Some(51.5));
    assert_eq!(s.samples[0].cpu_freq_mhz, Some(1500.0));
    assert!(
        s.samples[1].temp_c.is_none(),
        "temperature only every 10th tick"
    );
    assert!(
        s.samples.last().unwrap().temp_c.is_some(),
        "and at the stop sample"
    );
    assert_eq!(
        (
            s.temp_zone.as_deref(),
            s.scaling_max_mhz,
            s.governor.as_deref()
        ),
        (Some("cpu-thermal"), Some(1800.0), Some("ondemand"))
    );
    assert!(s.sampler_cpu_ns_per_sample().unwrap() > 0.0);
    let m = energy::summarize(&s, &[], None, None);
    let m = m.measured().unwrap();
    within_1pct(m.avg_power_w.unwrap(), 3.0);
    assert!(m.sampler_cpu_ns_per_sample.is_some());
    let t = thermal_metrics(&s, None, &ThrottleConfig::default());
    assert_eq!(
        (t.temp_max_c, t.freq_max_mhz, t.throttled),
        (Some(51.5), Some(1500.0), false)
    );
}

#[test]
fn sampler_turns_counters_into_power_and_honours_the_rate_cap() {
    let root = fake_root();
    let src = Fake {
        watts: 12.0,
        counter: true,
        t0: mono_ns(),
        cap_hz: Some(20.0),
    };
    let (s, _) = run_sampler(Ok(Box::new(src)), root.path(), 400);
    assert_eq!(s.target_rate_hz, 20.0);
    assert!(
        s.samples.len() <= 12,
        "{} samples at 20 Hz",
        s.samples.len()
    );
    // The fake reads its own clock, so scheduling jitter between the sample's timestamp and the
    // read shows up per sample (a loaded 2-core CI box); the mean over the series is tight.
    assert!(s.samples[1..]
        .iter()
        .all(|x| (x.power_w.unwrap() - 12.0).abs() < 3.0));
    let m = energy::summarize(
        &s,
        &[PhaseSpan::new("decode", s.samples[1].t_ns, s.stopped_ns)],
        Some(10),
        None,
    );
    let avg = m.measured().unwrap().avg_power_w.unwrap();
    assert!((avg - 12.0).abs() < 0.6, "{avg}");
}

#[test]
fn sampler_without_power_still_reads_temperature_and_reports_why() {
    let root = fake_root();
    let (s, _) = run_sampler(
        Err(Unavailable::new("no power sensor found under /x")),
        root.path(),
        250,
    );
    assert!(
        s.samples.len() >= 2
            && s.samples
                .iter()
                .all(|x| x.power_w.is_none() && x.temp_c.is_some())
    );
    assert_eq!(
        energy::summarize(&s, &[], None, None).reason(),
        Some("no power sensor found under /x")
    );
}

#[test]
fn sampler_drives_the_raw_i2c_driver() {
    let root = fake_root();
    let ina = Ina219::new(FakeIna219::with_load(5.1, 0.5, 0.1), "fake", 0.1, 3.2).unwrap();
    let (s, _) = run_sampler(Ok(Box::new(ina)), root.path(), 150);
    assert_eq!(s.source.as_deref(), Some("ina219-i2c"));
    assert!(s
        .samples
        .iter()
        .all(|x| (x.power_w.unwrap() - 2.55).abs() < 0.03));
}
