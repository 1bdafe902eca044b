//! The held-out passage of the verify gate: where its text comes from (the model entry's
//! `eval_text` file, or the trained model's held-out split), its token ids under the
//! baseline's tokenizer (the same ids for every variant, so KL compares like with like), and
//! each variant's [`PassageQuality`] from its teacher-forced logits against the f32 baseline.

use std::path::Path;

use super::perplexity::{kl_stats, perplexity, MAX_PASSAGE_TOKENS, MAX_WINDOW_TOKENS};
use crate::plan::{tokenizer_of, PlanPoint};
use crate::results::PassageQuality;
use crate::worker::PassageWindows;

/// A passage ready to run: its windows, the tokens their scored positions predict, and where
/// it came from.
#[derive(Debug, Clone, PartialEq)]
pub struct Passage {
    pub windows: PassageWindows,
    /// Row `k` of a run's logits predicts `targets[k]`.
    pub targets: Vec<u32>,
    pub source: String,
}

impl Passage {
    /// The longest window (what the worker's sequence must hold).
    pub fn window_len(&self) -> usize {
        self.windows.tokens.iter().map(Vec::len).max().unwrap_or(0)
    }
}

/// Split `tokens` (the passage tokenized once, BOS first when `bos` is given) as llama.cpp's
/// `perplexity` does: consecutive windows of `width` tokens (at most
/// [`MAX_PASSAGE_TOKENS`] in all), each starting with BOS when there is one, positions from
/// `width / 2` on scored, so every scored token has at least half a window of context. A passage
/// shorter than one window is one window of all its tokens. `None` when nothing can be scored.
pub fn windows(
    tokens: &[u32],
    bos: Option<u32>,
    width: usize,
) -> Option<(PassageWindows, Vec<u32>)> {
    let width = width.clamp(2, MAX_WINDOW_TOKENS).min(tokens.len());
    if width < 2 {
        return None;
    }
    let count = (tokens.len() / width)
        .min(MAX_PASSAGE_TOKENS / width)
        .max(1);
    let score_from = width / 2;
    let (mut out, mut targets) = (Vec::with_capacity(count), Vec::new());
    for chunk in tokens.chunks_exact(width).take(count) {
        let mut window = chunk.to_vec();
        if let Some(b) = bos {
            window[0] = b;
        }
        targets.extend_from_slice(&chunk[score_from + 1..]);
        out.push(window);
    }
    (!targets.is_empty()).then_some((
        PassageWindows {
            tokens: out,
            score_from,
        },
        targets,
    ))
}

/// The passage of `point`'s model, tokenized with the tokenizer of `baseline_file` and cut into
/// windows of the model's `context_length` (0 = unknown: [`MAX_WINDOW_TOKENS`]). `Err` is the
/// reason the figures are null: no tokenizer, no passage, a file that cannot be read.
pub fn prepare(
    point: &PlanPoint,
    baseline_file: &Path,
    context_length: usize,
) -> Result<Passage, String> {
    let tokenizer = tokenizer_of(baseline_file)
        .map_err(|e| format!("not measured: {e} (perplexity is measured on text)"))?;
    let (text, source) = text_of(point, baseline_file)?;
    let bos = tokenizer.bos_id();
    let tokens = tokenizer
        .encode(&text, bos.is_some())
        .map_err(|e| format!("not measured: encoding the passage {source}: {e}"))?;
    let width = if context_length > 0 {
        context_length
    } else {
        MAX_WINDOW_TOKENS
    };
    let (windows, targets) = windows(&tokens, bos, width).ok_or_else(|| {
        format!("not measured: the passage {source} encodes to fewer than 4 tokens")
    })?;
    let source = format!(
        "{source}: {} windows of {} tokens",
        windows.tokens.len(),
        windows.tokens[0].len()
    );
    Ok(Passage {
        windows,
        targets,
        source,
    })
}

/// The passage text and a description of where it came from: the model entry's `eval_text`
/// file first, else the held-out passage a trained model keeps beside its files.
fn text_of(point: &PlanPoint, baseline_file: &Path) -> Result<(String, String), String> {
    if let Some(path) = &point.eval_text {
        let text = std::fs::read_to_string(path).map_err(|e| {
            format!(
                "not measured: reading eval_text {}: {e}; fix the path in the scenario",
                path.display()
            )
        })?;
        return Ok((text, path.display().to_string()));
    }
    if let Some(text) = crate::models::eval_text(baseline_file) {
        return Ok((text, "the trained model's held-out passage".into()));
    }
    Err(
        "not measured: no held-out passage for this model; set `eval_text = \"passage.txt\"` \
         on the model in the scenario"
            .into(),
    )
}

/// The baseline's teacher-forced logits over a passage, and its perplexity.
pub struct Baseline<'a> {
    pub passage: &'a Passage,
    pub logits: &'a [f32],
    pub vocab: usize,
    pub perplexity: f64,
}

impl<'a> Baseline<'a> {
    /// `None` when the baseline's logits do not score the passage (then nothing compares).
    pub fn new(passage: &'a Passage, logits: &'a [f32], vocab: usize) -> Option<Self> {
        let perplexity = perplexity(logits, vocab, &passage.targets)?;
        Some(Baseline {
            passage,
            logits,
            vocab,
            perplexity,
        })
    }

