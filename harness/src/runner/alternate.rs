//! Alternated repetitions (`alternate = true` in a scenario, or `edgebench run --alternate`):
//! instead of running each point's measured repetitions back to back, run round 1 of every
//! point, then round 2 of every point, ... (one worker per point per round, each with the
//! point's warm-up and one measured run), so a slow drift of a shared machine's speed (memory
//! bandwidth, other jobs) hits every point alike. Each point's rounds are then merged into one
//! result: the runs of all rounds, the latency summary over all of them.

use crate::plan::PlanPoint;
use crate::results::{PointResult, PointStatus};
use crate::scenario::Repetitions;
use crate::stats;

/// Rounds of an alternated run: the largest `repetitions` of the points (a point with fewer
/// sits out the later rounds). `min_duration_s`/`max_repetitions` do not apply (the plan warns).
pub fn rounds(points: &[PlanPoint]) -> usize {
    points
        .iter()
        .map(|p| p.runs.repetitions.max(1))
        .max()
        .unwrap_or(0)
}

/// Runs `points` in alternated rounds through `run_one` (one worker run of the given point,
/// whose `runs` are the point's warm-up and one measured run) and returns one merged result
/// per point, in plan order. A skipped point runs once (its result says why); after a round
/// in which a point failed, that point sits out the rest. `stop()` ends the run early: points
/// with no finished round then have no result (`None`).
pub fn run_alternated(
    points: &[PlanPoint],
    budget_ms: Option<f64>,
    mut run_one: impl FnMut(usize, &PlanPoint) -> PointResult,
    mut stop: impl FnMut() -> bool,
) -> Vec<Option<PointResult>> {
    let mut per: Vec<Vec<PointResult>> = vec![Vec::new(); points.len()];
    'rounds: for round in 0..rounds(points) {
        for (i, p) in points.iter().enumerate() {
            let done_with = |r: &Vec<PointResult>| {
                r.last().is_some_and(|l| l.status != PointStatus::Ok)
                    || round >= p.runs.repetitions.max(1)
            };
            if done_with(&per[i]) {
                continue;
            }
            if stop() {
                break 'rounds;
            }
            let mut one = p.clone();
            one.runs = Repetitions::exactly(p.runs.warmup, 1);
            per[i].push(run_one(i, &one));
        }
    }
    per.into_iter()
        .map(|r| (!r.is_empty()).then(|| merge(r, budget_ms)))
        .collect()
}

/// One point's rounds as one result: the first round's load, model and backend facts, power
/// and thermal figures; the runs of every round (renumbered in order); the latency summary
/// over all runs; the largest peak RSS; the summed wall time; every flag once. A failed round
/// makes the result failed with that round's error (runs of earlier rounds kept).
pub fn merge(rounds: Vec<PointResult>, budget_ms: Option<f64>) -> PointResult {
    let mut it = rounds.into_iter();
    let Some(mut out) = it.next() else {
        panic!("merge: no rounds");
    };
    let mut gaps: Vec<f64> = out
        .latency
        .as_ref()
        .and_then(|l| l.harness_gap_p50_ns)
        .into_iter()
        .collect();
    for r in it {
        out.runs.extend(r.runs);
        out.wall_ns = out.wall_ns.saturating_add(r.wall_ns);
        let m = &mut out.memory;
        m.peak_rss_load_bytes = m.peak_rss_load_bytes.max(r.memory.peak_rss_load_bytes);
        m.peak_rss_steady_bytes = m.peak_rss_steady_bytes.max(r.memory.peak_rss_steady_bytes);
        gaps.extend(r.latency.as_ref().and_then(|l| l.harness_gap_p50_ns));
        for f in r.flags {
            if !out.flags.contains(&f) {
                out.flags.push(f);
            }
        }
        if r.status != PointStatus::Ok && out.status == PointStatus::Ok {
            out.status = r.status;
            out.error = r.error;
        }
    }
    for (i, run) in out.runs.iter_mut().enumerate() {
        run.run = i;
    }
    out.latency = crate::summarize::latency_summary(&out.runs, out.label.prompt_tokens, budget_ms)
        .map(|mut l| {
            l.harness_gap_p50_ns = stats::median(&gaps);
            l
        });
    out
}

#[cfg(test)]
mod tests;
