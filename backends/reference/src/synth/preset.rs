//! Model shapes: [`LlamaConfig`] (Hugging Face field names) and the published [`Preset`]s.

use std::fmt;
use std::str::FromStr;

/// A llama's shape, with the field names of Hugging Face's `LlamaConfig`.
#[derive(Debug, Clone, PartialEq)]
pub struct LlamaConfig {
    /// Written as `general.name`.
    pub name: String,
    pub hidden_size: usize,
    pub num_hidden_layers: usize,
    pub num_attention_heads: usize,
    pub num_key_value_heads: usize,
    pub intermediate_size: usize,
    pub vocab_size: usize,
    pub max_position_embeddings: usize,
    pub rope_theta: f32,
    pub rms_norm_eps: f32,
    /// `true`: no separate `lm_head` (`output.weight`); the embedding is reused.
    pub tie_word_embeddings: bool,
}

impl LlamaConfig {
    pub fn head_dim(&self) -> usize {
        self.hidden_size / self.num_attention_heads
    }
    pub fn q_dim(&self) -> usize {
        self.num_attention_heads * self.head_dim()
    }
    pub fn kv_dim(&self) -> usize {
        self.num_key_value_heads * self.head_dim()
    }

    /// Total parameters (embedding, layers, final norm, lm_head if untied).
    pub fn parameter_count(&self) -> u64 {
        let (d, f, v) = (self.hidden_size, self.intermediate_size, self.vocab_size);
        let layer = 2 * d + d * self.q_dim() * 2 + 2 * d * self.kv_dim() + 3 * d * f;
        let head = if self.tie_word_embeddings { 0 } else { v * d };
        (v * d + self.num_hidden_layers * layer + d + head) as u64
    }
}

/// Published shapes the synthesizer knows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Preset {
    /// 64-dim, 2 layers, 4 heads / 2 KV heads, vocab 256: for tests.
    Tiny,
    /// karpathy's llama2.c stories15M.
    Stories15m,
    /// HuggingFaceTB/SmolLM-135M (tied embeddings).
    Smollm135m,
    /// TinyLlama-1.1B.
    Tinyllama1_1b,
}

impl Preset {
    pub const ALL: [Preset; 4] = [
        Preset::Tiny,
        Preset::Stories15m,
        Preset::Smollm135m,
        Preset::Tinyllama1_1b,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Preset::Tiny => "tiny",
            Preset::Stories15m => "stories15m",
            Preset::Smollm135m => "smollm-135m",
            Preset::Tinyllama1_1b => "tinyllama-1.1b",
        }
    }

    pub fn config(self) -> LlamaConfig {
        // (dim, layers, heads, kv heads, ffn, vocab, ctx, tied)
        let (d, l, h, kv, f, v, ctx, tied) = match self {
            Preset::Tiny => (64, 2, 4, 2, 176, 256, 256, false),
            Preset::Stories15m => (288, 6, 6, 6, 768, 32000, 256, false),
            Preset::Smollm135m => (576, 30, 9, 3, 1536, 49152, 2048, true),
            Preset::Tinyllama1_1b => (2048, 22, 32, 4, 5632, 32000, 2048, false),
        };
        LlamaConfig {
            name: self.name().to_string(),
            hidden_size: d,
            num_hidden_layers: l,
            num_attention_heads: h,
            num_key_value_heads: kv,
            intermediate_size: f,
            vocab_size: v,
            max_position_embeddings: ctx,
            rope_theta: 10000.0,
            rms_norm_eps: 1e-5,
            tie_word_embeddings: tied,
        }
    }
}

impl fmt::Display for Preset {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// An unknown preset name; the message lists the known ones.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("unknown preset `{0}`; known presets: tiny, stories15m, smollm-135m, tinyllama-1.1b")]
pub struct UnknownPreset(pub String);

impl FromStr for Preset {
    type Err = UnknownPreset;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Preset::ALL
            .into_iter()
            .find(|p| p.name() == s)
            .ok_or_else(|| UnknownPreset(s.to_string()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_and_counts_are_published_sizes() {
        for p in Preset::ALL {
            assert_eq!(p.name().parse::<Preset>().unwrap(), p);
        }
        assert!("tiny2"
            .parse::<Preset>()
            .unwrap_err()
            .to_string()
            .contains("stories15m"));
        let m = |p: Preset| p.config().parameter_count() as f64 / 1e6;
        assert!(
            (m(Preset::Stories15m) - 24.4).abs() < 0.5,
            "{}",
            m(Preset::Stories15m)
        );
        assert!(
            (m(Preset::Smollm135m) - 134.5).abs() < 1.0,
            "{}",
            m(Preset::Smollm135m)
        );
        assert!((m(Preset::Tinyllama1_1b) - 1100.0).abs() < 10.0);
    }
}
