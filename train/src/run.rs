//! The training loop: tokenizer, split, AdamW steps with a progress bar (loss, tokens/s),
//! validation loss every `eval_every` steps, weight checkpoints, and the final report.

use crate::corpus::{self, Corpus};
use crate::data::{eval_windows, Batches};
use crate::export::{save_weights, weights_of};
use crate::model::{self, Params, Rope};
use crate::{TrainError, TrainPreset, TRAIN_CODE_VERSION};
use candle_core::{Device, Tensor};
use candle_nn::{AdamW, Optimizer, ParamsAdamW};
use edgebench_reference::synth::LlamaWeights;
use edgebench_tokenizer::Tokenizer;
use rand::SeedableRng;
use rand_pcg::Pcg64;
use serde::{Deserialize, Serialize};
use std::path::PathBuf;
use std::time::Instant;

/// What to train and where to put checkpoints.
#[derive(Debug, Clone)]
pub struct TrainOptions {
    pub preset: TrainPreset,
    pub seed: u64,
    /// Weight checkpoints (`checkpoint-step<N>.safetensors`) go here; `None`: none written.
    pub checkpoint_dir: Option<PathBuf>,
    /// Draw a progress bar on stderr.
    pub progress: bool,
    /// Stop after this many steps instead of the preset's (for experiments; the learning-rate
    /// schedule still spans the preset's steps). The harness never sets it.
    pub stop_after: Option<usize>,
}

/// One point of the loss curve.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CurvePoint {
    pub step: usize,
    /// Mean training loss (nats/token) over the steps since the previous point.
    pub train_loss: f64,
    pub valid_loss: f64,
    pub lr: f64,
}

/// The final report (written as `training.json` beside cached models).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TrainReport {
    pub preset: String,
    pub seed: u64,
    pub code_version: u32,
    pub corpus_sha256: String,
    pub corpus_source: String,
    pub split: String,
    pub parameters: usize,
    pub vocab_size: usize,
    pub seq_len: usize,
    pub batch: usize,
    pub steps: usize,
    pub train_tokens: usize,
    pub valid_tokens: usize,
    pub tokens_seen: usize,
    pub epochs: f64,
    pub final_train_loss: f64,
    pub final_valid_loss: f64,
    pub valid_perplexity: f64,
    /// Wall time of tokenizer training and corpus encoding, seconds.
    pub tokenizer_time_s: f64,
    /// Wall time of tokenizer training plus model training, seconds.
    pub train_time_s: f64,
    pub tokens_per_s: f64,
    /// candle's CPU pool size (`CANDLE_NUM_THREADS`, default 1) when this process started it.
    pub threads: usize,
    pub curve: Vec<CurvePoint>,
}

/// A trained model with its tokenizer and the held-out evaluation passage.
#[derive(Debug, Clone)]
pub struct Trained {
    pub weights: LlamaWeights,
    pub tokenizer: Tokenizer,
    pub report: TrainReport,
    pub eval_text: String,
}

fn mean_loss(
    p: &Params,
    rope: &Rope,
    x: &[u32],
    y: &[u32],
    n: usize,
    seq: usize,
) -> Result<f64, TrainError> {
    if n == 0 {
        return Ok(f64::NAN);
    }
    let dev = Device::Cpu;
    let mut total = 0.0;
    let chunk = 16;
    let mut i = 0;
    while i < n {
        let k = chunk.min(n - i);
        let xs = Tensor::from_slice(&x[i * seq..(i + k) * seq], (k, seq), &dev)?;
        let ys = Tensor::from_slice(&y[i * seq..(i + k) * seq], (k, seq), &dev)?;
        total += f64::from(model::loss(p, rope, &xs, &ys)?.to_scalar::<f32>()?) * k as f64;
        i += k;
    }
    Ok(total / n as f64)
}

/// The thread count candle's CPU pool gets when training starts it: `CANDLE_NUM_THREADS` if
/// set, else 1. Measured on the 2-core Xeon VM (kjv-micro, load ~5 from other builds): 14,221
/// tokens/s on 1 thread against 3,526 on 2, whose spin barrier waits on every small op; one
/// thread also makes the weights independent of the machine's core count.
const TRAIN_THREADS_DEFAULT: &str = "1";

/// Sets `CANDLE_NUM_THREADS` for the pool candle creates at its first op, and takes it away
/// again so that worker processes spawned later size their own pools.
struct PoolThreads {
    was_set: bool,
}

impl PoolThreads {
    fn pin() -> (PoolThreads, usize) {
        let was_set = std::env::var_os("CANDLE_NUM_THREADS").is_some();
        if !was_set {
            std::env::set_var("CANDLE_NUM_THREADS", TRAIN_THREADS_DEFAULT);
        }
        let n = std::env::var("CANDLE_NUM_THREADS")
            .ok()
            .and_then(|v| v.parse().ok())
            .unwrap_or(1);
        (PoolThreads { was_set }, n)
    }
}

impl Drop for PoolThreads {
    fn drop(&mut self) {
        if !self.was_set {
            std::env::remove_var("CANDLE_NUM_THREADS");
        }
    }
}

