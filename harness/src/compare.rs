//! Compare runs: match the points of a base run and a new run by key (backend, model name,
//! quantization, threads, prompt and generation lengths; both runs' devices are checked
//! separately), and for every metric give base, new, the ratio new/base with its bootstrap
//! 95% interval, the Mann-Whitney p-value, outlier counts and a verdict by asv's rule.
//! Different devices, or different model files under one name, are allowed but warned about.

pub mod bmf;
#[cfg(any(test, feature = "testing"))]
pub mod fixture;
pub mod metrics;
pub mod render;

use serde::{Deserialize, Serialize};

use crate::results::{DeviceFingerprint, PointResult, PointStatus, Report};
use crate::stats::compare::{
    bootstrap_ratio_ci95, is_change, mann_whitney_u, smallest_p, tukey_outliers, Basis, Evidence,
    Outliers, BOOTSTRAP_SEED,
};
use metrics::{measure, MetricDef, METRICS};

/// Default threshold: a change smaller than 5% never counts.
pub const DEFAULT_THRESHOLD: f64 = 0.05;

/// What identifies a point across runs.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct PointKey {
    pub backend: String,
    pub model: String,
    pub quant: String,
    pub threads: usize,
    pub prompt_tokens: usize,
    pub gen_tokens: usize,
}

impl PointKey {
    pub fn of(p: &PointResult) -> Self {
        PointKey {
            backend: p.label.backend.clone(),
            model: p.label.model.clone(),
            quant: p.label.quant.clone(),
            threads: p.label.threads,
            prompt_tokens: p.label.prompt_tokens,
            gen_tokens: p.label.gen_tokens,
        }
    }
}

impl std::fmt::Display for PointKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} {} {} t{} p{} g{}",
            self.backend, self.model, self.quant, self.threads, self.prompt_tokens, self.gen_tokens
        )
    }
}

/// The verdict on one metric of one point. For memory and energy, `slower` means more bytes
/// or joules (worse), `faster` fewer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    Faster,
    Slower,
    Unchanged,
    /// Only the new run has it.
    New,
    /// Only the base run has it (or the new run's point failed).
    Gone,
}

impl Verdict {
    pub fn as_str(self) -> &'static str {
        match self {
            Verdict::Faster => "faster",
            Verdict::Slower => "slower",
            Verdict::Unchanged => "unchanged",
            Verdict::New => "new",
            Verdict::Gone => "gone",
        }
    }
}

/// One point × metric.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Row {
    pub key: PointKey,
    pub metric: String,
    pub base: Option<f64>,
    pub new: Option<f64>,
    /// new / base.
    pub ratio: Option<f64>,
    pub ratio_ci95: Option<[f64; 2]>,
    /// Why there is no interval or p-value, when there is none.
    pub ci_note: Option<String>,
    pub p_value: Option<f64>,
    pub basis: Option<Basis>,
    pub verdict: Verdict,
    /// Counts a regression (exit 1).
    pub regression: bool,
    pub base_outliers: Option<Outliers>,
    pub new_outliers: Option<Outliers>,
    /// Why a point is gone (it failed or was skipped in the new run).
    pub note: Option<String>,
}

/// A run as compare names it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RunRef {
    pub path: String,
    pub created_utc: String,
    pub device: Option<String>,
    pub fingerprint: DeviceFingerprint,
    pub git_commit: Option<String>,
}

/// Base against one new run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Comparison {
    pub base: RunRef,
    pub new: RunRef,
    pub threshold: f64,
    /// Loud warnings: different devices, different model files under one name.
    pub warnings: Vec<String>,
    pub rows: Vec<Row>,
}

impl Comparison {
    pub fn regressions(&self) -> impl Iterator<Item = &Row> {
        self.rows.iter().filter(|r| r.regression)
    }
}

/// A report's device fingerprint (rebuilt from its environment for reports older than it).
pub fn fingerprint(r: &Report) -> DeviceFingerprint {
    r.environment.fingerprint.clone().unwrap_or_else(|| {
        let set = r
            .points
            .iter()
            .find_map(|p| p.backend_info.get("kernels").cloned());
        crate::environment::fingerprint::of(&r.environment, set)
    })
}

pub fn run_ref(path: &str, r: &Report) -> RunRef {
    RunRef {
        path: path.to_string(),
        created_utc: r.created_utc.clone(),
        device: r
            .environment
            .device_name
            .clone()
            .or_else(|| r.environment.hostname.clone()),
        fingerprint: fingerprint(r),
        git_commit: r.tool.git_commit.clone(),
    }
}

/// The threshold a run's scenario asks for (`regression_threshold_pct`), if any.
pub fn scenario_threshold(r: &Report) -> Option<f64> {
    let v: toml::Value = toml::from_str(&r.scenario.source).ok()?;
    v.get("regression_threshold_pct")?
        .as_float()
        .or_else(|| {
            v.get("regression_threshold_pct")?
                .as_integer()
                .map(|i| i as f64)
        })
        .map(|p| p / 100.0)
}

