//! Snapshot tests of the report exporters on a fixed report (insta).

use edgebench::results::*;
use std::collections::BTreeMap;

fn label(index: usize, backend: &str, quant: &str) -> PointLabel {
    PointLabel {
        index,
        backend: backend.into(),
        model: "stories15m".into(),
        quant: quant.into(),
        threads: 1,
        prompt_tokens: 4,
        gen_tokens: 3,
    }
}

fn agreement() -> edgebench::results::AgreementReport {
    use edgebench::results::{Agreement, AgreementReport, AgreementRow, Verdict};
    let row = |quant: &str, verdict, a: Option<Agreement>, note: Option<&str>| AgreementRow {
        backend: "reference".into(),
        model: "stories15m".into(),
        quant: quant.into(),
        baseline: "reference f32 gguf".into(),
        verdict,
        agreement: a,
        note: note.map(str::to_string),
        passage: PassageQuality::unmeasured(note.unwrap_or("not measured: no eval_text")),
    };
    let a = Agreement {
        positions: 33,
        top1_agree: 31,
        top1_rate: 31.0 / 33.0,
        greedy_prefix: 12,
        max_abs_logit_diff: 0.25,
        mean_kl: 0.0031,
        max_kl: 0.01,
    };
    let mut q8 = row("q8_0", Verdict::Measured, Some(a), None);
    q8.passage = PassageQuality {
        source: Some("the trained model's held-out passage: 8 windows of 64 tokens".into()),
        eval_tokens: Some(248),
        perplexity: Some(12.5),
        delta_perplexity_vs_f32: Some(0.25),
        kl_mean_nats: Some(0.0042),
        kl_p99_nats: Some(0.031),
        top1_agreement: Some(0.96),
        reason: None,
    };
    AgreementReport {
        steps: 32,
        f32_tolerance: 1e-3,
        rows: vec![
            q8,
            row(
                "q4_0",
                Verdict::Flagged,
                None,
                Some("run failed: truncated"),
            ),
        ],
    }
}

fn fixed_report() -> Report {
    let runs = vec![
        RunRecord {
            run: 0,
            ttft_ns: 4_000_000,
            decode_latency_ns: vec![2_000_000, 2_500_000],
            tokens: vec![5, 9, 11],
            text: Some(" and God | *said*".into()),
        },
        RunRecord {
            run: 1,
            ttft_ns: 4_200_000,
            decode_latency_ns: vec![2_100_000, 2_400_000],
            tokens: vec![5, 9, 11],
            text: Some(" and God | *said*".into()),
        },
    ];
    let ok = PointResult {
        label: label(0, "reference", "q8_0"),
        status: PointStatus::Ok,
        error: None,
        model: Some(ModelFile {
            path: ".models/stories15m-q8_0-s42-v1.gguf".into(),
            format: "gguf".into(),
            sha256: Some("ab".repeat(32)),
            file_bytes: Some(25_000_000),
            origin: "synth:stories15m seed 42".into(),
            info: None,
            integrity: None,
        }),
        backend_info: BTreeMap::from([("kernels".to_string(), "scalar".to_string())]),
        load: Some(LoadMetrics {
            load_ns: 12_000_000,
            cold_requested: false,
            cold_evicted: None,
            cold_note: None,
        }),
        latency: Some(LatencySummary {
            ttft: edgebench::stats::latency_stats(&[4_000_000, 4_200_000]).unwrap(),
            decode: edgebench::stats::latency_stats(&[2_000_000, 2_500_000, 2_100_000, 2_400_000]),
            prefill_tok_s: 975.6,
            decode_tok_s: Some(444.4),
            decode_tok_s_ci95: Some([400.0, 476.2]),
            within_budget_fraction: Some(0.75),
            runs_agree: true,
            harness_gap_p50_ns: None,
        }),
        runs,
        memory: MemoryMetrics {
            peak_rss_load_bytes: Some(30 << 20),
            peak_rss_steady_bytes: Some(32 << 20),
            rss_timeline: vec![RssSample {
                t_ms: 1.5,
                rss_bytes: 20 << 20,
            }],
            note: None,
        },
        wall_ns: 1_000_000_000,
        flags: vec![],
        power: edgebench::results::PowerMetrics::unavailable("no power sensor found (test)"),
        thermal: None,
        roofline: Some(Roofline {
            bandwidth_bytes_per_s: 20e9,
            weight_bytes_per_token: 25_000_000,
            ceiling_tok_s: 800.0,
            fraction: 444.4 / 800.0,
            cache_resident: false,
        }),
    };
    let failed = PointResult::without_measurements(
        label(1, "reference", "q4_0"),
        PointStatus::Failed,
        PointError {
            kind: ErrorKind::InvalidModel,
            message: "model file x.gguf: truncated".into(),
        },
    );
    let skipped = PointResult::without_measurements(
        label(2, "ort", "int8"),
        PointStatus::Skipped,
        PointError {
            kind: ErrorKind::NotCompiled,
            message: "backend `ort` is not compiled into this build; rebuild with `--features ort`"
                .into(),
        },
    );
    Report {
        schema_version: SCHEMA_VERSION,
        tool: ToolInfo {
            name: "edgebench".into(),
            version: "0.1.0".into(),
            git_commit: Some("abc123".into()),
            features: vec![],
        },
        scenario: ScenarioInfo {
            name: "snap".into(),
            path: None,
            source: "name = \"snap\"".into(),
            latency_budget_ms_per_token: Some(2.2),
        },
        created_utc: "2026-11-25T00:00:00Z".into(),
        environment: Environment {
            arch: "x86_64".into(),
            cpu_model: Some("Test CPU".into()),
            logical_cores: 2,
            ..Default::default()
        },
        agreement: Some(agreement()),
        power: None,
        harness_overhead: Some(Overhead {
            per_token_ns: 12_500.0,
            per_token_p99_ns: 40_000.0,
            samples: 255,
        }),
        points: vec![ok, failed, skipped],
    }
}

