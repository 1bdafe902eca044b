//! The agreement gate's part of the report: one row per variant with its [`Verdict`], and the
//! policy that decides whether an f32 variant passes ([`f32_verdict`]): it decides which
//! "fastest" claims count, so it is one small tested function. Each row also carries the
//! variant's quality on a held-out text passage ([`PassageQuality`]: perplexity, and KL and
//! top-1 against the f32 baseline), null with a reason where the model has no tokenizer or no
//! passage. Those fields were added without a schema bump: they are optional, and a report
//! written before them loads with [`PassageQuality::not_in_report`].

use serde::{Deserialize, Serialize};

pub use edgebench_backend::agreement::Agreement;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AgreementReport {
    pub steps: usize,
    pub f32_tolerance: f64,
    pub rows: Vec<AgreementRow>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    /// The baseline itself.
    Baseline,
    /// f32 variant: identical greedy tokens and logits within tolerance.
    Pass,
    /// f32 variant outside tolerance, or a run that failed: excluded from "fastest" claims.
    Flagged,
    /// Quantized variant: metrics reported, no pass/fail.
    Measured,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AgreementRow {
    pub backend: String,
    pub model: String,
    pub quant: String,
    pub baseline: String,
    pub verdict: Verdict,
    pub agreement: Option<Agreement>,
    pub note: Option<String>,
    /// Teacher-forced quality over the held-out passage.
    #[serde(default = "PassageQuality::not_in_report")]
    pub passage: PassageQuality,
}

/// A variant's quality on a fixed held-out text passage, teacher-forced as llama.cpp's
/// `perplexity` tool does (how the passage is scored: `harness/src/verify/perplexity.rs`).
/// Every figure is `None` when not measured, and `reason` then says why.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PassageQuality {
    /// Where the passage came from (the trained model's held-out split, or a file).
    pub source: Option<String>,
    /// Scored positions: passage tokens predicted from the tokens before them.
    pub eval_tokens: Option<usize>,
    /// exp(mean negative log-likelihood per scored token), natural log.
    pub perplexity: Option<f64>,
    /// `perplexity` − the f32 baseline's perplexity on the same tokens (0 for the baseline).
    pub delta_perplexity_vs_f32: Option<f64>,
    /// Mean over scored positions of KL(p_f32 ‖ p_variant), nats.
    pub kl_mean_nats: Option<f64>,
    /// 99th percentile (linear interpolation, as numpy) of the per-position KL, nats.
    pub kl_p99_nats: Option<f64>,
    /// Fraction (0..1) of scored positions where the variant's argmax equals the baseline's.
    pub top1_agreement: Option<f64>,
    /// Why figures are `None` (no tokenizer, no passage, a failed run).
    pub reason: Option<String>,
}

impl PassageQuality {
    /// Nothing measured, for `reason`.
    pub fn unmeasured(reason: impl Into<String>) -> Self {
        PassageQuality {
            source: None,
            eval_tokens: None,
            perplexity: None,
            delta_perplexity_vs_f32: None,
            kl_mean_nats: None,
            kl_p99_nats: None,
            top1_agreement: None,
            reason: Some(reason.into()),
        }
    }

    /// What a report written before passage metrics existed loads as.
    pub fn not_in_report() -> Self {
        Self::unmeasured("not measured: this report was written before passage metrics existed")
    }
}

impl AgreementReport {
    /// Whether (backend, model, quant) was flagged, with the reason.
    pub fn flag_for(&self, backend: &str, model: &str, quant: &str) -> Option<String> {
        self.rows
            .iter()
            .find(|r| {
                r.backend == backend
                    && r.model == model
                    && r.quant == quant
                    && r.verdict == Verdict::Flagged
            })
            .map(|r| {
                r.note
                    .clone()
                    .unwrap_or_else(|| "disagrees with the reference engine".into())
            })
    }
}

