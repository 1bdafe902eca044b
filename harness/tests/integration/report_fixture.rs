//! Hand-made reports for the HTML and `recommend` tests, built from JSON so that optional
//! fields added to the data model later need no change here.

use assert_cmd::Command;
use edgebench::results::Report;
use serde_json::{json, Value};

/// Run `edgebench ARGS... PATH`, expect success, return its stdout.
pub fn stdout_of(args: &[&str], path: &std::path::Path) -> String {
    let out = Command::cargo_bin("edgebench")
        .unwrap()
        .args(args)
        .arg(path)
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    String::from_utf8(out).unwrap()
}

/// A point that ran: `steps_ms` are its decode step latencies (each of 2 runs), `ram_mib` its
/// steady peak RSS.
pub fn point(
    index: usize,
    backend: &str,
    quant: &str,
    threads: usize,
    tok_s: f64,
    p99_ms: f64,
    ram_mib: f64,
) -> Value {
    let step_ns = (1e9 / tok_s) as u64;
    let steps: Vec<u64> = (0..16)
        .map(|i| {
            if i == 15 {
                (p99_ms * 1e6) as u64
            } else {
                step_ns + (i % 3) * 1000
            }
        })
        .collect();
    let stats = |v: f64| {
        json!({"n": 32, "mean_ns": v, "stddev_ns": 0.0, "min_ns": v as u64, "p50_ns": v,
               "p90_ns": v, "p99_ns": v, "max_ns": v as u64})
    };
    let mut decode = stats(step_ns as f64);
    decode["p99_ns"] = json!(p99_ms * 1e6);
    let ram = (ram_mib * 1048576.0) as u64;
    json!({
        "label": {"index": index, "backend": backend, "model": "stories15m", "quant": quant,
                  "threads": threads, "prompt_tokens": 32, "gen_tokens": 16},
        "status": "ok",
        "error": null,
        "model": {"path": format!(".models/stories15m-{quant}.gguf"), "format": "gguf",
                  "sha256": "ab".repeat(32), "file_bytes": 1000, "origin": "synth:stories15m seed 42",
                  "info": null},
        "backend_info": {"version": "1.0", "kernels": "avx2"},
        "load": {"load_ns": 1000000, "cold_requested": false, "cold_evicted": null, "cold_note": null},
        "runs": [
            {"run": 0, "ttft_ns": 5000000, "decode_latency_ns": steps, "tokens": [1, 2, 3]},
            {"run": 1, "ttft_ns": 5100000, "decode_latency_ns": steps, "tokens": [1, 2, 3]}
        ],
        "latency": {"ttft": stats(5e6), "decode": decode, "prefill_tok_s": 6400.0,
                    "decode_tok_s": tok_s, "decode_tok_s_ci95": [tok_s * 0.95, tok_s * 1.05],
                    "within_budget_fraction": 1.0, "runs_agree": true},
        "memory": {"peak_rss_load_bytes": ram / 2, "peak_rss_steady_bytes": ram,
                   "rss_timeline": [{"t_ms": 0.0, "rss_bytes": ram / 4}, {"t_ms": 50.0, "rss_bytes": ram / 2},
                                    {"t_ms": 400.0, "rss_bytes": ram}],
                   "note": null},
        "wall_ns": 1000000000u64,
        "flags": [],
        "power": {"available": false, "reason": "no power sensor found (test)"},
        "thermal": null,
        "roofline": {"bandwidth_bytes_per_s": 2e10, "weight_bytes_per_token": 60000000u64,
                     "ceiling_tok_s": 333.0, "fraction": tok_s / 333.0, "cache_resident": false}
    })
}

/// An agreement row; `top1` and `kl` `None` means the gate has no figures for it.
pub fn agreement_row(
    backend: &str,
    quant: &str,
    verdict: &str,
    top1_kl: Option<(f64, f64)>,
    note: Option<&str>,
) -> Value {
    json!({
        "backend": backend, "model": "stories15m", "quant": quant, "baseline": "reference f32 gguf",
        "verdict": verdict,
        "agreement": top1_kl.map(|(top1, kl)| json!({
            "positions": 33, "top1_agree": (top1 * 33.0).round() as u64, "top1_rate": top1,
            "greedy_prefix": 20, "max_abs_logit_diff": 0.3, "mean_kl": kl, "max_kl": kl * 4.0})),
        "note": note
    })
}

/// A report of `points` with `rows` as its agreement gate (`None`: the gate was off).
pub fn report(points: Vec<Value>, rows: Option<Vec<Value>>, budget_ms: Option<f64>) -> Report {
    let v = json!({
        "schema_version": 1,
        "tool": {"name": "edgebench", "version": "0.1.0", "git_commit": "abc123", "features": []},
        "scenario": {"name": "hand-made", "path": null, "source": "", "latency_budget_ms_per_token": budget_ms},
        "created_utc": "2026-11-29T00:00:00Z",
        "environment": {"hostname": "test", "os": "Debian", "kernel": "6.1", "arch": "x86_64",
                        "cpu_model": "Test CPU", "cpu_features": [], "logical_cores": 2,
                        "governor": null, "cpu_freq_max_mhz": null, "board_model": null,
                        "mem_total_bytes": 8589934592u64, "rustc": null,
                        "temperatures_c_start": {}, "temperatures_c_end": {}},
        "harness_overhead": null,
        "agreement": rows.map(|rows| json!({"steps": 32, "f32_tolerance": 1e-3, "rows": rows})),
        "power": {"choice": "auto", "source": null, "unavailable_reason": "no power sensor found (test)", "idle_power_w": null},
        "points": points
    });
    serde_json::from_value(v).expect("the fixture is a valid report")
}
