//! `edgebench recommend` on hand-made reports: the fastest configuration breaks the RAM limit,
//! one the quality floor, one has no agreement data, one the latency budget; the output names
//! each with the constraint it broke and its figures, the winner is right, ties are broken the
//! same way whatever the input order, and the CLI prints markdown and JSON with exit codes.

use assert_cmd::Command;
use edgebench::recommend::{self, Constraint, Constraints, Optimize};
use edgebench::results::Report;

use super::report_fixture::{agreement_row, point, report, stdout_of};

/// fast: 900 tok/s, 900 MiB (breaks RAM); lossy: 700 tok/s, top-1 0.80 (breaks quality);
/// unverified: 650 tok/s, no agreement row; slow_step: 620 tok/s, p99 80 ms (breaks latency);
/// a and b: identical figures, 500 tok/s, 300 MiB (tie: name decides); small: 300 tok/s, 100 MiB.
fn hand_made() -> Report {
    let points = vec![
        point(0, "ort", "int8", 2, 900.0, 5.0, 900.0),
        point(1, "reference", "q4_0", 1, 700.0, 4.0, 200.0),
        point(2, "tract", "int4", 1, 650.0, 6.0, 250.0),
        point(3, "candle", "q8_0", 1, 620.0, 80.0, 260.0),
        point(4, "reference", "q8_0", 2, 500.0, 5.0, 300.0),
        point(5, "reference", "q8_0", 1, 500.0, 5.0, 300.0),
        point(6, "reference", "f32", 1, 300.0, 9.0, 100.0),
    ];
    let rows = vec![
        agreement_row("reference", "f32", "baseline", Some((1.0, 0.0)), None),
        agreement_row("ort", "int8", "measured", Some((0.97, 0.01)), None),
        agreement_row("reference", "q4_0", "measured", Some((0.80, 0.2)), None),
        agreement_row("candle", "q8_0", "measured", Some((1.0, 0.002)), None),
        agreement_row("reference", "q8_0", "measured", Some((1.0, 0.002)), None),
    ];
    report(points, Some(rows), Some(50.0))
}

fn limits() -> Constraints {
    Constraints {
        budget_ms_per_token: Some(50.0),
        max_ram_mib: Some(700.0),
        ..Constraints::default()
    }
}

fn excluded_by(rec: &recommend::Recommendation, name_part: &str) -> (Constraint, String) {
    let e = rec
        .excluded
        .iter()
        .find(|e| e.candidate.name.contains(name_part))
        .unwrap_or_else(|| panic!("{name_part} is not excluded: {rec:#?}"));
    (e.constraint, e.detail.clone())
}

#[test]
fn each_exclusion_names_its_first_broken_constraint_and_the_winner_is_right() {
    let r = hand_made();
    let rec = recommend::recommend(recommend::candidates(&r, None), &limits(), Optimize::Speed);
    let (c, d) = excluded_by(&rec, "ort stories15m int8 t2");
    assert_eq!(c, Constraint::Ram);
    assert!(d.contains("900.0 MiB > limit 700 MiB"), "{d}");
    let (c, d) = excluded_by(&rec, "reference stories15m q4_0 t1");
    assert_eq!(c, Constraint::Quality);
    assert!(d.contains("top-1 agreement 80.0% < floor 95.0%"), "{d}");
    let (c, d) = excluded_by(&rec, "tract stories15m int4 t1");
    assert_eq!(c, Constraint::Quality);
    assert!(
        d.contains("no agreement data") && d.contains("no row for tract"),
        "{d}"
    );
    let (c, d) = excluded_by(&rec, "candle stories15m q8_0 t1");
    assert_eq!(c, Constraint::Latency);
    assert!(d.contains("80.00 ms > budget 50 ms"), "{d}");
    assert_eq!(rec.excluded.len(), 4);
    // The two identical reference q8_0 points tie on every figure: the name decides (t1 < t2).
    let names: Vec<&str> = rec
        .ranked
        .iter()
        .map(|x| x.candidate.name.as_str())
        .collect();
    assert_eq!(
        names,
        [
            "reference stories15m q8_0 t1 p32 g16",
            "reference stories15m q8_0 t2 p32 g16",
            "reference stories15m f32 t1 p32 g16"
        ]
    );
    // Front: the q8_0 pair (fastest) and f32 (smallest).
    assert!(rec.ranked.iter().all(|x| x.pareto), "{rec:#?}");

    let md = recommend::render_markdown(&rec);
    assert!(
        md.contains("Recommended: **reference stories15m q8_0 t1 p32 g16**"),
        "{md}"
    );
    for line in [
        "**ort stories15m int8 t2 p32 g16**: RAM: steady peak RSS 900.0 MiB > limit 700 MiB",
        "**reference stories15m q4_0 t1 p32 g16**: quality: top-1 agreement 80.0% < floor 95.0%",
        "**tract stories15m int4 t1 p32 g16**: quality: no agreement data",
        "**candle stories15m q8_0 t1 p32 g16**: latency: p99 decode step 80.00 ms > budget 50 ms",
    ] {
        assert!(md.contains(line), "missing `{line}` in\n{md}");
    }
}

#[test]
fn the_answer_does_not_depend_on_input_order() {
    let r = hand_made();
    let forward = recommend::candidates(&r, None);
    let mut backward = forward.clone();
    backward.reverse();
    let a = recommend::recommend(forward, &limits(), Optimize::Speed);
    let b = recommend::recommend(backward, &limits(), Optimize::Speed);
    assert_eq!(a, b);
}

