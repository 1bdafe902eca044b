//! The parent side of `edgebench run`: claim the result folder (an exclusive lock; an earlier
//! run's files are removed), then for every plan point make sure the model file exists, spawn
//! one `edgebench worker` process, supervise it, and append its result to `points.jsonl` at
//! once (one `write_all` per line, then `sync_data`), so an interrupted or killed run keeps
//! every finished point. SIGINT/SIGTERM end the running worker and the run, and the report of
//! the finished points is written.

mod alternate;
mod failure;
mod overhead;
mod point;
mod roofline;
mod sensors;

use anyhow::{Context, Result};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::Duration;

use crate::collect::power::PowerChoice;
use crate::events::{Control, HarnessEvent, LogLevel, Observer};
use crate::models::Fingerprints;
use crate::plan::{PlanPoint, RunPlan};
use crate::report::{HEADER_FILE, LOCK_FILE, POINTS_FILE, RUN_FILES};
use crate::results::{PointResult, Report};
pub use crate::spawn::RunOptions;
use roofline::apply_roofline;
use sensors::Sensors;

/// Several observers as one.
pub struct Fanout<'a>(pub Vec<&'a mut dyn Observer>);

impl Observer for Fanout<'_> {
    fn on_event(&mut self, e: &HarnessEvent) {
        for o in &mut self.0 {
            o.on_event(e);
        }
    }
    fn control(&mut self) -> Control {
        // The most drastic request wins.
        let mut c = Control::Continue;
        for o in &mut self.0 {
            c = match (c, o.control()) {
                (_, Control::Abort) | (Control::Abort, _) => Control::Abort,
                (_, Control::SkipCurrent) | (Control::SkipCurrent, _) => Control::SkipCurrent,
                (_, Control::Stop) | (Control::Stop, _) => Control::Stop,
                _ => Control::Continue,
            };
        }
        c
    }
}

/// A run's hold on its result folder: an exclusive `flock` on `<dir>/.lock`, released when
/// this is dropped (or the process ends, however it ends).
#[derive(Debug)]
pub struct FolderLock {
    _file: std::fs::File,
}

/// Make `dir` this run's: create it, lock it (refused when another run holds it), and remove
/// the files an earlier run left there, so none of them can be read as this run's.
pub fn claim_out_dir(dir: &Path) -> Result<FolderLock> {
    std::fs::create_dir_all(dir)
        .with_context(|| format!("creating result directory {}", dir.display()))?;
    let lock_path = dir.join(LOCK_FILE);
    let file = std::fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&lock_path)
        .with_context(|| format!("creating {}", lock_path.display()))?;
    let locked = crate::sys::try_lock_exclusive(&file)
        .with_context(|| format!("locking {}", lock_path.display()))?;
    if !locked {
        anyhow::bail!(
            "result directory {} is in use by another edgebench run (it holds {}); wait for that run to end or pass another --out",
            dir.display(),
            lock_path.display()
        );
    }
    for name in RUN_FILES {
        let p = dir.join(name);
        match std::fs::remove_file(&p) {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => {
                return Err(e)
                    .with_context(|| format!("removing {} left by an earlier run", p.display()))
            }
        }
    }
    Ok(FolderLock { _file: file })
}

/// An id unique to this run (time in ns, process id), written into `run.json` and
/// `report.json` so `report` never mixes files of two runs.
fn new_run_id() -> String {
    let ns = chrono::Utc::now().timestamp_nanos_opt().unwrap_or_default();
    format!("{ns:x}-{:x}", std::process::id())
}

/// Sleep `d`, waking early when SIGINT/SIGTERM arrives.
fn sleep_unless_stopped(d: Duration) {
    let end = std::time::Instant::now() + d;
    while crate::sys::stop_signal().is_none() {
        let left = end.saturating_duration_since(std::time::Instant::now());
        if left.is_zero() {
            break;
        }
        std::thread::sleep(left.min(Duration::from_millis(50)));
    }
}

