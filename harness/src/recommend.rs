//! `edgebench recommend`: which configuration (backend × model × quantization × threads) to
//! use on a board under a latency, RAM and quality budget. Each configuration is checked
//! against the constraints in a fixed order (it ran; latency: p99 decode step within the
//! budget; RAM: steady peak within the limit; quality: agreement with the f32 reference from
//! the verify gate) and the first one it breaks is kept with the figures; the rest are ranked
//! by the objective (`speed`, `energy` or `ram`) with every tie broken by the next figure and
//! finally by name, so the answer never depends on input order. The Pareto front (decode
//! tok/s up, peak RAM down, J/token down when every candidate has it) is marked.
//!
//! Candidates come from a report ([`candidates`]) or from the run history
//! (`history::latest`), so both paths share every rule here.

pub mod render;

pub use render::{render_json, render_markdown};

use serde::Serialize;

use crate::results::{PointStatus, Report, Verdict, BYTES_PER_MIB};

/// The limits a configuration must meet; `None` means no limit.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Constraints {
    /// p99 of the decode step latency, milliseconds.
    pub budget_ms_per_token: Option<f64>,
    /// Steady peak RSS, MiB.
    pub max_ram_mib: Option<f64>,
    /// Smallest top-1 agreement with the f32 reference (0..=1).
    pub min_top1: f64,
    /// Largest mean KL divergence from the f32 reference, nats.
    pub max_kl: f64,
}

impl Default for Constraints {
    fn default() -> Self {
        Constraints {
            budget_ms_per_token: None,
            max_ram_mib: None,
            min_top1: DEFAULT_MIN_TOP1,
            max_kl: DEFAULT_MAX_KL,
        }
    }
}

pub const DEFAULT_MIN_TOP1: f64 = 0.95;
pub const DEFAULT_MAX_KL: f64 = 0.05;

/// What the ranking maximises.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Optimize {
    /// Decode tokens/s, highest first.
    Speed,
    /// Decode energy per token, lowest first.
    Energy,
    /// Steady peak RSS, lowest first.
    Ram,
}

/// A configuration's agreement with the f32 reference.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "snake_case", tag = "kind")]
pub enum Quality {
    /// Measured by the verify gate (the baseline itself has top-1 1 and KL 0): on the
    /// held-out passage when the gate scored one, else over the greedy steps it compared.
    Measured {
        top1_rate: f64,
        mean_kl: f64,
        /// What the figures are over (`held-out passage, N tokens` or `greedy gate, N positions`).
        basis: String,
        /// The gate flagged this f32 variant (tokens or logits off the reference).
        flagged: Option<String>,
    },
    /// No agreement data, and why.
    Missing { reason: String },
}

/// One configuration with the figures the constraints and the ranking read.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Candidate {
    /// `backend model quant tN pP gG`.
    pub name: String,
    pub backend: String,
    pub model: String,
    pub quant: String,
    pub threads: usize,
    /// Why the point has no measurements (it failed or was skipped).
    pub did_not_run: Option<String>,
    pub decode_tok_s: Option<f64>,
    pub decode_p99_ms: Option<f64>,
    pub peak_ram_bytes: Option<u64>,
    pub j_per_token: Option<f64>,
    pub quality: Quality,
    /// Where the figures come from (a run directory, a history run).
    pub source: Option<String>,
}

impl Candidate {
    pub fn peak_ram_mib(&self) -> Option<f64> {
        self.peak_ram_bytes.map(|b| b as f64 / BYTES_PER_MIB)
    }
}

/// The constraint a configuration broke first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Constraint {
    /// The point failed or was skipped.
    Ran,
    Latency,
    Ram,
    Quality,
}