#[test]
fn markdown_snapshot() {
    insta::assert_snapshot!(edgebench::report::markdown::render(&fixed_report()));
}

#[test]
fn csv_snapshot() {
    let mut buf = Vec::new();
    edgebench::report::csv::write_tokens(&mut buf, &fixed_report()).unwrap();
    insta::assert_snapshot!(String::from_utf8(buf).unwrap());
}

#[test]
fn json_snapshot_and_round_trip() {
    let r = fixed_report();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("report.json");
    edgebench::report::json::write(&path, &r).unwrap();
    let text = std::fs::read_to_string(&path).unwrap();
    insta::assert_snapshot!(text);
    assert_eq!(edgebench::report::json::read(&path).unwrap(), r);
    // A different schema version is refused with a clear message.
    std::fs::write(
        &path,
        text.replace("\"schema_version\": 1", "\"schema_version\": 99"),
    )
    .unwrap();
    let e = edgebench::report::json::read(&path)
        .unwrap_err()
        .to_string();
    assert!(e.contains("schema_version 99"), "{e}");
}

/// A report.json written before passage metrics and generated text (agreement rows without
/// `passage`, runs without `text`) still loads: the passage is null with a reason that says so.
#[test]
fn a_report_from_before_passage_metrics_loads() {
    let mut v = serde_json::to_value(fixed_report()).unwrap();
    for row in v["agreement"]["rows"].as_array_mut().unwrap() {
        row.as_object_mut().unwrap().remove("passage").unwrap();
    }
    for p in v["points"].as_array_mut().unwrap() {
        for run in p["runs"].as_array_mut().unwrap() {
            run.as_object_mut().unwrap().remove("text");
        }
    }
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("report.json");
    std::fs::write(&path, serde_json::to_string(&v).unwrap()).unwrap();
    let r = edgebench::report::json::read(&path).unwrap();
    let rows = &r.agreement.as_ref().unwrap().rows;
    assert!(rows
        .iter()
        .all(|row| row.passage == PassageQuality::not_in_report()));
    assert!(rows[0]
        .passage
        .reason
        .as_deref()
        .unwrap()
        .contains("before passage metrics"));
    assert!(r
        .points
        .iter()
        .flat_map(|p| &p.runs)
        .all(|run| run.text.is_none()));
    let md = edgebench::report::markdown::render(&r);
    assert!(md.contains("Perplexity on held-out text: n/a"), "{md}");
    assert!(!md.contains("## Generated text"), "{md}");
}

/// One backend unavailable for three points and three agreement rows: its long message
/// appears once in report.md, and every line about a failed point is short.
#[test]
fn an_unavailable_backend_is_explained_once() {
    let reason = "backend `ort` is unavailable: the ONNX Runtime library was not found \
(ORT_DYLIB_PATH is not set and no .onnxruntime/lib/libonnxruntime.so* exists in the current \
directory, the executable's directory or their parents); fix: run `bash scripts/setup-onnxruntime.sh` \
in the edgebench repository, then export ORT_DYLIB_PATH=<the path it prints>";
    let mut r = fixed_report();
    let quants = ["f32", "int8", "int4"];
    for (i, q) in quants.iter().enumerate() {
        r.points.push(PointResult::without_measurements(
            label(3 + i, "ort", q),
            PointStatus::Failed,
            PointError::new(ErrorKind::Unavailable, reason),
        ));
    }
    let a = r.agreement.as_mut().unwrap();
    for q in quants {
        a.rows.push(AgreementRow {
            backend: "ort".into(),
            model: "stories15m".into(),
            quant: q.into(),
            baseline: "reference f32 gguf".into(),
            verdict: Verdict::Flagged,
            agreement: None,
            note: Some(format!("run failed: unavailable: {reason}")),
            passage: PassageQuality::unmeasured(format!("run failed: unavailable: {reason}")),
        });
    }
    let md = edgebench::report::markdown::render(&r);
    assert_eq!(
        md.matches("ONNX Runtime library was not found").count(),
        1,
        "{md}"
    );
    for line in md
        .lines()
        .filter(|l| !l.starts_with('[') && (l.contains("ort ") || l.contains("| ort |")))
    {
        assert!(
            line.len() <= 200,
            "a long line about a failed point: {line}"
        );
        assert!(
            !line.contains("ORT_DYLIB_PATH"),
            "a reason inside a row: {line}"
        );
    }
    // Every failed ort line points at the same key.
    let key_lines = md
        .lines()
        .filter(|l| l.contains("ort") && l.contains("(unavailable) ["))
        .count();
    assert_eq!(key_lines, 6, "3 table rows + 3 'did not run' lines:\n{md}");
}