/// Run every point of the plan; returns the full report (also written to `opts.out_dir`).
/// When SIGINT/SIGTERM arrived ([`crate::sys::stop_signal`]), the points finished so far.
pub fn run_plan(plan: &RunPlan, opts: &RunOptions, obs: &mut dyn Observer) -> Result<Report> {
    let _lock = claim_out_dir(&opts.out_dir)?;
    let run_id = new_run_id();
    let s = &plan.scenario.scenario;
    let budget = s.latency_budget_ms_per_token;
    obs.on_event(&HarnessEvent::PlanStarted {
        scenario: s.name.clone(),
        points: plan.points.iter().map(|p| p.label.clone()).collect(),
        out_dir: opts.out_dir.clone(),
        latency_budget_ms_per_token: budget,
    });
    for w in &plan.warnings {
        obs.on_event(&HarnessEvent::Log {
            level: LogLevel::Warn,
            message: w.clone(),
        });
    }
    let mut report = crate::report::new_report(plan);
    let stopped = || crate::sys::stop_signal().is_some();
    if opts.calibrate && !stopped() {
        report.harness_overhead = overhead::measure(opts);
        let threads: Vec<usize> = plan.points.iter().map(|p| p.threads).collect();
        report.environment.memory_bandwidth = Some(crate::bandwidth::measure_for(&threads));
    }
    if s.verify && !stopped() {
        let a = crate::verify::run(
            plan,
            opts,
            crate::verify::DEFAULT_STEPS,
            crate::verify::DEFAULT_F32_TOLERANCE,
            obs,
        );
        for r in a
            .rows
            .iter()
            .filter(|r| r.verdict == crate::results::Verdict::Flagged)
        {
            obs.on_event(&HarnessEvent::Log {
                level: LogLevel::Warn,
                message: format!(
                    "agreement: {} {} {} flagged: {}",
                    r.backend,
                    r.model,
                    r.quant,
                    r.note.as_deref().unwrap_or("")
                ),
            });
        }
        report.agreement = Some(a);
    }
    let choice: PowerChoice = s
        .power
        .as_deref()
        .unwrap_or("auto")
        .parse()
        .map_err(|e| anyhow::anyhow!("scenario field `power`: {e}"))?;
    let mut sensors = Sensors::detect(&choice);
    sensors.measure_idle();
    if let Some(reason) = sensors.unavailable_reason() {
        obs.on_event(&HarnessEvent::Log {
            level: LogLevel::Info,
            message: format!("power unavailable: {reason}"),
        });
    }
    report.power = Some(crate::results::PowerSetup {
        choice: choice.to_string(),
        source: sensors.source_name(),
        unavailable_reason: sensors.unavailable_reason().map(str::to_string),
        idle_power_w: sensors.idle_power_w,
    });
    let run_t0_ns = crate::clock::mono_ns();
    crate::report::json::write_header(&opts.out_dir.join(HEADER_FILE), &report, &run_id)?;
    let points_path = opts.out_dir.join(POINTS_FILE);
    let mut points_file = std::fs::OpenOptions::new()
        .append(true)
        .create_new(true)
        .open(&points_path)
        .with_context(|| format!("creating {}", points_path.display()))?;

    let mut fingerprints = Fingerprints::default();
    // The pause before every point but the first (`cooldown_s`).
    let cooldown = |point: &PlanPoint, first: bool| {
        if !first && point.cooldown_s > 0.0 && point.skip.is_none() {
            // Validation bounds it; saturate rather than panic on a hand-made plan.
            sleep_unless_stopped(
                Duration::try_from_secs_f64(point.cooldown_s).unwrap_or(Duration::MAX),
            );
        }
    };
    // Flags, roofline, one line in points.jsonl, the event; true when the observer asks to stop.
    let mut finish = |i: usize,
                      mut result: PointResult,
                      report: &mut Report,
                      obs: &mut dyn Observer|
     -> Result<bool> {
        if let Some(flag) = report.agreement.as_ref().and_then(|a| {
            a.flag_for(
                &result.label.backend,
                &result.label.model,
                &plan.points[i].quant,
            )
        }) {
            result.flags.push(format!("agreement: {flag}"));
        }
        if let Some(bw) = &report.environment.memory_bandwidth {
            apply_roofline(&mut result, bw);
        }
        // One write per line, then to the disk: a kill leaves whole lines (at most the last
        // cut), and a finished point survives a crash of the machine.
        let line = crate::report::json::point_line(&result)?;
        points_file
            .write_all(&line)
            .and_then(|()| points_file.sync_data())
            .with_context(|| format!("appending to {}", points_path.display()))?;
        obs.on_event(&HarnessEvent::PointFinished {
            index: i,
            result: Box::new(result.clone()),
        });
        report.points.push(result);
        Ok(matches!(obs.control(), Control::Stop | Control::Abort))
    };
    if s.alternate {
        // Rounds of every point, then one merged result per point ([`alternate`]).
        let obs_cell = std::cell::RefCell::new(&mut *obs);
        let stop_cell = std::cell::Cell::new(false);
        let mut first = true;
        let merged = alternate::run_alternated(
            &plan.points,
            budget,
            |_, point| {
                cooldown(point, first);
                first = false;
                let mut st = false;
                let r = point::run_point(
                    point,
                    opts,
                    budget,
                    &mut fingerprints,
                    &mut sensors,
                    &mut **obs_cell.borrow_mut(),
                    &mut st,
                );
                stop_cell.set(stop_cell.get() || st);
                r
            },
            || {
                let asked = matches!(
                    obs_cell.borrow_mut().control(),
                    Control::Stop | Control::Abort
                );
                stop_cell.get() || asked || crate::sys::stop_signal().is_some()
            },
        );
        for (i, result) in merged.into_iter().enumerate() {
            if let Some(result) = result {
                finish(i, result, &mut report, &mut *obs)?;
            }
        }
    } else {
        let mut stop = false;
        for (i, point) in plan.points.iter().enumerate() {
            if !stop {
                cooldown(point, i == 0);
            }
            if stop || crate::sys::stop_signal().is_some() {
                break;
            }
            let result = point::run_point(
                point,
                opts,
                budget,
                &mut fingerprints,
                &mut sensors,
                &mut *obs,
                &mut stop,
            );
            stop |= finish(i, result, &mut report, &mut *obs)?;
        }
    }
    report.environment.temperatures_c_end = crate::environment::temperatures();
    crate::report::write_run(&opts.out_dir, &report, Some(&run_id))?;
    // Only when some sensor gave a value: a file of empty cells says nothing.
    let measured = |s: &crate::collect::sampler::Sample| {
        s.power_w.is_some() || s.temp_c.is_some() || s.cpu_freq_mhz.is_some()
    };
    if sensors.samples.iter().any(|(_, s)| measured(s)) {
        let path = opts.out_dir.join(crate::report::POWER_CSV);
        let mut csv = Vec::new();
        crate::collect::write_power_csv(&sensors.samples, run_t0_ns, &mut csv)
            .with_context(|| format!("rendering {}", path.display()))?;
        crate::report::write_atomic(&path, &csv)?;
    }
    obs.on_event(&HarnessEvent::PlanFinished {
        out_dir: opts.out_dir.clone(),
    });
    Ok(report)
}

