//! One module per subcommand; `dispatch` maps the parsed CLI to them.

mod compare;
mod env;
mod history;
mod inspect;
mod list;
mod model_sign;
mod recommend;
mod run;

use anyhow::Result;

use crate::cli::{Cli, Command, ModelCommand, ReportFormat, SynthFormat};

/// Run a parsed command; returns the process exit code.
pub fn dispatch(cli: Cli) -> Result<i32> {
    list::register_ort_prober();
    match cli.command {
        Command::Run(args) => {
            if let Some(d) = &args.device {
                // Read by environment::collect when the report is made.
                std::env::set_var(crate::environment::fingerprint::DEVICE_ENV, d);
            }
            run::run(args)
        }
        Command::Compare(args) => compare::compare(args),
        Command::History(cmd) => history::history(cmd),
        Command::Recommend(args) => recommend::recommend(args),
        Command::Tui(mut args) => {
            args.tui = true;
            run::run(args)
        }
        Command::Report { dir, format } => {
            let report = crate::report::load(&dir)?;
            match format {
                ReportFormat::Md => print!("{}", crate::report::markdown::render(&report)),
                ReportFormat::Json => println!("{}", serde_json::to_string_pretty(&report)?),
                ReportFormat::Csv => {
                    crate::report::csv::write_tokens(&mut std::io::stdout().lock(), &report)?
                }
                ReportFormat::Bmf => println!(
                    "{}",
                    serde_json::to_string_pretty(&crate::compare::bmf::of_report(&report))?
                ),
                ReportFormat::Html => print!("{}", crate::report::html::render(&report)),
            }
            Ok(0)
        }
        Command::Model(ModelCommand::Synth {
            preset,
            quant,
            seed,
            out,
            format,
        }) => {
            let format = match format {
                SynthFormat::Gguf => edgebench_backend::ModelFormat::Gguf,
                SynthFormat::Onnx => edgebench_backend::ModelFormat::Onnx,
            };
            let path = out.join(crate::models::synth_file_name(
                &preset, &quant, seed, format,
            ));
            crate::models::synthesize(&preset, &quant, seed, format, &path)?;
            let (sha, len) = crate::models::sha256_file(&path)?;
            println!("{}  {len} bytes  sha256 {sha}", path.display());
            Ok(0)
        }
        Command::Model(ModelCommand::Inspect { file }) => inspect::inspect(&file),
        Command::Model(ModelCommand::Train {
            preset,
            corpus,
            out,
            seed,
        }) => crate::models::train_command(&preset, corpus.as_deref(), out.as_deref(), seed),
        Command::Model(
            cmd @ (ModelCommand::Keygen { .. }
            | ModelCommand::Sign { .. }
            | ModelCommand::Verify { .. }),
        ) => model_sign::run(cmd),
        Command::Verify {
            scenario,
            steps,
            f32_tolerance,
            model_dir,
            backends,
        } => run::verify(
            scenario.as_deref(),
            steps,
            f32_tolerance,
            model_dir,
            backends.as_deref(),
        ),
        Command::List => list::list(),
        Command::OrtProbe { library } => Ok(list::ort_probe(&library)),
        Command::Env { json } => env::env(json),
        Command::Worker { point } => Ok(crate::worker::main(&point)),
    }
}
