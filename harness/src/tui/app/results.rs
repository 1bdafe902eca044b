//! The results table's rows: one per finished point with measurements, the numbers pulled out
//! of its [`PointResult`] once, a sort order that `o` cycles, and which value is best per column.
//! Missing values are `None` (drawn "n/a") and always sort last.

use std::cmp::Ordering;

use crate::results::{PointResult, PointStatus};

/// Energy per generated (decode) token in joules; `None` when power was not measured.
pub fn energy_per_token_j(result: &PointResult) -> Option<f64> {
    result.power.measured().and_then(|p| p.energy_per_token_j)
}

#[derive(Debug, Clone, PartialEq)]
pub struct ResultRow {
    pub index: usize,
    pub backend: String,
    pub model: String,
    pub quant: String,
    pub threads: usize,
    pub decode_tok_s: Option<f64>,
    pub ttft_ms: Option<f64>,
    pub p99_ms: Option<f64>,
    pub peak_ram_mib: Option<f64>,
    pub j_per_token: Option<f64>,
}

impl ResultRow {
    /// A row for a point that finished with measurements; `None` for failed or skipped ones.
    pub fn from_result(index: usize, result: &PointResult) -> Option<Self> {
        if result.status != PointStatus::Ok {
            return None;
        }
        let latency = result.latency.as_ref();
        let mem = &result.memory;
        Some(ResultRow {
            index,
            backend: result.label.backend.clone(),
            model: result.label.model.clone(),
            quant: result.label.quant.clone(),
            threads: result.label.threads,
            decode_tok_s: latency.and_then(|l| l.decode_tok_s),
            ttft_ms: latency.map(|l| l.ttft.p50_ns / 1e6),
            p99_ms: latency
                .and_then(|l| l.decode.as_ref())
                .map(|d| d.p99_ns / 1e6),
            peak_ram_mib: mem
                .peak_rss_steady_bytes
                .or(mem.peak_rss_load_bytes)
                .map(|b| b as f64 / crate::results::BYTES_PER_MIB),
            j_per_token: energy_per_token_j(result),
        })
    }
}

/// Results table order; `o` cycles through them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SortKey {
    /// The order points finished in.
    #[default]
    Finished,
    /// Decode tokens/s, fastest first.
    TokS,
    /// Peak RAM, smallest first.
    Ram,
    /// Energy per token, smallest first.
    JPerToken,
}

impl SortKey {
    pub fn next(self) -> Self {
        match self {
            SortKey::Finished => SortKey::TokS,
            SortKey::TokS => SortKey::Ram,
            SortKey::Ram => SortKey::JPerToken,
            SortKey::JPerToken => SortKey::Finished,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            SortKey::Finished => "finish order",
            SortKey::TokS => "tok/s ↓",
            SortKey::Ram => "RAM ↑",
            SortKey::JPerToken => "J/token ↑",
        }
    }
}

/// Compare two optional values; `None` last, then ascending or descending.
fn cmp_opt(a: Option<f64>, b: Option<f64>, descending: bool) -> Ordering {
    match (a, b) {
        (Some(x), Some(y)) if descending => y.total_cmp(&x),
        (Some(x), Some(y)) => x.total_cmp(&y),
        (Some(_), None) => Ordering::Less,
        (None, Some(_)) => Ordering::Greater,
        (None, None) => Ordering::Equal,
    }
}

/// Rows in `key` order (stable, so ties keep finish order).
pub fn sorted_rows(rows: &[ResultRow], key: SortKey) -> Vec<&ResultRow> {
    let mut out: Vec<&ResultRow> = rows.iter().collect();
    match key {
        SortKey::Finished => {}
        SortKey::TokS => out.sort_by(|a, b| cmp_opt(a.decode_tok_s, b.decode_tok_s, true)),
        SortKey::Ram => out.sort_by(|a, b| cmp_opt(a.peak_ram_mib, b.peak_ram_mib, false)),
        SortKey::JPerToken => out.sort_by(|a, b| cmp_opt(a.j_per_token, b.j_per_token, false)),
    }
    out
}

/// Best value of each numeric column (highest tok/s, lowest everything else).
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct BestValues {
    pub decode_tok_s: Option<f64>,
    pub ttft_ms: Option<f64>,
    pub p99_ms: Option<f64>,
    pub peak_ram_mib: Option<f64>,
    pub j_per_token: Option<f64>,
}

pub fn best_values(rows: &[ResultRow]) -> BestValues {
    fn pick(it: impl Iterator<Item = Option<f64>>, highest: bool) -> Option<f64> {
        it.flatten()
            .filter(|v| !v.is_nan())
            .reduce(|a, b| if highest == (b > a) { b } else { a })
    }
    BestValues {
        decode_tok_s: pick(rows.iter().map(|r| r.decode_tok_s), true),
        ttft_ms: pick(rows.iter().map(|r| r.ttft_ms), false),
        p99_ms: pick(rows.iter().map(|r| r.p99_ms), false),
        peak_ram_mib: pick(rows.iter().map(|r| r.peak_ram_mib), false),
        j_per_token: pick(rows.iter().map(|r| r.j_per_token), false),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(index: usize, tok_s: Option<f64>, ram: Option<f64>, j: Option<f64>) -> ResultRow {
        ResultRow {
            index,
            backend: "b".into(),
            model: "m".into(),
            quant: "q".into(),
            threads: 1,
            decode_tok_s: tok_s,
            ttft_ms: Some(index as f64),
            p99_ms: None,
            peak_ram_mib: ram,
            j_per_token: j,
        }
    }

    fn order(rows: &[ResultRow], key: SortKey) -> Vec<usize> {
        sorted_rows(rows, key).iter().map(|r| r.index).collect()
    }

    #[test]
    fn sorts_put_best_first_and_missing_last() {
        let rows = vec![
            row(0, Some(10.0), Some(300.0), None),
            row(1, None, Some(100.0), Some(0.5)),
            row(2, Some(30.0), None, Some(0.2)),
        ];
        assert_eq!(order(&rows, SortKey::Finished), [0, 1, 2]);
        assert_eq!(order(&rows, SortKey::TokS), [2, 0, 1]);
        assert_eq!(order(&rows, SortKey::Ram), [1, 0, 2]);
        assert_eq!(order(&rows, SortKey::JPerToken), [2, 1, 0]);
        let best = best_values(&rows);
        assert_eq!(best.decode_tok_s, Some(30.0));
        assert_eq!(best.peak_ram_mib, Some(100.0));
        assert_eq!(best.ttft_ms, Some(0.0));
        assert_eq!(best.p99_ms, None);
    }

    #[test]
    fn sort_key_cycles_back() {
        let mut k = SortKey::default();
        for _ in 0..4 {
            k = k.next();
        }
        assert_eq!(k, SortKey::Finished);
    }
}
