//! The latest run of each configuration on one device, as `recommend` candidates: speed,
//! latency, RAM and energy from the history's metrics; agreement from that run's own report
//! (the history does not store it), read from the directory it was ingested from. A report
//! that can no longer be read leaves the configuration without agreement data, which
//! `recommend` then names as the reason it is excluded.

use anyhow::Result;
use rusqlite::{params, Connection};
use std::collections::BTreeMap;
use std::path::Path;

use crate::recommend::{quality_of, Candidate, Quality};
use crate::results::Report;

/// Candidates, the latency budget of the newest readable report, and notes on what could not be read.
#[derive(Debug, Clone, Default)]
pub struct Latest {
    pub candidates: Vec<Candidate>,
    pub latency_budget_ms_per_token: Option<f64>,
    pub notes: Vec<String>,
}

struct Row {
    point_id: i64,
    key: (String, String, String, i64, i64, i64),
    status: String,
    run_id: i64,
    created_utc: String,
    source: String,
}

pub fn candidates(conn: &Connection, device: &str) -> Result<Latest> {
    let mut st = conn.prepare(
        "SELECT p.id, p.backend, p.model, p.quant, p.threads, p.prompt_tokens, p.gen_tokens, p.status,
                r.id, r.created_utc, r.source
         FROM points p JOIN runs r ON p.run_id = r.id
         WHERE r.device = ?1
         ORDER BY p.backend, p.model, p.quant, p.threads, p.prompt_tokens, p.gen_tokens, r.created_utc, r.id",
    )?;
    let rows = st
        .query_map(params![device], |r| {
            Ok(Row {
                point_id: r.get(0)?,
                key: (
                    r.get(1)?,
                    r.get(2)?,
                    r.get(3)?,
                    r.get(4)?,
                    r.get(5)?,
                    r.get(6)?,
                ),
                status: r.get(7)?,
                run_id: r.get(8)?,
                created_utc: r.get(9)?,
                source: r.get(10)?,
            })
        })?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    // Ordered by key then time: the last row of each key is its latest run.
    let mut latest: Vec<Row> = Vec::new();
    for row in rows {
        match latest.last_mut() {
            Some(last) if last.key == row.key => *last = row,
            _ => latest.push(row),
        }
    }
    let mut reports: BTreeMap<String, Result<Report, String>> = BTreeMap::new();
    let mut out = Latest::default();
    let mut newest = String::new();
    for row in &latest {
        let report = reports.entry(row.source.clone()).or_insert_with(|| {
            crate::report::load_with_notes(Path::new(&row.source))
                .map(|(r, _)| r)
                .map_err(|e| format!("{e:#}"))
        });
        let (backend, model, quant, threads, prompt, gen) = &row.key;
        let quality = match report {
            Ok(r) => {
                if row.created_utc > newest {
                    newest = row.created_utc.clone();
                    out.latency_budget_ms_per_token = r.scenario.latency_budget_ms_per_token;
                }
                quality_of(r, backend, model, quant)
            }
            Err(e) => Quality::Missing {
                reason: format!(
                    "the history keeps no agreement data and run {}'s report could not be read ({e})",
                    row.run_id
                ),
            },
        };
        let metrics: BTreeMap<String, f64> = conn
            .prepare_cached("SELECT metric, value FROM metrics WHERE point_id = ?1")?
            .query_map(params![row.point_id], |r| Ok((r.get(0)?, r.get(1)?)))?
            .collect::<rusqlite::Result<_>>()?;
        out.candidates.push(Candidate {
            name: format!("{backend} {model} {quant} t{threads} p{prompt} g{gen}"),
            backend: backend.clone(),
            model: model.clone(),
            quant: quant.clone(),
            threads: *threads as usize,
            did_not_run: (row.status != "ok").then(|| {
                format!(
                    "{} in its latest run ({}, {})",
                    row.status, row.run_id, row.created_utc
                )
            }),
            decode_tok_s: metrics.get("decode_tok_s").copied(),
            decode_p99_ms: metrics.get("decode_p99_ms").copied(),
            peak_ram_bytes: metrics.get("peak_rss_steady_bytes").map(|b| *b as u64),
            j_per_token: metrics.get("j_per_token").copied(),
            quality,
            source: Some(format!(
                "run {} ({}, {})",
                row.run_id, row.created_utc, row.source
            )),
        });
    }
    for (source, r) in &reports {
        if let Err(e) = r {
            out.notes.push(format!(
                "{source}: {e}; its configurations have no agreement data"
            ));
        }
    }
    Ok(out)
}