/// Train `opts.preset` on `corpus`.
pub fn train(corpus: &Corpus, opts: &TrainOptions) -> Result<Trained, TrainError> {
    let (_pool, threads) = PoolThreads::pin();
    let start = Instant::now();
    let recipe = opts.preset.recipe();
    let split = corpus::split(&corpus.text);
    let tokenizer = Tokenizer::train(&split.train, recipe.config.vocab_size);
    let mut config = recipe.config.clone();
    config.vocab_size = tokenizer.vocab_size();
    let enc = |t: &str| {
        tokenizer
            .encode(t, false)
            .map_err(|e| TrainError::Invalid(e.to_string()))
    };
    let train_ids = enc(&split.train)?;
    let valid_ids = enc(&split.valid)?;
    let seq = recipe.seq_len;
    let mut batches = Batches::new(train_ids.clone(), seq);
    if batches.windows() < recipe.batch {
        return Err(TrainError::Corpus(format!(
            "the training text is {} tokens, too short for one batch of {}×{seq}; use a longer text",
            train_ids.len(),
            recipe.batch
        )));
    }
    let tokenizer_time_s = start.elapsed().as_secs_f64();
    let (vx, vy, vn) = eval_windows(&valid_ids, seq, recipe.eval_sequences);

    let dev = Device::Cpu;
    let mut init_rng = Pcg64::seed_from_u64(opts.seed);
    let mut data_rng = Pcg64::seed_from_u64(opts.seed ^ 0x5eed_da7a);
    let params = Params::init(&config, &mut init_rng, &dev)?;
    let rope = Rope::new(&config, seq, &dev)?;
    let (decayed, plain) = params.decayed_and_not();
    let adam = |vars, wd| {
        AdamW::new(
            vars,
            ParamsAdamW {
                lr: recipe.lr_at(0),
                beta1: 0.9,
                beta2: 0.95,
                eps: 1e-8,
                weight_decay: wd,
            },
        )
    };
    let mut opt_decay = adam(decayed, recipe.weight_decay)?;
    let mut opt_plain = adam(plain, 0.0)?;

    let bar = if opts.progress {
        let b = indicatif::ProgressBar::new(recipe.steps as u64);
        b.set_style(
            indicatif::ProgressStyle::with_template(
                "training {prefix} [{bar:30}] {pos}/{len} steps, {msg}, eta {eta}",
            )
            .expect("valid template")
            .progress_chars("=> "),
        );
        b.set_prefix(opts.preset.name());
        b
    } else {
        indicatif::ProgressBar::hidden()
    };
    let loop_start = Instant::now();
    let mut curve = Vec::new();
    let (mut since_sum, mut since_n) = (0.0, 0usize);
    let mut last_train = f64::NAN;
    let mut last_valid = f64::NAN;
    let steps = opts.stop_after.unwrap_or(recipe.steps).min(recipe.steps);
    for step in 0..steps {
        let lr = recipe.lr_at(step);
        opt_decay.set_learning_rate(lr);
        opt_plain.set_learning_rate(lr);
        let (x, y) = batches.next_batch(recipe.batch, &mut data_rng);
        let xs = Tensor::from_vec(x, (recipe.batch, seq), &dev)?;
        let ys = Tensor::from_vec(y, (recipe.batch, seq), &dev)?;
        let loss = model::loss(&params, &rope, &xs, &ys)?;
        let grads = loss.backward()?;
        opt_decay.step(&grads)?;
        opt_plain.step(&grads)?;
        let l = f64::from(loss.to_scalar::<f32>()?);
        since_sum += l;
        since_n += 1;
        let done = step + 1;
        let secs = loop_start.elapsed().as_secs_f64();
        bar.set_position(done as u64);
        bar.set_message(format!(
            "loss {l:.3}, {:.0} tokens/s",
            (done * recipe.batch * seq) as f64 / secs
        ));
        if done % recipe.eval_every.max(1) == 0 || done == steps {
            last_train = since_sum / since_n as f64;
            last_valid = mean_loss(&params, &rope, &vx, &vy, vn, seq)?;
            curve.push(CurvePoint {
                step: done,
                train_loss: last_train,
                valid_loss: last_valid,
                lr,
            });
            let line = format!(
                "step {done:>5}: train loss {last_train:.3}, valid loss {last_valid:.3} (ppl {:.1}), {:.0} s",
                last_valid.exp(),
                secs
            );
            match (opts.progress, bar.is_hidden()) {
                (true, true) => eprintln!("{line}"),
                (true, false) => bar.println(line),
                (false, _) => {}
            }
            (since_sum, since_n) = (0.0, 0);
        }
        if let Some(dir) = &opts.checkpoint_dir {
            if done % recipe.checkpoint_every.max(1) == 0 && done != steps {
                std::fs::create_dir_all(dir).map_err(|source| TrainError::Io {
                    path: dir.clone(),
                    source,
                })?;
                save_weights(
                    &weights_of(&params)?,
                    &dir.join(format!("checkpoint-step{done}.safetensors")),
                )?;
            }
        }
    }
    bar.finish_and_clear();
    let loop_s = loop_start.elapsed().as_secs_f64();
    let tokens_seen = steps * recipe.batch * seq;
    let report = TrainReport {
        preset: opts.preset.name().into(),
        seed: opts.seed,
        code_version: TRAIN_CODE_VERSION,
        corpus_sha256: corpus.sha256.clone(),
        corpus_source: corpus.source.clone(),
        split: split.how.clone(),
        parameters: params.parameter_count(),
        vocab_size: config.vocab_size,
        seq_len: seq,
        batch: recipe.batch,
        steps,
        train_tokens: train_ids.len(),
        valid_tokens: valid_ids.len(),
        tokens_seen,
        epochs: tokens_seen as f64 / train_ids.len() as f64,
        final_train_loss: last_train,
        final_valid_loss: last_valid,
        valid_perplexity: last_valid.exp(),
        tokenizer_time_s,
        train_time_s: start.elapsed().as_secs_f64(),
        tokens_per_s: tokens_seen as f64 / loop_s,
        threads,
        curve,
    };
    Ok(Trained {
        weights: weights_of(&params)?,
        tokenizer,
        report,
        eval_text: corpus::eval_passage(&split.valid),
    })
}
