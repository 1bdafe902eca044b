//! `report.md`: the summary table first (backend × model × quantization with tokens/s, TTFT,
//! p99, peak RAM), the generated text of models with a tokenizer, then flagged and failed
//! points as one short line each, the agreement table, each distinct reason once
//! ([`reasons`]), then notes on how it was measured.

mod agreement;
mod generated;
mod reasons;

pub use agreement::render_alone as render_agreement;
use reasons::Reasons;

use std::fmt::Write;

use crate::results::{PointResult, PointStatus, Report, BYTES_PER_MIB};

fn ms(ns: f64) -> String {
    format!("{:.2}", ns / 1e6)
}

fn mib(b: Option<u64>) -> String {
    b.map_or_else(
        || "n/a".into(),
        |b| format!("{:.1}", b as f64 / BYTES_PER_MIB),
    )
}

fn row(p: &PointResult, reasons: &mut Reasons) -> String {
    let l = &p.label;
    let lat = p.latency.as_ref();
    let dec = lat
        .and_then(|s| s.decode_tok_s)
        .map_or_else(|| "n/a".into(), |v| format!("{v:.1}"));
    let ci = lat
        .and_then(|s| s.decode_tok_s_ci95)
        .map_or_else(String::new, |[a, b]| format!(" [{a:.1}, {b:.1}]"));
    let pre = lat.map_or_else(|| "n/a".into(), |s| format!("{:.1}", s.prefill_tok_s));
    let ttft = lat.map_or_else(|| "n/a".into(), |s| ms(s.ttft.p50_ns));
    let (p50, p99) = lat.and_then(|s| s.decode.as_ref()).map_or_else(
        || ("n/a".into(), "n/a".into()),
        |d| (ms(d.p50_ns), ms(d.p99_ns)),
    );
    let budget = lat
        .and_then(|s| s.within_budget_fraction)
        .map_or_else(|| "n/a".into(), |f| format!("{:.0}%", f * 100.0));
    let roof = p
        .roofline
        .as_ref()
        .map_or_else(|| "n/a".into(), |r| format!("{:.0}%", r.fraction * 100.0));
    let measured = p.power.measured();
    let watts = measured
        .and_then(|m| m.phases.get(crate::collect::energy::DECODE))
        .and_then(|d| d.avg_power_w)
        .map_or_else(|| "n/a".into(), |w| format!("{w:.2}"));
    let j_tok = measured
        .and_then(|m| m.energy_per_token_j)
        .map_or_else(|| "n/a".into(), |j| format!("{j:.4}"));
    let status = match p.status {
        PointStatus::Ok if !p.flags.is_empty() => format!("ok, FLAGGED {}", reasons.keys(&p.flags)),
        PointStatus::Ok if lat.is_some_and(|s| !s.runs_agree) => "ok (runs differ!)".to_string(),
        PointStatus::Ok => "ok".into(),
        PointStatus::Failed => format!("FAILED {}", error_ref(p, reasons)),
        PointStatus::Skipped => format!("skipped {}", error_ref(p, reasons)),
    };
    format!(
        "| {} | {} | {} | {} | {} | {} | {dec}{ci} | {roof} | {pre} | {ttft} | {p50} | {p99} | {budget} | {} | {} | {watts} | {j_tok} | {status} |",
        l.backend,
        l.model,
        l.quant,
        l.threads,
        l.prompt_tokens,
        l.gen_tokens,
        mib(p.memory.peak_rss_load_bytes),
        mib(p.memory.peak_rss_steady_bytes),
    )
}

/// `(kind) [n]` for a point's error.
fn error_ref(p: &PointResult, reasons: &mut Reasons) -> String {
    p.error.as_ref().map_or_else(String::new, |e| {
        format!("({}) {}", e.kind, reasons.key(&e.message))
    })
}

/// The fastest decode among points that ran and were not flagged.
fn fastest(r: &Report) -> Option<String> {
    r.points
        .iter()
        .filter(|p| p.status == PointStatus::Ok && p.flags.is_empty())
        .filter_map(|p| Some((p, p.latency.as_ref()?.decode_tok_s?)))
        .max_by(|a, b| a.1.total_cmp(&b.1))
        .map(|(p, v)| {
            format!(
                "**{}** at {v:.1} tok/s (points with agreement flags are excluded).",
                p.label
            )
        })
}

