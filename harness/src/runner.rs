//! The parent side of `edgebench run`: for every plan point, make sure the model file exists,
//! spawn one `edgebench worker` process, supervise it, and append its result to
//! `points.jsonl` at once, so an interrupted run keeps every finished point.

mod child;
mod failure;
mod overhead;

use anyhow::{Context, Result};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use crate::events::{Control, HarnessEvent, LogLevel, Observer};
use crate::models::{materialize, Fingerprints};
use crate::plan::{PlanPoint, RunPlan};
use crate::results::{ModelFile, PointError, PointResult, PointStatus, Report};
use crate::summarize::{summarize, Collected};
use crate::worker::WorkerPoint;

pub use child::{signal_name, supervise, Exit, Outcome, StoppedBy, Update};

/// File names inside a result directory.
pub const HEADER_FILE: &str = "run.json";
pub const POINTS_FILE: &str = "points.jsonl";

#[derive(Debug, Clone)]
pub struct RunOptions {
    pub out_dir: PathBuf,
    pub model_dir: PathBuf,
    /// The `edgebench` binary that runs `worker` (normally the current executable).
    pub worker_exe: PathBuf,
    /// Measure the harness's own per-token cost against the mock backend first.
    pub measure_overhead: bool,
    pub rss_interval: Duration,
}

/// Several observers as one.
pub struct Fanout(pub Vec<Box<dyn Observer>>);

