//! Command-line interface (clap): the argument types and the dispatch to commands.

use clap::{Args, Parser, Subcommand};
use std::path::PathBuf;

#[derive(Debug, Parser)]
#[command(
    name = "edgebench",
    version,
    about = "Benchmark small language models across runtimes on edge hardware",
    after_help = "Examples:\n  edgebench run                              # the default scenario (synthesizes its model)\n  edgebench run scenarios/decode-sweep.toml  # a sweep\n  edgebench report results/<dir> --format md # re-render a report\n  edgebench model synth --preset stories15m --quant q4_0 --out models/\n  edgebench model inspect models/stories15m-q4_0.gguf\n  edgebench list                             # backends in this build"
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
    /// Re-render a result directory as markdown, JSON or CSV on stdout.
    #[command(
        after_help = "Example:\n  edgebench report results/20261125T120000Z-host-quick --format md"
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
    /// Run one matrix point (internal: spawned by `run`).
    #[command(hide = true)]
    Worker { point: PathBuf },
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
}

#[derive(Debug, Clone, Copy, clap::ValueEnum)]
pub enum ReportFormat {
    Md,
    Json,
    Csv,
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
