//! Run history in an embedded SQLite database (`results/history.sqlite` by default): every
//! ingested run with its device, commit and every point's metrics (value and 95% interval).
//! Ingesting is idempotent (a run is keyed by the sha256 of its report) and safe while another
//! process ingests (WAL journal, busy timeout, `BEGIN IMMEDIATE`). The schema is versioned;
//! [`schema`] migrates older databases forward. Series queries and change-point checks are in
//! [`series`]; [`html`] draws them with their change points, [`latest`] gives `recommend` the
//! latest run of each configuration on a device.

pub mod html;
pub mod latest;
pub mod schema;
pub mod series;

use anyhow::{Context, Result};
use rusqlite::{params, Connection};
use sha2::{Digest, Sha256};
use std::path::{Path, PathBuf};

use crate::compare::metrics::{measure, METRICS};
use crate::compare::{fingerprint, PointKey};
use crate::results::Report;

/// Default database path.
pub const DEFAULT_DB: &str = "results/history.sqlite";

/// How long a writer waits for another process's transaction (milliseconds).
const BUSY_TIMEOUT_MS: u64 = 60_000;

/// Open (creating and migrating) the database at `path`.
pub fn open(path: &Path) -> Result<Connection> {
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).with_context(|| {
            format!(
                "creating the directory of the history database {}; pass --db a writable path",
                path.display()
            )
        })?;
    }
    let conn = Connection::open(path).with_context(|| {
        format!(
            "opening the history database {}: pass --db a writable SQLite file",
            path.display()
        )
    })?;
    conn.busy_timeout(std::time::Duration::from_millis(BUSY_TIMEOUT_MS))?;
    // Switching to WAL needs a lock the busy handler does not always wait for: retry.
    let start = std::time::Instant::now();
    loop {
        match conn.query_row("PRAGMA journal_mode=WAL", [], |r| r.get::<_, String>(0)) {
            Ok(_) => break,
            Err(e) if start.elapsed().as_millis() < u128::from(BUSY_TIMEOUT_MS) => {
                let _ = e;
                std::thread::sleep(std::time::Duration::from_millis(20));
            }
            Err(e) => {
                return Err(e).with_context(|| {
                    format!(
                        "setting WAL mode on {} (another process holds it locked?)",
                        path.display()
                    )
                })
            }
        }
    }
    conn.execute_batch("PRAGMA foreign_keys=ON; PRAGMA synchronous=NORMAL;")?;
    schema::migrate(&conn).with_context(|| format!("migrating {}", path.display()))?;
    Ok(conn)
}

/// The database path: `--db`, else [`DEFAULT_DB`].
pub fn db_path(db: Option<&Path>) -> PathBuf {
    db.map_or_else(|| PathBuf::from(DEFAULT_DB), Path::to_path_buf)
}

/// What ingesting one directory did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Ingested {
    Added { run_id: i64, points: usize },
    AlreadyThere { run_id: i64 },
}

/// The id of a run: sha256 of its report.json bytes (of its re-serialized report when the
/// run was interrupted before writing one).
pub fn run_sha256(dir: &Path, report: &Report) -> Result<String> {
    let file = if dir.is_file() {
        dir.to_path_buf()
    } else {
        dir.join(crate::report::REPORT_JSON)
    };
    let bytes = if file.is_file() {
        std::fs::read(&file).with_context(|| format!("reading {}", file.display()))?
    } else {
        serde_json::to_vec(report)?
    };
    Ok(hex::encode(Sha256::digest(&bytes)))
}

/// Ingest one run directory (or report.json).
pub fn ingest(conn: &mut Connection, dir: &Path) -> Result<Ingested> {
    let report = crate::report::load(dir)?;
    let sha = run_sha256(dir, &report)?;
    let fp = fingerprint(&report);
    let device = report
        .environment
        .device_name
        .clone()
        .or_else(|| report.environment.hostname.clone())
        .unwrap_or_else(|| format!("unnamed-{}", fp.id));
    let tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
    let added = tx.execute(
        "INSERT OR IGNORE INTO runs (run_sha256, device, fingerprint_id, fingerprint_json, created_utc, scenario, git_commit, source, ingested_utc)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
        params![
            sha,
            device,
            fp.id,
            serde_json::to_string(&fp)?,
            report.created_utc,
            report.scenario.name,
            report.tool.git_commit,
            dir.display().to_string(),
            chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        ],
    )?;
    let run_id: i64 = tx.query_row(
        "SELECT id FROM runs WHERE run_sha256 = ?1",
        params![sha],
        |r| r.get(0),
    )?;
    if added == 0 {
        tx.commit()?;
        return Ok(Ingested::AlreadyThere { run_id });
    }
    for p in &report.points {
        let k = PointKey::of(p);
        tx.execute(
            "INSERT INTO points (run_id, backend, model, quant, threads, prompt_tokens, gen_tokens, status, model_sha256)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
            params![
                run_id,
                k.backend,
                k.model,
                k.quant,
                k.threads as i64,
                k.prompt_tokens as i64,
                k.gen_tokens as i64,
                format!("{:?}", p.status).to_lowercase(),
                p.model.as_ref().and_then(|m| m.sha256.clone()),
            ],
        )?;
        let point_id = tx.last_insert_rowid();
        for m in METRICS {
            if let Some(x) = measure(p, m) {
                tx.execute(
                    "INSERT INTO metrics (point_id, metric, value, lower, upper, n) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                    params![
                        point_id,
                        m.name,
                        x.value,
                        x.ci95.map(|c| c[0]),
                        x.ci95.map(|c| c[1]),
                        x.samples.len().max(1) as i64
                    ],
                )?;
            }
        }
    }
    tx.commit()?;
    Ok(Ingested::Added {
        run_id,
        points: report.points.len(),
    })
}

/// One row of `history list`.
#[derive(Debug, Clone, PartialEq)]
pub struct RunRow {
    pub id: i64,
    pub run_sha256: String,
    pub device: String,
    pub fingerprint_id: String,
    pub created_utc: String,
    pub scenario: String,
    pub git_commit: Option<String>,
    pub source: String,
    pub points: i64,
}

/// Runs, oldest first, optionally of one device and from a date on.
pub fn list(conn: &Connection, device: Option<&str>, since: Option<&str>) -> Result<Vec<RunRow>> {
    let mut st = conn.prepare(
        "SELECT r.id, r.run_sha256, r.device, r.fingerprint_id, r.created_utc, r.scenario, r.git_commit, r.source,
                (SELECT COUNT(*) FROM points p WHERE p.run_id = r.id)
         FROM runs r
         WHERE (?1 IS NULL OR r.device = ?1) AND (?2 IS NULL OR r.created_utc >= ?2)
         ORDER BY r.created_utc, r.id",
    )?;
    let rows = st
        .query_map(params![device, since], |r| {
            Ok(RunRow {
                id: r.get(0)?,
                run_sha256: r.get(1)?,
                device: r.get(2)?,
                fingerprint_id: r.get(3)?,
                created_utc: r.get(4)?,
                scenario: r.get(5)?,
                git_commit: r.get(6)?,
                source: r.get(7)?,
                points: r.get(8)?,
            })
        })?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    Ok(rows)
}

#[cfg(test)]
mod tests;
