//! Writing a synthesized llama as GGUF: llama.cpp tensor names, `llama.*` metadata, a minimal
//! llama tokenizer, the converter's Q/K row permutation, and the chosen tensor type.
//!
//! Types: norm weights are always F32 (as llama.cpp writes them). For f32/f16/q8_0/q4_0 every
//! other tensor, including `token_embd` and `output`, gets the requested type, except that a
//! matrix whose rows are not a whole number of 32-element blocks falls back to F16, as
//! llama.cpp's converter does (the tiny preset's `ffn_down`, with rows of 176, is such a
//! tensor). `q4_k_m` follows llama.cpp's `llama_tensor_get_type` for `MOSTLY_Q4_K_M` (no
//! importance matrix): Q6_K for `output` (or the tied embedding) and for the `attn_v` and
//! `ffn_down` of the layers `use_more_bits` picks, Q4_K elsewhere; rows that are not a multiple
//! of 256 fall back to Q5_0 (for Q4_K) and Q8_0 (for Q6_K), then F16 if still not whole blocks.

use super::preset::{LlamaConfig, Preset};
use super::weights::{LlamaWeights, TensorId};
use crate::gguf::{GgmlType, GgufError, GgufWriter, MetaValue, TensorSpec};
use crate::quant;
use std::borrow::Cow;
use std::fmt;
use std::path::Path;
use std::str::FromStr;

/// Tensor type of the matrices in a synthesized file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SynthQuant {
    F32,
    F16,
    Q8_0,
    Q4_0,
    /// llama.cpp's Q4_K_M recipe (a mix of Q4_K, Q6_K and their fallbacks Q5_0, Q8_0).
    Q4KM,
}

impl SynthQuant {
    pub const ALL: [SynthQuant; 5] = [
        SynthQuant::F32,
        SynthQuant::F16,
        SynthQuant::Q8_0,
        SynthQuant::Q4_0,
        SynthQuant::Q4KM,
    ];

    pub fn name(self) -> &'static str {
        match self {
            SynthQuant::F32 => "f32",
            SynthQuant::F16 => "f16",
            SynthQuant::Q8_0 => "q8_0",
            SynthQuant::Q4_0 => "q4_0",
            SynthQuant::Q4KM => "q4_k_m",
        }
    }

    /// The main matrix type (Q4_K for the `q4_k_m` mix; see [`tensor_type`] for each tensor).
    pub fn ggml_type(self) -> GgmlType {
        match self {
            SynthQuant::F32 => GgmlType::F32,
            SynthQuant::F16 => GgmlType::F16,
            SynthQuant::Q8_0 => GgmlType::Q8_0,
            SynthQuant::Q4_0 => GgmlType::Q4_0,
            SynthQuant::Q4KM => GgmlType::Q4K,
        }
    }

    /// llama.cpp's `llama_ftype` number written as `general.file_type`.
    pub fn file_type(self) -> u32 {
        match self {
            SynthQuant::F32 => 0,
            SynthQuant::F16 => 1,
            SynthQuant::Q4_0 => 2,
            SynthQuant::Q8_0 => 7,
            SynthQuant::Q4KM => 15,
        }
    }
}

/// llama.cpp's `use_more_bits`: the first and last eighth of the layers and every third one
/// in between get more bits in the `_M` mixes.
fn use_more_bits(i: usize, n: usize) -> bool {
    i < n / 8 || i >= 7 * n / 8 || (i - n / 8) % 3 == 2
}

/// The GGUF type of tensor `id` in a file of quantization `q`.
pub fn tensor_type(c: &LlamaConfig, id: TensorId, q: SynthQuant) -> GgmlType {
    let cols = id.shape(c).1 as u64;
    let want = match (q, id) {
        (_, TensorId::Norm | TensorId::AttnNorm(_) | TensorId::FfnNorm(_)) => return GgmlType::F32,
        (SynthQuant::Q4KM, TensorId::LmHead) => GgmlType::Q6K,
        (SynthQuant::Q4KM, TensorId::Embed) if c.tie_word_embeddings => GgmlType::Q6K,
        (SynthQuant::Q4KM, TensorId::V(l) | TensorId::Down(l))
            if use_more_bits(l, c.num_hidden_layers) =>
        {
            GgmlType::Q6K
        }
        (q, _) => q.ggml_type(),
    };
    let fallback = match want {
        _ if cols.is_multiple_of(want.block_elems()) => want,
        GgmlType::Q4K => GgmlType::Q5_0,
        GgmlType::Q6K => GgmlType::Q8_0,
        other => other,
    };
    if cols.is_multiple_of(fallback.block_elems()) {
        fallback
    } else {
        GgmlType::F16
    }
}

