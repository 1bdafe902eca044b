//! The agreement table of `report.md` and `edgebench verify`: one row per variant with its
//! greedy-token, top-1, |Δlogit| and KL figures against the baseline, and its verdict.

use super::reasons::Reasons;
use crate::results::{AgreementReport, Verdict};

/// The agreement table followed by its own reasons section (for `edgebench verify`).
pub fn render_alone(r: &AgreementReport) -> String {
    let mut reasons = Reasons::default();
    let mut s = render(r, &mut reasons);
    s.push_str(&reasons.render());
    s
}

/// The agreement table; notes become keys into `reasons`.
pub fn render(r: &AgreementReport, reasons: &mut Reasons) -> String {
    use std::fmt::Write;
    let mut s = String::new();
    let _ = writeln!(
        s,
        "| backend | model | quant | vs | greedy tokens identical | top-1 agreement | max abs Δlogit | mean KL (nats) | verdict |"
    );
    let _ = writeln!(s, "|---|---|---|---|---:|---:|---:|---:|---|");
    for row in &r.rows {
        let (greedy, top1, dmax, kl) = row.agreement.as_ref().map_or_else(
            || ("n/a".into(), "n/a".into(), "n/a".into(), "n/a".into()),
            |a| {
                (
                    format!("{}/{}", a.greedy_prefix, a.positions),
                    format!("{:.1}%", a.top1_rate * 100.0),
                    format!("{:.2e}", a.max_abs_logit_diff),
                    format!("{:.2e}", a.mean_kl),
                )
            },
        );
        let verdict = match row.verdict {
            Verdict::Baseline => "baseline".to_string(),
            Verdict::Pass => "pass".to_string(),
            Verdict::Measured => "measured".to_string(),
            Verdict::Flagged => "**FLAGGED**".to_string(),
        };
        let note = row
            .note
            .as_deref()
            .map_or_else(String::new, |n| format!(" {}", reasons.key(n)));
        let _ = writeln!(
            s,
            "| {} | {} | {} | {} | {greedy} | {top1} | {dmax} | {kl} | {verdict}{note} |",
            row.backend, row.model, row.quant, row.baseline
        );
    }
    s
}