#[test]
fn without_limits_the_fastest_wins_and_ram_or_energy_objectives_reorder() {
    let r = hand_made();
    let k = Constraints::default(); // quality floor only, no latency budget, no RAM limit
    let rec = recommend::recommend(recommend::candidates(&r, None), &k, Optimize::Speed);
    assert_eq!(
        rec.winner().map(|c| c.name.as_str()),
        Some("ort stories15m int8 t2 p32 g16")
    );
    let rec = recommend::recommend(recommend::candidates(&r, None), &k, Optimize::Ram);
    assert_eq!(
        rec.winner().map(|c| c.name.as_str()),
        Some("reference stories15m f32 t1 p32 g16")
    );
    // No J/token anywhere: the energy ranking falls back to speed, then RAM, then the name.
    let rec = recommend::recommend(recommend::candidates(&r, None), &k, Optimize::Energy);
    assert_eq!(
        rec.winner().map(|c| c.name.as_str()),
        Some("ort stories15m int8 t2 p32 g16")
    );
}

#[test]
fn a_run_without_the_verify_gate_excludes_everything_for_missing_agreement() {
    let mut r = hand_made();
    r.agreement = None;
    let rec = recommend::recommend(
        recommend::candidates(&r, None),
        &Constraints::default(),
        Optimize::Speed,
    );
    assert!(rec.ranked.is_empty());
    assert!(rec
        .excluded
        .iter()
        .all(|e| e.constraint == Constraint::Quality && e.detail.contains("verify")));
    assert!(recommend::render_markdown(&rec).contains("No configuration meets every constraint"));
}

#[test]
fn flagged_f32_and_failed_points_are_excluded_with_the_reason() {
    let mut r = hand_made();
    r.points[6].status = edgebench::results::PointStatus::Failed;
    r.points[6].latency = None;
    if let Some(a) = r.agreement.as_mut() {
        a.rows[0].verdict = edgebench::results::Verdict::Flagged;
        a.rows[0].note = Some("f32 disagrees".into());
    }
    let rec = recommend::recommend(
        recommend::candidates(&r, None),
        &Constraints::default(),
        Optimize::Speed,
    );
    let (c, _) = excluded_by(&rec, "reference stories15m f32 t1");
    assert_eq!(c, Constraint::Ran);
    r.points[6] = hand_made().points[6].clone();
    let rec = recommend::recommend(
        recommend::candidates(&r, None),
        &Constraints::default(),
        Optimize::Speed,
    );
    let (c, d) = excluded_by(&rec, "reference stories15m f32 t1");
    assert_eq!(c, Constraint::Quality);
    assert!(
        d.contains("flagged by the verify gate: f32 disagrees"),
        "{d}"
    );
}

#[test]
fn held_out_passage_figures_decide_quality_when_the_gate_scored_one() {
    let mut r = hand_made();
    if let Some(a) = r.agreement.as_mut() {
        // reference q8_0: perfect over the greedy steps, poor on held-out text.
        let row = &mut a.rows[4];
        row.passage.top1_agreement = Some(0.5);
        row.passage.kl_mean_nats = Some(0.01);
        row.passage.eval_tokens = Some(248);
    }
    let rec = recommend::recommend(recommend::candidates(&r, None), &limits(), Optimize::Speed);
    let (c, d) = excluded_by(&rec, "reference stories15m q8_0 t1");
    assert_eq!(c, Constraint::Quality);
    assert!(
        d.contains("top-1 agreement 50.0% < floor 95.0% (held-out passage, 248 tokens)"),
        "{d}"
    );
    // Without passage figures, the greedy gate's are used and said so.
    let rec = recommend::recommend(
        recommend::candidates(&hand_made(), None),
        &limits(),
        Optimize::Speed,
    );
    let (_, d) = excluded_by(&rec, "reference stories15m q4_0 t1");
    assert!(d.ends_with("(greedy gate, 33 positions)"), "{d}");
}

#[test]
fn cli_prints_markdown_and_json_and_exits_1_when_nothing_fits() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("run");
    std::fs::create_dir_all(&dir).unwrap();
    edgebench::report::json::write(&dir.join("report.json"), &hand_made()).unwrap();
    let md = stdout_of(&["recommend", "--max-ram-mib", "700"], &dir);
    // The scenario's budget (50 ms) applies when none is given.
    assert!(md.contains("p99 decode step ≤ 50 ms"), "{md}");
    assert!(
        md.contains("Recommended: **reference stories15m q8_0 t1 p32 g16**"),
        "{md}"
    );

    let out = stdout_of(
        &[
            "recommend",
            "--format",
            "json",
            "--optimize",
            "ram",
            "--budget-ms-per-token",
            "100",
        ],
        &dir.join("report.json"),
    );
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["optimize"], "ram");
    assert_eq!(
        v["ranked"][0]["candidate"]["name"],
        "reference stories15m f32 t1 p32 g16"
    );
    assert_eq!(v["excluded"].as_array().unwrap().len(), 2, "{v:#}");

    Command::cargo_bin("edgebench")
        .unwrap()
        .args(["recommend", "--max-ram-mib", "10"])
        .arg(&dir)
        .assert()
        .code(1)
        .stdout(predicates::str::contains(
            "No configuration meets every constraint",
        ));
    Command::cargo_bin("edgebench")
        .unwrap()
        .args(["recommend", "--min-top1", "95"])
        .arg(&dir)
        .assert()
        .code(2)
        .stderr(predicates::str::contains("use 0.95 for 95%"));
}
