//! Quick decode-speed check (not the harness): synthesize a preset in each type, prefill 64
//! tokens, greedy-decode 128, print tokens/s.
//! `cargo run --release --example decode_speed -- [PRESET] [DIR]` (default stories15m, /tmp);
//! `THREADS=2` for two compute threads.

use edgebench_backend::{argmax, Backend, LoadOptions, ModelFormat, ModelSpec};
use edgebench_reference::synth::{write_preset_gguf, Preset, SynthQuant};
use edgebench_reference::ReferenceBackend;
use std::time::Instant;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let preset: Preset = args.first().map_or("stories15m", String::as_str).parse()?;
    let dir = std::path::PathBuf::from(args.get(1).map_or("/tmp", String::as_str));
    let threads: usize = std::env::var("THREADS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1);
    for q in [
        SynthQuant::F32,
        SynthQuant::Q8_0,
        SynthQuant::Q4_0,
        SynthQuant::Q4KM,
    ] {
        let path = dir.join(format!("{preset}-{q}.gguf"));
        let t = Instant::now();
        write_preset_gguf(preset, 42, q, &path)?;
        let synth_s = t.elapsed().as_secs_f64();
        let spec = ModelSpec {
            path: path.clone(),
            format: ModelFormat::Gguf,
            quant: None,
        };
        let model = ReferenceBackend.load(
            &spec,
            &LoadOptions {
                threads,
                max_seq_len: 256,
            },
        )?;
        let vocab = model.info().vocab_size as u32;
        let prompt: Vec<u32> = (0..64).map(|i| (i * 131 + 7) % vocab).collect();
        let mut best_prefill = f64::MAX;
        let mut best_decode = f64::MAX;
        for _ in 0..3 {
            let mut s = model.session()?;
            let t = Instant::now();
            let mut logits = s.prefill(&prompt)?;
            best_prefill = best_prefill.min(t.elapsed().as_secs_f64());
            let t = Instant::now();
            for _ in 0..128 {
                logits = s.step(argmax(&logits).unwrap_or(0))?;
            }
            best_decode = best_decode.min(t.elapsed().as_secs_f64());
        }
        println!(
            "{preset} {q:5}: synth {synth_s:.2}s, prefill 64: {:.1} tok/s, decode 128: {:.1} tok/s ({:.2} ms/token), weight_types {}",
            64.0 / best_prefill,
            128.0 / best_decode,
            best_decode / 128.0 * 1e3,
            model.info().weight_types
        );
    }
    Ok(())
}
