//! The worker process (`edgebench worker -`, its point as JSON on stdin; or `edgebench worker
//! POINT.json`): loads one model in one backend, runs
//! warmup and measured repetitions of prefill + greedy decode, and streams JSON-lines events on
//! stdout. Only this process is timed; the parent watches it from outside. A panic, an error or
//! a crash here ends this point only, and so do logits that are not finite or all equal.

mod cold;
mod prompt;
#[cfg(test)]
mod tests;

use anyhow::Context;
use edgebench_backend::{argmax, BackendError, LoadOptions, Model, ModelSpec};
use serde::{Deserialize, Serialize};
use std::io::{Read, Write};
use std::path::Path;
use std::time::{Duration, Instant};

use crate::clock::mono_ns;
use crate::events::{RunKind, WorkerEvent};
use crate::plan::PromptSpec;
use crate::scenario::Repetitions;

pub use prompt::{decode_runs, prompt_ids, resolve_prompt};

/// Everything a worker needs, written by the parent as JSON.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct WorkerPoint {
    pub backend: String,
    pub spec: ModelSpec,
    pub load: LoadOptions,
    pub prompt: PromptSpec,
    pub gen_tokens: usize,
    pub runs: Repetitions,
    pub cold_load: bool,
    /// Agreement check instead of timing (see [`crate::verify`]).
    #[serde(default)]
    pub verify: Option<VerifyRequest>,
}

/// A verify run: one prefill plus `steps` decode steps, every logit vector written to
/// `logits_out` (little-endian f32, one row per position). With `forced`, the decode steps feed
/// those tokens (teacher forcing, so quantized variants are compared on the same inputs);
/// without, they feed the greedy choice.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct VerifyRequest {
    pub steps: usize,
    pub forced: Option<Vec<u32>>,
    pub logits_out: std::path::PathBuf,
    /// Teacher-forced windows of a text passage instead (`steps` and `forced` unused).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub windows: Option<PassageWindows>,
}

/// Windows of a held-out passage, as llama.cpp's `perplexity` evaluates them: each in a fresh
/// session, its first token as the prompt and the rest forced, and the logits of positions
/// `score_from..len − 1` of each written (position `i` predicts token `i + 1`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PassageWindows {
    pub tokens: Vec<Vec<u32>>,
    pub score_from: usize,
}

/// The point-file argument that means "read the point from stdin" (what the parent passes).
pub const POINT_ON_STDIN: &str = "-";

/// The most bytes of point JSON a worker reads (an explicit prompt of 2^20 ids fits).
const MAX_POINT_BYTES: u64 = 64 << 20;

/// Exit codes a worker uses (the parent also sees signals).
pub const EXIT_ERROR: i32 = 2;
pub const EXIT_PANIC: i32 = 3;

fn emit(out: &mut impl Write, event: &WorkerEvent) -> std::io::Result<()> {
    serde_json::to_writer(&mut *out, event)?;
    out.write_all(b"\n")?;
    out.flush()
}

/// Peak resident set (VmHWM) of this process, from /proc/self/status.
pub fn own_peak_rss_bytes() -> Option<u64> {
    crate::rss::read_status_kib(Path::new("/proc/self/status"), "VmHWM:").map(|k| k * 1024)
}

/// The event stream: the original stdout. File descriptor 1 is pointed at stderr afterwards, so
/// a runtime that prints to stdout (C++ libraries do) cannot corrupt the JSON-lines protocol.
fn event_stream() -> std::fs::File {
    crate::sys::take_stdout()
}

/// The point's JSON from stdin (`-`) or a file, at most [`MAX_POINT_BYTES`].
fn read_point(point_file: &Path) -> anyhow::Result<WorkerPoint> {
    let mut text = Vec::new();
    if point_file == Path::new(POINT_ON_STDIN) {
        std::io::stdin()
            .lock()
            .take(MAX_POINT_BYTES)
            .read_to_end(&mut text)
            .context("reading the worker point from stdin")?;
    } else {
        std::fs::File::open(point_file)
            .and_then(|f| f.take(MAX_POINT_BYTES).read_to_end(&mut text))
            .with_context(|| format!("reading worker point file {}", point_file.display()))?;
    }
    serde_json::from_slice(&text).context("parsing the worker point")
}

