//! The result data model written to `report.json` (and re-read by `edgebench report`).
//! A value that was not measured is `None` (serialized `null`) with a reason next to it,
//! never `0`. Bump [`SCHEMA_VERSION`] on any incompatible change.
//!
//! This is the bottom layer of the harness: it imports nothing from the rest of the crate
//! (`scripts/module-deps.py --check` enforces it in CI), so every module that produces or
//! reads results can depend on it without cycles.

use edgebench_backend::ModelInfo;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

mod agreement;
mod bandwidth;
mod board;
mod device;
mod error;
mod label;
pub mod power;

pub use agreement::{
    f32_verdict, Agreement, AgreementReport, AgreementRow, PassageQuality, Verdict,
};
pub use bandwidth::{decode_ceiling_tok_s, Bandwidth, BandwidthPoint};
pub use board::BoardInfo;
pub use device::DeviceFingerprint;
pub use error::{ErrorKind, PointError};
pub use label::PointLabel;
pub use power::{PowerMetrics, ThermalMetrics};

pub const SCHEMA_VERSION: u32 = 1;

/// Bytes in a MiB: every RAM figure the reports, charts, TUI and `recommend` show is in MiB.
pub const BYTES_PER_MIB: f64 = 1024.0 * 1024.0;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Report {
    pub schema_version: u32,
    pub tool: ToolInfo,
    pub scenario: ScenarioInfo,
    pub created_utc: String,
    pub environment: Environment,
    /// Per-token cost of the harness itself, measured against the zero-cost mock backend.
    pub harness_overhead: Option<Overhead>,
    /// The cross-backend agreement gate, when the scenario asked for it (`verify = true`).
    #[serde(default)]
    pub agreement: Option<AgreementReport>,
    #[serde(default)]
    pub power: Option<PowerSetup>,
    pub points: Vec<PointResult>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ToolInfo {
    pub name: String,
    pub version: String,
    pub git_commit: Option<String>,
    pub features: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ScenarioInfo {
    pub name: String,
    pub path: Option<String>,
    /// The scenario file's text, so a report can be re-run exactly.
    pub source: String,
    pub latency_budget_ms_per_token: Option<f64>,
}

/// Machine facts; each `None` is something this machine would not tell.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Environment {
    pub hostname: Option<String>,
    pub os: Option<String>,
    pub kernel: Option<String>,
    pub arch: String,
    pub cpu_model: Option<String>,
    pub cpu_features: Vec<String>,
    pub logical_cores: usize,
    pub governor: Option<String>,
    pub cpu_freq_max_mhz: Option<f64>,
    pub board_model: Option<String>,
    pub mem_total_bytes: Option<u64>,
    pub rustc: Option<String>,
    pub temperatures_c_start: BTreeMap<String, f64>,
    pub temperatures_c_end: BTreeMap<String, f64>,
    /// Memory read bandwidth measured at the start of the run (the roofline's numerator).
    #[serde(default)]
    pub memory_bandwidth: Option<Bandwidth>,
    /// ARM board facts (model, CPU cores, features, emulation); `None` on other architectures.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub board: Option<BoardInfo>,
    /// The device's name in a lab (`--device`, `$EDGEBENCH_DEVICE`, else the hostname);
    /// `None` in reports written before it existed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub device_name: Option<String>,
    /// What identifies the machine ([`DeviceFingerprint`]); `None` in older reports.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fingerprint: Option<DeviceFingerprint>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Overhead {
    /// Median measured latency per decode step of the zero-cost mock backend.
    pub per_token_ns: f64,
    pub per_token_p99_ns: f64,
    pub samples: usize,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PointStatus {
    Ok,
    Failed,
    Skipped,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PointResult {
    pub label: PointLabel,
    pub status: PointStatus,
    pub error: Option<PointError>,
    pub model: Option<ModelFile>,
    pub backend_info: BTreeMap<String, String>,
    pub load: Option<LoadMetrics>,
    pub runs: Vec<RunRecord>,
    pub latency: Option<LatencySummary>,
    pub memory: MemoryMetrics,
    pub wall_ns: u64,
    /// Warnings that make this point's numbers suspect (agreement failed, throttling, ...).
    #[serde(default)]
    pub flags: Vec<String>,
    /// Energy per phase and per token, or why there is none.
    #[serde(default = "power_not_recorded")]
    pub power: PowerMetrics,
    /// Temperatures, CPU frequency and throttling while the point ran.
    #[serde(default)]
    pub thermal: Option<ThermalMetrics>,
    /// Decode speed against the memory-bandwidth ceiling.
    #[serde(default)]
    pub roofline: Option<Roofline>,
}

/// Decode tokens/s can not exceed the read bandwidth at the point's working set (the weight
/// bytes read per token, re-read every token) ÷ that working set.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Roofline {
    /// Read bandwidth at `weight_bytes_per_token` and the point's thread count
    /// ([`Bandwidth::at`]; the DRAM figure in reports without a curve).
    pub bandwidth_bytes_per_s: f64,
    pub weight_bytes_per_token: u64,
    pub ceiling_tok_s: f64,
    /// Measured decode tokens/s ÷ ceiling.
    pub fraction: f64,
    /// Old reports only (always false now): the point's weights fit twice the last-level
    /// cache, so the single DRAM figure of those reports did not bound it.
    #[serde(default)]
    pub cache_resident: bool,
}

fn power_not_recorded() -> PowerMetrics {
    PowerMetrics::unavailable("not recorded")
}

/// How power was measured in this run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PowerSetup {
    /// The scenario's `power` value (`auto` by default).
    pub choice: String,
    /// The source used, e.g. `hwmon-ina2xx`; `None` when unavailable.
    pub source: Option<String>,
    pub unavailable_reason: Option<String>,
    /// Average power with nothing running, measured before the first point.
    pub idle_power_w: Option<f64>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ModelFile {
    pub path: String,
    pub format: String,
    pub sha256: Option<String>,
    pub file_bytes: Option<u64>,
    /// `synth:<preset>` when the harness synthesized it.
    pub origin: String,
    pub info: Option<ModelInfo>,
    /// The sha256 pin and signature checks the file passed (absent when none were asked for).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub integrity: Option<ModelIntegrity>,
}

/// The sha256 pin and signature checks a model file passed (`crate::integrity`).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct ModelIntegrity {
    /// The scenario pinned a sha256 and the file matched it.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub sha256_pinned: bool,
    /// Key id (16 upper-case hex digits, as minisign prints it) of the trusted key whose
    /// signature over the file verified.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub signed_by: Option<String>,
    /// The signature file that was checked.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub signature: Option<String>,
}

impl ModelIntegrity {
    pub fn is_empty(&self) -> bool {
        *self == ModelIntegrity::default()
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LoadMetrics {
    pub load_ns: u64,
    /// True when the scenario asked for a cold load (page cache evicted first).
    pub cold_requested: bool,
    /// Whether eviction worked (`None` when no cold load was asked for).
    pub cold_evicted: Option<bool>,
    pub cold_note: Option<String>,
}

/// One measured run (warmups are not kept).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RunRecord {
    pub run: usize,
    pub ttft_ns: u64,
    pub decode_latency_ns: Vec<u64>,
    pub tokens: Vec<u32>,
    /// `tokens` decoded by the model's tokenizer; `None` when the model has none.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub text: Option<String>,
}

impl RunRecord {
    /// This run's decode throughput: steps ÷ the sum of their latencies; `None` without steps.
    pub fn decode_tok_s(&self) -> Option<f64> {
        let total_ns: u64 = self.decode_latency_ns.iter().sum();
        (!self.decode_latency_ns.is_empty() && total_ns > 0)
            .then(|| self.decode_latency_ns.len() as f64 / (total_ns as f64 / 1e9))
    }
}

/// Order statistics of a sample, nanoseconds.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LatencyStats {
    pub n: usize,
    pub mean_ns: f64,
    pub stddev_ns: f64,
    pub min_ns: u64,
    pub p50_ns: f64,
    pub p90_ns: f64,
    pub p99_ns: f64,
    pub max_ns: u64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LatencySummary {
    pub ttft: LatencyStats,
    /// Every decode step of every measured run.
    pub decode: Option<LatencyStats>,
    pub prefill_tok_s: f64,
    pub decode_tok_s: Option<f64>,
    /// 95% bootstrap confidence interval of decode tokens/s over the runs' medians.
    pub decode_tok_s_ci95: Option<[f64; 2]>,
    /// Fraction of decode steps within the scenario's latency budget (`None` without a budget).
    pub within_budget_fraction: Option<f64>,
    /// Whether every measured run generated the same tokens.
    pub runs_agree: bool,
    /// Median time between consecutive decode steps spent outside the backend call (argmax,
    /// event encoding, the pipe to the parent): the harness's cost per token in this very run.
    #[serde(default)]
    pub harness_gap_p50_ns: Option<f64>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct MemoryMetrics {
    /// VmHWM of the worker right after the model loaded.
    pub peak_rss_load_bytes: Option<u64>,
    /// VmHWM at the end of the runs (load + steady-state generation).
    pub peak_rss_steady_bytes: Option<u64>,
    pub rss_timeline: Vec<RssSample>,
    /// Why a value above is `None`.
    pub note: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct RssSample {
    /// Milliseconds since the worker started.
    pub t_ms: f64,
    pub rss_bytes: u64,
}

impl PointResult {
    /// A result for a point that never produced measurements.
    pub fn without_measurements(label: PointLabel, status: PointStatus, error: PointError) -> Self {
        PointResult {
            label,
            status,
            error: Some(error),
            model: None,
            backend_info: BTreeMap::new(),
            load: None,
            runs: Vec::new(),
            latency: None,
            memory: MemoryMetrics::default(),
            wall_ns: 0,
            flags: Vec::new(),
            power: PowerMetrics::unavailable("the point did not run"),
            thermal: None,
            roofline: None,
        }
    }
}
