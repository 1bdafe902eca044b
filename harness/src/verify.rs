//! The agreement gate: before comparing speed, prove the backends compute the same function.
//! For every synthesized weight set, the reference engine on the f32 GGUF runs greedy decoding
//! and is the baseline; every other variant (another backend, another file format, a
//! quantization) is fed the baseline's tokens (teacher forcing) and its logits are compared at
//! every position. f32 variants must give identical greedy tokens and max |Δlogit| within
//! tolerance, or they are flagged; quantized variants report top-1 agreement and mean KL.
//!
//! For a model with a tokenizer and a held-out passage ([`passage`]), every variant is also
//! teacher-forced over the passage: its perplexity, and KL divergence and top-1 agreement against
//! the f32 baseline over the same positions ([`perplexity`]), as llama.cpp's `perplexity` tool
//! reports them.

mod passage;
pub mod perplexity;

use anyhow::{Context, Result};
use edgebench_backend::agreement::compare;
use edgebench_backend::ModelFormat;
use std::collections::BTreeMap;
use std::time::Duration;

use crate::events::{HarnessEvent, LogLevel, Observer, WorkerEvent};
use crate::models::materialize;
use crate::plan::{ModelSource, PlanPoint, PromptSpec, RunPlan};
use crate::results::{f32_verdict, AgreementReport, AgreementRow, PassageQuality, Verdict};
use crate::spawn::{spawn_worker, RunOptions};
use crate::worker::{PassageWindows, VerifyRequest, WorkerPoint};

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
    context_length: usize,
}

/// Which backend runs which file of a point's model, on which prompt.
struct Variant<'a> {
    backend: &'a str,
    format: ModelFormat,
    quant: &'a str,
    prompt: &'a PromptSpec,
}

impl<'a> Variant<'a> {
    /// The point itself, on its own prompt.
    fn of(p: &'a PlanPoint) -> Self {
        Variant {
            backend: &p.label.backend,
            format: p.format,
            quant: &p.quant,
            prompt: &p.prompt,
        }
    }
}

/// What a verify worker runs: prefill and `steps` decode steps (greedy, or feeding `forced`),
/// or the windows of a passage.
enum Ask {
    Steps {
        steps: usize,
        forced: Option<Vec<u32>>,
    },
    Windows(PassageWindows),
}

fn run_one(
    point: &PlanPoint,
    v: Variant<'_>,
    ask: Ask,
    opts: &RunOptions,
    obs: &mut dyn Observer,
) -> Result<Run> {
    let Variant {
        backend,
        format,
        quant,
        prompt,
    } = v;
    let path = materialize(&point.source, format, quant, &opts.model_dir)?;
    let prompt = &crate::worker::resolve_prompt(prompt, &path).map_err(anyhow::Error::msg)?;
    let dir = opts.out_dir.join(".verify");
    std::fs::create_dir_all(&dir).with_context(|| format!("creating {}", dir.display()))?;
    let logits_out = dir.join(format!("{backend}-{quant}-{}.f32", format.as_str()));
    let (max_seq_len, request) = match ask {
        Ask::Steps { steps, forced } => (
            prompt.len() + steps + 2,
            VerifyRequest {
                steps,
                forced,
                logits_out: logits_out.clone(),
                windows: None,
            },
        ),
        Ask::Windows(w) => (
            w.tokens.iter().map(Vec::len).max().unwrap_or(0),
            VerifyRequest {
                steps: 0,
                forced: None,
                logits_out: logits_out.clone(),
                windows: Some(w),
            },
        ),
    };
    let wp = WorkerPoint {
        backend: backend.to_string(),
        spec: edgebench_backend::ModelSpec {
            path,
            format,
            quant: Some(quant.to_string()),
        },
        load: edgebench_backend::LoadOptions {
            threads: 1,
            max_seq_len,
        },
        prompt: prompt.clone(),
        gen_tokens: 0,
        runs: crate::scenario::Repetitions::exactly(0, 0),
        cold_load: false,
        verify: Some(request),
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
    let (vocab, context_length) = o
        .events
        .iter()
        .find_map(|e| match e {
            WorkerEvent::Loaded { model_info, .. } => {
                Some((model_info.vocab_size, model_info.context_length))
            }
            _ => None,
        })
        .unwrap_or((0, 0));
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
        context_length,
    })
}