impl fmt::Display for SynthQuant {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// An unknown quantization name; the message lists the known ones.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("unknown quantization `{0}`; known: f32, f16, q8_0, q4_0, q4_k_m")]
pub struct UnknownQuant(pub String);

impl FromStr for SynthQuant {
    type Err = UnknownQuant;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        SynthQuant::ALL
            .into_iter()
            .find(|q| q.name() == s.to_ascii_lowercase())
            .ok_or_else(|| UnknownQuant(s.to_string()))
    }
}

/// llama.cpp's converter permutation of `q_proj`/`k_proj` rows (see the module docs of
/// [`crate::synth`]): rows viewed as `[n_head, 2, head_dim/2]`, middle axes swapped.
pub fn permute_qk_rows(w: &[f32], n_head: usize, cols: usize) -> Vec<f32> {
    let rows = w.len() / cols;
    let hd = rows / n_head;
    let half = hd / 2;
    let mut out = vec![0f32; w.len()];
    for h in 0..n_head {
        for i in 0..half {
            for j in 0..2 {
                let dst = h * hd + 2 * i + j;
                let src = h * hd + j * half + i;
                out[dst * cols..(dst + 1) * cols].copy_from_slice(&w[src * cols..(src + 1) * cols]);
            }
        }
    }
    out
}

/// Write `weights` as a GGUF file with matrices of type `quant`.
pub fn write_gguf(weights: &LlamaWeights, quant: SynthQuant, path: &Path) -> Result<(), GgufError> {
    write_gguf_with_vocab(weights, quant, &[], path)
}

/// [`write_gguf`] with a real vocabulary: the `tokenizer.*` entries in `vocab` replace the
/// synthesized llama tokenizer (an empty `vocab` keeps it).
pub fn write_gguf_with_vocab(
    weights: &LlamaWeights,
    quant: SynthQuant,
    vocab: &[(String, MetaValue)],
    path: &Path,
) -> Result<(), GgufError> {
    write_with(&weights.config, quant, vocab, path, &|id| {
        Cow::Borrowed(weights.get(id))
    })
}

/// Generate `preset` with `seed` and write it tensor by tensor (never holding the whole model):
/// the same bytes as `write_gguf(&canonical_weights(preset, seed), quant, path)`.
pub fn write_preset_gguf(
    preset: Preset,
    seed: u64,
    quant: SynthQuant,
    path: &Path,
) -> Result<(), GgufError> {
    let c = preset.config();
    write_with(&c, quant, &[], path, &|id| {
        Cow::Owned(id.generate(&c, seed))
    })
}

fn tensor_list(c: &LlamaConfig) -> Vec<(String, TensorId)> {
    let mut v = vec![("token_embd.weight".to_string(), TensorId::Embed)];
    for l in 0..c.num_hidden_layers {
        let n = |s: &str| format!("blk.{l}.{s}.weight");
        v.extend([
            (n("attn_norm"), TensorId::AttnNorm(l)),
            (n("attn_q"), TensorId::Q(l)),
            (n("attn_k"), TensorId::K(l)),
            (n("attn_v"), TensorId::V(l)),
            (n("attn_output"), TensorId::O(l)),
            (n("ffn_norm"), TensorId::FfnNorm(l)),
            (n("ffn_gate"), TensorId::Gate(l)),
            (n("ffn_up"), TensorId::Up(l)),
            (n("ffn_down"), TensorId::Down(l)),
        ]);
    }
    v.push(("output_norm.weight".to_string(), TensorId::Norm));
    if !c.tie_word_embeddings {
        v.push(("output.weight".to_string(), TensorId::LmHead));
    }
    v
}

fn write_with<'a>(
    c: &LlamaConfig,
    q: SynthQuant,
    vocab: &[(String, MetaValue)],
    path: &Path,
    get: &dyn Fn(TensorId) -> Cow<'a, [f32]>,
) -> Result<(), GgufError> {
    let mut w = GgufWriter::new();
    metadata(&mut w, c, q);
    if !vocab.is_empty() {
        w.drop_meta_prefix("tokenizer.");
        for (k, v) in vocab {
            w.meta(k.clone(), v.clone());
        }
    }
    let list = tensor_list(c);
    for (name, id) in &list {
        let (rows, cols) = id.shape(c);
        let ty = tensor_type(c, *id, q);
        let dims: Vec<u64> = if rows == 1 {
            vec![cols as u64]
        } else {
            vec![cols as u64, rows as u64]
        };
        w.tensor(TensorSpec::new(name, &dims, ty));
    }
    w.write(path, |i, spec| {
        let id = list[i].1;
        let values = get(id);
        let values = match id {
            TensorId::Q(_) => Cow::Owned(permute_qk_rows(
                &values,
                c.num_attention_heads,
                c.hidden_size,
            )),
            TensorId::K(_) => Cow::Owned(permute_qk_rows(
                &values,
                c.num_key_value_heads,
                c.hidden_size,
            )),
            _ => values,
        };
        quant::quantize(spec.ggml_type, &values)
            .map(Cow::Owned)
            .ok_or_else(|| GgufError::Write {
                path: path.to_path_buf(),
                problem: format!("cannot encode tensor `{}` as {}", spec.name, spec.ggml_type),
            })
    })
}