    /// A variant's quality from its teacher-forced logits over the same tokens.
    pub fn quality(&self, logits: &[f32], vocab: usize) -> PassageQuality {
        let targets = &self.passage.targets;
        let scored = targets.len();
        if vocab != self.vocab {
            return PassageQuality::unmeasured(format!(
                "not comparable: vocabulary of {vocab} tokens vs the baseline's {}",
                self.vocab
            ));
        }
        let (Some(ppl), Some(kl)) = (
            perplexity(logits, vocab, targets),
            kl_stats(self.logits, logits, vocab, scored),
        ) else {
            return PassageQuality::unmeasured(format!(
                "not comparable: {} logits for {scored} scored positions of {vocab}",
                logits.len()
            ));
        };
        PassageQuality {
            source: Some(self.passage.source.clone()),
            eval_tokens: Some(scored),
            perplexity: Some(ppl),
            delta_perplexity_vs_f32: Some(ppl - self.perplexity),
            kl_mean_nats: Some(kl.mean_nats),
            kl_p99_nats: Some(kl.p99_nats),
            top1_agreement: Some(kl.top1_agreement),
            reason: None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn passage() -> Passage {
        Passage {
            windows: PassageWindows {
                tokens: vec![vec![0, 1, 0]],
                score_from: 0,
            },
            targets: vec![1, 0],
            source: "test".into(),
        }
    }

    #[test]
    fn windows_follow_llama_cpp() {
        let tokens: Vec<u32> = (0..10).collect();
        // Two whole windows of 4; BOS replaces each window's first token; positions 2.. scored,
        // so position 2 of each window predicts its token 3.
        let (w, targets) = windows(&tokens, Some(99), 4).unwrap();
        assert_eq!(w.tokens, vec![vec![99, 1, 2, 3], vec![99, 5, 6, 7]]);
        assert_eq!(w.score_from, 2);
        assert_eq!(targets, vec![3, 7]);
        // Without BOS the windows keep their first token.
        let (w, _) = windows(&tokens, None, 4).unwrap();
        assert_eq!(w.tokens[1], vec![4, 5, 6, 7]);
        // A passage shorter than a window is one window of all of it.
        let (w, targets) = windows(&[5, 6, 7], Some(99), 64).unwrap();
        assert_eq!(
            (w.tokens, w.score_from, targets),
            (vec![vec![99, 6, 7]], 1, vec![7])
        );
        assert_eq!(windows(&[5], Some(99), 64), None);
        // The budget: at most MAX_PASSAGE_TOKENS tokens fed, each window scoring its second half.
        let long: Vec<u32> = (0..4000).collect();
        let (w, targets) = windows(&long, None, 64).unwrap();
        assert_eq!(w.tokens.len(), MAX_PASSAGE_TOKENS / 64);
        assert_eq!(targets.len(), w.tokens.len() * 31);
        // Windows are never wider than MAX_WINDOW_TOKENS, whatever the context.
        let (w, _) = windows(&long, None, 1 << 20).unwrap();
        assert_eq!(w.tokens[0].len(), MAX_WINDOW_TOKENS);
    }

    #[test]
    fn the_baseline_against_itself_has_zero_delta_and_kl() {
        let p = passage();
        let logits = [0.0f32, 1.0, /**/ 2.0, 0.0, /**/ 0.0, 0.0];
        let b = Baseline::new(&p, &logits, 2).unwrap();
        let q = b.quality(&logits, 2);
        assert_eq!(q.eval_tokens, Some(2));
        assert_eq!(q.perplexity, Some(b.perplexity));
        assert_eq!(q.delta_perplexity_vs_f32, Some(0.0));
        assert_eq!((q.kl_mean_nats, q.kl_p99_nats), (Some(0.0), Some(0.0)));
        assert_eq!(q.top1_agreement, Some(1.0));
        assert_eq!(q.reason, None);
    }

    #[test]
    fn a_flatter_variant_has_higher_perplexity_and_positive_kl() {
        let p = passage();
        let base = [0.0f32, 4.0, /**/ 4.0, 0.0, /**/ 0.0, 0.0];
        let flat = [0.0f32; 6];
        let b = Baseline::new(&p, &base, 2).unwrap();
        let q = b.quality(&flat, 2);
        // Uniform over 2 tokens: PPL exactly 2.
        assert!((q.perplexity.unwrap() - 2.0).abs() < 1e-12);
        assert!(q.delta_perplexity_vs_f32.unwrap() > 0.8);
        assert!(q.kl_mean_nats.unwrap() > 0.1);
        // All-equal logits pick token 0: agrees at the second position only.
        assert_eq!(q.top1_agreement, Some(0.5));
    }

    #[test]
    fn shape_mismatches_are_null_with_a_reason() {
        let p = passage();
        let base = [0.0f32; 6];
        let b = Baseline::new(&p, &base, 2).unwrap();
        let q = b.quality(&[0.0; 9], 3);
        assert_eq!(q.perplexity, None);
        assert!(q.reason.unwrap().contains("vocabulary of 3"));
        let q = b.quality(&[0.0; 2], 2);
        assert_eq!(q.kl_mean_nats, None);
        assert!(q.reason.unwrap().contains("not comparable"));
    }
}
