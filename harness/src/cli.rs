//! Command-line interface (clap): the argument types and the dispatch to commands.

use clap::{Args, Parser, Subcommand};
use std::path::PathBuf;

#[derive(Debug, Parser)]
#[command(
    name = "edgebench",
    version,
    about = "Benchmark small language models across runtimes on edge hardware",
    after_help = "Examples:\n  edgebench run                              # the default scenario (synthesizes its model)\n  edgebench run scenarios/decode-sweep.toml  # a sweep\n  edgebench report results/<dir> --format md # re-render a report\n  edgebench recommend results/<dir> --max-ram-mib 200\n  edgebench model synth --preset stories15m --quant q4_0 --out models/\n  edgebench model inspect models/stories15m-q4_0.gguf\n  edgebench list                             # backends in this build"
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run a scenario: one worker process per matrix point; writes report.json, tokens.csv, report.md.
    #[command(
        after_help = "Examples:\n  edgebench run\n  edgebench run scenarios/smoke.toml --out /tmp/r\n  edgebench run scenarios/quick.toml --backends reference --events events.jsonl"
    )]
    Run(RunArgs),
    /// Run a scenario under the live terminal UI (same as `run --tui`).
    #[command(
        after_help = "Keys: q quit (finished points stay on disk), p pause after this point, s skip this point,\n      tab switch pane, up/down select a point, o sort results, ? help\nExample:\n  edgebench tui scenarios/quick.toml"
    )]
    Tui(RunArgs),
    /// Re-render a result directory as markdown, JSON, CSV or HTML on stdout.
    #[command(
        after_help = "Examples:\n  edgebench report results/20261125T120000Z-host-quick --format md\n  edgebench report results/<dir> --format html > report.html"
    )]
    Report {
        /// A result directory (or its report.json).
        dir: PathBuf,
        #[arg(long, value_enum, default_value = "md")]
        format: ReportFormat,
    },
    /// Synthesize or inspect model files.
    #[command(subcommand)]
    Model(ModelCommand),
    /// Check that the scenario's backends compute the same function (the agreement gate).
    #[command(after_help = "Example:\n  edgebench verify scenarios/compare-gguf.toml --steps 32")]
    Verify {
        /// Scenario file (default: scenarios/quick.toml).
        scenario: Option<PathBuf>,
        /// Decode steps after the prompt.
        #[arg(long, default_value_t = 32)]
        steps: usize,
        /// Largest |Δlogit| accepted for f32 variants.
        #[arg(long, default_value_t = 1e-3)]
        f32_tolerance: f64,
        #[arg(long)]
        model_dir: Option<PathBuf>,
        /// Only these backends (comma-separated).
        #[arg(long, value_delimiter = ',')]
        backends: Option<Vec<String>>,
    },
    /// List the backends this build knows and whether each can run here.
    List,
    /// Print the machine facts that go into every report, with a measured memory bandwidth.
    #[command(after_help = "Example:\n  edgebench env\n  edgebench env --json > env.json")]
    Env {
        /// The facts as JSON (the report's `environment` object) instead of a summary.
        #[arg(long)]
        json: bool,
    },
    /// Compare runs: BASE against each NEW, point by point, with intervals and significance.
    #[command(after_help = COMPARE_HELP)]
    Compare(CompareArgs),
    /// Run history in SQLite: ingest result directories, list, trend, check for regressions.
    #[command(subcommand)]
    History(HistoryCommand),
    /// Which configuration to use under a latency, RAM and quality budget, and why the others not.
    #[command(after_help = RECOMMEND_HELP)]
    Recommend(RecommendArgs),
    /// Run one matrix point (internal: spawned by `run`).
    #[command(hide = true)]
    Worker { point: PathBuf },
    /// Load an ONNX Runtime library and report whether it works (internal: a crash-safe check).
    #[command(hide = true, name = "ort-probe")]
    OrtProbe { library: PathBuf },
}

