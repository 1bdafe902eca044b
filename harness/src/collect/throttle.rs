//! Throttling: Raspberry Pi firmware flags from `vcgencmd get_throttled`, and detection over a
//! sampled series — the CPU clock held below a fraction of its highest value for a sustained
//! span, or the temperature above a limit. Each cause becomes one human sentence in
//! [`ThermalMetrics::throttle_reasons`].

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::collect::sampler::{Sample, SampleSeries};
use crate::results::ThermalMetrics;

/// When a series counts as throttled.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ThrottleConfig {
    /// Frequency below this fraction of the highest seen counts as a drop (0.9).
    pub freq_drop_fraction: f64,
    /// A drop must last at least this long (1000 ms).
    pub min_span_ms: f64,
    /// Temperature at or above this is flagged (80 °C).
    pub temp_limit_c: f64,
}

impl Default for ThrottleConfig {
    fn default() -> Self {
        ThrottleConfig {
            freq_drop_fraction: 0.9,
            min_span_ms: 1000.0,
            temp_limit_c: 80.0,
        }
    }
}

/// `get_throttled` bits: 0..=3 describe now, 16..=19 are sticky "has occurred" bits.
const VC_BITS: [(u32, &str); 8] = [
    (0, "under-voltage detected"),
    (1, "ARM frequency capped"),
    (2, "currently throttled"),
    (3, "soft temperature limit active"),
    (16, "under-voltage has occurred"),
    (17, "ARM frequency capping has occurred"),
    (18, "throttling has occurred"),
    (19, "soft temperature limit has occurred"),
];

/// `throttled=0x50005` → `0x50005`.
pub fn parse_get_throttled(text: &str) -> Option<u32> {
    let hex = text.trim().strip_prefix("throttled=")?.trim();
    u32::from_str_radix(hex.trim_start_matches("0x").trim_start_matches("0X"), 16).ok()
}

/// Reasons from the flags at the end; "has occurred" bits count only when they were not already
/// set at the start (they are sticky since boot), or when the start is unknown.
pub fn vcgencmd_reasons(start: Option<u32>, end: u32) -> Vec<String> {
    let new_bits = end & !start.unwrap_or(0);
    VC_BITS
        .iter()
        .filter(|(bit, _)| {
            let mask = 1u32 << bit;
            if *bit < 16 {
                end & mask != 0
            } else {
                new_bits & mask != 0
            }
        })
        .map(|(bit, what)| {
            let when = match (*bit >= 16, start.is_some()) {
                (false, _) => "",
                (true, true) => " during the run",
                (true, false) => " since boot",
            };
            format!("vcgencmd get_throttled={end:#x}: {what}{when}")
        })
        .collect()
}

/// `vcgencmd` on `PATH`, if any.
pub fn find_vcgencmd() -> Option<PathBuf> {
    std::env::split_paths(&std::env::var_os("PATH")?)
        .map(|d| d.join("vcgencmd"))
        .find(|p| p.is_file())
}

/// Run `<cmd> get_throttled` and parse its output.
pub fn read_vcgencmd(cmd: &Path) -> Result<u32, String> {
    let out = Command::new(cmd)
        .arg("get_throttled")
        .output()
        .map_err(|e| format!("running {} get_throttled: {e}", cmd.display()))?;
    let text = String::from_utf8_lossy(&out.stdout);
    parse_get_throttled(&text).ok_or_else(|| {
        format!(
            "{} get_throttled printed `{}`, expected `throttled=0x...`",
            cmd.display(),
            text.trim()
        )
    })
}

/// Sustained frequency drops and over-temperature in `samples` (one sentence each).
pub fn detect_throttling(samples: &[Sample], cfg: &ThrottleConfig) -> Vec<String> {
    let mut reasons = Vec::new();
    let t0 = samples.first().map_or(0, |s| s.t_ns);
    let freq: Vec<(u64, f64)> = samples
        .iter()
        .filter_map(|s| Some((s.t_ns, s.cpu_freq_mhz?)))
        .collect();
    if let Some(max) = freq.iter().map(|f| f.1).reduce(f64::max) {
        let limit = max * cfg.freq_drop_fraction;
        let mut i = 0;
        while i < freq.len() {
            if freq[i].1 >= limit {
                i += 1;
                continue;
            }
            let j = (i..freq.len())
                .find(|&k| freq[k].1 >= limit)
                .unwrap_or(freq.len());
            // The drop lasts until the next sample back above the limit (or the last sample).
            let end_ns = freq.get(j).map_or(freq[j - 1].0, |f| f.0);
            let span_ms = (end_ns - freq[i].0) as f64 * 1e-6;
            if span_ms >= cfg.min_span_ms {
                let low = freq[i..j].iter().map(|f| f.1).fold(f64::INFINITY, f64::min);
                reasons.push(format!(
                    "CPU frequency below {:.0}% of the highest seen ({max:.0} MHz) for {:.1} s from +{:.1} s (lowest {low:.0} MHz)",
                    cfg.freq_drop_fraction * 100.0,
                    span_ms / 1e3,
                    (freq[i].0 - t0) as f64 * 1e-9
                ));
            }
            i = j;
        }
    }
    let hottest = samples.iter().filter_map(|s| s.temp_c).reduce(f64::max);
    if let Some(t) = hottest.filter(|&t| t >= cfg.temp_limit_c) {
        reasons.push(format!(
            "temperature reached {t:.1} °C (limit {:.0} °C)",
            cfg.temp_limit_c
        ));
    }
    reasons
}

/// Thermal summary of the samples inside `window` (`[start_ns, end_ns]`; all when `None`).
pub fn thermal_metrics(
    series: &SampleSeries,
    window: Option<(u64, u64)>,
    cfg: &ThrottleConfig,
) -> ThermalMetrics {
    let inside: Vec<Sample> = series
        .samples
        .iter()
        .copied()
        .filter(|s| window.is_none_or(|(a, b)| (a..=b).contains(&s.t_ns)))
        .collect();
    let temps: Vec<f64> = inside.iter().filter_map(|s| s.temp_c).collect();
    let freqs: Vec<f64> = inside.iter().filter_map(|s| s.cpu_freq_mhz).collect();
    let mut m = ThermalMetrics {
        zone: series.temp_zone.clone(),
        temp_start_c: temps.first().copied(),
        temp_end_c: temps.last().copied(),
        temp_max_c: temps.iter().copied().reduce(f64::max),
        freq_min_mhz: freqs.iter().copied().reduce(f64::min),
        freq_max_mhz: freqs.iter().copied().reduce(f64::max),
        scaling_max_mhz: series.scaling_max_mhz,
        governor: series.governor.clone(),
        vcgencmd_throttled: series.vcgencmd_end.map(|v| format!("{v:#x}")),
        ..Default::default()
    };
    if temps.is_empty() {
        m.notes
            .push("no readable thermal zone under /sys/class/thermal".into());
    }
    if freqs.is_empty() {
        m.notes
            .push("no cpufreq scaling_cur_freq under /sys/devices/system/cpu".into());
    }
    m.throttle_reasons = detect_throttling(&inside, cfg);
    if let Some(end) = series.vcgencmd_end {
        m.throttle_reasons
            .extend(vcgencmd_reasons(series.vcgencmd_start, end));
    }
    m.throttled = !m.throttle_reasons.is_empty();
    m
}
