//! The tables of `report.html`: the recommendation under the scenario's latency budget, the
//! points and the environment (the agreement table is [`super::agreement`]).

use std::fmt::Write;

use super::{esc, point_name};
use crate::recommend::{self, Constraints, Optimize};
use crate::results::{PointStatus, Report};

pub(super) fn table(
    head: &[String],
    rows: &[Vec<(String, bool)>],
    class_of: impl Fn(usize) -> &'static str,
) -> String {
    let mut s = String::from("<div class=\"scroll\"><table>\n<tr>");
    for h in head {
        let _ = write!(s, "<th>{}</th>", esc(h));
    }
    s.push_str("</tr>\n");
    for (i, row) in rows.iter().enumerate() {
        let class = class_of(i);
        if class.is_empty() {
            s.push_str("<tr>");
        } else {
            let _ = write!(s, "<tr class=\"{class}\">");
        }
        for (cell, numeric) in row {
            if *numeric {
                let _ = write!(s, "<td class=\"n\">{}</td>", esc(cell));
            } else {
                let _ = write!(s, "<td>{}</td>", esc(cell));
            }
        }
        s.push_str("</tr>\n");
    }
    s.push_str("</table></div>\n");
    s
}

/// A number cell; a value not measured (or not finite) is "n/a".
fn num(v: Option<f64>, digits: usize) -> (String, bool) {
    (
        v.filter(|x| x.is_finite())
            .map_or_else(|| "n/a".into(), |x| format!("{x:.digits$}")),
        true,
    )
}

pub(super) fn text(s: impl Into<String>) -> (String, bool) {
    (s.into(), false)
}

/// The recommendation with the scenario's budget (no RAM limit, the default quality floor).
pub fn recommendation(r: &Report) -> String {
    let k = Constraints {
        budget_ms_per_token: r.scenario.latency_budget_ms_per_token,
        ..Constraints::default()
    };
    let rec = recommend::recommend(recommend::candidates(r, None), &k, Optimize::Speed);
    let mut s = format!(
        "<p>Under the scenario's constraints ({}):</p>\n<p class=\"winner\">{}</p>\n",
        esc(&recommend::render::describe_constraints(&k)),
        esc(&recommend::render::headline(&rec)).replace("**", "")
    );
    if !rec.ranked.is_empty() {
        let rows: Vec<Vec<(String, bool)>> = rec
            .ranked
            .iter()
            .enumerate()
            .map(|(i, x)| {
                let c = &x.candidate;
                vec![
                    ((i + 1).to_string(), true),
                    text(c.name.clone()),
                    num(c.decode_tok_s, 1),
                    num(c.decode_p99_ms, 2),
                    num(c.peak_ram_mib(), 1),
                    num(c.j_per_token, 4),
                    text(if x.pareto { "Pareto front" } else { "" }),
                ]
            })
            .collect();
        let head: Vec<String> = [
            "rank",
            "configuration",
            "decode tok/s",
            "p99 ms",
            "peak RAM MiB",
            "J/token",
            "",
        ]
        .map(String::from)
        .to_vec();
        s += &table(&head, &rows, |i| {
            if rec.ranked[i].pareto {
                "front"
            } else {
                ""
            }
        });
    }
    if !rec.excluded.is_empty() {
        s.push_str("<h3>Excluded (first constraint broken)</h3>\n<ul>\n");
        for e in &rec.excluded {
            let _ = writeln!(
                s,
                "<li><b>{}</b>: {}: {}</li>",
                esc(&e.candidate.name),
                esc(&e.constraint.to_string()),
                esc(&e.detail)
            );
        }
        s.push_str("</ul>\n");
    }
    s.push_str("<p class=\"meta\">Other limits and objectives: <code>edgebench recommend RUN_DIR --budget-ms-per-token 50 --max-ram-mib 200 --optimize energy</code>.</p>\n");
    s
}