#[derive(Debug, Args)]
pub struct RunArgs {
    /// Scenario file (default: scenarios/quick.toml, or the built-in copy of it).
    pub scenario: Option<PathBuf>,
    /// Result directory (default: results/<utc>-<host>-<scenario>).
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// Where synthesized models are written and reused (default: $EDGEBENCH_MODEL_DIR or ./.models).
    #[arg(long)]
    pub model_dir: Option<PathBuf>,
    /// Only these backends (comma-separated), out of the scenario's.
    #[arg(long, value_delimiter = ',')]
    pub backends: Option<Vec<String>>,
    /// Also stream every harness event as JSON lines to this file.
    #[arg(long)]
    pub events: Option<PathBuf>,
    /// Skip the calibrations: the harness's own per-token overhead and the memory bandwidth
    /// (the roofline's ceiling).
    #[arg(long, alias = "no-overhead")]
    pub no_calibration: bool,
    /// No progress bar.
    #[arg(long, short)]
    pub quiet: bool,
    /// Live terminal UI while the benchmark runs (needs an interactive terminal).
    #[arg(long)]
    pub tui: bool,
    /// With --tui: leave the UI as soon as the run ends instead of waiting for `q`.
    #[arg(long)]
    pub tui_exit: bool,
    /// This device's name in a lab (default: $EDGEBENCH_DEVICE, else the hostname).
    #[arg(long)]
    pub device: Option<String>,
    /// Interleave the points' repetitions (round 1 of every point, then round 2, ...) instead
    /// of running each point's repetitions back to back, so slow drifts of a shared machine
    /// hit every point alike; as the scenario field `alternate = true`.
    #[arg(long)]
    pub alternate: bool,
}

const COMPARE_HELP: &str = "Exit codes:\n  0  no significant regression\n  1  at least one regression (a metric slower beyond --threshold and significant, or a point that ran in BASE and failed in NEW)\n  2  usage or input error (a run that cannot be read)\n\nA change counts (asv's rule) when the ratio is beyond the threshold AND significant: Mann-Whitney p < 0.002 when the sample sizes allow it, else non-overlapping 95% bootstrap intervals, else (one value per run) the threshold alone.\n\nExamples:\n  edgebench compare results/base results/new\n  edgebench compare base/report.json new1 new2 --threshold 3% --format junit\n  edgebench compare base new --junit compare.xml";

const RECOMMEND_HELP: &str = "Each configuration (backend × model × quant × threads) must meet, in this order: it ran; p99 decode step ≤ --budget-ms-per-token (default: the scenario's latency budget); steady peak RSS ≤ --max-ram-mib; top-1 agreement ≥ --min-top1 and mean KL ≤ --max-kl against the f32 reference (from the verify gate; no agreement data excludes it). The rest are ranked by --optimize, ties broken by the other figures, then by name.\n\nExamples:\n  edgebench recommend results/<dir> --budget-ms-per-token 50 --max-ram-mib 200\n  edgebench recommend results/<dir>/report.json --optimize energy --format json\n  edgebench recommend --history results/history.sqlite --device pi5 --max-ram-mib 700";

#[derive(Debug, Args)]
pub struct RecommendArgs {
    /// A result directory or its report.json (not with --history).
    #[arg(required_unless_present = "history", conflicts_with = "history")]
    pub run: Option<PathBuf>,
    /// Largest p99 decode step latency, milliseconds [default: the scenario's budget].
    #[arg(long)]
    pub budget_ms_per_token: Option<f64>,
    /// Largest steady peak RSS, MiB [default: no limit].
    #[arg(long)]
    pub max_ram_mib: Option<f64>,
    /// Smallest top-1 agreement with the f32 reference, 0..1.
    #[arg(long, default_value_t = 0.95)]
    pub min_top1: f64,
    /// Largest mean KL divergence from the f32 reference, nats.
    #[arg(long, default_value_t = 0.05)]
    pub max_kl: f64,
    #[arg(long, value_enum, default_value = "speed")]
    pub optimize: OptimizeArg,
    #[arg(long, value_enum, default_value = "md")]
    pub format: RecommendFormat,
    /// Recommend from the run history: the latest run of each configuration on --device.
    #[arg(long, requires = "device")]
    pub history: Option<PathBuf>,
    /// The device (as in `edgebench history list`), with --history.
    #[arg(long)]
    pub device: Option<String>,
}

#[derive(Debug, Clone, Copy, clap::ValueEnum)]
pub enum OptimizeArg {
    /// Highest decode tokens/s.
    Speed,
    /// Lowest decode energy per token.
    Energy,
    /// Lowest steady peak RSS.
    Ram,
}

