//! The agreement gate: before comparing speed, prove the backends compute the same function.
//! For every synthesized weight set, the reference engine on the f32 GGUF runs greedy decoding
//! and is the baseline; every other variant (another backend, another file format, a
//! quantization) is fed the baseline's tokens (teacher forcing) and its logits are compared at
//! every position. f32 variants must give identical greedy tokens and max |Δlogit| within
//! tolerance, or they are flagged; quantized variants report top-1 agreement and mean KL.

use anyhow::{Context, Result};
use edgebench_backend::agreement::compare;
use edgebench_backend::ModelFormat;
use std::collections::BTreeMap;
use std::time::Duration;

use crate::events::{HarnessEvent, LogLevel, Observer, WorkerEvent};
use crate::models::materialize;
use crate::plan::{ModelSource, PlanPoint, RunPlan};
use crate::results::{f32_verdict, AgreementReport, AgreementRow, Verdict};
use crate::spawn::{spawn_worker, RunOptions};
use crate::worker::{VerifyRequest, WorkerPoint};

/// Defaults: 32 decode steps, |Δlogit| ≤ 1e-3 for f32.
pub const DEFAULT_STEPS: usize = 32;
pub const DEFAULT_F32_TOLERANCE: f64 = 1e-3;

/// One distinct (backend, model file) of the plan, at the first sweep values.
fn variants(plan: &RunPlan) -> Vec<&PlanPoint> {
    let mut seen = std::collections::HashSet::new();
    plan.points
        .iter()
        .filter(|p| p.skip.is_none() && p.format != ModelFormat::Mock)
        .filter(|p| {
            seen.insert((
                p.label.backend.clone(),
                p.source.clone(),
                p.format,
                p.quant.clone(),
            ))
        })
        .collect()
}

struct Run {
    tokens: Vec<u32>,
    logits: Vec<f32>,
    vocab: usize,
}

/// Which backend runs which file of a point's model.
struct Variant<'a> {
    backend: &'a str,
    format: ModelFormat,
    quant: &'a str,
}

fn run_one(
    point: &PlanPoint,
    v: Variant<'_>,
    steps: usize,
    forced: Option<Vec<u32>>,
    opts: &RunOptions,
    obs: &mut dyn Observer,
) -> Result<Run> {
    let Variant {
        backend,
        format,
        quant,
    } = v;
    let path = materialize(&point.source, format, quant, &opts.model_dir)?;
    let dir = opts.out_dir.join(".verify");
    std::fs::create_dir_all(&dir).with_context(|| format!("creating {}", dir.display()))?;
    let logits_out = dir.join(format!("{backend}-{quant}-{}.f32", format.as_str()));
    let wp = WorkerPoint {
        backend: backend.to_string(),
        spec: edgebench_backend::ModelSpec {
            path,
            format,
            quant: Some(quant.to_string()),
        },
        load: edgebench_backend::LoadOptions {
            threads: 1,
            max_seq_len: point.prompt.len() + steps + 2,
        },
        prompt: point.prompt.clone(),
        gen_tokens: 0,
        runs: crate::scenario::Repetitions::exactly(0, 0),
        cold_load: false,
        verify: Some(VerifyRequest {
            steps,
            forced,
            logits_out: logits_out.clone(),
        }),
    };
    let o = spawn_worker(
        &wp,
        opts,
        usize::MAX - 1,
        Duration::from_secs_f64(point.timeout_s),
        None,
        obs,
    )?;
    if let Some(WorkerEvent::Error { kind, message, .. }) = o
        .events
        .iter()
        .find(|e| matches!(e, WorkerEvent::Error { .. }))
    {
        anyhow::bail!("{kind}: {message}");
    }
    let tokens = o
        .events
        .iter()
        .find_map(|e| match e {
            WorkerEvent::RunFinished { tokens, .. } => Some(tokens.clone()),
            _ => None,
        })
        .with_context(|| {
            format!(
                "the verify worker ended without output ({:?}): {}",
                o.exit,
                o.stderr_tail.trim()
            )
        })?;
    let vocab = o
        .events
        .iter()
        .find_map(|e| match e {
            WorkerEvent::Loaded { model_info, .. } => Some(model_info.vocab_size),
            _ => None,
        })
        .unwrap_or(0);
    let bytes =
        std::fs::read(&logits_out).with_context(|| format!("reading {}", logits_out.display()))?;
    let _ = std::fs::remove_file(&logits_out);
    let logits = bytes
        .chunks_exact(4)
        .map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]]))
        .collect();
    Ok(Run {
        tokens,
        logits,
        vocab,
    })
}

