//! Power and thermal data of one point, as the report embeds it: [`PowerMetrics`] (energy per phase and per token, or the
//! reason there is none) and [`ThermalMetrics`] (temperatures, frequencies, throttling). When
//! power is unavailable the JSON is `{"available": false, "reason": "..."}`, never zeros.

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// `power` of one point.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum PowerMetrics {
    Measured(Box<PowerMeasured>),
    Unavailable(PowerUnavailable),
}

impl PowerMetrics {
    pub fn unavailable(reason: impl Into<String>) -> PowerMetrics {
        PowerMetrics::Unavailable(PowerUnavailable {
            available: false,
            reason: reason.into(),
        })
    }

    pub fn measured(&self) -> Option<&PowerMeasured> {
        match self {
            PowerMetrics::Measured(m) => Some(m),
            PowerMetrics::Unavailable(_) => None,
        }
    }

    /// Why there are no numbers (`None` when measured).
    pub fn reason(&self) -> Option<&str> {
        match self {
            PowerMetrics::Measured(_) => None,
            PowerMetrics::Unavailable(u) => Some(&u.reason),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PowerUnavailable {
    /// Always `false`.
    pub available: bool,
    pub reason: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PowerMeasured {
    /// Always `true`.
    pub available: bool,
    /// `hwmon-ina2xx`, `ina219-i2c`, `ina3221`, `rapl`, `battery`.
    pub source: String,
    pub source_info: BTreeMap<String, String>,
    /// Samples per second actually achieved.
    pub sample_rate_hz: f64,
    pub samples: usize,
    pub read_errors: usize,
    /// CPU time of the sampler thread per sample (its own cost).
    pub sampler_cpu_ns_per_sample: Option<f64>,
    /// By phase name (`idle`, `load`, `prefill`, `decode`); same-named spans are summed.
    pub phases: BTreeMap<String, PhaseEnergy>,
    /// Energy of all non-idle phases (the whole series when no phases were given).
    pub energy_j: f64,
    /// `energy_j` over the time it covers.
    pub avg_power_w: Option<f64>,
    pub idle_power_w: Option<f64>,
    /// `avg_power_w - idle_power_w`.
    pub net_avg_power_w: Option<f64>,
    pub decode_tokens: Option<u64>,
    /// Decode energy / decode tokens.
    pub energy_per_token_j: Option<f64>,
    /// (Decode energy − idle power × decode time) / decode tokens.
    pub net_energy_per_token_j: Option<f64>,
    /// Caveats and why an optional figure above is `None`.
    pub notes: Vec<String>,
    /// CLOCK_MONOTONIC instant that `timeline[].t_ms` counts from (the sampler's start).
    pub timeline_t0_ns: u64,
    pub timeline: Vec<PowerPoint>,
    /// Each phase span on the timeline's clock, in time order (report.html shades them);
    /// absent in reports written before it existed.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub spans: Vec<PhaseSpanMs>,
}

/// A phase (`idle`, `load`, `warmup`, `prefill`, `decode`) as milliseconds since
/// `timeline_t0_ns`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PhaseSpanMs {
    pub name: String,
    pub start_ms: f64,
    pub end_ms: f64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PhaseEnergy {
    pub duration_ms: f64,
    pub energy_j: f64,
    pub avg_power_w: Option<f64>,
    /// `energy_j` minus idle power × duration (not for the idle phase itself).
    pub net_energy_j: Option<f64>,
    /// Samples that fell inside the phase (few samples → interpolated figure).
    pub samples: usize,
}

#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct PowerPoint {
    pub t_ms: f64,
    pub power_w: f64,
}

/// `thermal` of one point: the hottest CPU-like zone and the CPU clock over the run.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ThermalMetrics {
    /// Thermal zone `type` the temperatures below come from.
    pub zone: Option<String>,
    pub temp_start_c: Option<f64>,
    pub temp_end_c: Option<f64>,
    pub temp_max_c: Option<f64>,
    /// Highest current frequency over all CPUs, min and max over the run.
    pub freq_min_mhz: Option<f64>,
    pub freq_max_mhz: Option<f64>,
    pub scaling_max_mhz: Option<f64>,
    pub governor: Option<String>,
    pub throttled: bool,
    /// One human sentence per detected cause.
    pub throttle_reasons: Vec<String>,
    /// Raw `vcgencmd get_throttled` value at the end (Raspberry Pi), e.g. `0x50005`.
    pub vcgencmd_throttled: Option<String>,
    /// Why a value above is `None`.
    pub notes: Vec<String>,
}
