//! Time one GGUF file on the reference engine and print one JSON line (used by
//! `scripts/bench-vs-llamacpp.sh`; the harness's `edgebench run` is the full tool).
//!
//! `bench_gguf MODEL --threads N --prompt-ids 1,2,3 --gen 128 --reps 3 [--greedy 32]`
//! prints best-of-reps prefill and decode tokens/s, the kernel set, the thread count, the
//! bytes of weights a decode step reads, and (with `--greedy K`) the first K greedy tokens.
//!
//! `bench_gguf MODEL --prompt-ids .. --force-ids 5,9,..` instead feeds the forced tokens one
//! by one after the prompt (teacher forcing) and prints, for each step before a forced token,
//! our argmax and its margin over the runner-up (top-1 agreement with another engine's greedy
//! run, without one divergence derailing the rest).

use edgebench_backend::{argmax, Backend, LoadOptions, ModelFormat, ModelSpec};
use edgebench_reference::ReferenceBackend;
use std::time::Instant;

fn arg<T: std::str::FromStr>(args: &[String], name: &str, default: T) -> T {
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1))
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let path = args.first().ok_or(
        "usage: bench_gguf MODEL [--threads N] [--prompt-ids ..] [--gen N] [--reps N] [--greedy K]",
    )?;
    let threads: usize = arg(&args, "--threads", 1);
    let gen: usize = arg(&args, "--gen", 128);
    let reps: usize = arg(&args, "--reps", 3);
    let greedy: usize = arg(&args, "--greedy", 0);
    let ids: String = arg(&args, "--prompt-ids", String::new());
    let forced: String = arg(&args, "--force-ids", String::new());
    let spec = ModelSpec {
        path: path.into(),
        format: ModelFormat::Gguf,
        quant: None,
    };
    let model = ReferenceBackend.load(
        &spec,
        &LoadOptions {
            threads,
            max_seq_len: 1024,
        },
    )?;
    let info = model.info();
    let prompt: Vec<u32> = if ids.is_empty() {
        (0..64)
            .map(|i| (i * 131 + 7) % info.vocab_size as u32)
            .collect()
    } else {
        ids.split(',')
            .map(|v| v.trim().parse())
            .collect::<Result<_, _>>()?
    };
    if !forced.is_empty() {
        let forced: Vec<u32> = forced
            .split(',')
            .map(|v| v.trim().parse())
            .collect::<Result<_, _>>()?;
        let mut s = model.session()?;
        let mut logits = s.prefill(&prompt)?;
        let (mut tops, mut margins) = (Vec::new(), Vec::new());
        for &t in &forced {
            let top = argmax(&logits).unwrap_or(0);
            let second = logits
                .iter()
                .enumerate()
                .filter(|&(i, _)| i != top as usize)
                .map(|(_, &v)| v)
                .fold(f32::NEG_INFINITY, f32::max);
            tops.push(top);
            margins.push(logits[top as usize] - second);
            logits = s.step(t)?;
        }
        println!("{{\"forced_argmax\":{tops:?},\"margins\":{margins:?}}}");
        return Ok(());
    }
    let (mut best_prefill, mut best_decode) = (f64::MAX, f64::MAX);
    for _ in 0..reps {
        let mut s = model.session()?;
        let t = Instant::now();
        let mut logits = s.prefill(&prompt)?;
        best_prefill = best_prefill.min(t.elapsed().as_secs_f64());
        // Time the engine calls only (as the llama.cpp driver times `llama_decode`).
        let mut decode = 0f64;
        for _ in 0..gen {
            let tok = argmax(&logits).unwrap_or(0);
            let t = Instant::now();
            logits = s.step(tok)?;
            decode += t.elapsed().as_secs_f64();
        }
        best_decode = best_decode.min(decode);
    }
    let mut tokens = Vec::new();
    if greedy > 0 {
        let mut s = model.session()?;
        let mut logits = s.prefill(&prompt)?;
        for _ in 0..greedy {
            let t = argmax(&logits).unwrap_or(0);
            tokens.push(t);
            logits = s.step(t)?;
        }
    }
    let d = ReferenceBackend.describe();
    println!(
        "{{\"engine\":\"reference\",\"vocab\":{},\"kernels\":\"{}\",\"threads\":{},\"prompt\":{},\"gen\":{},\"prefill_tok_s\":{:.3},\"decode_tok_s\":{:.3},\"weight_bytes\":{},\"weight_types\":\"{}\",\"weight_layout\":{:?},\"tuning\":{:?},\"tokens\":{:?}}}",
        info.vocab_size,
        d["kernels"],
        d["threads"],
        prompt.len(),
        gen,
        prompt.len() as f64 / best_prefill,
        gen as f64 / best_decode,
        info.weight_bytes.unwrap_or(0),
        info.weight_types,
        d["weight_layout"],
        d["tuning"],
        tokens
    );
    Ok(())
}