/// Why a logit vector cannot be trusted: a value that is NaN or infinite, or every value equal
/// (greedy decoding then picks token 0 whatever the input). `None` when it looks sound.
pub fn logits_problem(logits: &[f32]) -> Option<String> {
    let bad = logits.iter().filter(|x| !x.is_finite()).count();
    if bad > 0 {
        return Some(format!(
            "{bad} of {} logits are not finite (NaN or infinite)",
            logits.len()
        ));
    }
    match logits {
        [first, rest @ ..] if !rest.is_empty() && rest.iter().all(|x| x == first) => Some(format!(
            "all {} logits are equal ({first}), so no token is preferred",
            logits.len()
        )),
        _ => None,
    }
}

fn check_logits(logits: &[f32], at: &str) -> Result<(), WorkerFailure> {
    match logits_problem(logits) {
        Some(p) => Err(WorkerFailure::Output(format!(
            "{at}: {p}; the model file (check it with `edgebench model inspect`) or the runtime \
             computes garbage, so this point is not measured"
        ))),
        None => Ok(()),
    }
}

/// Entry point of `edgebench worker`. Returns the process exit code.
pub fn main(point_file: &Path) -> i32 {
    let mut out = std::io::BufWriter::new(event_stream());
    let point: WorkerPoint = match read_point(point_file) {
        Ok(p) => p,
        Err(e) => {
            let _ = emit(&mut out, &error_event("invalid_point", format!("{e:#}")));
            return EXIT_ERROR;
        }
    };
    // A panic inside a backend must end as an event, not as a silent exit.
    let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| run(&point, &mut out)));
    match result {
        Ok(Ok(())) => 0,
        Ok(Err(e)) => {
            let _ = emit(&mut out, &error_event(e.kind(), e.to_string()));
            EXIT_ERROR
        }
        Err(panic) => {
            let msg = panic
                .downcast_ref::<String>()
                .cloned()
                .or_else(|| panic.downcast_ref::<&str>().map(|s| s.to_string()))
                .unwrap_or_else(|| "unknown panic payload".into());
            let _ = emit(
                &mut out,
                &error_event(
                    "panic",
                    format!("backend `{}` panicked: {msg}", point.backend),
                ),
            );
            EXIT_PANIC
        }
    }
}

fn error_event(kind: &str, message: String) -> WorkerEvent {
    WorkerEvent::Error {
        t_ns: mono_ns(),
        kind: kind.to_string(),
        message,
    }
}

/// Why a run failed: a backend error, or the event pipe closed (parent gone).
enum WorkerFailure {
    Backend(BackendError),
    Io(std::io::Error),
    Harness(String),
    /// The backend returned logits that cannot be trusted (not finite, all equal).
    Output(String),
    /// The point's input cannot be made (a text prompt without a tokenizer).
    Input(String),
}

impl WorkerFailure {
    fn kind(&self) -> &str {
        match self {
            WorkerFailure::Backend(e) => e.kind(),
            WorkerFailure::Io(_) => "io",
            WorkerFailure::Harness(_) => "harness",
            WorkerFailure::Output(_) => "runtime",
            WorkerFailure::Input(_) => "invalid_input",
        }
    }
}

impl std::fmt::Display for WorkerFailure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            WorkerFailure::Backend(e) => write!(f, "{e}"),
            WorkerFailure::Io(e) => write!(f, "writing events: {e}"),
            WorkerFailure::Harness(m) | WorkerFailure::Output(m) | WorkerFailure::Input(m) => {
                f.write_str(m)
            }
        }
    }
}

impl From<BackendError> for WorkerFailure {
    fn from(e: BackendError) -> Self {
        WorkerFailure::Backend(e)
    }
}
impl From<std::io::Error> for WorkerFailure {
    fn from(e: std::io::Error) -> Self {
        WorkerFailure::Io(e)
    }
}

