//! The parent side of `edgebench run`: for every plan point, make sure the model file exists,
//! spawn one `edgebench worker` process, supervise it, and append its result to
//! `points.jsonl` at once, so an interrupted run keeps every finished point.

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
use crate::plan::RunPlan;
use crate::report::{HEADER_FILE, POINTS_FILE};
use crate::results::Report;
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
    if opts.calibrate {
        report.harness_overhead = overhead::measure(opts);
        let threads: Vec<usize> = plan.points.iter().map(|p| p.threads).collect();
        report.environment.memory_bandwidth = Some(crate::bandwidth::measure_for(&threads));
    }
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
        let mut result = point::run_point(
            point,
            opts,
            budget,
            &mut fingerprints,
            &mut sensors,
            obs,
            &mut stop,
        );
        if let Some(flag) = report
            .agreement
            .as_ref()
            .and_then(|a| a.flag_for(&point.label.backend, &point.label.model, &point.quant))
        {
            result.flags.push(format!("agreement: {flag}"));
        }
        if let Some(bw) = &report.environment.memory_bandwidth {
            apply_roofline(&mut result, bw);
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
    // Only when some sensor gave a value: a file of empty cells says nothing.
    let measured = |s: &crate::collect::sampler::Sample| {
        s.power_w.is_some() || s.temp_c.is_some() || s.cpu_freq_mhz.is_some()
    };
    if sensors.samples.iter().any(|(_, s)| measured(s)) {
        let path = opts.out_dir.join(crate::report::POWER_CSV);
        let f =
            std::fs::File::create(&path).with_context(|| format!("creating {}", path.display()))?;
        crate::collect::write_power_csv(&sensors.samples, run_t0_ns, std::io::BufWriter::new(f))
            .with_context(|| format!("writing {}", path.display()))?;
    }
    obs.on_event(&HarnessEvent::PlanFinished {
        out_dir: opts.out_dir.clone(),
    });
    Ok(report)
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
