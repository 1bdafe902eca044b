//! Fuzz entry points of the harness's parsers: the scenario parser and the `report` loader.
//! The cargo-fuzz targets in `fuzz/` and the corpus replay test (`tests/fuzz_corpus.rs`) call
//! these same functions, so a corpus file found by fuzzing is replayed in every `cargo test`.

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

/// Parse `data` as scenario TOML (validation included). Must never panic.
pub fn scenario(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(s) = crate::scenario::parse(text, Some(Path::new("fuzz.toml"))) {
        std::hint::black_box(s.scenario.models.len());
    }
}

/// One scratch directory per process, reused by every [`report`] call.
fn scratch() -> &'static Path {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    DIR.get_or_init(|| {
        let d = std::env::temp_dir().join(format!("edgebench-fuzz-report-{}", std::process::id()));
        std::fs::create_dir_all(&d).expect("creating the fuzz scratch directory");
        d
    })
}

/// Load `data` as a result directory through [`crate::report::load`], the function behind
/// `edgebench report`, then render what loaded. Without a NUL byte, `data` is `report.json`;
/// with one, the bytes before the first NUL are `run.json` (the header of an interrupted run)
/// and the rest `points.jsonl`. Must never panic.
pub fn report(data: &[u8]) {
    let dir = scratch();
    for f in [
        crate::report::REPORT_JSON,
        crate::report::HEADER_FILE,
        crate::report::POINTS_FILE,
    ] {
        let _ = std::fs::remove_file(dir.join(f));
    }
    let written = match data.iter().position(|&b| b == 0) {
        None => std::fs::write(dir.join(crate::report::REPORT_JSON), data),
        Some(i) => std::fs::write(dir.join(crate::report::HEADER_FILE), &data[..i])
            .and_then(|()| std::fs::write(dir.join(crate::report::POINTS_FILE), &data[i + 1..])),
    };
    if written.is_err() {
        return;
    }
    if let Ok(r) = crate::report::load(dir) {
        std::hint::black_box(crate::report::markdown::render(&r).len());
    }
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    /// Every file of `fuzz/corpus/<target>` through the same function the fuzz target calls.
    fn replay(target: &str, run: fn(&[u8])) {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../fuzz/corpus")
            .join(target);
        let files = std::fs::read_dir(&dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display()));
        let mut n = 0;
        for f in files {
            let path = f.expect("listing the corpus").path();
            eprintln!("replaying {}", path.display());
            run(&std::fs::read(&path).expect("reading a corpus file"));
            n += 1;
        }
        assert!(n > 0, "no corpus files in {}", dir.display());
    }

    #[test]
    fn scenario_fuzz_corpus_replays_cleanly() {
        replay("scenario", super::scenario);
    }

    #[test]
    fn report_fuzz_corpus_replays_cleanly() {
        replay("report", super::report);
    }
}
