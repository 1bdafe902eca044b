//! The vendored quantized llama (`src/quantized_llama.rs`) against the published
//! `candle_transformers::models::quantized_llama` it was copied from: same file in, the same
//! logits bit for bit, for every quantization the synthesizer writes, prefill and decode.

use candle_core::quantized::gguf_file::Content;
use candle_core::{Device, Tensor};
use edgebench_reference::synth::{write_preset_gguf, Preset, SynthQuant};
use std::path::Path;

/// Logits of a 7-token prefill then 5 greedy-free decode steps (fixed token ids).
fn run<M>(
    path: &Path,
    load: impl Fn(Content, &mut std::fs::File) -> M,
    fwd: impl Fn(&mut M, &Tensor, usize) -> Tensor,
) -> Vec<Vec<f32>> {
    let mut f = std::fs::File::open(path).unwrap();
    let ct = Content::read(&mut f).unwrap();
    let mut m = load(ct, &mut f);
    let prompt: Vec<u32> = vec![1, 17, 99, 3, 250, 42, 7];
    let x = Tensor::new(prompt.as_slice(), &Device::Cpu)
        .unwrap()
        .unsqueeze(0)
        .unwrap();
    let mut out = vec![fwd(&mut m, &x, 0).flatten_all().unwrap().to_vec1().unwrap()];
    for (i, t) in [5u32, 200, 31, 64, 128].into_iter().enumerate() {
        let x = Tensor::new(&[t], &Device::Cpu)
            .unwrap()
            .unsqueeze(0)
            .unwrap();
        let l = fwd(&mut m, &x, prompt.len() + i);
        out.push(l.flatten_all().unwrap().to_vec1().unwrap());
    }
    out
}

#[test]
fn vendored_graph_matches_candle_transformers() {
    let dir = tempfile::tempdir().unwrap();
    for quant in [
        SynthQuant::F32,
        SynthQuant::F16,
        SynthQuant::Q8_0,
        SynthQuant::Q4_0,
        SynthQuant::Q4KM,
    ] {
        let path = dir.path().join(format!("tiny-{}.gguf", quant.name()));
        write_preset_gguf(Preset::Tiny, 42, quant, &path).unwrap();
        let ours = run(
            &path,
            |ct, f| crate::quantized_llama::ModelWeights::from_gguf(ct, f, &Device::Cpu).unwrap(),
            |m, x, pos| m.forward(x, pos).unwrap(),
        );
        let upstream = run(
            &path,
            |ct, f| {
                candle_transformers::models::quantized_llama::ModelWeights::from_gguf(
                    ct,
                    f,
                    &Device::Cpu,
                )
                .unwrap()
            },
            |m, x, pos| m.forward(x, pos).unwrap(),
        );
        assert_eq!(ours.len(), upstream.len());
        for (step, (a, b)) in ours.iter().zip(&upstream).enumerate() {
            let same =
                a.len() == b.len() && a.iter().zip(b).all(|(x, y)| x.to_bits() == y.to_bits());
            assert!(
                same,
                "{}: step {step}: logits differ from candle-transformers",
                quant.name()
            );
        }
    }
}
