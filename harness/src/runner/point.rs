//! One matrix point: make sure its model file exists, fingerprint it, run its worker with the
//! sensors sampling alongside, and turn what came back into a [`PointResult`].

use std::time::Duration;

use super::failure;
use super::sensors::Sensors;
use crate::events::Observer;
use crate::models::{materialize, Fingerprints};
use crate::plan::PlanPoint;
use crate::results::{ErrorKind, ModelFile, PointError, PointResult, PointStatus};
use crate::spawn::{spawn_worker, RunOptions, StoppedBy};
use crate::summarize::{summarize, Collected};
use crate::worker::WorkerPoint;

fn failed(point: &PlanPoint, kind: ErrorKind, message: String) -> PointResult {
    PointResult::without_measurements(
        point.label.clone(),
        if kind.is_skip() {
            PointStatus::Skipped
        } else {
            PointStatus::Failed
        },
        PointError::new(kind, message),
    )
}

pub fn run_point(
    point: &PlanPoint,
    opts: &RunOptions,
    budget: Option<f64>,
    fingerprints: &mut Fingerprints,
    sensors: &mut Sensors,
    obs: &mut dyn Observer,
    stop: &mut bool,
) -> PointResult {
    if let Some(skip) = &point.skip {
        return failed(point, skip.kind.clone(), skip.message.clone());
    }
    let path = match materialize(&point.source, point.format, &point.quant, &opts.model_dir) {
        Ok(p) => p,
        Err(e) => return failed(point, ErrorKind::Model, format!("{e:#}")),
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
            crate::plan::ModelSource::Trained { preset, seed } => {
                format!("trained:{preset} seed {seed}")
            }
            crate::plan::ModelSource::File { .. } => "file".into(),
            crate::plan::ModelSource::Mock { .. } => "mock".into(),
        },
        info: None,
        integrity: None,
    };
    if point.format != edgebench_backend::ModelFormat::Mock {
        match fingerprints.of(&path) {
            Ok((sha, len)) => {
                model.sha256 = Some(sha);
                model.file_bytes = Some(len);
            }
            Err(e) => return failed(point, ErrorKind::Model, format!("{e:#}")),
        }
    }
    if let Err(e) = crate::integrity::check_point(point.integrity.as_ref(), &path, &mut model) {
        return failed(point, ErrorKind::Model, e);
    }
    let prompt = match crate::worker::resolve_prompt(&point.prompt, &path) {
        Ok(p) => p,
        Err(e) => return failed(point, ErrorKind::InvalidInput, e),
    };
    let wp = WorkerPoint {
        backend: point.label.backend.clone(),
        spec: edgebench_backend::ModelSpec {
            path: path.clone(),
            format: point.format,
            quant: Some(point.quant.clone()),
        },
        load: edgebench_backend::LoadOptions {
            threads: point.threads,
            max_seq_len: prompt
                .len()
                .saturating_add(point.gen_tokens)
                .saturating_add(1),
        },
        prompt: prompt.clone(),
        gen_tokens: point.gen_tokens,
        runs: point.runs,
        cold_load: point.cold_load,
        verify: None,
    };
    let index = point.label.index;
    let running = sensors.start_point();
    let outcome = spawn_worker(
        &wp,
        opts,
        index,
        // Validation bounds it; saturate rather than panic on a hand-made plan.
        Duration::try_from_secs_f64(point.timeout_s).unwrap_or(Duration::MAX),
        running.as_ref().map(|r| &r.live),
        obs,
    );
    let (power, thermal) = sensors.finish_point(
        index,
        running,
        outcome.as_ref().map_or(&[][..], |o| &o.events[..]),
    );
    let outcome = match outcome {
        Ok(o) => o,
        Err(e) => return failed(point, ErrorKind::Spawn, format!("{e:#}")),
    };
    if outcome.stopped_by == Some(StoppedBy::Abort) {
        *stop = true;
    }
    let failure = failure::classify(&outcome, point.timeout_s);
    let mut base = PointResult {
        model: Some(model),
        ..failed(point, ErrorKind::Pending, String::new())
    };
    base.label.prompt_tokens = prompt.len();
    let collected = Collected {
        events: outcome.events,
        rss: outcome.rss,
        started_t_ns: outcome.started_t_ns,
        wall_ns: outcome.wall_ns,
        exit_peak_rss_bytes: outcome.exit_peak_rss_bytes,
    };
    let mut result = summarize(base, &collected, budget, point.cold_load, failure);
    crate::worker::decode_runs(&mut result.runs, &path);
    if let Some(t) = thermal.as_ref().filter(|t| t.throttled) {
        result
            .flags
            .push(format!("throttled: {}", t.throttle_reasons.join("; ")));
    }
    result.power = power;
    result.thermal = thermal;
    result
}