/// The f32 gate: an f32 variant passes when its greedy tokens are identical to the baseline's
/// at every compared position and its max |Δlogit| is within `tolerance`. Anything else —
/// including no agreement data at all, or a non-finite difference — is flagged, with a note
/// that says why.
pub fn f32_verdict(agreement: Option<&Agreement>, tolerance: f64) -> (Verdict, Option<String>) {
    let Some(a) = agreement else {
        return (
            Verdict::Flagged,
            Some("no agreement data: the variant's logits could not be compared".into()),
        );
    };
    let tokens_identical = a.positions > 0 && a.greedy_prefix == a.positions;
    let within = a.max_abs_logit_diff <= tolerance; // false for NaN
    if tokens_identical && within {
        return (Verdict::Pass, None);
    }
    (
        Verdict::Flagged,
        Some(format!(
            "f32 disagrees with the reference engine: greedy tokens identical for {} of {} positions, max |Δlogit| {:.3e} (tolerance {tolerance:.0e})",
            a.greedy_prefix, a.positions, a.max_abs_logit_diff
        )),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn agreement(greedy_prefix: usize, positions: usize, max_abs: f64) -> Agreement {
        Agreement {
            positions,
            top1_agree: greedy_prefix,
            top1_rate: greedy_prefix as f64 / positions.max(1) as f64,
            greedy_prefix,
            max_abs_logit_diff: max_abs,
            mean_kl: 0.0,
            max_kl: 0.0,
        }
    }

    #[test]
    fn identical_tokens_within_tolerance_pass() {
        let (v, note) = f32_verdict(Some(&agreement(33, 33, 1.5e-5)), 1e-3);
        assert_eq!(v, Verdict::Pass);
        assert_eq!(note, None);
        // The tolerance is inclusive.
        assert_eq!(
            f32_verdict(Some(&agreement(33, 33, 1e-3)), 1e-3).0,
            Verdict::Pass
        );
    }

    #[test]
    fn a_token_mismatch_is_flagged_even_with_tiny_logit_differences() {
        let (v, note) = f32_verdict(Some(&agreement(32, 33, 1e-6)), 1e-3);
        assert_eq!(v, Verdict::Flagged);
        let note = note.unwrap();
        assert!(note.contains("32 of 33"), "{note}");
    }

    #[test]
    fn tolerance_exceeded_is_flagged() {
        let (v, note) = f32_verdict(Some(&agreement(33, 33, 2e-3)), 1e-3);
        assert_eq!(v, Verdict::Flagged);
        assert!(note.unwrap().contains("2.000e-3"));
        // NaN or infinite differences never pass.
        for bad in [f64::NAN, f64::INFINITY] {
            assert_eq!(
                f32_verdict(Some(&agreement(33, 33, bad)), 1e-3).0,
                Verdict::Flagged
            );
        }
    }

    #[test]
    fn missing_data_is_flagged() {
        let (v, note) = f32_verdict(None, 1e-3);
        assert_eq!(v, Verdict::Flagged);
        assert!(note.unwrap().contains("no agreement data"));
        // Zero compared positions is no evidence either.
        assert_eq!(
            f32_verdict(Some(&agreement(0, 0, 0.0)), 1e-3).0,
            Verdict::Flagged
        );
    }

    #[test]
    fn flag_for_finds_flagged_rows_only() {
        let row = |backend: &str, verdict| AgreementRow {
            backend: backend.into(),
            model: "m".into(),
            quant: "f32".into(),
            baseline: "reference f32 gguf".into(),
            verdict,
            agreement: None,
            note: None,
            passage: PassageQuality::unmeasured("test"),
        };
        let r = AgreementReport {
            steps: 4,
            f32_tolerance: 1e-3,
            rows: vec![row("ort", Verdict::Pass), row("tract", Verdict::Flagged)],
        };
        assert_eq!(r.flag_for("ort", "m", "f32"), None);
        assert!(r.flag_for("tract", "m", "f32").is_some());
        assert_eq!(r.flag_for("tract", "m", "q8_0"), None);
    }
}