fn metadata(w: &mut GgufWriter, c: &LlamaConfig, q: SynthQuant) {
    let u = |v: usize| MetaValue::U32(v as u32);
    w.meta("general.architecture", MetaValue::String("llama".into()))
        .meta("general.name", MetaValue::String(c.name.clone()))
        .meta("general.file_type", MetaValue::U32(q.file_type()))
        .meta("general.alignment", MetaValue::U32(32));
    if matches!(q, SynthQuant::Q8_0 | SynthQuant::Q4_0 | SynthQuant::Q4KM) {
        w.meta("general.quantization_version", MetaValue::U32(2));
    }
    w.meta("llama.vocab_size", u(c.vocab_size))
        .meta("llama.context_length", u(c.max_position_embeddings))
        .meta("llama.embedding_length", u(c.hidden_size))
        .meta("llama.block_count", u(c.num_hidden_layers))
        .meta("llama.feed_forward_length", u(c.intermediate_size))
        .meta("llama.rope.dimension_count", u(c.head_dim()))
        .meta("llama.attention.head_count", u(c.num_attention_heads))
        .meta("llama.attention.head_count_kv", u(c.num_key_value_heads))
        .meta(
            "llama.attention.layer_norm_rms_epsilon",
            MetaValue::F32(c.rms_norm_eps),
        )
        .meta("llama.rope.freq_base", MetaValue::F32(c.rope_theta));
    tokenizer(w, c.vocab_size);
}

/// A minimal llama (SentencePiece) vocabulary: `<unk>`, `<s>`, `</s>`, byte tokens
/// `<0x00>`.., then `tok{i}`.
fn tokenizer(w: &mut GgufWriter, vocab: usize) {
    // gguf token types: 1 normal, 2 unknown, 3 control, 6 byte.
    let (mut tokens, mut scores, mut types) = (Vec::new(), Vec::new(), Vec::new());
    for i in 0..vocab {
        let (t, ty, score) = match i {
            0 => ("<unk>".to_string(), 2, 0.0),
            1 => ("<s>".to_string(), 3, 0.0),
            2 => ("</s>".to_string(), 3, 0.0),
            3..=258 => (format!("<0x{:02X}>", i - 3), 6, 0.0),
            _ => (format!("tok{i}"), 1, -((i - 259) as f32)),
        };
        tokens.push(t);
        types.push(ty);
        scores.push(score);
    }
    w.meta("tokenizer.ggml.model", MetaValue::String("llama".into()))
        .meta("tokenizer.ggml.tokens", MetaValue::strings(tokens))
        .meta("tokenizer.ggml.scores", MetaValue::f32s(scores))
        .meta("tokenizer.ggml.token_type", MetaValue::i32s(types))
        .meta("tokenizer.ggml.bos_token_id", MetaValue::U32(1))
        .meta("tokenizer.ggml.eos_token_id", MetaValue::U32(2))
        .meta("tokenizer.ggml.unknown_token_id", MetaValue::U32(0));
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::synth::Preset;

    #[test]
    fn q4_k_m_mix_matches_llama_cpp_on_stories15m_and_tinyllama() {
        // llama.cpp's quantizer on stories15m: Q5_0 ×35, Q4_K ×4, Q8_0 ×3, Q6_K ×2 (+13 F32).
        let count = |p: Preset| {
            let c = p.config();
            let mut n = std::collections::BTreeMap::new();
            for (_, id) in tensor_list(&c) {
                *n.entry(tensor_type(&c, id, SynthQuant::Q4KM)).or_insert(0) += 1;
            }
            n
        };
        let s = count(Preset::Stories15m);
        assert_eq!(s[&GgmlType::Q5_0], 35);
        assert_eq!(s[&GgmlType::Q4K], 4);
        assert_eq!(s[&GgmlType::Q8_0], 3);
        assert_eq!(s[&GgmlType::Q6K], 2);
        assert_eq!(s[&GgmlType::F32], 13);
        // TinyLlama (22 layers, rows of 2048/5632): real K-quants; use_more_bits picks 10 layers
        // for each of attn_v and ffn_down, plus output.weight.
        let t = count(Preset::Tinyllama1_1b);
        assert_eq!(t[&GgmlType::Q6K], 21);
        assert_eq!(t.get(&GgmlType::Q5_0), None);
        assert_eq!(t[&GgmlType::Q4K], 2 + 22 * 7 - 21);
    }

    #[test]
    fn permutation_interleaves_halves_per_head() {
        // 2 heads of dim 4, one column: HF rows [a0 a1 | a2 a3], [b0 b1 | b2 b3].
        let w: Vec<f32> = (0..8).map(|v| v as f32).collect();
        assert_eq!(
            permute_qk_rows(&w, 2, 1),
            vec![0., 2., 1., 3., 4., 6., 5., 7.]
        );
    }
}
