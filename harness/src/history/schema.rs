//! The history database's schema and its migrations. `schema_version` holds one row, the
//! version the file is at; [`migrate`] applies every later migration, each in its own
//! `BEGIN IMMEDIATE` transaction so two processes opening a new file do not both apply one.

use anyhow::Result;
use rusqlite::Connection;

/// Migrations in order; index + 1 is the version a file is at after applying it.
pub const MIGRATIONS: &[&str] = &[
    // 1: runs, points, metrics.
    "CREATE TABLE runs (
        id INTEGER PRIMARY KEY,
        run_sha256 TEXT NOT NULL UNIQUE,
        device TEXT NOT NULL,
        fingerprint_id TEXT NOT NULL,
        created_utc TEXT NOT NULL,
        scenario TEXT NOT NULL,
        git_commit TEXT,
        source TEXT NOT NULL,
        ingested_utc TEXT NOT NULL
    );
    CREATE TABLE points (
        id INTEGER PRIMARY KEY,
        run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
        backend TEXT NOT NULL,
        model TEXT NOT NULL,
        quant TEXT NOT NULL,
        threads INTEGER NOT NULL,
        prompt_tokens INTEGER NOT NULL,
        gen_tokens INTEGER NOT NULL,
        status TEXT NOT NULL,
        model_sha256 TEXT
    );
    CREATE TABLE metrics (
        point_id INTEGER NOT NULL REFERENCES points(id) ON DELETE CASCADE,
        metric TEXT NOT NULL,
        value REAL NOT NULL,
        lower REAL,
        upper REAL,
        n INTEGER NOT NULL,
        PRIMARY KEY (point_id, metric)
    );",
    // 2: the full fingerprint next to its id, and an index for per-device series.
    "ALTER TABLE runs ADD COLUMN fingerprint_json TEXT;
    CREATE INDEX runs_by_device ON runs(device, created_utc);
    CREATE INDEX points_by_run ON points(run_id);",
];

/// The version a fully migrated file is at.
pub const CURRENT: i64 = MIGRATIONS.len() as i64;

/// The file's version (0 for a new file).
pub fn version(conn: &Connection) -> Result<i64> {
    conn.execute_batch("CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)")?;
    Ok(conn
        .query_row("SELECT MAX(version) FROM schema_version", [], |r| {
            r.get::<_, Option<i64>>(0)
        })?
        .unwrap_or(0))
}

/// Bring the file to [`CURRENT`], or to `upto` when given (tests).
pub fn migrate_to(conn: &Connection, upto: i64) -> Result<()> {
    conn.execute_batch("CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)")?;
    for (i, sql) in MIGRATIONS.iter().enumerate().take(upto as usize) {
        let v = i as i64 + 1;
        conn.execute_batch("BEGIN IMMEDIATE")?;
        let at = version(conn)?;
        if at >= v {
            conn.execute_batch("COMMIT")?;
            continue;
        }
        let applied = conn.execute_batch(sql).and_then(|()| {
            conn.execute("DELETE FROM schema_version", [])?;
            conn.execute("INSERT INTO schema_version (version) VALUES (?1)", [v])?;
            Ok(())
        });
        match applied {
            Ok(()) => conn.execute_batch("COMMIT")?,
            Err(e) => {
                let _ = conn.execute_batch("ROLLBACK");
                return Err(e.into());
            }
        }
    }
    let at = version(conn)?;
    anyhow::ensure!(
        at <= CURRENT,
        "the history database is at schema version {at}, newer than this edgebench knows ({CURRENT}): use a newer edgebench or another --db"
    );
    Ok(())
}

/// Bring the file to [`CURRENT`].
pub fn migrate(conn: &Connection) -> Result<()> {
    migrate_to(conn, CURRENT)
}