#[derive(Debug, Clone, Copy, clap::ValueEnum)]
pub enum RecommendFormat {
    Md,
    Json,
}

#[derive(Debug, Args)]
pub struct CompareArgs {
    /// The base run (a result directory or its report.json).
    pub base: PathBuf,
    /// One or more new runs, each compared with BASE.
    #[arg(required = true)]
    pub new: Vec<PathBuf>,
    /// Smallest change that counts, e.g. `5%` or `0.05` (default: the NEW scenario's
    /// `regression_threshold_pct`, else 5%).
    #[arg(long)]
    pub threshold: Option<String>,
    #[arg(long, value_enum, default_value = "md")]
    pub format: CompareFormat,
    /// Also write JUnit XML to this file.
    #[arg(long)]
    pub junit: Option<PathBuf>,
}

#[derive(Debug, Clone, Copy, clap::ValueEnum)]
pub enum CompareFormat {
    Md,
    Json,
    Junit,
}

const HISTORY_DB_HELP: &str = "SQLite database (default: results/history.sqlite)";

#[derive(Debug, Subcommand)]
pub enum HistoryCommand {
    /// Add result directories to the history (a run already there is skipped).
    #[command(after_help = "Example:\n  edgebench history ingest results/*/")]
    Ingest {
        #[arg(required = true)]
        dirs: Vec<PathBuf>,
        #[arg(long, help = HISTORY_DB_HELP)]
        db: Option<PathBuf>,
    },
    /// List ingested runs, oldest first.
    List {
        #[arg(long)]
        device: Option<String>,
        /// Only runs created on or after this date (YYYY-MM-DD).
        #[arg(long)]
        since: Option<String>,
        #[arg(long, help = HISTORY_DB_HELP)]
        db: Option<PathBuf>,
    },
    /// A metric over time, one table and sparkline per series (device × point).
    #[command(
        after_help = "Example:\n  edgebench history trend --metric decode_tok_s --device pi5 --backend reference"
    )]
    Trend {
        #[arg(long, default_value = "decode_tok_s")]
        metric: String,
        #[arg(long)]
        device: Option<String>,
        /// Only these backends (repeat or comma-separate).
        #[arg(long, value_delimiter = ',')]
        backend: Vec<String>,
        #[arg(long, help = HISTORY_DB_HELP)]
        db: Option<PathBuf>,
    },
    /// Change-point detection per series; exit 1 when the latest run is a regression against
    /// the series' last stable level (naming the first bad run and its commit).
    #[command(
        after_help = "Exit codes: 0 no regression at the latest run, 1 regression, 2 usage or input error.\nExample:\n  edgebench history check --device pi5 --last 30"
    )]
    Check {
        #[arg(long)]
        device: Option<String>,
        /// Only the last N runs of each series.
        #[arg(long, default_value_t = 30)]
        last: usize,
        /// Metrics to check (repeat or comma-separate).
        #[arg(long, value_delimiter = ',', default_value = "decode_tok_s")]
        metric: Vec<String>,
        /// Smallest level change that counts, e.g. `5%`.
        #[arg(long, default_value = "5%")]
        threshold: String,
        #[arg(long, help = HISTORY_DB_HELP)]
        db: Option<PathBuf>,
    },
    /// Write an HTML page with each series' trend per device and its detected change points.
    #[command(
        after_help = "Example:\n  edgebench history html --out history.html --device pi5 --metric decode_tok_s,decode_p99_ms"
    )]
    Html {
        #[arg(long)]
        out: PathBuf,
        #[arg(long)]
        device: Option<String>,
        /// Metrics to draw (repeat or comma-separate).
        #[arg(long, value_delimiter = ',', default_value = "decode_tok_s")]
        metric: Vec<String>,
        #[arg(long, help = HISTORY_DB_HELP)]
        db: Option<PathBuf>,
    },
    /// Export every run as Bencher Metric Format JSON (benchmarks prefixed by device).
    Export {
        #[arg(long, value_enum, default_value = "bmf")]
        format: ExportFormat,
        #[arg(long)]
        device: Option<String>,
        #[arg(long, help = HISTORY_DB_HELP)]
        db: Option<PathBuf>,
    },
}

