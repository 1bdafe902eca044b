//! History tests: migrations from every older version, idempotent ingest, concurrent writers,
//! and change-point checks over synthetic nights.

use super::*;
use crate::compare::fixture::{point, report};
use crate::compare::metrics::DECODE_TOK_S;

fn write_run(dir: &Path, device: &str, created: &str, tok_s: f64) -> PathBuf {
    let d = dir.join(created.replace(':', ""));
    std::fs::create_dir_all(&d).unwrap();
    let speeds: Vec<f64> = (0..5).map(|i| tok_s * (1.0 + 0.003 * i as f64)).collect();
    let r = report(device, created, vec![point("mock", "m", &speeds, 16)]);
    crate::report::json::write(&d.join(crate::report::REPORT_JSON), &r).unwrap();
    d
}

#[test]
fn every_older_schema_migrates_to_current_and_keeps_its_rows() {
    for start in 1..schema::CURRENT {
        let tmp = tempfile::tempdir().unwrap();
        let db = tmp.path().join("h.sqlite");
        {
            let conn = Connection::open(&db).unwrap();
            schema::migrate_to(&conn, start).unwrap();
            assert_eq!(schema::version(&conn).unwrap(), start);
            conn.execute(
                "INSERT INTO runs (run_sha256, device, fingerprint_id, created_utc, scenario, source, ingested_utc)
                 VALUES ('x', 'old', 'f', '2026-01-01T00:00:00Z', 's', 'dir', 'now')",
                [],
            )
            .unwrap();
        }
        let conn = open(&db).unwrap();
        assert_eq!(schema::version(&conn).unwrap(), schema::CURRENT);
        let rows = list(&conn, Some("old"), None).unwrap();
        assert_eq!(rows.len(), 1);
        // Opening again changes nothing.
        drop(conn);
        let conn = open(&db).unwrap();
        assert_eq!(schema::version(&conn).unwrap(), schema::CURRENT);
    }
}

#[test]
fn a_newer_database_is_refused_with_a_fix() {
    let tmp = tempfile::tempdir().unwrap();
    let db = tmp.path().join("h.sqlite");
    {
        let conn = open(&db).unwrap();
        conn.execute("UPDATE schema_version SET version = 99", [])
            .unwrap();
    }
    let e = open(&db).unwrap_err();
    assert!(
        format!("{e:#}").contains("newer than this edgebench"),
        "{e:#}"
    );
}

#[test]
fn ingesting_the_same_run_twice_keeps_one_copy() {
    let tmp = tempfile::tempdir().unwrap();
    let run = write_run(tmp.path(), "dev", "2026-11-01T00:00:00Z", 100.0);
    let mut conn = open(&tmp.path().join("h.sqlite")).unwrap();
    assert!(matches!(
        ingest(&mut conn, &run).unwrap(),
        Ingested::Added { points: 1, .. }
    ));
    assert!(matches!(
        ingest(&mut conn, &run).unwrap(),
        Ingested::AlreadyThere { .. }
    ));
    assert_eq!(list(&conn, None, None).unwrap().len(), 1);
    let n: i64 = conn
        .query_row("SELECT COUNT(*) FROM metrics", [], |r| r.get(0))
        .unwrap();
    // decode, prefill, ttft, p99, rss: no power in the synthetic run.
    assert_eq!(n, 5);
}

#[test]
fn concurrent_ingests_into_a_new_file_both_succeed() {
    let tmp = tempfile::tempdir().unwrap();
    let db = tmp.path().join("h.sqlite");
    let runs: Vec<PathBuf> = (0..4)
        .map(|i| {
            write_run(
                tmp.path(),
                "dev",
                &format!("2026-11-0{}T00:00:00Z", i + 1),
                100.0,
            )
        })
        .collect();
    std::thread::scope(|s| {
        for r in &runs {
            let db = db.clone();
            s.spawn(move || {
                let mut conn = open(&db).unwrap();
                ingest(&mut conn, r).unwrap();
            });
        }
    });
    let conn = open(&db).unwrap();
    assert_eq!(list(&conn, None, None).unwrap().len(), 4);
}

#[test]
fn check_flags_a_slow_last_night_and_names_it() {
    let tmp = tempfile::tempdir().unwrap();
    let mut conn = open(&tmp.path().join("h.sqlite")).unwrap();
    for (i, t) in [100.0, 100.4, 99.8, 80.0].iter().enumerate() {
        let r = write_run(
            tmp.path(),
            "dev",
            &format!("2026-11-0{}T00:00:00Z", i + 1),
            *t,
        );
        ingest(&mut conn, &r).unwrap();
        let s = series::load(&conn, "decode_tok_s", Some("dev"), &[]).unwrap();
        let f = series::check(&s, &DECODE_TOK_S, 30, 0.05);
        assert_eq!(f.len(), 1);
        if i < 3 {
            assert!(f[0].first_bad.is_none(), "night {}: {f:?}", i + 1);
        } else {
            let bad = f[0].first_bad.as_ref().expect("night 4 is slower");
            assert_eq!(bad.created_utc, "2026-11-04T00:00:00Z");
            assert!(series::render_check(&f).starts_with("REGRESSION dev · mock m - t1 p4 g17"));
        }
    }
    let bmf = series::export_bmf(&conn, None).unwrap();
    let v = &bmf["dev/mock/m/-/t1/p4/g17"]["decode_tok_s"];
    assert!(v["value"].as_f64().unwrap() < 85.0, "{bmf}");
    assert!(v["lower_value"].as_f64().is_some());
}
