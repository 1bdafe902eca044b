//! The training presets: model shape (a [`LlamaConfig`], the same struct the synthesizer's
//! presets use) plus tokenizer size, sequence length, batch, steps and learning-rate schedule.

use edgebench_reference::synth::LlamaConfig;
use std::fmt;
use std::str::FromStr;

/// A named training recipe.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TrainPreset {
    /// ~0.1M parameters, trains in well under a minute: for tests and CI.
    KjvMicro,
    /// ~4M parameters, the default scenario's model.
    KjvSmall,
}

/// Everything a run needs besides the corpus and the seed.
#[derive(Debug, Clone, PartialEq)]
pub struct Recipe {
    pub config: LlamaConfig,
    /// Tokens per training sequence (the model's context length).
    pub seq_len: usize,
    /// Sequences per step.
    pub batch: usize,
    pub steps: usize,
    pub lr_max: f64,
    pub lr_min: f64,
    pub warmup_steps: usize,
    pub weight_decay: f64,
    /// Validation loss is measured every this many steps (and at the end).
    pub eval_every: usize,
    /// Sequences of the held-out split used for each validation loss.
    pub eval_sequences: usize,
    /// A weights checkpoint is written every this many steps.
    pub checkpoint_every: usize,
}

impl TrainPreset {
    pub const ALL: [TrainPreset; 2] = [TrainPreset::KjvMicro, TrainPreset::KjvSmall];

    pub fn name(self) -> &'static str {
        match self {
            TrainPreset::KjvMicro => "kjv-micro",
            TrainPreset::KjvSmall => "kjv-small",
        }
    }

    pub fn recipe(self) -> Recipe {
        // (dim, layers, heads, kv heads, ffn, vocab, seq, batch, steps, lr)
        let (d, l, h, kv, f, v, seq, batch, steps, lr) = match self {
            TrainPreset::KjvMicro => (64, 2, 4, 2, 192, 512, 128, 8, 200, 3e-3),
            TrainPreset::KjvSmall => (192, 4, 6, 2, 512, 2048, 128, 16, 400, 2e-3),
        };
        Recipe {
            config: LlamaConfig {
                name: self.name().to_string(),
                hidden_size: d,
                num_hidden_layers: l,
                num_attention_heads: h,
                num_key_value_heads: kv,
                intermediate_size: f,
                vocab_size: v,
                max_position_embeddings: seq,
                rope_theta: 10000.0,
                rms_norm_eps: 1e-5,
                tie_word_embeddings: true,
            },
            seq_len: seq,
            batch,
            steps,
            lr_max: lr,
            lr_min: lr / 10.0,
            warmup_steps: steps / 20,
            weight_decay: 0.1,
            eval_every: steps / 10,
            eval_sequences: 64,
            checkpoint_every: steps / 4,
        }
    }
}

impl Recipe {
    /// 8 hex digits of the sha256 of everything in the recipe: part of the cache key, so a
    /// changed recipe is retrained and the other presets' cached models stay valid.
    pub fn fingerprint(&self) -> String {
        crate::corpus::sha256_hex(format!("{self:?}").as_bytes())[..8].to_string()
    }

    /// Learning rate at `step`: linear warm-up, then cosine decay to `lr_min`.
    pub fn lr_at(&self, step: usize) -> f64 {
        if step < self.warmup_steps {
            return self.lr_max * (step + 1) as f64 / self.warmup_steps as f64;
        }
        let span = (self.steps - self.warmup_steps).max(1) as f64;
        let t = ((step - self.warmup_steps) as f64 / span).min(1.0);
        self.lr_min + 0.5 * (self.lr_max - self.lr_min) * (1.0 + (std::f64::consts::PI * t).cos())
    }
}

impl fmt::Display for TrainPreset {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// An unknown training preset; the message lists the known ones.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("unknown training preset `{0}`; known: kjv-micro, kjv-small")]
pub struct UnknownTrainPreset(pub String);

impl FromStr for TrainPreset {
    type Err = UnknownTrainPreset;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        TrainPreset::ALL
            .into_iter()
            .find(|p| p.name() == s)
            .ok_or_else(|| UnknownTrainPreset(s.to_string()))
    }
}