impl Observer for Fanout {
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

/// Run every point of the plan; returns the full report (also written to `opts.out_dir`).
pub fn run_plan(plan: &RunPlan, opts: &RunOptions, obs: &mut dyn Observer) -> Result<Report> {
    std::fs::create_dir_all(&opts.out_dir)
        .with_context(|| format!("creating result directory {}", opts.out_dir.display()))?;
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
    report.harness_overhead = if opts.measure_overhead {
        overhead::measure(opts)
    } else {
        None
    };
    if s.verify {
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
            .filter(|r| r.verdict == crate::verify::Verdict::Flagged)
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
    crate::report::json::write_header(&opts.out_dir.join(HEADER_FILE), &report)?;
    let points_path = opts.out_dir.join(POINTS_FILE);
    let mut points_file = std::fs::File::create(&points_path)
        .with_context(|| format!("creating {}", points_path.display()))?;

    let mut fingerprints = Fingerprints::default();
    let mut stop = false;
    for (i, point) in plan.points.iter().enumerate() {
        if stop {
            break;
        }
        if i > 0 && point.cooldown_s > 0.0 && point.skip.is_none() {
            std::thread::sleep(Duration::from_secs_f64(point.cooldown_s));
        }
        let mut result = run_point(point, opts, budget, &mut fingerprints, obs, &mut stop);
        if let Some(flag) = report
            .agreement
            .as_ref()
            .and_then(|a| a.flag_for(&point.label.backend, &point.label.model, &point.quant))
        {
            result.flags.push(format!("agreement: {flag}"));
        }
        serde_json::to_writer(&mut points_file, &result)?;
        points_file.write_all(b"\n")?;
        points_file.flush()?;
        obs.on_event(&HarnessEvent::PointFinished {
            index: i,
            result: Box::new(result.clone()),
        });
        report.points.push(result);
        match obs.control() {
            Control::Stop | Control::Abort => stop = true,
            _ => {}
        }
    }
    report.environment.temperatures_c_end = crate::environment::temperatures();
    crate::report::write_all(&opts.out_dir, &report)?;
    obs.on_event(&HarnessEvent::PlanFinished {
        out_dir: opts.out_dir.clone(),
    });
    Ok(report)
}

fn failed(point: &PlanPoint, kind: &str, message: String) -> PointResult {
    PointResult::without_measurements(
        point.label.clone(),
        if kind == "not_compiled" || kind == "skipped" {
            PointStatus::Skipped
        } else {
            PointStatus::Failed
        },
        PointError {
            kind: kind.into(),
            message,
        },
    )
}

fn run_point(
    point: &PlanPoint,
    opts: &RunOptions,
    budget: Option<f64>,
    fingerprints: &mut Fingerprints,
    obs: &mut dyn Observer,
    stop: &mut bool,
) -> PointResult {
    if let Some(skip) = &point.skip {
        return failed(point, &skip.kind, skip.message.clone());
    }
    let path = match materialize(&point.source, point.format, &point.quant, &opts.model_dir) {
        Ok(p) => p,
        Err(e) => return failed(point, "model", format!("{e:#}")),
    };
    let mut model = ModelFile {
        path: path.display().to_string(),
        format: point.format.as_str().into(),
        sha256: None,
        file_bytes: None,
        origin: match &point.source {
            crate::plan::ModelSource::Synth { preset, seed } => {
                format!("synth:{preset} seed {seed}")
            }
            crate::plan::ModelSource::File { .. } => "file".into(),
            crate::plan::ModelSource::Mock { .. } => "mock".into(),
        },
        info: None,
    };
    if point.format != edgebench_backend::ModelFormat::Mock {
        match fingerprints.of(&path) {
            Ok((sha, len)) => {
                model.sha256 = Some(sha);
                model.file_bytes = Some(len);
            }
            Err(e) => return failed(point, "model", format!("{e:#}")),
        }
    }
    let wp = WorkerPoint {
        backend: point.label.backend.clone(),
        spec: edgebench_backend::ModelSpec {
            path: path.clone(),
            format: point.format,
            quant: Some(point.quant.clone()),
        },
        load: edgebench_backend::LoadOptions {
            threads: point.threads,
            max_seq_len: point.prompt.len() + point.gen_tokens + 1,
        },
        prompt: point.prompt.clone(),
        gen_tokens: point.gen_tokens,
        warmup: point.warmup,
        repetitions: point.repetitions,
        max_repetitions: point.max_repetitions,
        min_duration_s: point.min_duration_s,
        cold_load: point.cold_load,
        verify: None,
    };
    let index = point.label.index;
    let outcome = match spawn_worker(
        &wp,
        opts,
        index,
        Duration::from_secs_f64(point.timeout_s),
        obs,
    ) {
        Ok(o) => o,
        Err(e) => return failed(point, "spawn", format!("{e:#}")),
    };
    if outcome.stopped_by == Some(StoppedBy::Abort) {
        *stop = true;
    }
    let failure = failure::classify(&outcome, point.timeout_s);
    let base = PointResult {
        model: Some(model),
        ..failed(point, "pending", String::new())
    };
    let collected = Collected {
        events: outcome.events,
        rss: outcome.rss,
        started_t_ns: outcome.started_t_ns,
        wall_ns: outcome.wall_ns,
        exit_peak_rss_bytes: outcome.exit_peak_rss_bytes,
    };
    summarize(base, &collected, budget, point.cold_load, failure)
}

/// Write the point file and supervise one worker, forwarding its events to `obs`.
pub fn spawn_worker(
    wp: &WorkerPoint,
    opts: &RunOptions,
    index: usize,
    timeout: Duration,
    obs: &mut dyn Observer,
) -> Result<Outcome> {
    let dir = opts.out_dir.join(".points");
    std::fs::create_dir_all(&dir).with_context(|| format!("creating {}", dir.display()))?;
    let file = dir.join(format!("point-{index}.json"));
    std::fs::write(&file, serde_json::to_vec_pretty(wp)?)
        .with_context(|| format!("writing {}", file.display()))?;
    let mut cmd = Command::new(&opts.worker_exe);
    cmd.arg("worker").arg(&file);
    let outcome = supervise(cmd, timeout, opts.rss_interval, |u| {
        match u {
            Update::Started(pid) => obs.on_event(&HarnessEvent::PointStarted { index, pid }),
            Update::Event(e) => obs.on_event(&HarnessEvent::Worker {
                index,
                event: e.clone(),
            }),
            Update::Rss { t_ns, rss_bytes } => obs.on_event(&HarnessEvent::Rss {
                index,
                t_ns,
                rss_bytes,
            }),
        }
        obs.control()
    })
    .with_context(|| format!("starting worker {}", opts.worker_exe.display()))?;
    let _ = std::fs::remove_file(&file);
    Ok(outcome)
}

/// Default result directory: `results/<utc>-<host>-<scenario>`.
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