/// Run the gate over every variant of the plan.
pub fn run(
    plan: &RunPlan,
    opts: &RunOptions,
    steps: usize,
    f32_tolerance: f64,
    obs: &mut dyn Observer,
) -> AgreementReport {
    let mut rows = Vec::new();
    let mut by_source: BTreeMap<String, Vec<&PlanPoint>> = BTreeMap::new();
    for p in variants(plan) {
        by_source
            .entry(serde_json::to_string(&p.source).unwrap_or_default())
            .or_default()
            .push(p);
    }
    for points in by_source.values() {
        let first = points[0];
        // Baseline: the reference engine on the f32 GGUF of a synthesized model, or on the file itself.
        let (base_format, base_quant) = match &first.source {
            ModelSource::Synth { .. } => (ModelFormat::Gguf, "f32".to_string()),
            _ => (first.format, first.quant.clone()),
        };
        let baseline_name = format!("reference {base_quant} {}", base_format.as_str());
        let row = |p: &PlanPoint, verdict, agreement, note: Option<String>| AgreementRow {
            backend: p.label.backend.clone(),
            model: p.label.model.clone(),
            quant: p.quant.clone(),
            baseline: baseline_name.clone(),
            verdict,
            agreement,
            note,
        };
        if base_format != ModelFormat::Gguf {
            for p in points {
                rows.push(row(
                    p,
                    Verdict::Measured,
                    None,
                    Some("no GGUF baseline for a user ONNX file; not compared".into()),
                ));
            }
            continue;
        }
        let base = match run_one(
            first,
            Variant {
                backend: "reference",
                format: base_format,
                quant: &base_quant,
            },
            steps,
            None,
            opts,
            obs,
        ) {
            Ok(b) => b,
            Err(e) => {
                let msg = format!("baseline run failed: {e:#}");
                obs.on_event(&HarnessEvent::Log {
                    level: LogLevel::Error,
                    message: format!("verify {}: {msg}", first.label.model),
                });
                for p in points {
                    rows.push(row(p, Verdict::Flagged, None, Some(msg.clone())));
                }
                continue;
            }
        };
        let forced: Vec<u32> = base.tokens[..steps.min(base.tokens.len())].to_vec();
        for p in points {
            if p.label.backend == "reference" && p.format == base_format && p.quant == base_quant {
                let a = compare(&base.logits, &base.logits, base.vocab);
                rows.push(row(p, Verdict::Baseline, a, None));
                continue;
            }
            let is_f32 = p.quant == "f32";
            match run_one(
                p,
                Variant {
                    backend: &p.label.backend,
                    format: p.format,
                    quant: &p.quant,
                },
                steps,
                Some(forced.clone()),
                opts,
                obs,
            ) {
                Err(e) => rows.push(row(
                    p,
                    if is_f32 {
                        Verdict::Flagged
                    } else {
                        Verdict::Measured
                    },
                    None,
                    Some(format!("run failed: {e:#}")),
                )),
                Ok(r) => match compare(&base.logits, &r.logits, base.vocab) {
                    None => rows.push(row(
                        p,
                        Verdict::Flagged,
                        None,
                        Some(format!(
                            "logits shape differs: vocab {} vs {}, {} vs {} values",
                            base.vocab,
                            r.vocab,
                            base.logits.len(),
                            r.logits.len()
                        )),
                    )),
                    Some(a) if is_f32 => {
                        let (verdict, note) = f32_verdict(Some(&a), f32_tolerance);
                        rows.push(row(p, verdict, Some(a), note));
                    }
                    Some(a) => rows.push(row(p, Verdict::Measured, Some(a), None)),
                },
            }
        }
    }
    AgreementReport {
        steps,
        f32_tolerance,
        rows,
    }
}
