//! A/B of the vendored quantized llama (`src/quantized_llama.rs`) against the published
//! `candle_transformers::models::quantized_llama`, in alternated rounds: each round loads the
//! same GGUF in both and times a 32-token prefill plus 64 decode steps, A then B, then B then A
//! the next round, so drifts of a shared machine hit both alike. Prints decode tok/s per round
//! and the median ratio. Run: `cargo bench -p edgebench-candle --bench vendored_ab`
//! (`EDGEBENCH_AB_ROUNDS`, default 6; `EDGEBENCH_AB_PRESET` tiny|stories15m, default stories15m).

use candle_core::quantized::gguf_file::Content;
use candle_core::{Device, Tensor};
use edgebench_reference::synth::{write_preset_gguf, Preset, SynthQuant};
use std::path::Path;
use std::time::Instant;

const PROMPT: usize = 32;
const DECODE: usize = 64;

/// Decode tokens per second of one model over `DECODE` steps after a `PROMPT` prefill.
fn decode_tok_s(mut fwd: impl FnMut(&Tensor, usize) -> Tensor) -> f64 {
    let prompt: Vec<u32> = (0..PROMPT as u32).map(|i| (i * 37 + 11) % 200).collect();
    let x = Tensor::new(prompt.as_slice(), &Device::Cpu)
        .unwrap()
        .unsqueeze(0)
        .unwrap();
    let _ = fwd(&x, 0);
    let start = Instant::now();
    for i in 0..DECODE {
        let t = ((i * 53 + 7) % 200) as u32;
        let x = Tensor::new(&[t], &Device::Cpu)
            .unwrap()
            .unsqueeze(0)
            .unwrap();
        let l = fwd(&x, PROMPT + i);
        std::hint::black_box(l.flatten_all().unwrap().to_vec1::<f32>().unwrap());
    }
    DECODE as f64 / start.elapsed().as_secs_f64()
}

fn vendored(path: &Path) -> f64 {
    let mut f = std::fs::File::open(path).unwrap();
    let ct = Content::read(&mut f).unwrap();
    let mut m =
        edgebench_candle::vendored::ModelWeights::from_gguf(ct, &mut f, &Device::Cpu).unwrap();
    decode_tok_s(|x, pos| m.forward(x, pos).unwrap())
}

fn upstream(path: &Path) -> f64 {
    let mut f = std::fs::File::open(path).unwrap();
    let ct = Content::read(&mut f).unwrap();
    let mut m = candle_transformers::models::quantized_llama::ModelWeights::from_gguf(
        ct,
        &mut f,
        &Device::Cpu,
    )
    .unwrap();
    decode_tok_s(|x, pos| m.forward(x, pos).unwrap())
}

fn main() {
    let rounds: usize = std::env::var("EDGEBENCH_AB_ROUNDS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(6);
    let preset = match std::env::var("EDGEBENCH_AB_PRESET").as_deref() {
        Ok("tiny") => Preset::Tiny,
        _ => Preset::Stories15m,
    };
    let dir = tempfile::tempdir().unwrap();
    for quant in [SynthQuant::F32, SynthQuant::Q8_0, SynthQuant::Q4_0] {
        let path = dir
            .path()
            .join(format!("{}-{}.gguf", preset.name(), quant.name()));
        write_preset_gguf(preset, 42, quant, &path).unwrap();
        let mut ratios = Vec::new();
        for round in 0..rounds {
            let (v, u) = if round % 2 == 0 {
                let v = vendored(&path);
                (v, upstream(&path))
            } else {
                let u = upstream(&path);
                (vendored(&path), u)
            };
            println!(
                "{} {} round {round}: vendored {v:.1} tok/s, candle-transformers {u:.1} tok/s",
                preset.name(),
                quant.name()
            );
            ratios.push(v / u);
        }
        ratios.sort_by(f64::total_cmp);
        println!(
            "{} {}: median vendored/upstream decode tok/s = {:.3} over {rounds} alternated rounds",
            preset.name(),
            quant.name(),
            ratios[rounds / 2]
        );
    }
}
