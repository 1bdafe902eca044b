//! Series in the history: one metric of one point (device × backend × model × quant × threads
//! × prompt × gen) over runs, oldest first. `trend` renders them as a table and a sparkline;
//! `check` segments each series ([`crate::stats::changepoint`]) and calls the latest run a
//! regression when its segment is worse than the segment before it (the last stable level) by
//! more than the threshold; `export` gives each series' latest value as BMF.

use anyhow::Result;
use rusqlite::{params, Connection};
use std::fmt::Write;

use crate::compare::bmf::{benchmark_name, measure_value};
use crate::compare::metrics::MetricDef;
use crate::compare::PointKey;
use crate::stats::changepoint::segments;

/// One run's value in a series.
#[derive(Debug, Clone, PartialEq)]
pub struct SeriesPoint {
    pub run_id: i64,
    pub created_utc: String,
    pub git_commit: Option<String>,
    pub source: String,
    pub value: f64,
    pub ci95: Option<[f64; 2]>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Series {
    pub device: String,
    pub key: PointKey,
    pub points: Vec<SeriesPoint>,
}

impl Series {
    pub fn name(&self) -> String {
        format!("{} · {}", self.device, self.key)
    }
}

/// Every series of `metric`, optionally of one device and some backends.
pub fn load(
    conn: &Connection,
    metric: &str,
    device: Option<&str>,
    backends: &[String],
) -> Result<Vec<Series>> {
    let mut st = conn.prepare(
        "SELECT r.device, p.backend, p.model, p.quant, p.threads, p.prompt_tokens, p.gen_tokens,
                r.id, r.created_utc, r.git_commit, r.source, m.value, m.lower, m.upper
         FROM metrics m JOIN points p ON m.point_id = p.id JOIN runs r ON p.run_id = r.id
         WHERE m.metric = ?1 AND (?2 IS NULL OR r.device = ?2)
         ORDER BY r.device, p.backend, p.model, p.quant, p.threads, p.prompt_tokens, p.gen_tokens,
                  r.created_utc, r.id",
    )?;
    let rows = st.query_map(params![metric, device], |r| {
        let key = PointKey {
            backend: r.get(1)?,
            model: r.get(2)?,
            quant: r.get(3)?,
            threads: r.get::<_, i64>(4)? as usize,
            prompt_tokens: r.get::<_, i64>(5)? as usize,
            gen_tokens: r.get::<_, i64>(6)? as usize,
        };
        let lo: Option<f64> = r.get(12)?;
        let hi: Option<f64> = r.get(13)?;
        Ok((
            r.get::<_, String>(0)?,
            key,
            SeriesPoint {
                run_id: r.get(7)?,
                created_utc: r.get(8)?,
                git_commit: r.get(9)?,
                source: r.get(10)?,
                value: r.get(11)?,
                ci95: lo.zip(hi).map(|(a, b)| [a, b]),
            },
        ))
    })?;
    let mut out: Vec<Series> = Vec::new();
    for row in rows {
        let (device, key, p) = row?;
        if !backends.is_empty() && !backends.contains(&key.backend) {
            continue;
        }
        match out.last_mut() {
            Some(s) if s.device == device && s.key == key => s.points.push(p),
            _ => out.push(Series {
                device,
                key,
                points: vec![p],
            }),
        }
    }
    Ok(out)
}

/// Unicode sparkline of `ys` (▁ lowest … █ highest).
pub fn sparkline(ys: &[f64]) -> String {
    const BARS: [char; 8] = ['▁', '▂', '▃', '▄', '▅', '▆', '▇', '█'];
    let lo = ys.iter().copied().fold(f64::INFINITY, f64::min);
    let hi = ys.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    ys.iter()
        .map(|&y| {
            if hi - lo <= f64::EPSILON * hi.abs().max(1.0) {
                BARS[3]
            } else {
                BARS[(((y - lo) / (hi - lo)) * 7.0).round() as usize]
            }
        })
        .collect()
}

fn short(commit: Option<&str>) -> String {
    commit.map_or_else(|| "unknown".into(), |c| c.chars().take(10).collect())
}

/// `history trend`: a block per series.
pub fn render_trend(series: &[Series], metric: &MetricDef) -> String {
    let mut s = String::new();
    if series.is_empty() {
        let _ = writeln!(
            s,
            "no {} values in the history for this selection",
            metric.name
        );
    }
    for se in series {
        let ys: Vec<f64> = se.points.iter().map(|p| p.value).collect();
        let _ = writeln!(
            s,
            "{} · {} ({} is better)\n  {}\n  {:<22} {:<10} {:>12} {:>25}  run",
            se.name(),
            metric.name,
            if metric.higher_is_better {
                "higher"
            } else {
                "lower"
            },
            sparkline(&ys),
            "created_utc",
            "commit",
            "value",
            "95% CI"
        );
        for p in &se.points {
            let _ = writeln!(
                s,
                "  {:<22} {:<10} {:>12.2} {:>25}  {}",
                p.created_utc,
                short(p.git_commit.as_deref()),
                p.value,
                p.ci95
                    .map_or_else(|| "n/a".into(), |[a, b]| format!("[{a:.2}, {b:.2}]")),
                p.source
            );
        }
        s.push('\n');
    }
    s
}

/// The verdict of `check` on one series.
#[derive(Debug, Clone, PartialEq)]
pub struct Finding {
    pub series: String,
    pub metric: String,
    /// The first run of the latest segment when that segment is a regression.
    pub first_bad: Option<SeriesPoint>,
    pub stable_level: Option<f64>,
    pub latest_level: f64,
    pub segments: usize,
    pub runs: usize,
}

/// Check the last `last` runs of each series.
pub fn check(series: &[Series], metric: &MetricDef, last: usize, threshold: f64) -> Vec<Finding> {
    series
        .iter()
        .map(|se| {
            let pts = &se.points[se.points.len().saturating_sub(last.max(1))..];
            let ys: Vec<f64> = pts.iter().map(|p| p.value).collect();
            let cis: Vec<Option<[f64; 2]>> = pts.iter().map(|p| p.ci95).collect();
            let segs = segments(&ys, &cis);
            let latest = segs.last().copied();
            let before = (segs.len() >= 2).then(|| segs[segs.len() - 2]);
            let factor = 1.0 + threshold;
            let first_bad = match (latest, before) {
                (Some(l), Some(b)) if b.level != 0.0 => {
                    let worse = if metric.higher_is_better {
                        l.level * factor < b.level
                    } else {
                        l.level > b.level * factor
                    };
                    worse.then(|| pts[l.start].clone())
                }
                _ => None,
            };
            Finding {
                series: se.name(),
                metric: metric.name.to_string(),
                first_bad,
                stable_level: before.map(|b| b.level),
                latest_level: latest.map_or(f64::NAN, |l| l.level),
                segments: segs.len(),
                runs: pts.len(),
            }
        })
        .collect()
}

/// One line per finding.
pub fn render_check(findings: &[Finding]) -> String {
    let mut s = String::new();
    for f in findings {
        match &f.first_bad {
            Some(p) => {
                let _ = writeln!(
                    s,
                    "REGRESSION {} · {}: level {:.2} → {:.2} (ratio {:.3}) since run {} ({}, commit {}, {})",
                    f.series,
                    f.metric,
                    f.stable_level.unwrap_or(f64::NAN),
                    f.latest_level,
                    f.latest_level / f.stable_level.unwrap_or(f64::NAN),
                    p.run_id,
                    p.created_utc,
                    short(p.git_commit.as_deref()),
                    p.source
                );
            }
            None => {
                let _ = writeln!(
                    s,
                    "ok         {} · {}: latest level {:.2} ({} runs, {} segment(s))",
                    f.series, f.metric, f.latest_level, f.runs, f.segments
                );
            }
        }
    }
    s
}

/// Every series' latest value as BMF, benchmarks named `device/backend/model/...`.
pub fn export_bmf(conn: &Connection, device: Option<&str>) -> Result<serde_json::Value> {
    let mut out = serde_json::Map::new();
    for m in crate::compare::metrics::METRICS {
        for se in load(conn, m.name, device, &[])? {
            let Some(p) = se.points.last() else { continue };
            let bench = out
                .entry(benchmark_name(Some(&se.device), &se.key))
                .or_insert_with(|| serde_json::Value::Object(Default::default()));
            if let serde_json::Value::Object(o) = bench {
                o.insert(m.name.to_string(), measure_value(p.value, p.ci95));
            }
        }
    }
    Ok(serde_json::Value::Object(out))
}
