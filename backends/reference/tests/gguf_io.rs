//! GGUF writer → reader round trip over every metadata type, tensor alignment, and the
//! reader's behaviour on truncated and corrupted files (errors, never panics).

mod common;

use edgebench_reference::gguf::{
    GgmlType, GgufFile, GgufWriter, MetaArray, MetaValue, TensorSpec, ValueType,
};
use edgebench_reference::synth::SynthQuant;
use proptest::prelude::*;
use std::borrow::Cow;

fn all_values() -> Vec<(&'static str, MetaValue)> {
    vec![
        ("t.u8", MetaValue::U8(200)),
        ("t.i8", MetaValue::I8(-100)),
        ("t.u16", MetaValue::U16(60000)),
        ("t.i16", MetaValue::I16(-30000)),
        ("t.u32", MetaValue::U32(4_000_000_000)),
        ("t.i32", MetaValue::I32(-2_000_000_000)),
        ("t.f32", MetaValue::F32(-1.5e-7)),
        ("t.bool", MetaValue::Bool(true)),
        ("t.string", MetaValue::String("héllo ✓".into())),
        ("t.u64", MetaValue::U64(u64::MAX - 1)),
        ("t.i64", MetaValue::I64(i64::MIN + 1)),
        ("t.f64", MetaValue::F64(std::f64::consts::PI)),
        ("t.arr_str", MetaValue::strings(["a", "", "ccc"])),
        ("t.arr_f32", MetaValue::f32s([1.0, -2.0])),
        (
            "t.arr_empty",
            MetaValue::Array(MetaArray::empty(ValueType::U8)),
        ),
        (
            "t.arr_nested",
            MetaValue::Array(
                MetaArray::from_values(
                    ValueType::Array,
                    vec![MetaValue::i32s([1, 2]), MetaValue::i32s([3])],
                )
                .unwrap(),
            ),
        ),
        ("general.alignment", MetaValue::U32(32)),
    ]
}

fn tensors() -> Vec<(TensorSpec, Vec<u8>)> {
    let mk = |name: &str, dims: &[u64], ty: GgmlType| {
        let spec = TensorSpec::new(name, dims, ty);
        let n = spec.n_bytes().unwrap() as usize;
        let bytes = (0..n).map(|i| (i * 7 + name.len()) as u8).collect();
        (spec, bytes)
    };
    vec![
        mk("a.f32", &[3], GgmlType::F32), // 12 bytes: next tensor needs padding
        mk("b.f16", &[5, 3], GgmlType::F16),
        mk("c.q8_0", &[64, 2], GgmlType::Q8_0),
        mk("d.q4_0", &[32, 1, 3], GgmlType::Q4_0),
        mk("e.q4_k", &[256, 2], GgmlType::Q4K),
    ]
}

fn write_sample(path: &std::path::Path) {
    let mut w = GgufWriter::new();
    for (k, v) in all_values() {
        w.meta(k, v);
    }
    let ts = tensors();
    for (s, _) in &ts {
        w.tensor(s.clone());
    }
    w.write(path, |i, _| Ok(Cow::Borrowed(&ts[i].1[..])))
        .unwrap();
}

#[test]
fn round_trip_every_value_type_and_tensor() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("sample.gguf");
    write_sample(&path);
    let f = GgufFile::open(&path).unwrap();
    assert_eq!(f.version(), 3);
    assert_eq!(f.alignment(), 32);
    let want = all_values();
    assert_eq!(f.metadata().len(), want.len());
    for ((k, v), (wk, wv)) in f.metadata().iter().zip(&want) {
        assert_eq!(k, wk);
        assert_eq!(v, wv, "{k}");
    }
    assert_eq!(f.get_u32("t.u16"), Some(60000));
    assert_eq!(f.get_u32("t.u64"), None, "does not fit u32");
    assert_eq!(f.get_u32("t.i8"), None, "negative");
    assert_eq!(f.get_f32("t.f64"), Some(std::f32::consts::PI));
    assert_eq!(f.get_str("t.string"), Some("héllo ✓"));
    assert_eq!(f.data_offset() % 32, 0);
    for (spec, bytes) in tensors() {
        let t = f.tensor(&spec.name).unwrap();
        assert_eq!(t.dims, &spec.dims[..]);
        assert_eq!(t.ggml_type, spec.ggml_type);
        assert_eq!(t.data, &bytes[..]);
        let info = f.tensor_info(&spec.name).unwrap();
        assert_eq!(info.offset % 32, 0, "{} offset {}", spec.name, info.offset);
        assert_eq!(info.start % 32, 0);
    }
    // llama.cpp pads the last tensor too.
    assert_eq!(f.file_size() % 32, 0);
    assert!(f.tensor("nope").is_none());
}