/// Compare `new` against `base`.
pub fn compare(base: (&str, &Report), new: (&str, &Report), threshold: f64) -> Comparison {
    let (b, n) = (run_ref(base.0, base.1), run_ref(new.0, new.1));
    let mut warnings = Vec::new();
    let diffs = b.fingerprint.differences(&n.fingerprint);
    if !diffs.is_empty() || b.device != n.device {
        warnings.push(format!(
            "DIFFERENT DEVICES: base is {} ({}), new is {} ({}); {}. Ratios mix the machines' speed with the code's.",
            b.device.as_deref().unwrap_or("unnamed"),
            b.fingerprint.id,
            n.device.as_deref().unwrap_or("unnamed"),
            n.fingerprint.id,
            if diffs.is_empty() {
                "the fingerprints agree, the names differ".to_string()
            } else {
                diffs
                    .iter()
                    .map(|(f, x, y)| format!("{f} {x} vs {y}"))
                    .collect::<Vec<_>>()
                    .join("; ")
            }
        ));
    }
    let by_key = |r: &Report| -> Vec<(PointKey, PointResult)> {
        let mut v: Vec<(PointKey, PointResult)> = r
            .points
            .iter()
            .map(|p| (PointKey::of(p), p.clone()))
            .collect();
        v.sort_by(|x, y| x.0.cmp(&y.0));
        v
    };
    let (bp, np) = (by_key(base.1), by_key(new.1));
    let mut keys: Vec<PointKey> = bp.iter().chain(np.iter()).map(|x| x.0.clone()).collect();
    keys.sort();
    keys.dedup();
    let find = |v: &[(PointKey, PointResult)], k: &PointKey| {
        v.iter().find(|x| &x.0 == k).map(|x| x.1.clone())
    };
    let mut rows = Vec::new();
    for k in &keys {
        let (pb, pn) = (find(&bp, k), find(&np, k));
        if let (Some(x), Some(y)) = (&pb, &pn) {
            let sha = |p: &PointResult| p.model.as_ref().and_then(|m| m.sha256.clone());
            if let (Some(s1), Some(s2)) = (sha(x), sha(y)) {
                if s1 != s2 {
                    warnings.push(format!(
                        "DIFFERENT MODEL FILES under the name `{}` ({k}): base sha256 {}…, new {}…",
                        k.model,
                        &s1[..s1.len().min(12)],
                        &s2[..s2.len().min(12)]
                    ));
                }
            }
        }
        for m in METRICS {
            if let Some(row) = compare_metric(k, pb.as_ref(), pn.as_ref(), m, threshold) {
                rows.push(row);
            }
        }
    }
    warnings.dedup();
    Comparison {
        base: b,
        new: n,
        threshold,
        warnings,
        rows,
    }
}

fn status_note(p: Option<&PointResult>) -> Option<String> {
    let p = p?;
    (p.status != PointStatus::Ok).then(|| {
        format!(
            "{}{}",
            match p.status {
                PointStatus::Failed => "failed",
                _ => "skipped",
            },
            p.error
                .as_ref()
                .map_or_else(String::new, |e| format!(": {}", e.message))
        )
    })
}

