//! The held-out passage of the verify gate: where its text comes from (the model entry's
//! `eval_text` file, or the trained model's held-out split), its token ids under the
//! baseline's tokenizer (the same ids for every variant, so KL compares like with like), and
//! each variant's [`PassageQuality`] from its teacher-forced logits against the f32 baseline.

use std::path::Path;

use super::perplexity::{kl_stats, perplexity, MAX_EVAL_TOKENS};
use crate::plan::{tokenizer_of, PlanPoint};
use crate::results::PassageQuality;

/// A passage ready to run: its ids (BOS first when the tokenizer has one) and where it came from.
#[derive(Debug, Clone, PartialEq)]
pub struct Passage {
    pub tokens: Vec<u32>,
    pub source: String,
}

/// The passage of `point`'s model, tokenized with the tokenizer of `baseline_file` and cut to
/// [`MAX_EVAL_TOKENS`] and the model's `context_length` (0 = unknown). `Err` is the reason the
/// figures are null: no tokenizer, no passage, a file that cannot be read.
pub fn prepare(
    point: &PlanPoint,
    baseline_file: &Path,
    context_length: usize,
) -> Result<Passage, String> {
    let tokenizer = tokenizer_of(baseline_file)
        .map_err(|e| format!("not measured: {e} (perplexity is measured on text)"))?;
    let (text, source) = text_of(point, baseline_file)?;
    let mut tokens = tokenizer
        .encode(&text, tokenizer.bos_id().is_some())
        .map_err(|e| format!("not measured: encoding the passage {source}: {e}"))?;
    let room = if context_length > 0 {
        // The worker's sequence holds the window plus two positions of slack.
        context_length.saturating_sub(2)
    } else {
        usize::MAX
    };
    tokens.truncate(MAX_EVAL_TOKENS.min(room));
    if tokens.len() < 2 {
        return Err(format!(
            "not measured: the passage {source} encodes to fewer than 2 tokens"
        ));
    }
    Ok(Passage { tokens, source })
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
        let perplexity = perplexity(logits, vocab, &passage.tokens)?;
        Some(Baseline {
            passage,
            logits,
            vocab,
            perplexity,
        })
    }

    /// A variant's quality from its teacher-forced logits over the same tokens.
    pub fn quality(&self, logits: &[f32], vocab: usize) -> PassageQuality {
        let tokens = &self.passage.tokens;
        let scored = tokens.len() - 1;
        if vocab != self.vocab {
            return PassageQuality::unmeasured(format!(
                "not comparable: vocabulary of {vocab} tokens vs the baseline's {}",
                self.vocab
            ));
        }
        let (Some(ppl), Some(kl)) = (
            perplexity(logits, vocab, tokens),
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
            tokens: vec![0, 1, 0],
            source: "test".into(),
        }
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