/// The passage run of one variant: every window teacher-forced.
fn run_passage(
    point: &PlanPoint,
    v: &Variant<'_>,
    passage: &passage::Passage,
    opts: &RunOptions,
    obs: &mut dyn Observer,
) -> Result<Run> {
    let ask = Ask::Windows(passage.windows.clone());
    run_one(point, Variant { ..*v }, ask, opts, obs)
}

/// Every variant's [`PassageQuality`] (in `points` order; the first point's model gives the
/// passage and the baseline's file its tokenizer), null with the reason when there is no
/// passage or a run fails. Logs how long the passage runs took (the gate's added cost).
fn passage_qualities(
    points: &[&PlanPoint],
    failed: &[Option<String>],
    base: &Variant<'_>,
    context_length: usize,
    opts: &RunOptions,
    obs: &mut dyn Observer,
) -> Vec<PassageQuality> {
    let started = std::time::Instant::now();
    let first = points[0];
    let all = |reason: String| vec![PassageQuality::unmeasured(reason); points.len()];
    let prepared = materialize(&first.source, base.format, base.quant, &opts.model_dir)
        .map_err(|e| format!("not measured: {e:#}"))
        .and_then(|file| passage::prepare(first, &file, context_length));
    let text = match prepared {
        Ok(p) => p,
        Err(reason) => return all(reason),
    };
    let base_run = match run_passage(first, base, &text, opts, obs) {
        Ok(r) => r,
        Err(e) => {
            return all(format!(
                "not measured: the baseline's passage run failed: {e:#}"
            ))
        }
    };
    let Some(baseline) = passage::Baseline::new(&text, &base_run.logits, base_run.vocab) else {
        return all("not measured: the baseline's passage logits do not score the passage".into());
    };
    let out = points
        .iter()
        .zip(failed)
        .map(|(p, failed)| {
            if let Some(note) = failed {
                return PassageQuality::unmeasured(note.clone());
            }
            if p.label.backend == base.backend && p.format == base.format && p.quant == base.quant {
                return baseline.quality(&base_run.logits, base_run.vocab);
            }
            match run_passage(p, &Variant::of(p), &text, opts, obs) {
                Ok(r) => baseline.quality(&r.logits, r.vocab),
                // The prefix the agreement notes use, so markdown keys the same reason once.
                Err(e) => PassageQuality::unmeasured(format!("run failed: {e:#}")),
            }
        })
        .collect();
    obs.on_event(&HarnessEvent::Log {
        level: LogLevel::Info,
        message: format!(
            "verify {}: perplexity and KL over {} scored passage tokens ({} windows of {}) for {} variants in {:.1} s",
            first.label.model,
            text.targets.len(),
            text.windows.tokens.len(),
            text.window_len(),
            points.len(),
            started.elapsed().as_secs_f64()
        ),
    });
    out
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
            ModelSource::Synth { .. } | ModelSource::Trained { .. } => {
                (ModelFormat::Gguf, "f32".to_string())
            }
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
            passage: PassageQuality::unmeasured("not measured: no baseline to compare against"),
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
        let base_variant = Variant {
            backend: "reference",
            format: base_format,
            quant: &base_quant,
            prompt: &first.prompt,
        };
        let greedy = Ask::Steps {
            steps,
            forced: None,
        };
        let base = match run_one(first, Variant { ..base_variant }, greedy, opts, obs) {
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
        let start = rows.len();
        for p in points {
            if p.label.backend == "reference" && p.format == base_format && p.quant == base_quant {
                let a = compare(&base.logits, &base.logits, base.vocab);
                rows.push(row(p, Verdict::Baseline, a, None));
                continue;
            }
            let is_f32 = p.quant == "f32";
            let ask = Ask::Steps {
                steps,
                forced: Some(forced.clone()),
            };
            match run_one(p, Variant::of(p), ask, opts, obs) {
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
        // A variant whose greedy run failed is not run again: its note is the passage's reason.
        let failed: Vec<Option<String>> = rows[start..]
            .iter()
            .map(|r| {
                r.agreement
                    .is_none()
                    .then(|| r.note.clone().unwrap_or_default())
            })
            .collect();
        let qualities = passage_qualities(
            points,
            &failed,
            &base_variant,
            base.context_length,
            opts,
            obs,
        );
        for (r, q) in rows[start..].iter_mut().zip(qualities) {
            r.passage = q;
        }
    }
    AgreementReport {
        steps,
        f32_tolerance,
        rows,
    }
}