/// A new result directory under `root`, created here so no other run can take it:
/// `<utc>-<host>-<scenario>`, or with `-2`, `-3`, ... when a run started in the same second.
pub fn new_out_dir(root: &Path, scenario: &str) -> Result<PathBuf> {
    let base = default_out_dir(root, scenario);
    std::fs::create_dir_all(root)
        .with_context(|| format!("creating result directory {}", root.display()))?;
    for n in 1..=10_000 {
        let dir = if n == 1 {
            base.clone()
        } else {
            PathBuf::from(format!("{}-{n}", base.display()))
        };
        match std::fs::create_dir(&dir) {
            Ok(()) => return Ok(dir),
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => continue,
            Err(e) => {
                return Err(e)
                    .with_context(|| format!("creating result directory {}", dir.display()))
            }
        }
    }
    anyhow::bail!(
        "{} and 9,999 numbered variants already exist; pass --out",
        base.display()
    )
}

/// Default result directory name: `results/<utc>-<host>-<scenario>` (see [`new_out_dir`]).
pub fn default_out_dir(root: &Path, scenario: &str) -> PathBuf {
    let host = crate::environment::hostname().unwrap_or_else(|| "host".into());
    let stamp = chrono::Utc::now().format("%Y%m%dT%H%M%SZ");
    let clean = |s: &str| {
        s.chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() || c == '-' {
                    c
                } else {
                    '_'
                }
            })
            .collect::<String>()
    };
    root.join(format!("{stamp}-{}-{}", clean(&host), clean(scenario)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn new_result_folders_are_distinct_within_one_second() {
        let root = tempfile::tempdir().unwrap();
        let dirs: Vec<PathBuf> = (0..5)
            .map(|_| new_out_dir(root.path(), "s").unwrap())
            .collect();
        let mut unique = dirs.clone();
        unique.sort();
        unique.dedup();
        assert_eq!(unique.len(), 5, "{dirs:?}");
    }

    #[test]
    fn a_locked_folder_is_refused_and_a_reused_one_is_cleared() {
        let d = tempfile::tempdir().unwrap();
        std::fs::write(d.path().join(crate::report::REPORT_JSON), "{}").unwrap();
        std::fs::write(d.path().join("notes.txt"), "mine").unwrap();
        let held = claim_out_dir(d.path()).unwrap();
        assert!(!d.path().join(crate::report::REPORT_JSON).exists());
        assert!(d.path().join("notes.txt").exists(), "only run files go");
        // flock is per open file description, so a second claim in this process is refused too.
        let e = claim_out_dir(d.path()).unwrap_err().to_string();
        assert!(e.contains("in use by another edgebench run"), "{e}");
        drop(held);
        claim_out_dir(d.path()).unwrap();
    }
}