fn run(p: &WorkerPoint, out: &mut impl Write) -> Result<(), WorkerFailure> {
    let backend =
        crate::registry::by_name(&p.backend).map_err(|e| WorkerFailure::Harness(e.to_string()))?;
    backend.check()?;
    let (cold_evicted, cold_note) = if p.cold_load {
        let r = cold::evict(&p.spec.path);
        (Some(r.evicted), Some(r.note))
    } else {
        (None, None)
    };
    emit(out, &WorkerEvent::LoadStarted { t_ns: mono_ns() })?;
    let t0 = Instant::now();
    let model = backend.load(&p.spec, &p.load)?;
    let load_ns = t0.elapsed().as_nanos() as u64;
    let info = model.info();
    emit(
        out,
        &WorkerEvent::Loaded {
            t_ns: mono_ns(),
            load_ns,
            model_info: info.clone(),
            backend_info: backend.describe(),
            peak_rss_bytes: own_peak_rss_bytes(),
            cold_evicted,
            cold_note,
        },
    )?;
    let prompt = match resolve_prompt(&p.prompt, &p.spec.path).map_err(WorkerFailure::Input)? {
        PromptSpec::Explicit(ids) => ids,
        PromptSpec::Random { n, seed } => prompt_ids(seed, n, info.vocab_size),
        PromptSpec::Text(_) => unreachable!("resolve_prompt encodes text"),
    };
    if let Some(v) = &p.verify {
        match &v.windows {
            Some(w) => passage_run(model.as_ref(), w, &v.logits_out, out)?,
            None => verify_run(model.as_ref(), &prompt, v, out)?,
        }
        emit(
            out,
            &WorkerEvent::Finished {
                t_ns: mono_ns(),
                peak_rss_bytes: own_peak_rss_bytes(),
            },
        )?;
        return Ok(());
    }
    check_context(
        prompt.len(),
        p.gen_tokens,
        info.context_length,
        &p.spec.path,
    )?;
    for run in 0..p.runs.warmup {
        one_run(
            model.as_ref(),
            &prompt,
            p.gen_tokens,
            run,
            RunKind::Warmup,
            out,
        )?;
    }
    let started = Instant::now();
    // Validation bounds it; a hand-written point file must not panic here either.
    let min = Duration::try_from_secs_f64(p.runs.min_duration_s).unwrap_or(Duration::MAX);
    let mut run = 0;
    while run < p.runs.repetitions || (started.elapsed() < min && run < p.runs.max_repetitions) {
        one_run(
            model.as_ref(),
            &prompt,
            p.gen_tokens,
            run,
            RunKind::Measured,
            out,
        )?;
        run += 1;
    }
    emit(
        out,
        &WorkerEvent::Finished {
            t_ns: mono_ns(),
            peak_rss_bytes: own_peak_rss_bytes(),
        },
    )?;
    Ok(())
}

/// Agreement run: untimed, writes every position's logits.
fn verify_run(
    model: &dyn Model,
    prompt: &[u32],
    v: &VerifyRequest,
    out: &mut impl Write,
) -> Result<(), WorkerFailure> {
    let mut file = std::io::BufWriter::new(std::fs::File::create(&v.logits_out)?);
    let mut session = model.session()?;
    let mut logits = session.prefill(prompt)?;
    let mut tokens = Vec::with_capacity(v.steps.min(1 << 16) + 1);
    for i in 0..=v.steps {
        for x in &logits {
            file.write_all(&x.to_le_bytes())?;
        }
        let greedy = argmax(&logits).ok_or_else(|| {
            WorkerFailure::Harness(format!("position {i}: empty or all-NaN logits"))
        })?;
        tokens.push(greedy);
        if i == v.steps {
            break;
        }
        let next = v
            .forced
            .as_ref()
            .and_then(|f| f.get(i).copied())
            .unwrap_or(greedy);
        logits = session.step(next)?;
    }
    logits_written(file, tokens, out)
}

/// The end of a verify or passage run: the logits file flushed, the run's tokens reported.
fn logits_written(
    mut file: impl Write,
    tokens: Vec<u32>,
    out: &mut impl Write,
) -> Result<(), WorkerFailure> {
    file.flush()?;
    emit(
        out,
        &WorkerEvent::RunFinished {
            t_ns: mono_ns(),
            run: 0,
            kind: RunKind::Measured,
            tokens,
        },
    )?;
    Ok(())
}

