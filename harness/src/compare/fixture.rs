//! Synthetic reports for tests of `compare` and `history`: points with chosen per-run decode
//! speeds, so a known change can be planted. Test support only (`testing` feature).

use std::collections::BTreeMap;

use crate::results::{
    Environment, LatencySummary, MemoryMetrics, PointLabel, PointResult, PointStatus, PowerMetrics,
    Report, RunRecord, ScenarioInfo, ToolInfo, SCHEMA_VERSION,
};

/// A finished point whose run `r` decodes `steps` tokens at about `tok_s[r]` tokens/s (a
/// small deterministic jitter between steps), with a 4-token prompt prefilled at twice that.
pub fn point(backend: &str, model: &str, tok_s: &[f64], steps: usize) -> PointResult {
    let runs: Vec<RunRecord> = tok_s
        .iter()
        .enumerate()
        .map(|(r, &t)| {
            let step_ns = 1e9 / t;
            RunRecord {
                run: r,
                ttft_ns: (4.0 * step_ns / 2.0) as u64,
                decode_latency_ns: (0..steps)
                    .map(|i| (step_ns * (1.0 + 0.002 * (((i * 7) % 5) as f64 - 2.0))) as u64)
                    .collect(),
                tokens: vec![1; steps + 1],
                text: None,
            }
        })
        .collect();
    let decode: Vec<u64> = runs
        .iter()
        .flat_map(|r| r.decode_latency_ns.clone())
        .collect();
    let ttfts: Vec<u64> = runs.iter().map(|r| r.ttft_ns).collect();
    let ttft = crate::stats::latency_stats(&ttfts).expect("at least one run");
    PointResult {
        label: PointLabel {
            index: 0,
            backend: backend.into(),
            model: model.into(),
            quant: "-".into(),
            threads: 1,
            prompt_tokens: 4,
            gen_tokens: steps + 1,
        },
        status: PointStatus::Ok,
        error: None,
        model: None,
        backend_info: BTreeMap::new(),
        load: None,
        latency: Some(LatencySummary {
            prefill_tok_s: 4.0 / (ttft.p50_ns / 1e9),
            ttft,
            decode: crate::stats::latency_stats(&decode),
            decode_tok_s: crate::stats::median(tok_s),
            decode_tok_s_ci95: crate::stats::bootstrap_median_ci95(tok_s),
            within_budget_fraction: None,
            runs_agree: true,
            harness_gap_p50_ns: None,
        }),
        runs,
        memory: MemoryMetrics {
            peak_rss_load_bytes: Some(10 << 20),
            peak_rss_steady_bytes: Some(12 << 20),
            rss_timeline: Vec::new(),
            note: None,
        },
        wall_ns: 1,
        flags: Vec::new(),
        power: PowerMetrics::unavailable("no sensor (synthetic report)"),
        thermal: None,
        roofline: None,
    }
}

/// A report of `points` made on a device named `device`, at `created_utc`.
pub fn report(device: &str, created_utc: &str, points: Vec<PointResult>) -> Report {
    let mut environment = Environment {
        hostname: Some("synthetic".into()),
        arch: "x86_64".into(),
        cpu_model: Some("Synthetic CPU".into()),
        logical_cores: 2,
        device_name: Some(device.into()),
        ..Environment::default()
    };
    environment.fingerprint = Some(crate::environment::fingerprint::of(
        &environment,
        Some("scalar".into()),
    ));
    Report {
        schema_version: SCHEMA_VERSION,
        tool: ToolInfo {
            name: "edgebench".into(),
            version: "0.1.0".into(),
            git_commit: Some("synthetic".into()),
            features: Vec::new(),
        },
        scenario: ScenarioInfo {
            name: "synthetic".into(),
            path: None,
            source: "name = \"synthetic\"".into(),
            latency_budget_ms_per_token: None,
        },
        created_utc: created_utc.into(),
        environment,
        harness_overhead: None,
        agreement: None,
        power: None,
        points,
    }
}
