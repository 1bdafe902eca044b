//! The recommendation as markdown (the answer, the ranked table with the Pareto front marked,
//! then each excluded configuration with the constraint it broke) and as JSON.

use std::fmt::Write;

use super::{Candidate, Constraints, Optimize, Recommendation};

fn opt(v: Option<f64>, digits: usize) -> String {
    v.map_or_else(|| "n/a".into(), |x| format!("{x:.digits$}"))
}

/// The constraints in one line.
pub fn describe_constraints(k: &Constraints) -> String {
    format!(
        "{}, {}, top-1 agreement ≥ {:.1}% and mean KL ≤ {} nats against the f32 reference",
        k.budget_ms_per_token.map_or_else(
            || "no latency budget".into(),
            |b| format!("p99 decode step ≤ {b} ms")
        ),
        k.max_ram_mib.map_or_else(
            || "no RAM limit".into(),
            |m| format!("steady peak RSS ≤ {m} MiB")
        ),
        k.min_top1 * 100.0,
        k.max_kl
    )
}

fn objective(o: Optimize) -> &'static str {
    match o {
        Optimize::Speed => "highest decode tok/s",
        Optimize::Energy => "lowest J/token",
        Optimize::Ram => "lowest steady peak RSS",
    }
}

fn figures(c: &Candidate) -> String {
    format!(
        "{} tok/s, p99 {} ms, {} MiB",
        opt(c.decode_tok_s, 1),
        opt(c.decode_p99_ms, 2),
        opt(c.peak_ram_mib(), 1)
    )
}

/// The answer in one sentence.
pub fn headline(r: &Recommendation) -> String {
    match r.winner() {
        Some(w) => format!(
            "Recommended: **{}** ({}; {}).",
            w.name,
            figures(w),
            objective(r.optimize)
        ),
        None => format!(
            "No configuration meets every constraint ({} checked); the exclusions below say which limit each broke.",
            r.excluded.len()
        ),
    }
}

pub fn render_markdown(r: &Recommendation) -> String {
    let mut s = String::new();
    let _ = writeln!(s, "# edgebench recommend\n");
    let _ = writeln!(
        s,
        "Constraints: {}.\n",
        describe_constraints(&r.constraints)
    );
    let _ = writeln!(s, "{}\n", headline(r));
    if !r.ranked.is_empty() {
        let _ = writeln!(
            s,
            "## Configurations that meet every constraint (ranked by {})\n",
            objective(r.optimize)
        );
        let _ = writeln!(
            s,
            "| rank | configuration | decode tok/s | p99 ms | peak RAM MiB | J/token | top-1 | mean KL | Pareto front |"
        );
        let _ = writeln!(s, "|---:|---|---:|---:|---:|---:|---:|---:|---|");
        for (i, x) in r.ranked.iter().enumerate() {
            let c = &x.candidate;
            let (top1, kl) = match &c.quality {
                super::Quality::Measured {
                    top1_rate, mean_kl, ..
                } => (
                    format!("{:.1}%", top1_rate * 100.0),
                    format!("{mean_kl:.2e}"),
                ),
                super::Quality::Missing { .. } => ("n/a".into(), "n/a".into()),
            };
            let _ = writeln!(
                s,
                "| {} | {} | {} | {} | {} | {} | {top1} | {kl} | {} |",
                i + 1,
                c.name,
                opt(c.decode_tok_s, 1),
                opt(c.decode_p99_ms, 2),
                opt(c.peak_ram_mib(), 1),
                opt(c.j_per_token, 4),
                if x.pareto { "yes" } else { "" }
            );
        }
        let _ = writeln!(
            s,
            "\ntop-1 and mean KL against the f32 reference: on the verify gate's held-out passage when it scored one, else over its greedy steps."
        );
        let front: Vec<&str> = r
            .ranked
            .iter()
            .filter(|x| x.pareto)
            .map(|x| x.candidate.name.as_str())
            .collect();
        let _ = writeln!(
            s,
            "\nPareto front (decode tok/s up, peak RAM down{}): {}.",
            if r.ranked.iter().all(|x| x.candidate.j_per_token.is_some()) {
                ", J/token down"
            } else {
                "; J/token not measured for every configuration, so not an axis"
            },
            front.join("; ")
        );
    }
    if !r.excluded.is_empty() {
        let _ = writeln!(s, "\n## Excluded (the first constraint each broke)\n");
        for e in &r.excluded {
            let _ = writeln!(
                s,
                "- **{}**: {}: {}",
                e.candidate.name, e.constraint, e.detail
            );
        }
    }
    s
}

pub fn render_json(r: &Recommendation) -> serde_json::Result<String> {
    serde_json::to_string_pretty(r)
}
