//! Defect 10 of issue 14: a GGUF holding one u8 metadata array of 140M elements must be read
//! compactly (about one byte of memory per element), not as one 32-byte value per element.
//! Its own test binary, so the process's memory counters see this test alone.

use edgebench_reference::gguf::{self, GgufFile, MetaValue};
use std::io::Write;

const N: u64 = 140_000_000;

/// A kB counter from `/proc/self/status` (Linux), e.g. `VmHWM` or `RssAnon`.
fn status_kb(key: &str) -> Option<u64> {
    let s = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = s.lines().find(|l| l.starts_with(key))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

fn write_big_array_file(path: &std::path::Path) {
    let mut f = std::io::BufWriter::new(std::fs::File::create(path).unwrap());
    let key = b"hostile.bytes";
    f.write_all(b"GGUF").unwrap();
    f.write_all(&3u32.to_le_bytes()).unwrap(); // version
    f.write_all(&0u64.to_le_bytes()).unwrap(); // tensors
    f.write_all(&1u64.to_le_bytes()).unwrap(); // metadata keys
    f.write_all(&(key.len() as u64).to_le_bytes()).unwrap();
    f.write_all(key).unwrap();
    f.write_all(&9u32.to_le_bytes()).unwrap(); // array
    f.write_all(&0u32.to_le_bytes()).unwrap(); // of u8
    f.write_all(&N.to_le_bytes()).unwrap();
    let chunk = vec![7u8; 1 << 20];
    let mut left = N;
    while left > 0 {
        let n = left.min(chunk.len() as u64) as usize;
        f.write_all(&chunk[..n]).unwrap();
        left -= n as u64;
    }
    f.flush().unwrap();
}

#[test]
fn a_140m_element_u8_array_is_read_compactly() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("big-array.gguf");
    write_big_array_file(&path);
    let size_kb = std::fs::metadata(&path).unwrap().len() / 1024;

    let (hwm0, anon0) = (status_kb("VmHWM"), status_kb("RssAnon"));
    let f = GgufFile::open(&path).unwrap();
    let (hwm1, anon1) = (status_kb("VmHWM"), status_kb("RssAnon"));
    let a = match f.get("hostile.bytes") {
        Some(MetaValue::Array(a)) => a,
        other => panic!("expected the array, got {other:?}"),
    };
    assert_eq!(a.len() as u64, N);
    assert_eq!(a.as_u8s().map(|v| v[N as usize - 1]), Some(7));
    let report = gguf::InspectReport::from_file(&f);
    assert!(
        report.metadata[0]
            .1
            .starts_with("[U8; 140000000] [7, 7, 7, 7, ...]"),
        "{:?}",
        report.metadata[0]
    );
    drop(f);

    if let (Some(hwm0), Some(hwm1), Some(anon0), Some(anon1)) = (hwm0, hwm1, anon0, anon1) {
        // Heap: one byte per element (the array itself), nothing per element beyond it.
        let anon = anon1.saturating_sub(anon0);
        assert!(
            anon < size_kb * 5 / 4,
            "reading grew anonymous memory by {anon} kB for a {size_kb} kB file"
        );
        // Peak: that copy plus the mapped file's pages, well under 2.5x the file.
        let peak = hwm1.saturating_sub(hwm0);
        assert!(
            peak < size_kb * 5 / 2,
            "reading raised peak RSS by {peak} kB for a {size_kb} kB file"
        );
    }
}

#[test]
fn header_counts_beyond_the_caps_are_refused_before_allocating() {
    let mut b = b"GGUF".to_vec();
    b.extend_from_slice(&3u32.to_le_bytes());
    b.extend_from_slice(&0u64.to_le_bytes());
    b.extend_from_slice(&(gguf::MAX_METADATA_KEYS + 1).to_le_bytes());
    // enough bytes that the count passes the "file can hold it" check
    b.resize(b.len() + 14 * (gguf::MAX_METADATA_KEYS as usize + 1), 0);
    let e = GgufFile::from_bytes("many-keys.gguf", &b)
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("many-keys.gguf") && e.contains("metadata keys"),
        "{e}"
    );
}
