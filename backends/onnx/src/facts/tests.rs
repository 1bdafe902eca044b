//! The weight-facts rules on small hand-built graphs (tied tables, dequantized and
//! block-quantized gathers, position buffers, external data) and on malformed bytes.

use super::*;
use crate::proto::{Attr, AttrValue, DataType, Dim, Graph, Model, Node, Tensor, ValueInfo};
use std::io::Cursor;

fn t(name: &str, dt: DataType, dims: &[i64], bytes: usize) -> Tensor {
    Tensor {
        name: name.into(),
        dims: dims.to_vec(),
        data_type: dt,
        raw: vec![0; bytes],
        external: None,
    }
}

fn n(op: &str, inputs: &[&str], out: &str, attrs: &[(&str, i64)]) -> Node {
    Node {
        name: out.into(),
        op_type: op.into(),
        domain: if op == "GatherBlockQuantized" {
            "com.microsoft".into()
        } else {
            String::new()
        },
        inputs: inputs.iter().map(|s| s.to_string()).collect(),
        outputs: vec![out.into()],
        attrs: attrs
            .iter()
            .map(|(k, v)| Attr {
                name: k.to_string(),
                value: AttrValue::Int(*v),
            })
            .collect(),
    }
}

fn model(nodes: Vec<Node>, inits: Vec<Tensor>) -> Vec<u8> {
    let vi = |name: &str, dt| ValueInfo {
        name: name.into(),
        elem_type: dt,
        dims: vec![Dim::Fixed(1), Dim::Param("s".into())],
    };
    Model {
        ir_version: 8,
        opsets: vec![(String::new(), 18)],
        producer_name: "test".into(),
        producer_version: "0".into(),
        doc_string: String::new(),
        metadata: vec![],
        graph: Graph {
            name: "g".into(),
            nodes,
            initializers: inits,
            inputs: vec![
                vi("input_ids", DataType::Int64),
                vi("position_ids", DataType::Int64),
            ],
            outputs: vec![vi("logits", DataType::Float)],
        },
    }
    .to_bytes()
}

fn facts(bytes: &[u8]) -> WeightFacts {
    facts_of(Cursor::new(bytes.to_vec())).unwrap()
}

const V: i64 = 100;
const D: i64 = 8;

#[test]
fn tied_through_a_transpose_counts_whole_plus_a_row() {
    let b = model(
        vec![
            n("Gather", &["E", "input_ids"], "h", &[]),
            n("Transpose", &["E"], "Et", &[]),
            n("MatMul", &["h", "Et"], "logits", &[]),
        ],
        vec![t("E", DataType::Float, &[V, D], (4 * V * D) as usize)],
    );
    let f = facts(&b);
    assert_eq!(f.decode_bytes, (4 * V * D + 4 * D) as u64);
    assert_eq!(f.parameter_count, (V * D) as u64);
    assert_eq!(f.total_initializer_bytes, (4 * V * D) as u64);
}

#[test]
fn dequantized_table_then_gather_counts_one_row() {
    let b = model(
        vec![
            n("DequantizeLinear", &["Eq", "s", "z"], "Ed", &[]),
            n("Gather", &["Ed", "input_ids"], "h", &[]),
            n("MatMul", &["h", "W"], "logits", &[]),
        ],
        vec![
            t("Eq", DataType::Uint8, &[V, D], (V * D) as usize),
            t("s", DataType::Float, &[], 4),
            t("z", DataType::Uint8, &[], 1),
            t("W", DataType::Float, &[D, V], (4 * V * D) as usize),
        ],
    );
    let f = facts(&b);
    assert_eq!(f.decode_bytes, (D + 4 + 1 + 4 * D * V) as u64);
    assert_eq!(f.parameter_count, (2 * V * D) as u64);
}

#[test]
fn position_tables_are_buffers_read_one_row() {
    let b = model(
        vec![
            n("Gather", &["E", "input_ids"], "h", &[]),
            n("Gather", &["C", "position_ids"], "c", &[]),
            n("Cast", &["position_ids"], "p", &[("to", 1)]),
            n("Mul", &["p", "inv_freq"], "fr", &[]),
            n("Mul", &["h", "c"], "hc", &[]),
            n("Add", &["hc", "fr"], "logits", &[]),
        ],
        vec![
            t("E", DataType::Float, &[V, D], (4 * V * D) as usize),
            t("C", DataType::Float, &[64, D], (4 * 64 * D) as usize),
            t("inv_freq", DataType::Float, &[1, 1, D], (4 * D) as usize),
        ],
    );
    let f = facts(&b);
    assert_eq!(f.decode_bytes, (4 * D + 4 * D + 4 * D) as u64);
    assert_eq!(f.parameter_count, (V * D) as u64);
}

#[test]
fn block_quantized_gather_and_external_lengths() {
    let mut w = t("W", DataType::Uint8, &[V, D / 2], 0);
    w.external = Some(("m.onnx_data".into(), 0, (V * D / 2) as u64));
    let b = model(
        vec![
            n(
                "GatherBlockQuantized",
                &["Eq", "input_ids", "Es"],
                "h",
                &[("bits", 4), ("block_size", 8)],
            ),
            n(
                "MatMulNBits",
                &["h", "W", "Ws"],
                "logits",
                &[("K", D), ("N", V), ("bits", 4), ("block_size", 8)],
            ),
        ],
        vec![
            t("Eq", DataType::Uint8, &[V, D / 2], (V * D / 2) as usize),
            t("Es", DataType::Float, &[V, 1], (4 * V) as usize),
            w,
            t("Ws", DataType::Float, &[V, 1], (4 * V) as usize),
        ],
    );
    let f = facts(&b);
    assert_eq!(f.decode_bytes, (D / 2 + 4 + V * D / 2 + 4 * V) as u64);
    assert_eq!(f.parameter_count, (2 * V * D) as u64);
    assert_eq!(f.total_initializer_bytes, (2 * (V * D / 2) + 8 * V) as u64);
}

#[test]
fn malformed_bytes_are_errors_not_panics() {
    let good = model(
        vec![
            n("Gather", &["E", "input_ids"], "h", &[]),
            n("MatMul", &["h", "W"], "logits", &[]),
        ],
        vec![
            t("E", DataType::Float, &[V, D], (4 * V * D) as usize),
            t("W", DataType::Float, &[D, V], (4 * V * D) as usize),
        ],
    );
    let full = facts(&good);
    for cut in 0..good.len() {
        // A cut inside the graph is an error; one after it (opsets) loses nothing read here.
        if let Ok(f) = facts_of(Cursor::new(good[..cut].to_vec())) {
            assert!(f == full && cut > good.len() - 16, "{cut}");
        }
    }
    // Flipped bytes must never panic (most are errors, some still decode).
    let mut x = 0x9E37_79B9_7F4A_7C15u64;
    for _ in 0..2000 {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        let mut bad = good.clone();
        let i = (x % bad.len() as u64) as usize;
        bad[i] ^= (x >> 32) as u8 | 1;
        let _ = facts_of(Cursor::new(bad));
    }
    for junk in [
        &b""[..],
        &[0xff; 16][..],
        &[0x3a, 0xff, 0xff, 0xff, 0xff, 0x0f][..], // graph of 4 GB in a 6-byte file
        &[0x0b][..],                               // wire type 3 (group)
        b"\x08\x08",                               // ir_version only: no graph
    ] {
        assert!(facts_of(Cursor::new(junk.to_vec())).is_err(), "{junk:?}");
    }
}