#[test]
fn truncation_at_every_cut_is_an_error() {
    let dir = tempfile::tempdir().unwrap();
    let path = common::tiny(dir.path(), SynthQuant::Q4_0);
    let bytes = std::fs::read(&path).unwrap();
    let cut = dir.path().join("cut.gguf");
    let data_start = GgufFile::open(&path).unwrap().data_offset();
    // Every byte through the header and tensor table, then a stride through the data (the
    // padding after the last tensor may be cut without losing data, so stop before it).
    let last_end = GgufFile::open(&path)
        .unwrap()
        .tensors()
        .iter()
        .map(|t| t.start + t.len)
        .max()
        .unwrap();
    let cuts = (0..data_start).chain((data_start..last_end).step_by(97));
    for n in cuts {
        let e =
            GgufFile::from_bytes(&cut, &bytes[..n]).expect_err(&format!("cut at {n} must fail"));
        let msg = e.to_string();
        assert!(msg.contains("cut.gguf"), "{msg}");
    }
    // Through a real file too.
    std::fs::write(&cut, &bytes[..last_end - 1]).unwrap();
    let msg = GgufFile::open(&cut).unwrap_err().to_string();
    assert!(
        msg.contains("output.weight") && msg.contains("truncated"),
        "{msg}"
    );
    println!("{msg}");
}

#[test]
fn absurd_counts_fail_without_allocating() {
    let mut b = b"GGUF".to_vec();
    b.extend_from_slice(&3u32.to_le_bytes());
    b.extend_from_slice(&(1u64 << 60).to_le_bytes()); // tensors
    b.extend_from_slice(&0u64.to_le_bytes());
    let p = std::path::Path::new("absurd.gguf");
    let msg = GgufFile::from_bytes(p, &b).unwrap_err().to_string();
    assert!(msg.contains("tensor count"), "{msg}");
    assert!(GgufFile::from_bytes(p, &[]).is_err());
    // An array claiming 2^62 strings.
    let mut b = b"GGUF".to_vec();
    b.extend_from_slice(&3u32.to_le_bytes());
    b.extend_from_slice(&0u64.to_le_bytes());
    b.extend_from_slice(&1u64.to_le_bytes());
    b.extend_from_slice(&1u64.to_le_bytes());
    b.push(b'k');
    b.extend_from_slice(&9u32.to_le_bytes()); // array
    b.extend_from_slice(&8u32.to_le_bytes()); // of strings
    b.extend_from_slice(&(1u64 << 62).to_le_bytes());
    assert!(GgufFile::from_bytes(p, &b).is_err());
    // Version 1 and a future version are rejected; version 2 is read.
    for (v, ok) in [(1u32, false), (2, true), (4, false)] {
        let mut b = b"GGUF".to_vec();
        b.extend_from_slice(&v.to_le_bytes());
        b.extend_from_slice(&[0u8; 16]);
        assert_eq!(GgufFile::from_bytes(p, &b).is_ok(), ok, "version {v}");
    }
}

thread_local! {
    static SAMPLE: Vec<u8> = {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("sample.gguf");
        write_sample(&path);
        std::fs::read(&path).unwrap()
    };
}

proptest! {
    #![proptest_config(ProptestConfig { cases: common::proptest_cases(1000), ..ProptestConfig::default() })]

    /// Random byte corruption in the header and tensor table: open either succeeds or errors.
    #[test]
    fn random_corruption_never_panics(edits in prop::collection::vec((0usize..4096, any::<u8>()), 1..8)) {
        let mut bytes = SAMPLE.with(|s| s.clone());
        let n = bytes.len();
        for (at, v) in edits {
            bytes[at % n] = v;
        }
        if let Ok(f) = GgufFile::from_bytes("sample.gguf", &bytes) {
            for t in f.tensors() {
                prop_assert!(t.start + t.len <= n);
                let _ = f.view(t);
            }
        }
    }
}
