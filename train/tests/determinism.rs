//! Training is deterministic: two kjv-micro trainings with the same seed give byte-identical
//! weights (and GGUF files); another seed gives other weights, so the comparison can fail.

mod common;

use edgebench_reference::synth::{write_gguf, LlamaWeights, SynthQuant, TensorId};
use edgebench_train::{train, TrainOptions, TrainPreset};

fn bits(w: &LlamaWeights) -> Vec<u32> {
    let mut ids = vec![TensorId::Embed, TensorId::Norm];
    for l in 0..w.config.num_hidden_layers {
        ids.extend([
            TensorId::Q(l),
            TensorId::K(l),
            TensorId::V(l),
            TensorId::O(l),
        ]);
        ids.extend([TensorId::Gate(l), TensorId::Up(l), TensorId::Down(l)]);
        ids.extend([TensorId::AttnNorm(l), TensorId::FfnNorm(l)]);
    }
    ids.iter()
        .flat_map(|&id| w.get(id).iter().map(|v| v.to_bits()))
        .collect()
}

#[test]
fn same_seed_same_bytes_other_seed_other_weights() {
    let Some(corpus) = common::corpus() else {
        return;
    };
    let run = |seed: u64, stop_after: Option<usize>| {
        let opts = TrainOptions {
            preset: TrainPreset::KjvMicro,
            seed,
            checkpoint_dir: None,
            progress: false,
            stop_after,
        };
        train(&corpus, &opts).unwrap()
    };
    let a = run(7, None);
    let b = run(7, None);
    assert_eq!(a.report.steps, TrainPreset::KjvMicro.recipe().steps);
    assert!(
        bits(&a.weights) == bits(&b.weights),
        "same seed, different weights"
    );
    assert_eq!(a.report.curve, b.report.curve);
    let dir = tempfile::tempdir().unwrap();
    let (fa, fb) = (dir.path().join("a.gguf"), dir.path().join("b.gguf"));
    write_gguf(&a.weights, SynthQuant::Q4_0, &fa).unwrap();
    write_gguf(&b.weights, SynthQuant::Q4_0, &fb).unwrap();
    assert!(std::fs::read(&fa).unwrap() == std::fs::read(&fb).unwrap());
    // A different seed (a few steps are enough to tell) trains other weights.
    let c = run(8, Some(5));
    assert!(bits(&a.weights) != bits(&c.weights));
    // The loss fell: the model learned something from the text.
    let first = a.report.curve.first().unwrap().valid_loss;
    assert!(
        a.report.final_valid_loss < first - 0.5,
        "{:?}",
        a.report.curve
    );
}
