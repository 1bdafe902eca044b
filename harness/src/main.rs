//! The `edgebench` binary: parse arguments, dispatch, map errors to an exit code.

use clap::Parser;

fn main() {
    let cli = edgebench::cli::Cli::parse();
    match edgebench::commands::dispatch(cli) {
        Ok(code) => std::process::exit(code),
        Err(e) => {
            eprintln!("error: {e:#}");
            std::process::exit(1);
        }
    }
}
