//! `report.html`: one self-contained page per run, readable offline on a board: inline SVG
//! charts (drawn with `plotters`, [`svg`]), inline CSS, no script, no external font or image.
//! Charts: decode tok/s with 95% intervals and roofline ceilings, per-token latency over the
//! token index and its CDF against the budget, TTFT and prefill against prompt length (when
//! swept), RSS over time with the load and steady peaks, power with its phases and J/token
//! (when a sensor gave values), a Pareto chart; then the recommendation under the scenario's
//! budget, the agreement table and the environment. A metric that is missing is said in one
//! sentence, never drawn as an empty chart.

mod agreement;
mod latency;
mod memory;
mod pareto;
mod power;
mod prompt;
pub mod svg;
mod tables;
mod throughput;

use std::fmt::Write;

use crate::results::{PointResult, PointStatus, Report};

/// File name next to `report.json`.
pub const REPORT_HTML: &str = "report.html";

/// HTML-escape text.
pub fn esc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// A drawn chart in a `<figure>` with its caption, or the sentence saying why it is not drawn.
pub fn figure(id: &str, chart: Result<String, String>, caption: &str) -> String {
    match chart {
        Ok(svg) => format!(
            "<figure class=\"chart\" data-chart=\"{}\">{svg}<figcaption>{}</figcaption></figure>\n",
            esc(id),
            esc(caption)
        ),
        Err(why) => missing(&format!("{caption} Not drawn: {why}.")),
    }
}

/// A sentence in place of a chart.
pub fn missing(sentence: &str) -> String {
    format!("<p class=\"missing\">{}</p>\n", esc(sentence))
}

/// Points that produced measurements, in report order.
pub fn measured(r: &Report) -> Vec<&PointResult> {
    r.points
        .iter()
        .filter(|p| p.status == PointStatus::Ok && p.latency.is_some())
        .collect()
}

/// A point's name with only the parts that vary in this report (backend, quant and threads
/// always: they are what a configuration is).
pub fn point_name(r: &Report, p: &PointResult) -> String {
    let l = &p.label;
    let varies = |f: &dyn Fn(&PointResult) -> String| {
        r.points
            .iter()
            .any(|q| f(q) != f(r.points.first().unwrap_or(p)))
    };
    let mut parts = vec![l.backend.clone()];
    if varies(&|q| q.label.model.clone()) {
        parts.push(l.model.clone());
    }
    parts.push(l.quant.clone());
    parts.push(format!("t{}", l.threads));
    if varies(&|q| q.label.prompt_tokens.to_string()) {
        parts.push(format!("p{}", l.prompt_tokens));
    }
    if varies(&|q| q.label.gen_tokens.to_string()) {
        parts.push(format!("g{}", l.gen_tokens));
    }
    parts.join(" ")
}

/// Small multiples: points grouped by backend and model, at most `per` to a chart; one group
/// when all fit in one.
pub fn groups<'a>(points: &[&'a PointResult], per: usize) -> Vec<(String, Vec<&'a PointResult>)> {
    if points.len() <= per {
        return vec![(String::new(), points.to_vec())];
    }
    let mut out: Vec<(String, Vec<&PointResult>)> = Vec::new();
    for p in points {
        let key = format!("{} {}", p.label.backend, p.label.model);
        match out.iter_mut().find(|(k, v)| *k == key && v.len() < per) {
            Some((_, v)) => v.push(p),
            None => out.push((key, vec![p])),
        }
    }
    out
}

const CSS: &str = "
*{box-sizing:border-box}
body{font-family:sans-serif;margin:0 auto;padding:12px;max-width:1260px;color:#222;line-height:1.4}
h1{font-size:1.5em;margin:.2em 0}
h2{font-size:1.2em;margin:1.4em 0 .4em;border-bottom:1px solid #ddd}
h3{font-size:1em;margin:1em 0 .3em}
.meta{color:#555;font-size:.9em}
.charts{display:grid;grid-template-columns:repeat(auto-fill,minmax(min(100%,540px),1fr));gap:14px}
figure.chart{margin:0;border:1px solid #e4e4e4;padding:4px;background:#fff;min-width:0}
figure.chart svg{display:block;width:100%;height:auto}
figcaption{font-size:.85em;color:#444;padding:2px 4px}
p.missing{background:#f6f6f6;border-left:4px solid #bbb;padding:6px 10px;margin:6px 0}
.scroll{overflow-x:auto;max-width:100%}
table{border-collapse:collapse;font-size:.85em;margin:4px 0}
th,td{border:1px solid #ddd;padding:3px 6px;text-align:left;vertical-align:top}
td.n{text-align:right;font-variant-numeric:tabular-nums}
th{background:#f3f3f3}
table.env{width:100%}
table.env td{overflow-wrap:anywhere}
table.env td:first-child{overflow-wrap:normal;white-space:nowrap}
tr.front td{background:#eef7ee}
.winner{font-size:1.05em;background:#eef7ee;border-left:4px solid #2ca02c;padding:6px 10px}
ul{padding-left:1.2em}
code{font-size:.9em;word-break:break-all}
";

/// A page: title, a line under it, the body; inline CSS, nothing external.
pub fn page(title: &str, meta: &str, body: &str) -> String {
    format!(
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n<title>{t}</title>\n<style>{CSS}</style></head><body>\n<h1>{t}</h1>\n<p class=\"meta\">{}</p>\n{body}</body></html>\n",
        esc(meta),
        t = esc(title),
    )
}

/// The whole report page.
pub fn render(r: &Report) -> String {
    let meta = format!(
        "{} · {} point(s), {} measured · report.md and report.json hold the same numbers",
        super::machine_line(r),
        r.points.len(),
        measured(r).len()
    );
    let sections: [(&str, &str, String); 9] = [
        (
            "recommendation",
            "Recommendation",
            tables::recommendation(r),
        ),
        ("throughput", "Decode throughput", throughput::section(r)),
        ("latency", "Per-token latency", latency::section(r)),
        ("prompt", "Prompt length", prompt::section(r)),
        ("memory", "Memory", memory::section(r)),
        ("power", "Power and energy", power::section(r)),
        ("pareto", "Speed against memory", pareto::section(r)),
        (
            "agreement",
            "Agreement with the reference",
            agreement::section(r),
        ),
        (
            "environment",
            "Points and environment",
            tables::points(r) + &tables::environment(r),
        ),
    ];
    let mut body = String::new();
    for (id, title, html) in sections {
        let _ = writeln!(
            body,
            "<section id=\"{id}\"><h2>{}</h2>\n{html}</section>",
            esc(title)
        );
    }
    page(&format!("edgebench: {}", r.scenario.name), &meta, &body)
}

/// A grid of figures (or the sentences that stand for them).
pub fn grid(items: &[String]) -> String {
    format!("<div class=\"charts\">\n{}</div>\n", items.concat())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_markup() {
        assert_eq!(
            esc("<a href=\"x\">&'"),
            "&lt;a href=&quot;x&quot;&gt;&amp;&#39;"
        );
    }

    #[test]
    fn a_failed_chart_becomes_a_sentence() {
        let h = figure("x", Err("no finite values to draw".into()), "Decode tok/s.");
        assert!(h.starts_with("<p class=\"missing\">"), "{h}");
        assert!(h.contains("no finite values"));
        assert!(!h.contains("<svg"));
    }
}
