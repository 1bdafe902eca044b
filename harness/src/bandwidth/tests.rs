//! The cache round trip with a fake measurement and a fake clock, the summary fields and the
//! text table.

use super::*;
use std::cell::RefCell;

const MB: u64 = 1 << 20;

fn fp() -> Fingerprint {
    Fingerprint {
        cpu_model: Some("Test CPU".into()),
        logical_cores: 2,
        kernel_release: Some("6.1.0".into()),
        mem_total_bytes: Some(8 << 30),
        arch: "x86_64".into(),
        read_kernel: "avx2".into(),
        method: 3,
    }
}

fn request(threads: &[usize]) -> Request<'static> {
    Request {
        threads: threads.to_vec(),
        threads_all: 2,
        kernel: "avx2",
        last_level_cache_bytes: Some(32 * MB),
    }
}

fn at(s: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
}

/// A fake curve: 1 MiB at 100 GB/s × threads, 256 MiB at 10 GB/s × threads.
fn fake(calls: &RefCell<Vec<Vec<usize>>>) -> impl FnMut(&[usize]) -> Vec<BandwidthPoint> + '_ {
    move |threads| {
        calls.borrow_mut().push(threads.to_vec());
        threads
            .iter()
            .flat_map(|&t| {
                [(MB, 100e9), (256 * MB, 10e9)].map(|(bytes, bw)| BandwidthPoint {
                    bytes,
                    threads: t,
                    read_bytes_per_s: bw * t as f64,
                })
            })
            .collect()
    }
}

#[test]
fn cache_is_written_reused_for_a_day_then_measured_again() {
    let dir = tempfile::tempdir().unwrap();
    let calls = RefCell::new(vec![]);
    let t0 = at("2026-05-02T08:00:00Z");
    let get = |now, remeasure| {
        obtain(
            &request(&[1, 2]),
            Some(dir.path()),
            &fp(),
            remeasure,
            true,
            now,
            &mut fake(&calls),
        )
    };

    let first = get(t0, false);
    assert!(!first.cached);
    assert_eq!(calls.borrow().len(), 1);
    assert_eq!(first.measured_utc.as_deref(), Some("2026-05-02T08:00:00Z"));
    let note = first.cache_note.clone().unwrap();
    assert!(
        note.contains("no cached curve") && note.contains("written to"),
        "{note}"
    );
    assert!(dir.path().join(fp().file_name()).exists());

    let again = get(at("2026-05-03T07:59:00Z"), false);
    assert!(again.cached, "{:?}", again.cache_note);
    assert_eq!(
        calls.borrow().len(),
        1,
        "a fresh cache is not measured again"
    );
    assert_eq!(again.curve, first.curve);
    assert_eq!(again.measured_utc, first.measured_utc);

    let stale = get(at("2026-05-03T08:00:01Z"), false);
    assert!(!stale.cached);
    assert_eq!(calls.borrow().len(), 2);
    assert!(stale.cache_note.unwrap().contains("older than 24 h"));

    let forced = get(at("2026-05-03T08:01:00Z"), true);
    assert!(!forced.cached);
    assert_eq!(calls.borrow().len(), 3);
    assert!(forced
        .cache_note
        .unwrap()
        .contains("EDGEBENCH_BANDWIDTH=remeasure"));
}

#[test]
fn a_missing_thread_count_is_measured_alone_and_merged() {
    let dir = tempfile::tempdir().unwrap();
    let calls = RefCell::new(vec![]);
    let now = at("2026-05-02T08:00:00Z");
    obtain(
        &request(&[1, 2]),
        Some(dir.path()),
        &fp(),
        false,
        true,
        now,
        &mut fake(&calls),
    );
    let later = at("2026-05-02T09:00:00Z");
    let bw = obtain(
        &request(&[1, 2, 4]),
        Some(dir.path()),
        &fp(),
        false,
        true,
        later,
        &mut fake(&calls),
    );
    assert_eq!(*calls.borrow(), vec![vec![1, 2], vec![4]]);
    assert_eq!(bw.thread_counts(), vec![1, 2, 4]);
    // The merged curve keeps its first time, so it expires with the older part.
    assert_eq!(bw.measured_utc.as_deref(), Some("2026-05-02T08:00:00Z"));
    let reused = obtain(
        &request(&[4]),
        Some(dir.path()),
        &fp(),
        false,
        true,
        later,
        &mut fake(&calls),
    );
    assert!(reused.cached);
    assert_eq!(calls.borrow().len(), 2);
}

