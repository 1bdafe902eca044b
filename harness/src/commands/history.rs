//! `edgebench history ingest|list|trend|check|html|export` over the SQLite history. Built only with
//! the `history` feature (in the default build); without it every subcommand says how to
//! rebuild. Exit codes: 0 fine, 1 `check` found a regression, 2 usage or input error.

use anyhow::Result;

use crate::cli::HistoryCommand;

#[cfg(not(feature = "history"))]
pub fn history(_cmd: HistoryCommand) -> Result<i32> {
    eprintln!(
        "error: this edgebench was built without the `history` feature (SQLite run history)\n  fix: rebuild with it, e.g. `cargo build --release` (it is a default feature) or `cargo build --release --no-default-features --features history`"
    );
    Ok(2)
}

#[cfg(feature = "history")]
pub fn history(cmd: HistoryCommand) -> Result<i32> {
    use crate::compare::metrics;
    use crate::history::{self, series, Ingested};

    let open = |db: &Option<std::path::PathBuf>| {
        let path = history::db_path(db.as_deref());
        history::open(&path).map_err(|e| eprintln!("error: {e:#}"))
    };
    let metric_def = |name: &str| {
        metrics::by_name(name).ok_or_else(|| {
            eprintln!(
                "error: unknown metric `{name}`\n  fix: use one of {}",
                metrics::METRICS
                    .iter()
                    .map(|m| m.name)
                    .collect::<Vec<_>>()
                    .join(", ")
            )
        })
    };
    match cmd {
        HistoryCommand::Ingest { dirs, db } => {
            let Ok(mut conn) = open(&db) else {
                return Ok(2);
            };
            let mut failed = false;
            for d in &dirs {
                match history::ingest(&mut conn, d) {
                    Ok(Ingested::Added { run_id, points }) => {
                        println!("ingested {} as run {run_id} ({points} points)", d.display())
                    }
                    Ok(Ingested::AlreadyThere { run_id }) => {
                        println!("{} is already in the history as run {run_id}", d.display())
                    }
                    Err(e) => {
                        eprintln!("error: ingesting {}: {e:#}", d.display());
                        failed = true;
                    }
                }
            }
            Ok(if failed { 2 } else { 0 })
        }
        HistoryCommand::List { device, since, db } => {
            let Ok(conn) = open(&db) else { return Ok(2) };
            let rows = history::list(&conn, device.as_deref(), since.as_deref())?;
            println!(
                "{:>4}  {:<20}  {:<14}  {:<12}  {:<10}  {:<10}  {:>6}  source",
                "run", "created_utc", "device", "fingerprint", "scenario", "commit", "points"
            );
            for r in rows {
                println!(
                    "{:>4}  {:<20}  {:<14}  {:<12}  {:<10}  {:<10}  {:>6}  {}",
                    r.id,
                    r.created_utc,
                    r.device,
                    r.fingerprint_id,
                    r.scenario,
                    r.git_commit.as_deref().map_or_else(
                        || "unknown".to_string(),
                        |c| c.chars().take(10).collect::<String>()
                    ),
                    r.points,
                    r.source
                );
            }
            Ok(0)
        }
        HistoryCommand::Trend {
            metric,
            device,
            backend,
            db,
        } => {
            let Ok(m) = metric_def(&metric) else {
                return Ok(2);
            };
            let Ok(conn) = open(&db) else { return Ok(2) };
            let s = series::load(&conn, m.name, device.as_deref(), &backend)?;
            print!("{}", series::render_trend(&s, &m));
            Ok(0)
        }
        HistoryCommand::Check {
            device,
            last,
            metric,
            threshold,
            db,
        } => {
            let t = match crate::cli::parse_threshold(&threshold) {
                Ok(t) => t,
                Err(e) => {
                    eprintln!("error: --threshold: {e}");
                    return Ok(2);
                }
            };
            let Ok(conn) = open(&db) else { return Ok(2) };
            let mut regression = false;
            for name in &metric {
                let Ok(m) = metric_def(name) else {
                    return Ok(2);
                };
                let s = series::load(&conn, m.name, device.as_deref(), &[])?;
                let findings = series::check(&s, &m, last, t);
                regression |= findings.iter().any(|f| f.first_bad.is_some());
                print!("{}", series::render_check(&findings));
            }
            Ok(i32::from(regression))
        }
        HistoryCommand::Html {
            out,
            device,
            metric,
            db,
        } => {
            let mut defs = Vec::new();
            for name in &metric {
                let Ok(m) = metric_def(name) else {
                    return Ok(2);
                };
                defs.push(m);
            }
            let Ok(conn) = open(&db) else { return Ok(2) };
            let page = crate::history::html::render(&conn, &defs, device.as_deref())?;
            crate::report::write_atomic(&out, page.as_bytes())?;
            println!("wrote {}", out.display());
            Ok(0)
        }
        HistoryCommand::Export {
            format: _,
            device,
            db,
        } => {
            let Ok(conn) = open(&db) else { return Ok(2) };
            println!(
                "{}",
                serde_json::to_string_pretty(&series::export_bmf(&conn, device.as_deref())?)?
            );
            Ok(0)
        }
    }
}