pub fn render(r: &Report) -> String {
    let mut s = String::new();
    let _ = writeln!(s, "# edgebench: {}\n", r.scenario.name);
    let e = &r.environment;
    let _ = writeln!(s, "{}\n", super::machine_line(r));
    let _ = writeln!(
        s,
        "Charts, the recommendation under the budget and the environment: [report.html](report.html) (same folder).\n"
    );
    if let Some(b) = &e.board {
        let _ = writeln!(s, "{}\n", b.summary());
        if let Some(note) = &b.emulation_note {
            let _ = writeln!(s, "> {note}\n");
        }
    }
    let budget = r
        .scenario
        .latency_budget_ms_per_token
        .map_or_else(|| "in budget".to_string(), |b| format!("≤ {b} ms"));
    let _ = writeln!(
        s,
        "| backend | model | quant | threads | prompt | gen | decode tok/s [95% CI] | of roofline | prefill tok/s | TTFT ms | p50 ms | p99 ms | {budget} | RAM load MiB | RAM peak MiB | decode W | J/token | status |"
    );
    let _ = writeln!(
        s,
        "|---|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|"
    );
    let mut reasons = Reasons::default();
    for p in &r.points {
        let _ = writeln!(s, "{}", row(p, &mut reasons));
    }
    if let Some(best) = fastest(r) {
        let _ = writeln!(s, "\nFastest decode: {best}");
    }
    s.push_str(&generated::render(&r.points));
    let flagged: Vec<&PointResult> = r.points.iter().filter(|p| !p.flags.is_empty()).collect();
    if !flagged.is_empty() {
        let _ = writeln!(s, "\n## Flagged points (excluded from \"fastest\")\n");
        for p in flagged {
            let _ = writeln!(s, "- **{}** {}", p.label, reasons.keys(&p.flags));
        }
    }
    if let Some(a) = &r.agreement {
        let _ = writeln!(
            s,
            "\n## Agreement (baseline computed on {}: prompt + {} greedy steps; f32 must match tokens and |Δlogit| ≤ {:.0e})\n",
            e.arch, a.steps, a.f32_tolerance
        );
        s.push_str(&agreement::render(a, &mut reasons));
    }
    let problems: Vec<&PointResult> = r.points.iter().filter(|p| p.error.is_some()).collect();
    if !problems.is_empty() {
        let _ = writeln!(s, "\n## Points that did not run\n");
        for p in problems {
            let _ = writeln!(s, "- **{}** {}", p.label, error_ref(p, &mut reasons));
        }
    }
    s.push_str(&reasons.render());
    let _ = writeln!(s, "\n## Notes\n");
    match &r.harness_overhead {
        Some(o) => {
            let _ = writeln!(
                s,
                "- Harness overhead per token (measured with the mock backend: time between tokens outside the backend call): median {:.1} µs, p99 {:.1} µs over {} tokens; not included in the latencies above, which time only the backend call.",
                o.per_token_ns / 1e3,
                o.per_token_p99_ns / 1e3,
                o.samples
            );
        }
        None => {
            let _ = writeln!(s, "- Harness overhead: not measured in this run.");
        }
    }
    match &r.environment.memory_bandwidth {
        Some(b) => {
            let curve = match b.at(0, 1) {
                Some(peak) => format!(
                    ", up to {:.1} GB/s on 1 thread from cache ({} sizes from {} KiB: the curve is in report.json and `edgebench env`)",
                    peak / 1e9,
                    b.curve_for(1).len(),
                    b.curve.iter().map(|p| p.bytes).min().unwrap_or(0) >> 10
                ),
                None => String::new(),
            };
            let _ = writeln!(
                s,
                "- Memory read bandwidth: {:.1} GB/s on 1 thread, {:.1} GB/s on {} threads from a {} MiB buffer{curve}. \"of roofline\" is decode tok/s ÷ the ceiling: the read bandwidth at the point's working set (the weight bytes read per token) and thread count ÷ that working set.",
                b.read_1t_bytes_per_s / 1e9,
                b.read_all_bytes_per_s / 1e9,
                b.threads_all,
                b.buffer_bytes >> 20
            );
        }
        None => {
            let _ = writeln!(
                s,
                "- Memory bandwidth: not measured in this run (no roofline)."
            );
        }
    }
    match &r.power {
        Some(p) if p.source.is_some() => {
            let idle = p
                .idle_power_w
                .map_or_else(|| "n/a".into(), |w| format!("{w:.2} W"));
            let _ = writeln!(
                s,
                "- Power: source `{}`, idle {idle}; \"decode W\" is the average power while decoding, J/token the decode energy per generated token (gross; net of idle is in report.json).",
                p.source.as_deref().unwrap_or_default()
            );
        }
        Some(p) => {
            let _ = writeln!(
                s,
                "- Power: unavailable: {}",
                p.unavailable_reason.as_deref().unwrap_or("unknown")
            );
        }
        None => {}
    }
    let _ = writeln!(
        s,
        "- decode tok/s is the median over measured runs of (decode steps / their summed latency); TTFT is the median prefill time; p50/p99 are over every decode step of every measured run."
    );
    s
}
