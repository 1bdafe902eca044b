use super::*;
use crate::results::{ErrorKind, PointError, RunRecord};

/// Three mock points with 3, 3 and 2 measured repetitions (scenario parsed and expanded as
/// `edgebench run` does).
fn points() -> Vec<PlanPoint> {
    let src = r#"
name = "alt"
backends = ["mock"]
prompt_tokens = 4
gen_tokens = 3
threads = [1, 2]
warmup = 1
repetitions = 3
alternate = true
[[models]]
path = "mock:vocab=64,cost_us=10"
"#;
    let ls = crate::scenario::parse(src, None).unwrap();
    assert!(ls.scenario.alternate);
    let mut p = crate::plan::expand(&ls, None).unwrap().points;
    assert_eq!(p.len(), 2);
    let mut third = p[1].clone();
    third.runs.repetitions = 2;
    third.label.index = 2;
    p.push(third);
    p
}

/// A finished round of point `i`: one measured run whose steps take `ms` each.
fn ok_round(p: &PlanPoint, ms: u64) -> PointResult {
    let mut r = PointResult::without_measurements(
        p.label.clone(),
        PointStatus::Ok,
        PointError::new(ErrorKind::Pending, String::new()),
    );
    r.error = None;
    r.runs = vec![RunRecord {
        run: 0,
        ttft_ns: 5_000_000,
        decode_latency_ns: vec![ms * 1_000_000; 3],
        tokens: vec![1, 2, 3],
        text: None,
    }];
    r.wall_ns = 10;
    r
}

#[test]
fn rounds_interleave_the_points_and_merge_every_run() {
    let pts = points();
    let mut order = Vec::new();
    let merged = run_alternated(
        &pts,
        None,
        |i, p| {
            // Each worker run gets the point's warm-up and exactly one measured run.
            assert_eq!(p.runs, Repetitions::exactly(1, 1));
            order.push(i);
            ok_round(p, 1 + order.len() as u64)
        },
        || false,
    );
    // ABC ABC AB: round by round, not each point's repetitions back to back.
    assert_eq!(order, vec![0, 1, 2, 0, 1, 2, 0, 1]);
    let m: Vec<PointResult> = merged.into_iter().map(Option::unwrap).collect();
    assert_eq!(
        m.iter().map(|r| r.runs.len()).collect::<Vec<_>>(),
        [3, 3, 2]
    );
    // Point 0 ran at calls 1, 4 and 7: its steps took 2, 5 and 8 ms.
    let steps: Vec<u64> = m[0]
        .runs
        .iter()
        .map(|r| r.decode_latency_ns[0] / 1_000_000)
        .collect();
    assert_eq!(steps, [2, 5, 8]);
    assert_eq!(
        m[0].runs.iter().map(|r| r.run).collect::<Vec<_>>(),
        [0, 1, 2]
    );
    let lat = m[0].latency.as_ref().expect("latency over all rounds");
    assert_eq!(lat.decode.as_ref().unwrap().n, 9, "3 steps × 3 rounds");
    assert_eq!(m[0].wall_ns, 30);
    assert_eq!(m[0].status, PointStatus::Ok);
}

#[test]
fn a_failed_round_fails_the_point_and_ends_its_rounds() {
    let pts = points();
    let mut calls = vec![0; pts.len()];
    let merged = run_alternated(
        &pts,
        None,
        |i, p| {
            calls[i] += 1;
            if i == 1 && calls[i] == 2 {
                PointResult::without_measurements(
                    p.label.clone(),
                    PointStatus::Failed,
                    PointError::new(ErrorKind::Runtime, "boom"),
                )
            } else {
                ok_round(p, 1)
            }
        },
        || false,
    );
    assert_eq!(
        calls,
        [3, 2, 2],
        "point 1 sits out round 3 after failing round 2"
    );
    let p1 = merged[1].as_ref().unwrap();
    assert_eq!(p1.status, PointStatus::Failed);
    assert_eq!(p1.error.as_ref().unwrap().message, "boom");
    assert_eq!(p1.runs.len(), 1, "the runs of the round before are kept");
}

#[test]
fn a_stop_leaves_unstarted_points_without_a_result() {
    let pts = points();
    let mut n = 0;
    let merged = run_alternated(
        &pts,
        None,
        |_, p| ok_round(p, 1),
        || {
            n += 1;
            n > 2
        },
    );
    assert!(merged[0].is_some() && merged[1].is_some() && merged[2].is_none());
}