impl std::fmt::Display for Constraint {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Constraint::Ran => "did not run",
            Constraint::Latency => "latency",
            Constraint::Ram => "RAM",
            Constraint::Quality => "quality",
        })
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Excluded {
    pub candidate: Candidate,
    pub constraint: Constraint,
    /// The figures: measured value against the limit.
    pub detail: String,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Ranked {
    pub candidate: Candidate,
    /// On the Pareto front of the configurations that meet every constraint.
    pub pareto: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Recommendation {
    pub constraints: Constraints,
    pub optimize: Optimize,
    /// Configurations that meet every constraint, best first (the first is the answer).
    pub ranked: Vec<Ranked>,
    pub excluded: Vec<Excluded>,
}

impl Recommendation {
    pub fn winner(&self) -> Option<&Candidate> {
        self.ranked.first().map(|r| &r.candidate)
    }
}

/// The first constraint `c` breaks, with its figures; `None` when it meets all.
pub fn first_broken(c: &Candidate, k: &Constraints) -> Option<(Constraint, String)> {
    if let Some(why) = &c.did_not_run {
        return Some((Constraint::Ran, why.clone()));
    }
    if c.decode_tok_s.is_none() {
        return Some((Constraint::Ran, "no decode tokens/s measured".into()));
    }
    if let Some(budget) = k.budget_ms_per_token {
        match c.decode_p99_ms {
            None => {
                return Some((
                    Constraint::Latency,
                    "no decode step latency measured".into(),
                ))
            }
            Some(p99) if p99 > budget => {
                return Some((
                    Constraint::Latency,
                    format!("p99 decode step {p99:.2} ms > budget {budget} ms"),
                ))
            }
            Some(_) => {}
        }
    }
    if let Some(max) = k.max_ram_mib {
        match c.peak_ram_mib() {
            None => return Some((Constraint::Ram, "no steady peak RSS measured".into())),
            Some(ram) if ram > max => {
                return Some((
                    Constraint::Ram,
                    format!("steady peak RSS {ram:.1} MiB > limit {max} MiB"),
                ))
            }
            Some(_) => {}
        }
    }
    match &c.quality {
        Quality::Missing { reason } => {
            Some((Constraint::Quality, format!("no agreement data: {reason}")))
        }
        Quality::Measured {
            flagged: Some(note),
            ..
        } => Some((
            Constraint::Quality,
            format!("flagged by the verify gate: {note}"),
        )),
        Quality::Measured {
            top1_rate,
            mean_kl,
            basis,
            ..
        } => {
            if top1_rate.is_nan() || *top1_rate < k.min_top1 {
                Some((
                    Constraint::Quality,
                    format!(
                        "top-1 agreement {:.1}% < floor {:.1}% ({basis})",
                        top1_rate * 100.0,
                        k.min_top1 * 100.0
                    ),
                ))
            } else if mean_kl.is_nan() || *mean_kl > k.max_kl {
                Some((
                    Constraint::Quality,
                    format!(
                        "mean KL {mean_kl:.3e} nats > limit {:.3e} ({basis})",
                        k.max_kl
                    ),
                ))
            } else {
                None
            }
        }
    }
}

/// Which of `points` (decode tok/s, peak RAM bytes, J/token) no other point dominates: at least
/// as fast, as small and as frugal, and strictly better in one. J/token counts only when every
/// point has it. Non-finite figures are never on the front.
pub fn pareto_front(points: &[(f64, f64, Option<f64>)]) -> Vec<bool> {
    let with_energy = points.iter().all(|p| p.2.is_some_and(f64::is_finite));
    let e = |p: &(f64, f64, Option<f64>)| if with_energy { p.2.unwrap_or(0.0) } else { 0.0 };
    points
        .iter()
        .map(|a| {
            a.0.is_finite()
                && a.1.is_finite()
                && !points.iter().any(|b| {
                    b.0 >= a.0
                        && b.1 <= a.1
                        && e(b) <= e(a)
                        && (b.0 > a.0 || b.1 < a.1 || e(b) < e(a))
                })
        })
        .collect()
}

/// Order by the objective, then by the other figures, then by name.
fn compare(a: &Candidate, b: &Candidate, optimize: Optimize) -> std::cmp::Ordering {
    use std::cmp::Ordering;
    // Missing figures sort last.
    let asc = |x: Option<f64>, y: Option<f64>| match (x, y) {
        (Some(x), Some(y)) => x.total_cmp(&y),
        (Some(_), None) => Ordering::Less,
        (None, Some(_)) => Ordering::Greater,
        (None, None) => Ordering::Equal,
    };
    let desc = |x: Option<f64>, y: Option<f64>| asc(x.map(|v| -v), y.map(|v| -v));
    let speed = desc(a.decode_tok_s, b.decode_tok_s);
    let ram = asc(
        a.peak_ram_bytes.map(|v| v as f64),
        b.peak_ram_bytes.map(|v| v as f64),
    );
    let energy = asc(a.j_per_token, b.j_per_token);
    let p99 = asc(a.decode_p99_ms, b.decode_p99_ms);
    let order = match optimize {
        Optimize::Speed => [speed, p99, ram, energy],
        Optimize::Energy => [energy, speed, ram, p99],
        Optimize::Ram => [ram, speed, energy, p99],
    };
    order
        .into_iter()
        .find(|o| *o != Ordering::Equal)
        .unwrap_or(Ordering::Equal)
        .then_with(|| a.name.cmp(&b.name))
}

/// Check every candidate, rank those that pass, mark their Pareto front.
pub fn recommend(
    candidates: Vec<Candidate>,
    k: &Constraints,
    optimize: Optimize,
) -> Recommendation {
    let mut pass = Vec::new();
    let mut excluded = Vec::new();
    for c in candidates {
        match first_broken(&c, k) {
            Some((constraint, detail)) => excluded.push(Excluded {
                candidate: c,
                constraint,
                detail,
            }),
            None => pass.push(c),
        }
    }
    pass.sort_by(|a, b| compare(a, b, optimize));
    excluded.sort_by(|a, b| a.candidate.name.cmp(&b.candidate.name));
    let front = pareto_front(
        &pass
            .iter()
            .map(|c| {
                (
                    c.decode_tok_s.unwrap_or(f64::NAN),
                    c.peak_ram_bytes.map_or(f64::NAN, |b| b as f64),
                    c.j_per_token,
                )
            })
            .collect::<Vec<_>>(),
    );
    Recommendation {
        constraints: k.clone(),
        optimize,
        ranked: pass
            .into_iter()
            .zip(front)
            .map(|(candidate, pareto)| Ranked { candidate, pareto })
            .collect(),
        excluded,
    }
}

/// A point's name without its index.
fn name(l: &crate::results::PointLabel) -> String {
    l.to_string()
}

/// The agreement of (backend, model, quant) in `report`, or why there is none.
pub fn quality_of(report: &Report, backend: &str, model: &str, quant: &str) -> Quality {
    let missing = |reason: String| Quality::Missing { reason };
    let Some(a) = &report.agreement else {
        return missing("the run has no agreement gate (the scenario's `verify` is off)".into());
    };
    let Some(row) = a
        .rows
        .iter()
        .find(|r| r.backend == backend && r.model == model && r.quant == quant)
    else {
        return missing(format!(
            "the verify gate has no row for {backend} {model} {quant}"
        ));
    };
    match &row.agreement {
        None => missing(
            row.note
                .clone()
                .unwrap_or_else(|| "the gate could not compare its logits".into()),
        ),
        Some(ag) => {
            let passage = &row.passage;
            let (top1_rate, mean_kl, basis) = match (passage.top1_agreement, passage.kl_mean_nats) {
                (Some(t), Some(kl)) => (
                    t,
                    kl,
                    format!(
                        "held-out passage, {} tokens",
                        passage.eval_tokens.unwrap_or_default()
                    ),
                ),
                _ => (
                    ag.top1_rate,
                    ag.mean_kl,
                    format!("greedy gate, {} positions", ag.positions),
                ),
            };
            Quality::Measured {
                top1_rate,
                mean_kl,
                basis,
                flagged: (row.verdict == Verdict::Flagged).then(|| {
                    row.note
                        .clone()
                        .unwrap_or_else(|| "disagrees with the reference engine".into())
                }),
            }
        }
    }
}

/// A figure that is not finite was not measured.
fn finite(v: Option<f64>) -> Option<f64> {
    v.filter(|x| x.is_finite())
}

/// Every point of `report` as a candidate.
pub fn candidates(report: &Report, source: Option<&str>) -> Vec<Candidate> {
    report
        .points
        .iter()
        .map(|p| {
            let l = &p.label;
            let lat = p.latency.as_ref();
            let did_not_run = (p.status != PointStatus::Ok).then(|| {
                let status = if p.status == PointStatus::Failed {
                    "failed"
                } else {
                    "skipped"
                };
                match &p.error {
                    Some(e) => format!("{status} ({}): {}", e.kind, e.message),
                    None => status.to_string(),
                }
            });
            Candidate {
                name: name(l),
                backend: l.backend.clone(),
                model: l.model.clone(),
                quant: l.quant.clone(),
                threads: l.threads,
                did_not_run,
                decode_tok_s: finite(lat.and_then(|s| s.decode_tok_s)),
                decode_p99_ms: finite(lat.and_then(|s| s.decode.as_ref()).map(|d| d.p99_ns / 1e6)),
                peak_ram_bytes: p.memory.peak_rss_steady_bytes,
                j_per_token: finite(p.power.measured().and_then(|m| m.energy_per_token_j)),
                quality: quality_of(report, &l.backend, &l.model, &l.quant),
                source: source.map(str::to_string),
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pareto_keeps_undominated_points() {
        // (tok/s, RAM, J): b dominates a; c is smaller but slower; d equals b.
        let pts = [
            (100.0, 50.0, None),
            (120.0, 40.0, None),
            (80.0, 20.0, None),
            (120.0, 40.0, None),
            (f64::NAN, 1.0, None),
        ];
        assert_eq!(pareto_front(&pts), vec![false, true, true, true, false]);
        // Energy counts when everyone has it: a becomes undominated by being frugal.
        let pts = [(100.0, 50.0, Some(0.1)), (120.0, 40.0, Some(0.5))];
        assert_eq!(pareto_front(&pts), vec![true, true]);
    }
}
