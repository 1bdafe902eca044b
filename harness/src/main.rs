//! The `edgebench` binary: parse arguments, dispatch, map errors to an exit code. Writing to a
//! closed stdout (`edgebench list | head -0`) ends quietly, as `cat` and `ls` do; a stdout that
//! fails otherwise (`> /dev/full`) is a one-line error and exit code 1, never a panic.

use clap::Parser;

/// Exit code when stdout was closed by its reader (128 + SIGPIPE, what a shell reports for
/// `cat` killed by the signal).
const EXIT_BROKEN_PIPE: i32 = 141;

/// `print!`/`println!` panic when stdout fails; turn that panic (from any command) into the
/// same clean exit a returned error gets.
fn exit_cleanly_on_stdout_errors() {
    let default = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        let msg = info
            .payload()
            .downcast_ref::<String>()
            .map(String::as_str)
            .or_else(|| info.payload().downcast_ref::<&str>().copied())
            .unwrap_or("");
        if let Some(reason) = msg.strip_prefix("failed printing to stdout: ") {
            if reason.contains("Broken pipe") {
                std::process::exit(EXIT_BROKEN_PIPE);
            }
            eprintln!("error: writing to stdout: {reason}");
            std::process::exit(1);
        }
        default(info);
    }));
}

fn main() {
    exit_cleanly_on_stdout_errors();
    let cli = edgebench::cli::Cli::parse();
    match edgebench::commands::dispatch(cli) {
        Ok(code) => std::process::exit(code),
        Err(e) => {
            let broken_pipe = e.chain().any(|c| {
                c.downcast_ref::<std::io::Error>()
                    .is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe)
            });
            if broken_pipe {
                std::process::exit(EXIT_BROKEN_PIPE);
            }
            eprintln!("error: {e:#}");
            std::process::exit(1);
        }
    }
}
