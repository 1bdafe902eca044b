//! `edgebench run`: load the scenario, expand the plan, run it with the progress bar (and an
//! optional event log), and print the markdown table. SIGINT/SIGTERM/SIGHUP end the running
//! worker and the run; the finished points are written and the exit code is 128 + the signal.

use anyhow::{Context, Result};
use std::io::Write;
use std::path::{Path, PathBuf};

use crate::cli::RunArgs;
use crate::events::{HarnessEvent, Observer};
use crate::runner::{run_plan, Fanout, RunOptions};
use crate::scenario::{self, LoadedScenario};

const DEFAULT_SCENARIO: &str = "scenarios/quick.toml";

/// The scenario to run: the given file, else `scenarios/quick.toml`, else the built-in copy.
pub fn load_scenario(path: Option<&Path>) -> Result<LoadedScenario> {
    match path {
        Some(p) => Ok(scenario::load(p)?),
        None if Path::new(DEFAULT_SCENARIO).exists() => {
            Ok(scenario::load(Path::new(DEFAULT_SCENARIO))?)
        }
        None => Ok(scenario::parse(scenario::BUILTIN_QUICK, None)?),
    }
}

/// Writes every harness event as one JSON line.
struct EventLog(std::io::BufWriter<std::fs::File>);

impl Observer for EventLog {
    fn on_event(&mut self, e: &HarnessEvent) {
        if serde_json::to_writer(&mut self.0, e).is_ok() {
            let _ = self.0.write_all(b"\n");
        }
        if matches!(
            e,
            HarnessEvent::PointFinished { .. } | HarnessEvent::PlanFinished { .. }
        ) {
            let _ = self.0.flush();
        }
    }
}

/// Fetch ONNX Runtime here, once, when `ort` points will run (workers only look for it); a
/// failure is one line here, and those points fail with it while the others run.
fn prepare_ort(plan: &crate::plan::RunPlan) {
    #[cfg(feature = "ort")]
    if plan.points.iter().any(|p| p.label.backend == "ort") {
        if let Err(e) = edgebench_ort::library::ensure() {
            eprintln!("edgebench: {e}");
        }
    }
    #[cfg(not(feature = "ort"))]
    let _ = plan;
}

pub fn run(args: RunArgs) -> Result<i32> {
    let mut ls = load_scenario(args.scenario.as_deref())?;
    ls.scenario.alternate |= args.alternate;
    let plan = crate::plan::expand(&ls, args.backends.as_deref())?;
    prepare_ort(&plan);
    // From here a signal ends the run cleanly: the worker first, then this process, with the
    // finished points on disk.
    crate::sys::catch_stop_signals();
    let out_dir = match args.out.clone() {
        Some(d) => d,
        None => crate::runner::new_out_dir(Path::new("results"), &ls.scenario.name)?,
    };
    let opts = RunOptions {
        out_dir: out_dir.clone(),
        model_dir: args
            .model_dir
            .clone()
            .unwrap_or_else(crate::models::default_model_dir),
        worker_exe: std::env::current_exe().context("locating the edgebench executable")?,
        calibrate: !args.no_calibration,
        rss_interval: std::time::Duration::from_millis(10),
    };
    let mut event_log = match &args.events {
        Some(path) => {
            let f = std::fs::File::create(path)
                .with_context(|| format!("creating event file {}", path.display()))?;
            Some(EventLog(std::io::BufWriter::new(f)))
        }
        None => None,
    };
    let report = if args.tui {
        let options = crate::tui::TuiOptions {
            exit_when_done: args.tui_exit,
            ..Default::default()
        };
        crate::tui::run_with_tui(options, move |ui: &mut dyn Observer| {
            let mut observers: Vec<&mut dyn Observer> = vec![ui];
            if let Some(log) = event_log.as_mut() {
                observers.push(log);
            }
            run_plan(&plan, &opts, &mut Fanout(observers))
        })?
    } else {
        let mut progress = crate::progress::Progress::new(args.quiet);
        let mut observers: Vec<&mut dyn Observer> = vec![&mut progress];
        if let Some(log) = event_log.as_mut() {
            observers.push(log);
        }
        run_plan(&plan, &opts, &mut Fanout(observers))?
    };
    let report_path = PathBuf::from(&out_dir).join(crate::report::REPORT_JSON);
    if let Some(sig) = crate::sys::stop_signal() {
        eprintln!(
            "edgebench: stopped by {}; the {} finished point(s) are in {}",
            crate::sys::signal_name(sig),
            report.points.len(),
            report_path.display()
        );
        return Ok(128 + sig);
    }
    if !args.quiet {
        let text = format!(
            "{}\nreport: {}\n",
            crate::report::markdown::render(&report),
            report_path.display()
        );
        write_stdout(&text).with_context(|| {
            format!(
                "printing the table (the run itself is complete: {})",
                report_path.display()
            )
        })?;
    }
    let any_ok = report
        .points
        .iter()
        .any(|p| p.status == crate::results::PointStatus::Ok);
    Ok(if any_ok { 0 } else { 1 })
}

/// Write `text` to stdout and flush, returning the error (a full disk, a closed pipe) instead
/// of panicking as `print!` does; `main` exits quietly on a closed pipe.
pub fn write_stdout(text: &str) -> Result<()> {
    let mut out = std::io::stdout().lock();
    out.write_all(text.as_bytes())
        .and_then(|()| out.flush())
        .context("writing to stdout")
}

/// `edgebench verify`: the agreement gate alone; exit 1 when any variant is flagged.
pub fn verify(
    scenario: Option<&Path>,
    steps: usize,
    f32_tolerance: f64,
    model_dir: Option<PathBuf>,
    backends: Option<&[String]>,
) -> Result<i32> {
    let ls = load_scenario(scenario)?;
    let plan = crate::plan::expand(&ls, backends)?;
    prepare_ort(&plan);
    let tmp = tempfile::tempdir().context("creating a scratch directory")?;
    let opts = RunOptions {
        out_dir: tmp.path().to_path_buf(),
        model_dir: model_dir.unwrap_or_else(crate::models::default_model_dir),
        worker_exe: std::env::current_exe().context("locating the edgebench executable")?,
        calibrate: false,
        rss_interval: std::time::Duration::from_millis(50),
    };
    let mut progress = crate::progress::Progress::new(true);
    let report = crate::verify::run(&plan, &opts, steps, f32_tolerance, &mut progress);
    write_stdout(&crate::report::markdown::render_agreement(&report))?;
    let flagged = report
        .rows
        .iter()
        .any(|r| r.verdict == crate::results::Verdict::Flagged);
    Ok(if flagged { 1 } else { 0 })
}
