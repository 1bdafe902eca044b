//! Bencher Metric Format: `{benchmark: {measure: {value, lower_value, upper_value}}}`, so a
//! lab can push runs to a Bencher server (`bencher run --adapter json`). A benchmark is one
//! point (`backend/model/quant/t1/p32/g64`, prefixed by the device when asked); a measure is a
//! metric name with its unit (`decode_tok_s`, ...). A metric the point did not measure is
//! left out; bounds are present only when the report has an interval.

use serde_json::{json, Map, Value};

use super::metrics::{measure, METRICS};
use super::PointKey;
use crate::results::Report;

/// The benchmark name of a point.
pub fn benchmark_name(device: Option<&str>, k: &PointKey) -> String {
    let base = format!(
        "{}/{}/{}/t{}/p{}/g{}",
        k.backend, k.model, k.quant, k.threads, k.prompt_tokens, k.gen_tokens
    );
    device.map_or(base.clone(), |d| format!("{d}/{base}"))
}

/// One measure's object.
pub fn measure_value(value: f64, ci: Option<[f64; 2]>) -> Value {
    let mut m = Map::new();
    m.insert("value".into(), json!(value));
    if let Some([lo, hi]) = ci {
        m.insert("lower_value".into(), json!(lo));
        m.insert("upper_value".into(), json!(hi));
    }
    Value::Object(m)
}

/// A whole report as BMF.
pub fn of_report(r: &Report) -> Value {
    let mut out = Map::new();
    for p in &r.points {
        let mut measures = Map::new();
        for m in METRICS {
            if let Some(x) = measure(p, m) {
                measures.insert(m.name.into(), measure_value(x.value, x.ci95));
            }
        }
        if !measures.is_empty() {
            out.insert(
                benchmark_name(None, &PointKey::of(p)),
                Value::Object(measures),
            );
        }
    }
    Value::Object(out)
}
