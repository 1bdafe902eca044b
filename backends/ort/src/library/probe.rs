//! Loading a candidate library in a throwaway child process first: a file that only looks like
//! ONNX Runtime (an ELF exporting `OrtGetApiBase` that returns garbage) crashes whoever loads
//! it, so the parent (`edgebench list`, the run, a worker) loads a library only after a child
//! loaded it and asked it for its version. The child is the program registered with
//! [`set_prober`] (the harness: `edgebench ort-probe PATH`, a hidden subcommand running
//! [`probe_main`]); without one, nothing is probed (library users and this crate's tests load
//! in-process as before).

use std::ffi::OsString;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

/// Prefix of the child's one answer line on stdout.
const ANSWER: &str = "edgebench-ort-probe:";
/// A real library loads in well under a second; a hung load is a broken library.
const TIMEOUT: Duration = Duration::from_secs(30);

static PROBER: OnceLock<(PathBuf, Vec<OsString>)> = OnceLock::new();

/// Probe libraries with `program args... PATH`, a process that calls [`probe_main`] with PATH.
/// The first registration wins.
pub fn set_prober(program: PathBuf, args: Vec<OsString>) {
    let _ = PROBER.set((program, args));
}

/// The child's side: load `path`, print the answer line, return the exit code (0: loads).
pub fn probe_main(path: &Path) -> i32 {
    match crate::ffi::probe_in_this_process(path) {
        Ok(version) => {
            println!("{ANSWER} ok {version}");
            0
        }
        Err(e) => {
            println!("{ANSWER} error {}", e.replace('\n', " "));
            2
        }
    }
}

/// The parent's side: `Ok` if no prober is registered or the child loaded `path`; else why
/// not, in one line naming the file.
pub(crate) fn check(path: &Path) -> Result<(), String> {
    match PROBER.get() {
        Some((program, args)) => check_with(program, args, path),
        None => Ok(()),
    }
}

fn check_with(program: &Path, args: &[OsString], path: &Path) -> Result<(), String> {
    let name = path.display();
    let mut child = Command::new(program)
        .args(args)
        .arg(path)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .map_err(|e| {
            format!(
                "cannot start the probe that checks {name} ({}): {e}",
                program.display()
            )
        })?;
    let start = Instant::now();
    let status = loop {
        match child.try_wait() {
            Ok(Some(s)) => break s,
            Ok(None) if start.elapsed() < TIMEOUT => std::thread::sleep(Duration::from_millis(5)),
            Ok(None) | Err(_) => {
                let _ = child.kill();
                let _ = child.wait();
                return Err(format!(
                    "{name} did not finish loading within {}s in a probe process: it is not a working ONNX Runtime library",
                    TIMEOUT.as_secs()
                ));
            }
        }
    };
    let mut out = String::new();
    if let Some(mut o) = child.stdout.take() {
        let _ = o.read_to_string(&mut out);
    }
    let answer = out
        .lines()
        .find_map(|l| l.strip_prefix(ANSWER))
        .map(str::trim);
    match answer {
        Some(a) if a.starts_with("ok") && status.success() => Ok(()),
        Some(a) => Err(format!(
            "{name} is not a working ONNX Runtime library: loading it failed ({})",
            a.strip_prefix("error ").unwrap_or(a)
        )),
        None => {
            use std::os::unix::process::ExitStatusExt;
            Err(match status.signal() {
                Some(sig) => format!(
                    "{name} crashed the process that loaded it (signal {sig}): it is not a working ONNX Runtime library"
                ),
                None => format!(
                    "{name} could not be checked: the probe process exited with {status} without an answer"
                ),
            })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_text_file_is_refused_by_the_child_side_with_the_loader_reason() {
        let dir = tempfile::tempdir().unwrap();
        let fake = dir.path().join("libonnxruntime.so.1.32.0");
        std::fs::write(&fake, "not a library").unwrap();
        assert_eq!(probe_main(&fake), 2);
    }

    #[test]
    fn a_crashing_or_silent_probe_is_an_error_naming_the_file() {
        // A shell that dies of SIGSEGV stands in for a child that loaded a fake library.
        let sh = Path::new("/bin/sh");
        let crash = ["-c".into(), "kill -SEGV $$".into(), "sh".into()];
        let e = check_with(sh, &crash, Path::new("/opt/fake/libonnxruntime.so")).unwrap_err();
        assert!(
            e.contains("/opt/fake/libonnxruntime.so")
                && e.contains("crashed")
                && e.contains("signal 11"),
            "{e}"
        );
        assert_eq!(e.lines().count(), 1);
        let silent = ["-c".into(), "exit 0".into(), "sh".into()];
        let e = check_with(sh, &silent, Path::new("/x.so")).unwrap_err();
        assert!(
            e.contains("/x.so") && e.contains("without an answer"),
            "{e}"
        );
        let ok = [
            "-c".into(),
            format!("echo '{ANSWER} ok 1.32.0'").into(),
            "sh".into(),
        ];
        check_with(sh, &ok, Path::new("/x.so")).unwrap();
    }
}