fn compare_metric(
    key: &PointKey,
    pb: Option<&PointResult>,
    pn: Option<&PointResult>,
    m: &MetricDef,
    threshold: f64,
) -> Option<Row> {
    let mb = pb.and_then(|p| measure(p, m));
    let mn = pn.and_then(|p| measure(p, m));
    let row = |verdict, regression, note| Row {
        key: key.clone(),
        metric: m.name.to_string(),
        base: mb.as_ref().map(|x| x.value),
        new: mn.as_ref().map(|x| x.value),
        ratio: None,
        ratio_ci95: None,
        ci_note: None,
        p_value: None,
        basis: None,
        verdict,
        regression,
        base_outliers: None,
        new_outliers: None,
        note,
    };
    let (b, n) = match (&mb, &mn) {
        (None, None) => {
            // Neither side measured it: listed only when the point itself is new or gone
            // (once, on decode_tok_s), else it is a metric this point never has.
            if m.name != metrics::DECODE_TOK_S.name {
                return None;
            }
            return match (pb, pn) {
                (Some(_), None) => Some(row(Verdict::Gone, false, None)),
                (None, Some(_)) => Some(row(Verdict::New, false, None)),
                (Some(x), Some(y)) if x.status == PointStatus::Ok => {
                    Some(row(Verdict::Gone, true, status_note(Some(y))))
                }
                _ => None,
            };
        }
        (Some(_), None) => {
            // A point that ran in base and failed in new is a regression; one that the new
            // run simply lacks is gone.
            let failed = pn.is_some_and(|p| p.status == PointStatus::Failed);
            if m.name != metrics::DECODE_TOK_S.name
                && pn.is_some_and(|p| p.status == PointStatus::Ok)
            {
                return Some(row(
                    Verdict::Gone,
                    false,
                    Some(format!("the new run did not measure {}", m.name)),
                ));
            }
            return Some(row(Verdict::Gone, failed, status_note(pn)));
        }
        (None, Some(_)) => {
            if m.name != metrics::DECODE_TOK_S.name
                && pb.is_some_and(|p| p.status == PointStatus::Ok)
            {
                return Some(row(
                    Verdict::New,
                    false,
                    Some(format!("the base run did not measure {}", m.name)),
                ));
            }
            return Some(row(Verdict::New, false, status_note(pb)));
        }
        (Some(b), Some(n)) => (b, n),
    };
    if b.value == 0.0 {
        return Some(Row {
            ci_note: Some("base value is 0: no ratio".into()),
            ..row(Verdict::Unchanged, false, None)
        });
    }
    let ratio = n.value / b.value;
    let seed = BOOTSTRAP_SEED ^ (m.name.len() as u64);
    let ratio_ci95 = bootstrap_ratio_ci95(&b.samples, &n.samples, m.stat, seed);
    let mw = mann_whitney_u(&b.samples, &n.samples);
    let ci_note = if b.samples.is_empty() || n.samples.is_empty() {
        Some("CI unavailable: the report keeps one value per point for this metric".to_string())
    } else if ratio_ci95.is_none() {
        Some("CI unavailable: fewer than 2 runs on a side".to_string())
    } else {
        None
    };
    let evidence = Evidence {
        ratio,
        p_value: mw.map(|x| x.p),
        p_min: mw.map(|_| smallest_p(b.samples.len(), n.samples.len())),
        base_ci: b.ci95,
        new_ci: n.ci95,
        ratio_ci: ratio_ci95,
        tail: m.stat == crate::stats::compare::Statistic::P99,
        n_min: b.samples.len().min(n.samples.len()),
    };
    let (changed, basis) = is_change(&evidence, threshold);
    let changed = changed && (n.value - b.value).abs() >= m.min_abs_change;
    let better = if m.higher_is_better {
        ratio > 1.0
    } else {
        ratio < 1.0
    };
    let verdict = match (changed, better) {
        (false, _) => Verdict::Unchanged,
        (true, true) => Verdict::Faster,
        (true, false) => Verdict::Slower,
    };
    Some(Row {
        ratio: Some(ratio),
        ratio_ci95,
        ci_note,
        p_value: mw.map(|x| x.p),
        basis: Some(basis),
        verdict,
        regression: verdict == Verdict::Slower,
        base_outliers: (!b.samples.is_empty()).then(|| tukey_outliers(&b.samples)),
        new_outliers: (!n.samples.is_empty()).then(|| tukey_outliers(&n.samples)),
        ..row(verdict, false, None)
    })
}

#[cfg(test)]
mod tests {
    use super::fixture::{point, report};
    use super::*;

    const BASE: [f64; 10] = [
        100.0, 101.0, 99.0, 100.5, 99.5, 100.2, 99.8, 100.1, 99.9, 100.3,
    ];

    #[test]
    fn a_ten_percent_decode_slowdown_is_slower_with_a_ci_covering_0_9() {
        let slow: Vec<f64> = BASE.iter().map(|t| t * 0.9).collect();
        let b = report(
            "dev",
            "2026-11-01T00:00:00Z",
            vec![point("mock", "m", &BASE, 32)],
        );
        let n = report(
            "dev",
            "2026-11-02T00:00:00Z",
            vec![point("mock", "m", &slow, 32)],
        );
        let c = compare(("b", &b), ("n", &n), DEFAULT_THRESHOLD);
        assert!(c.warnings.is_empty(), "{:?}", c.warnings);
        let row = c.rows.iter().find(|r| r.metric == "decode_tok_s").unwrap();
        assert_eq!(row.verdict, Verdict::Slower);
        assert!(row.regression);
        let [lo, hi] = row.ratio_ci95.unwrap();
        assert!(lo <= 0.90 && 0.90 <= hi, "[{lo}, {hi}]");
        assert!(row.p_value.unwrap() < 0.002);
        // RSS has one value per point: no interval, said so.
        let rss = c
            .rows
            .iter()
            .find(|r| r.metric == "peak_rss_steady_bytes")
            .unwrap();
        assert!(rss.ratio_ci95.is_none() && rss.ci_note.is_some());
        assert_eq!(rss.verdict, Verdict::Unchanged);
        // No power on either side: no j_per_token row.
        assert!(!c.rows.iter().any(|r| r.metric == "j_per_token"));
    }

    #[test]
    fn points_on_one_side_only_are_new_or_gone_and_devices_are_warned_about() {
        let b = report("a", "t", vec![point("mock", "old", &BASE, 8)]);
        let n = report("b", "t", vec![point("mock", "fresh", &BASE, 8)]);
        let c = compare(("b", &b), ("n", &n), DEFAULT_THRESHOLD);
        let v: Vec<(String, Verdict)> = c
            .rows
            .iter()
            .filter(|r| r.metric == "decode_tok_s")
            .map(|r| (r.key.model.clone(), r.verdict))
            .collect();
        assert_eq!(
            v,
            [
                ("fresh".to_string(), Verdict::New),
                ("old".to_string(), Verdict::Gone)
            ]
        );
        assert!(c.regressions().next().is_none());
        assert!(
            c.warnings[0].contains("DIFFERENT DEVICES"),
            "{:?}",
            c.warnings
        );
    }
}