/// Passage run: every window teacher-forced, the scored positions' logits written back to back;
/// the event's tokens are each written row's argmax.
fn passage_run(
    model: &dyn Model,
    w: &PassageWindows,
    logits_out: &Path,
    out: &mut impl Write,
) -> Result<(), WorkerFailure> {
    let mut file = std::io::BufWriter::new(std::fs::File::create(logits_out)?);
    let mut tokens = Vec::new();
    for window in w.tokens.iter().filter(|t| t.len() >= 2) {
        let mut session = model.session()?;
        // Positions 0..len − 1 have a next token to predict; position p sees tokens 0..=p.
        let mut logits = session.prefill(&window[..1])?;
        for pos in 0..window.len() - 1 {
            if pos >= w.score_from {
                for x in &logits {
                    file.write_all(&x.to_le_bytes())?;
                }
                tokens.push(argmax(&logits).unwrap_or(u32::MAX));
            }
            if pos + 2 < window.len() {
                logits = session.step(window[pos + 1])?;
            }
        }
    }
    logits_written(file, tokens, out)
}

/// Refuses a point whose prompt and generated tokens need more positions than the model was
/// built for (`prompt + gen - 1`: the last generated token is never fed back). Every backend
/// must refuse it alike: a runtime that computes past the context (RoPE extrapolates silently)
/// would report speed and tokens for a configuration the model does not support.
fn check_context(
    prompt_tokens: usize,
    gen_tokens: usize,
    context_length: usize,
    model: &std::path::Path,
) -> Result<(), WorkerFailure> {
    let positions = prompt_tokens + gen_tokens.saturating_sub(1);
    if positions > context_length {
        return Err(WorkerFailure::Input(format!(
            "a prompt of {prompt_tokens} tokens and {gen_tokens} generated need {positions} positions, more than the context of {} ({context_length} positions); lower `gen_tokens` or the prompt length in the scenario",
            model.display()
        )));
    }
    Ok(())
}

/// Prefill then greedy decode until `gen_tokens` tokens exist (the first comes from the prefill).
/// Only the backend call sits between the two clock reads.
fn one_run(
    model: &dyn Model,
    prompt: &[u32],
    gen_tokens: usize,
    run: usize,
    kind: RunKind,
    out: &mut impl Write,
) -> Result<(), WorkerFailure> {
    let mut session = model.session()?;
    emit(
        out,
        &WorkerEvent::RunStarted {
            t_ns: mono_ns(),
            run,
            kind,
        },
    )?;
    let t = Instant::now();
    let logits = session.prefill(prompt)?;
    let latency_ns = t.elapsed().as_nanos() as u64;
    check_logits(&logits, "prefill")?;
    let mut token = argmax(&logits)
        .ok_or_else(|| WorkerFailure::Harness("prefill returned empty or all-NaN logits".into()))?;
    emit(
        out,
        &WorkerEvent::Prefill {
            t_ns: mono_ns(),
            run,
            prompt_tokens: prompt.len(),
            latency_ns,
            token,
        },
    )?;
    let mut tokens = Vec::with_capacity(gen_tokens.min(1 << 16));
    tokens.push(token);
    for index in 0..gen_tokens.saturating_sub(1) {
        let t = Instant::now();
        let logits = session.step(token)?;
        let latency_ns = t.elapsed().as_nanos() as u64;
        check_logits(&logits, &format!("decode step {index}"))?;
        token = argmax(&logits).ok_or_else(|| {
            WorkerFailure::Harness(format!(
                "decode step {index} returned empty or all-NaN logits"
            ))
        })?;
        tokens.push(token);
        emit(
            out,
            &WorkerEvent::Token {
                t_ns: mono_ns(),
                run,
                index,
                token,
                latency_ns,
            },
        )?;
    }
    emit(
        out,
        &WorkerEvent::RunFinished {
            t_ns: mono_ns(),
            run,
            kind,
            tokens,
        },
    )?;
    Ok(())
}