/// One row per point: the figures the charts draw, as numbers.
pub fn points(r: &Report) -> String {
    let rows: Vec<Vec<(String, bool)>> = r
        .points
        .iter()
        .map(|p| {
            let lat = p.latency.as_ref();
            let status = match p.status {
                PointStatus::Ok if p.flags.is_empty() => "ok".to_string(),
                PointStatus::Ok => format!("ok, flagged: {}", p.flags.join("; ")),
                PointStatus::Failed | PointStatus::Skipped => format!(
                    "{:?}: {}",
                    p.status,
                    p.error.as_ref().map_or("", |e| e.message.as_str())
                )
                .to_lowercase(),
            };
            vec![
                text(point_name(r, p)),
                num(lat.and_then(|l| l.decode_tok_s), 1),
                text(
                    lat.and_then(|l| l.decode_tok_s_ci95)
                        .filter(|ci| ci.iter().all(|x| x.is_finite()))
                        .map_or_else(String::new, |[a, b]| format!("[{a:.1}, {b:.1}]")),
                ),
                num(lat.map(|l| l.prefill_tok_s), 1),
                num(lat.map(|l| l.ttft.p50_ns / 1e6), 2),
                num(
                    lat.and_then(|l| l.decode.as_ref()).map(|d| d.p99_ns / 1e6),
                    2,
                ),
                num(
                    p.memory.peak_rss_load_bytes.map(|b| b as f64 / 1048576.0),
                    1,
                ),
                num(
                    p.memory.peak_rss_steady_bytes.map(|b| b as f64 / 1048576.0),
                    1,
                ),
                num(p.power.measured().and_then(|m| m.energy_per_token_j), 4),
                text(status),
            ]
        })
        .collect();
    let head: Vec<String> = [
        "point",
        "decode tok/s",
        "95% CI",
        "prefill tok/s",
        "TTFT ms",
        "p99 ms",
        "RAM load MiB",
        "RAM peak MiB",
        "J/token",
        "status",
    ]
    .map(String::from)
    .to_vec();
    format!("<h3>Points</h3>\n{}", table(&head, &rows, |_| ""))
}

/// The environment: machine, device fingerprint, versions, kernel sets, model files.
pub fn environment(r: &Report) -> String {
    let e = &r.environment;
    let mut rows: Vec<(String, String)> = Vec::new();
    let mut add = |k: &str, v: Option<String>| {
        rows.push((k.to_string(), v.unwrap_or_else(|| "not known".into())))
    };
    add(
        "device",
        e.device_name.clone().or_else(|| e.hostname.clone()),
    );
    add("CPU", e.cpu_model.clone());
    add(
        "architecture, cores",
        Some(format!("{}, {} logical cores", e.arch, e.logical_cores)),
    );
    add(
        "board",
        e.board
            .as_ref()
            .map(|b| b.summary())
            .or_else(|| e.board_model.clone()),
    );
    add(
        "OS, kernel",
        Some(format!(
            "{} · {}",
            e.os.as_deref().unwrap_or("?"),
            e.kernel.as_deref().unwrap_or("?")
        )),
    );
    add("governor", e.governor.clone());
    add(
        "memory",
        e.mem_total_bytes
            .map(|b| format!("{:.1} GiB", b as f64 / (1u64 << 30) as f64)),
    );
    add(
        "memory bandwidth",
        e.memory_bandwidth.as_ref().map(|b| {
            format!(
                "{:.1} GB/s (1 thread), {:.1} GB/s ({} threads)",
                b.read_1t_bytes_per_s / 1e9,
                b.read_all_bytes_per_s / 1e9,
                b.threads_all
            )
        }),
    );
    add(
        "device fingerprint",
        e.fingerprint
            .as_ref()
            .and_then(|f| match serde_json::to_value(f).ok()? {
                serde_json::Value::Object(o) => Some(
                    o.iter()
                        .filter(|(_, v)| !v.is_null())
                        .map(|(k, v)| match v {
                            serde_json::Value::String(s) => format!("{k}: {s}"),
                            v => format!("{k}: {v}"),
                        })
                        .collect::<Vec<_>>()
                        .join(" · "),
                ),
                _ => None,
            }),
    );
    add(
        "edgebench",
        Some(format!(
            "{}{} · features: {}",
            r.tool.version,
            r.tool
                .git_commit
                .as_deref()
                .map_or_else(String::new, |c| format!(" ({c})")),
            r.tool.features.join(", ")
        )),
    );
    add("rustc", e.rustc.clone());
    // Each backend's description (version, kernel set, threads...) once.
    let mut seen: Vec<String> = Vec::new();
    for p in &r.points {
        if p.backend_info.is_empty() || seen.contains(&p.label.backend) {
            continue;
        }
        seen.push(p.label.backend.clone());
        let info: Vec<String> = p
            .backend_info
            .iter()
            .filter(|(k, _)| k.as_str() != "threads")
            .map(|(k, v)| format!("{k}: {v}"))
            .collect();
        add(
            &format!("backend {}", p.label.backend),
            Some(info.join(" · ")),
        );
    }
    let mut models: Vec<String> = Vec::new();
    for p in &r.points {
        if let Some(m) = &p.model {
            let line = format!(
                "{} ({}, {}): sha256 {}",
                m.path,
                m.format,
                m.origin,
                m.sha256.as_deref().unwrap_or("not computed")
            );
            if !models.contains(&line) {
                models.push(line);
            }
        }
    }
    for m in models {
        add("model", Some(m));
    }
    let body: Vec<Vec<(String, bool)>> = rows
        .into_iter()
        .map(|(k, v)| vec![text(k), text(v)])
        .collect();
    format!(
        "<h3>Environment</h3>\n{}",
        // Long paths and hashes wrap instead of widening the page on a phone.
        table(&["what".to_string(), "value".to_string()], &body, |_| "").replacen(
            "<table>",
            "<table class=\"env\">",
            1
        )
    )
}