#[derive(Debug, Clone, Copy, clap::ValueEnum)]
pub enum ExportFormat {
    Bmf,
}

/// `5%`, `5 %` or `0.05` → 0.05.
pub fn parse_threshold(s: &str) -> Result<f64, String> {
    let t = s.trim();
    let v = if let Some(p) = t.strip_suffix('%') {
        p.trim().parse::<f64>().map(|x| x / 100.0)
    } else {
        t.parse::<f64>()
    }
    .map_err(|_| {
        format!("threshold `{s}`: expected a percentage like `5%` or a fraction like `0.05`")
    })?;
    if !(0.0..10.0).contains(&v) {
        return Err(format!("threshold `{s}`: must be between 0% and 1000%"));
    }
    Ok(v)
}

#[derive(Debug, Clone, Copy, clap::ValueEnum)]
pub enum ReportFormat {
    Md,
    Json,
    Csv,
    /// Bencher Metric Format JSON.
    Bmf,
    /// The self-contained page with charts (what `run` writes as report.html).
    Html,
}

#[derive(Debug, Subcommand)]
pub enum ModelCommand {
    /// Write a deterministic random-weight llama of a published shape.
    #[command(
        after_help = "Example:\n  edgebench model synth --preset stories15m --quant q8_0 --seed 42 --out models/"
    )]
    Synth {
        /// tiny, stories15m, smollm-135m or tinyllama-1.1b
        #[arg(long)]
        preset: String,
        /// f32, f16, q8_0, q4_0 (GGUF) or f32, int8, int4 (ONNX)
        #[arg(long, default_value = "f32")]
        quant: String,
        #[arg(long, default_value_t = 42)]
        seed: u64,
        /// Output directory.
        #[arg(long, default_value = ".")]
        out: PathBuf,
        #[arg(long, value_enum, default_value = "gguf")]
        format: SynthFormat,
    },
    /// Train a small llama on the King James Bible (or --corpus) and write it at every
    /// quantization, GGUF with its tokenizer embedded and ONNX with tokenizer.json beside it.
    #[command(
        after_help = "Trained models are cached per user (preset, seed, corpus sha256, code version); a second run does not retrain.\nExamples:\n  edgebench model train --preset kjv-micro\n  edgebench model train --preset kjv-small --out models/kjv"
    )]
    Train {
        /// kjv-small or kjv-micro
        #[arg(long, default_value = "kjv-small")]
        preset: String,
        /// A UTF-8 text file instead of the KJV (also: EDGEBENCH_CORPUS).
        #[arg(long)]
        corpus: Option<PathBuf>,
        /// Where to keep the model [default: the per-user cache].
        #[arg(long)]
        out: Option<PathBuf>,
        #[arg(long, default_value_t = 42)]
        seed: u64,
    },
    /// Print a GGUF file's metadata, tensor table, sizes and sha256.
    Inspect { file: PathBuf },
    /// Make a minisign key pair for signing models: OUT.key (secret) and OUT.pub.
    #[command(
        after_help = "The secret key is encrypted with a password ($EDGEBENCH_SIGN_PASSWORD or asked for) unless --unencrypted.\nExample:\n  edgebench model keygen --out lab-signing"
    )]
    Keygen {
        /// Path stem of the two key files.
        #[arg(long, default_value = "edgebench")]
        out: PathBuf,
        #[arg(long)]
        unencrypted: bool,
    },
    /// Sign a model file with a minisign secret key: writes FILE.minisig.
    Sign {
        /// The secret key file (from `model keygen` or `minisign -G`).
        #[arg(long)]
        key: PathBuf,
        file: PathBuf,
        /// Where to write the signature [default: FILE.minisig].
        #[arg(long)]
        out: Option<PathBuf>,
    },
    /// Check a model file's minisign signature against a public key; exit 1 if it fails.
    Verify {
        /// The public key: a .pub file or its base64 line (`RW...`).
        #[arg(long)]
        pubkey: String,
        file: PathBuf,
        /// The signature [default: FILE.minisig].
        #[arg(long)]
        signature: Option<PathBuf>,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum SynthFormat {
    Gguf,
    Onnx,
}