#[test]
fn an_unwritable_cache_is_a_note_not_an_error() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("not-a-dir");
    std::fs::write(&file, "x").unwrap();
    let calls = RefCell::new(vec![]);
    let now = Utc::now();
    let bw = obtain(
        &request(&[1]),
        Some(&file.join("edgebench")),
        &fp(),
        false,
        true,
        now,
        &mut fake(&calls),
    );
    assert_eq!(bw.read_1t_bytes_per_s, 10e9);
    let note = bw.cache_note.unwrap();
    assert!(note.contains("could not write"), "{note}");

    let none = obtain(
        &request(&[1]),
        None,
        &fp(),
        false,
        true,
        now,
        &mut fake(&calls),
    );
    assert!(none
        .cache_note
        .unwrap()
        .contains("neither XDG_CACHE_HOME nor HOME"));
}

#[test]
fn summary_fields_come_from_the_largest_buffer() {
    let calls = RefCell::new(vec![]);
    let bw = obtain(
        &request(&[1, 2]),
        None,
        &fp(),
        false,
        true,
        Utc::now(),
        &mut fake(&calls),
    );
    assert_eq!(bw.read_1t_bytes_per_s, 10e9);
    assert_eq!(bw.read_all_bytes_per_s, 20e9);
    assert_eq!(bw.buffer_bytes, 256 << 20);
    assert_eq!(bw.threads_all, 2);
    assert_eq!(bw.kernel.as_deref(), Some("avx2"));
    assert_eq!(bw.at(MB, 2), Some(200e9));
}

#[test]
fn render_curve_is_a_table_of_sizes_by_threads() {
    let calls = RefCell::new(vec![]);
    let bw = obtain(
        &request(&[1, 2]),
        None,
        &fp(),
        false,
        true,
        at("2026-05-02T08:00:00Z"),
        &mut fake(&calls),
    );
    let text = render_curve(&bw);
    let lines: Vec<&str> = text.lines().collect();
    assert!(
        lines[0]
            .starts_with("Memory read bandwidth, GB/s (avx2 loads, measured 2026-05-02T08:00:00Z"),
        "{text}"
    );
    assert_eq!(
        lines[1].split_whitespace().collect::<Vec<_>>(),
        ["size", "1", "thread", "2", "threads"]
    );
    assert_eq!(
        lines[2].split_whitespace().collect::<Vec<_>>(),
        ["1", "MiB", "100.0", "200.0"]
    );
    assert_eq!(
        lines[3].split_whitespace().collect::<Vec<_>>(),
        ["256", "MiB", "10.0", "20.0"]
    );
    assert!(
        text.contains("last-level cache per sysfs: 32 MiB"),
        "{text}"
    );
}

#[test]
fn sizes_print_in_binary_units() {
    assert_eq!(size_text(16 << 10), "16 KiB");
    assert_eq!(size_text(1448 << 10), "1.4 MiB");
    assert_eq!(size_text(512 << 20), "512 MiB");
    assert_eq!(size_text(3 << 30), "3 GiB");
}

#[test]
fn the_largest_buffer_is_past_the_cache_and_fits_memory() {
    assert_eq!(max_bytes(None, None), 256 << 20);
    assert_eq!(max_bytes(Some(96 << 20), None), 384 << 20);
    assert_eq!(max_bytes(Some(480 << 20), None), 512 << 20);
    assert_eq!(max_bytes(Some(1 << 20), Some(512 << 20)), 128 << 20);
}

#[test]
fn cache_sizes_parse() {
    assert_eq!(parse_cache_size("32768K"), Some(32 << 20));
    assert_eq!(parse_cache_size("1M"), Some(1 << 20));
    assert_eq!(parse_cache_size("512"), Some(512));
    assert_eq!(parse_cache_size("x"), None);
}

#[test]
fn a_debug_build_reads_the_cache_but_does_not_write_it() {
    let dir = tempfile::tempdir().unwrap();
    let calls = RefCell::new(vec![]);
    let now = at("2026-05-02T08:00:00Z");
    let bw = obtain(
        &request(&[1]),
        Some(dir.path()),
        &fp(),
        false,
        false,
        now,
        &mut fake(&calls),
    );
    assert!(bw
        .cache_note
        .unwrap()
        .contains("not written by a debug build"));
    assert!(!dir.path().join(fp().file_name()).exists());
    obtain(
        &request(&[1]),
        Some(dir.path()),
        &fp(),
        false,
        true,
        now,
        &mut fake(&calls),
    );
    let reused = obtain(
        &request(&[1]),
        Some(dir.path()),
        &fp(),
        false,
        false,
        now,
        &mut fake(&calls),
    );
    assert!(reused.cached);
    assert_eq!(calls.borrow().len(), 2);
}
