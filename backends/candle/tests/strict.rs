//! Issue 14, defect 12: candle is handed only files the reference engine (and llama.cpp) accept.
//! A misaligned tensor offset used to run `ok` with other tokens, `general.alignment = 0`
//! panicked inside candle; both are now refused with the reference reader's reason.

mod common;

use edgebench_backend::{Backend, LoadOptions};
use edgebench_candle::CandleBackend;
use edgebench_reference::synth::SynthQuant;
use std::path::Path;

fn load_err(path: &Path) -> String {
    let o = LoadOptions {
        threads: 1,
        max_seq_len: 16,
    };
    match CandleBackend.load(&common::spec(path), &o) {
        Ok(_) => panic!("{} should be refused", path.display()),
        Err(e) => {
            assert_eq!(e.kind(), "invalid_model", "{e}");
            e.to_string()
        }
    }
}

/// The offset just past the first occurrence of `name` in the file.
fn after(bytes: &[u8], name: &str) -> usize {
    let at = bytes
        .windows(name.len())
        .position(|w| w == name.as_bytes())
        .unwrap_or_else(|| panic!("{name} not in file"));
    at + name.len()
}

/// The byte offset of the value of u32 metadata `key` (its length, name, then type id 4).
fn u32_value_at(bytes: &[u8], key: &str) -> usize {
    let t = after(bytes, key);
    assert_eq!(
        u32::from_le_bytes(bytes[t..t + 4].try_into().unwrap()),
        4,
        "{key} is a u32"
    );
    t + 4
}

/// The byte offset of tensor `name`'s data offset in the tensor table.
fn tensor_offset_at(bytes: &[u8], name: &str) -> usize {
    let n_dims_at = after(bytes, name);
    let n_dims = u32::from_le_bytes(bytes[n_dims_at..n_dims_at + 4].try_into().unwrap()) as usize;
    n_dims_at + 4 + 8 * n_dims + 4
}

#[test]
fn a_misaligned_tensor_offset_is_refused_with_the_reference_reason() {
    let (_dir, path) = common::tiny(SynthQuant::F32);
    let mut bytes = std::fs::read(&path).unwrap();
    let at = tensor_offset_at(&bytes, "token_embd.weight");
    let off = u64::from_le_bytes(bytes[at..at + 8].try_into().unwrap());
    bytes[at..at + 8].copy_from_slice(&(off + 4).to_le_bytes());
    std::fs::write(&path, bytes).unwrap();
    let e = load_err(&path);
    assert!(
        e.contains("token_embd.weight") && e.contains("not a multiple of the alignment"),
        "{e}"
    );
    assert!(e.contains(&path.display().to_string()), "{e}");
}

#[test]
fn alignment_zero_or_not_a_power_of_two_is_refused_without_a_panic() {
    for bad in [0u32, 24] {
        let (_dir, path) = common::tiny(SynthQuant::Q8_0);
        let mut bytes = std::fs::read(&path).unwrap();
        let at = u32_value_at(&bytes, "general.alignment");
        bytes[at..at + 4].copy_from_slice(&bad.to_le_bytes());
        std::fs::write(&path, bytes).unwrap();
        let e = load_err(&path);
        assert!(
            e.contains("general.alignment") && e.contains("power of two"),
            "{bad}: {e}"
        );
        assert!(!e.contains("panicked"), "{e}");
    }
}

#[test]
fn a_valid_file_still_loads() {
    let (_dir, path) = common::tiny(SynthQuant::Q4_0);
    let o = LoadOptions {
        threads: 1,
        max_seq_len: 16,
    };
    CandleBackend.load(&common::spec(&path), &o).unwrap();
}

#[test]
fn a_huge_metadata_array_is_refused_before_candle_reads_it() {
    // candle's reader keeps one 32-byte value per array element: 17M u8s would be 544 MB.
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("big-array.gguf");
    let n: u64 = 17 << 20;
    let key = b"hostile.bytes";
    let mut b = b"GGUF".to_vec();
    b.extend_from_slice(&3u32.to_le_bytes());
    b.extend_from_slice(&0u64.to_le_bytes()); // tensors
    b.extend_from_slice(&1u64.to_le_bytes()); // metadata keys
    b.extend_from_slice(&(key.len() as u64).to_le_bytes());
    b.extend_from_slice(key);
    b.extend_from_slice(&9u32.to_le_bytes()); // array
    b.extend_from_slice(&0u32.to_le_bytes()); // of u8
    b.extend_from_slice(&n.to_le_bytes());
    b.resize(b.len() + n as usize, 7);
    std::fs::write(&path, b).unwrap();
    let e = load_err(&path);
    assert!(e.contains("metadata arrays hold 17825792 elements"), "{e}");
}
