//! The agreement table of `report.md` and `edgebench verify`: one row per variant with its
//! greedy-token, top-1, |Δlogit| and KL figures against the baseline, and its verdict; when any
//! variant was scored on held-out text, its perplexity, ΔPPL vs f32 and the passage's KL and
//! top-1 against f32 (otherwise one line says why there are none).

use super::reasons::Reasons;
use crate::results::{AgreementReport, AgreementRow, PassageQuality, Verdict};

/// The passage columns of one row: figures, or `n/a [key]` with the reason.
fn passage_cells(q: &PassageQuality, reasons: &mut Reasons) -> String {
    let na = |reasons: &mut Reasons| {
        q.reason
            .as_deref()
            .map_or_else(|| "n/a".to_string(), |r| format!("n/a {}", reasons.key(r)))
    };
    let cell = |v: Option<String>, reasons: &mut Reasons| v.unwrap_or_else(|| na(reasons));
    let ppl = cell(q.perplexity.map(|p| format!("{p:.3}")), reasons);
    let delta = cell(
        q.delta_perplexity_vs_f32.zip(q.perplexity).map(|(d, p)| {
            let base = p - d;
            let pct = if base > 0.0 {
                d / base * 100.0
            } else {
                f64::NAN
            };
            format!("{d:+.3} ({pct:+.2}%)")
        }),
        reasons,
    );
    let kl = cell(q.kl_mean_nats.map(|k| format!("{k:.2e}")), reasons);
    let p99 = cell(q.kl_p99_nats.map(|k| format!("{k:.2e}")), reasons);
    let top1 = cell(
        q.top1_agreement.map(|t| format!("{:.1}%", t * 100.0)),
        reasons,
    );
    format!(" {ppl} | {delta} | {kl} | {p99} | {top1} |")
}

/// How the passage was scored, under the table (one line per distinct passage).
fn passage_note(rows: &[AgreementRow]) -> String {
    let mut seen: Vec<(&str, usize)> = Vec::new();
    for q in rows.iter().map(|r| &r.passage) {
        if let (Some(src), Some(n)) = (q.source.as_deref(), q.eval_tokens) {
            if !seen.contains(&(src, n)) {
                seen.push((src, n));
            }
        }
    }
    seen.iter()
        .map(|(src, n)| {
            format!(
                "\nPerplexity: {n} scored tokens of {src} (as llama.cpp's `perplexity` with `-c` the \
                 window: each window from an empty cache, BOS first, its second half scored, \
                 teacher-forced); PPL = exp(mean NLL), ΔPPL = PPL − the f32 baseline's; passage \
                 KL = KL(p_f32 ‖ p_variant) in nats per scored position, mean and 99th \
                 percentile (linear interpolation); passage top-1 = positions with the same \
                 argmax as f32.\n"
            )
        })
        .collect()
}

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
    let scored = r.rows.iter().any(|row| row.passage.perplexity.is_some());
    let (head, rule) = if scored {
        (
            " PPL | ΔPPL vs f32 | passage mean KL | passage KL p99 | passage top-1 |",
            "---:|---:|---:|---:|---:|",
        )
    } else {
        ("", "")
    };
    let _ = writeln!(
        s,
        "| backend | model | quant | vs | greedy tokens identical | top-1 agreement | max abs Δlogit | mean KL (nats) |{head} verdict |"
    );
    let _ = writeln!(s, "|---|---|---|---|---:|---:|---:|---:|{rule}---|");
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
        let passage = if scored {
            passage_cells(&row.passage, reasons)
        } else {
            String::new()
        };
        let _ = writeln!(
            s,
            "| {} | {} | {} | {} | {greedy} | {top1} | {dmax} | {kl} |{passage} {verdict}{note} |",
            row.backend, row.model, row.quant, row.baseline
        );
    }
    if scored {
        s.push_str(&passage_note(&r.rows));
    } else {
        let mut keys: Vec<String> = Vec::new();
        for why in r
            .rows
            .iter()
            .filter_map(|row| row.passage.reason.as_deref())
        {
            let k = reasons.key(why);
            if !keys.contains(&k) {
                keys.push(k);
            }
        }
        if !keys.is_empty() {
            let _ = writeln!(s, "\nPerplexity on held-out text: n/a {}", keys.join(" "));
        }
    }
    s
}
