//! The agreement table of `report.html`, rendered from the data model's fields rather than a
//! fixed list: each row is serialized, nested objects are flattened into `parent child`
//! columns, columns empty in every row are left out and a value shared by every row is said
//! once under the table. Figures added to the agreement data later appear without code here.

use serde_json::{Map, Value};

use super::tables::{table, text};
use crate::results::Report;

/// The row's fields with nested objects flattened; the `agreement` figures keep their names.
fn flatten(prefix: &str, o: Map<String, Value>, out: &mut Vec<(String, Value)>) {
    for (k, v) in o {
        let name = match (prefix, k.as_str()) {
            ("", _) | ("agreement", _) => k.clone(),
            (p, _) => format!("{p} {k}"),
        };
        match v {
            Value::Object(inner) => flatten(&name, inner, out),
            v => out.push((name, v)),
        }
    }
}

/// A JSON value as a short cell.
fn cell(v: &Value) -> (String, bool) {
    match v {
        Value::Null => ("n/a".into(), false),
        Value::Number(n) => match (n.as_i64(), n.as_f64()) {
            (Some(i), _) => (i.to_string(), true),
            (None, Some(f)) if f != 0.0 && (f.abs() < 1e-2 || f.abs() >= 1e5) => {
                (format!("{f:.3e}"), true)
            }
            (None, Some(f)) => (format!("{f:.4}"), true),
            _ => (n.to_string(), true),
        },
        Value::String(s) => (s.clone(), false),
        other => (other.to_string(), false),
    }
}

const LEAD: [&str; 4] = ["backend", "model", "quant", "baseline"];

pub fn section(r: &Report) -> String {
    let Some(a) = &r.agreement else {
        return super::missing(
            "The run has no agreement data: the scenario's verify gate was off (`verify = true` runs it).",
        );
    };
    let rows: Vec<Vec<(String, Value)>> = a
        .rows
        .iter()
        .filter_map(|row| match serde_json::to_value(row).ok()? {
            Value::Object(o) => {
                let mut out = Vec::new();
                flatten("", o, &mut out);
                Some(out)
            }
            _ => None,
        })
        .collect();
    let get = |row: &[(String, Value)], c: &str| {
        row.iter()
            .find(|(k, _)| k == c)
            .map_or(Value::Null, |(_, v)| v.clone())
    };
    let mut columns: Vec<String> = LEAD.iter().map(|c| c.to_string()).collect();
    for row in &rows {
        for (k, _) in row {
            if !columns.contains(k) && k != "verdict" && k != "note" {
                columns.push(k.clone());
            }
        }
    }
    columns.push("verdict".into());
    columns.push("note".into());
    // Empty everywhere: left out. The same value in every row (of several): said once.
    let mut shared: Vec<String> = Vec::new();
    columns.retain(|c| {
        if LEAD.contains(&c.as_str()) || c == "verdict" {
            return true;
        }
        let values: Vec<Value> = rows.iter().map(|row| get(row, c)).collect();
        if values.iter().all(Value::is_null) {
            return false;
        }
        if rows.len() > 1 && values.windows(2).all(|w| w[0] == w[1]) {
            shared.push(format!("{}: {}", c.replace('_', " "), cell(&values[0]).0));
            return false;
        }
        true
    });
    let body: Vec<Vec<(String, bool)>> = rows
        .iter()
        .map(|row| {
            columns
                .iter()
                .map(|c| match get(row, c) {
                    Value::Null if c == "note" => text(""),
                    v => cell(&v),
                })
                .collect()
        })
        .collect();
    let head: Vec<String> = columns.iter().map(|c| c.replace('_', " ")).collect();
    let mut s = format!(
        "<p>Each variant against the baseline over the prompt and {} greedy steps (teacher-forced); f32 variants must match the tokens with |Δlogit| ≤ {:.0e}.</p>\n{}",
        a.steps,
        a.f32_tolerance,
        table(&head, &body, |_| "")
    );
    if !shared.is_empty() {
        s.push_str("<p class=\"meta\">The same in every row:</p>\n<ul class=\"meta\">\n");
        for x in shared {
            s += &format!("<li>{}</li>\n", super::esc(&x));
        }
        s.push_str("</ul>\n");
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nested_objects_become_prefixed_columns() {
        let v = serde_json::json!({"backend": "x", "agreement": {"mean_kl": 0.1}, "passage": {"perplexity": 3.0, "source": {"file": "a"}}});
        let Value::Object(o) = v else { unreachable!() };
        let mut out = Vec::new();
        flatten("", o, &mut out);
        let names: Vec<&str> = out.iter().map(|(k, _)| k.as_str()).collect();
        assert_eq!(
            names,
            [
                "mean_kl",
                "backend",
                "passage perplexity",
                "passage source file"
            ]
        );
    }
}
