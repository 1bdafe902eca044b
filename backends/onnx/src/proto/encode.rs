//! The encoder: each message type of [`super`] written as its protobuf bytes, fields in
//! onnx.proto's numbering, nested messages length-prefixed.

use super::{Attr, AttrValue, Dim, Graph, Model, Node, Tensor, ValueInfo};

#[derive(Default)]
struct Enc(Vec<u8>);

impl Enc {
    fn varint(&mut self, mut v: u64) {
        while v >= 0x80 {
            self.0.push((v as u8) | 0x80);
            v >>= 7;
        }
        self.0.push(v as u8);
    }
    fn key(&mut self, field: u32, wire: u8) {
        self.varint((u64::from(field) << 3) | u64::from(wire));
    }
    fn int(&mut self, field: u32, v: i64) {
        self.key(field, 0);
        self.varint(v as u64);
    }
    fn bytes(&mut self, field: u32, b: &[u8]) {
        self.key(field, 2);
        self.varint(b.len() as u64);
        self.0.extend_from_slice(b);
    }
    fn str(&mut self, field: u32, s: &str) {
        self.bytes(field, s.as_bytes());
    }
    fn float(&mut self, field: u32, v: f32) {
        self.key(field, 5);
        self.0.extend_from_slice(&v.to_le_bytes());
    }
    fn packed_ints(&mut self, field: u32, vs: &[i64]) {
        let mut inner = Enc::default();
        for &v in vs {
            inner.varint(v as u64);
        }
        self.bytes(field, &inner.0);
    }
    fn msg(&mut self, field: u32, m: &impl Encode) {
        let mut inner = Enc::default();
        m.encode(&mut inner);
        self.bytes(field, &inner.0);
    }
}

trait Encode {
    fn encode(&self, e: &mut Enc);
}

impl Encode for Tensor {
    fn encode(&self, e: &mut Enc) {
        e.packed_ints(1, &self.dims);
        e.int(2, self.data_type as i64);
        e.str(8, &self.name);
        match &self.external {
            None => e.bytes(9, &self.raw),
            Some((loc, off, len)) => {
                for (k, v) in [
                    ("location", loc.clone()),
                    ("offset", off.to_string()),
                    ("length", len.to_string()),
                ] {
                    e.msg(13, &StringPair(k.into(), v));
                }
                e.int(14, 1); // DataLocation::EXTERNAL
            }
        }
    }
}

struct StringPair(String, String);

impl Encode for StringPair {
    fn encode(&self, e: &mut Enc) {
        e.str(1, &self.0);
        e.str(2, &self.1);
    }
}

impl Encode for Attr {
    fn encode(&self, e: &mut Enc) {
        e.str(1, &self.name);
        // AttributeProto.type: FLOAT=1, INT=2, TENSOR=4, INTS=7.
        match &self.value {
            AttrValue::Float(f) => {
                e.float(2, *f);
                e.int(20, 1);
            }
            AttrValue::Int(i) => {
                e.int(3, *i);
                e.int(20, 2);
            }
            AttrValue::Tensor(t) => {
                e.msg(5, t);
                e.int(20, 4);
            }
            AttrValue::Ints(v) => {
                e.packed_ints(8, v);
                e.int(20, 7);
            }
        }
    }
}

impl Encode for Node {
    fn encode(&self, e: &mut Enc) {
        for i in &self.inputs {
            e.str(1, i);
        }
        for o in &self.outputs {
            e.str(2, o);
        }
        e.str(3, &self.name);
        e.str(4, &self.op_type);
        for a in &self.attrs {
            e.msg(5, a);
        }
        if !self.domain.is_empty() {
            e.str(7, &self.domain);
        }
    }
}

struct Shape<'a>(&'a [Dim]);
struct DimProto<'a>(&'a Dim);
struct TensorType<'a>(&'a ValueInfo);
struct TypeProto<'a>(&'a ValueInfo);

impl Encode for DimProto<'_> {
    fn encode(&self, e: &mut Enc) {
        match self.0 {
            Dim::Fixed(v) => e.int(1, *v),
            Dim::Param(p) => e.str(2, p),
        }
    }
}
impl Encode for Shape<'_> {
    fn encode(&self, e: &mut Enc) {
        for d in self.0 {
            e.msg(1, &DimProto(d));
        }
    }
}
impl Encode for TensorType<'_> {
    fn encode(&self, e: &mut Enc) {
        e.int(1, self.0.elem_type as i64);
        e.msg(2, &Shape(&self.0.dims));
    }
}
impl Encode for TypeProto<'_> {
    fn encode(&self, e: &mut Enc) {
        e.msg(1, &TensorType(self.0));
    }
}
impl Encode for ValueInfo {
    fn encode(&self, e: &mut Enc) {
        e.str(1, &self.name);
        e.msg(2, &TypeProto(self));
    }
}

impl Encode for Graph {
    fn encode(&self, e: &mut Enc) {
        for n in &self.nodes {
            e.msg(1, n);
        }
        e.str(2, &self.name);
        for t in &self.initializers {
            e.msg(5, t);
        }
        for i in &self.inputs {
            e.msg(11, i);
        }
        for o in &self.outputs {
            e.msg(12, o);
        }
    }
}

struct OpsetId<'a>(&'a str, i64);
impl Encode for OpsetId<'_> {
    fn encode(&self, e: &mut Enc) {
        if !self.0.is_empty() {
            e.str(1, self.0);
        }
        e.int(2, self.1);
    }
}

impl Encode for Model {
    fn encode(&self, e: &mut Enc) {
        e.int(1, self.ir_version);
        e.str(2, &self.producer_name);
        e.str(3, &self.producer_version);
        e.str(6, &self.doc_string);
        e.msg(7, &self.graph);
        for (d, v) in &self.opsets {
            e.msg(8, &OpsetId(d, *v));
        }
        for (k, v) in &self.metadata {
            e.msg(14, &StringPair(k.clone(), v.clone()));
        }
    }
}

impl Model {
    /// The serialized `ModelProto`.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut e = Enc::default();
        self.encode(&mut e);
        e.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn varints_and_keys_match_the_wire_format() {
        let mut e = Enc::default();
        e.int(1, 300);
        assert_eq!(e.0, [0x08, 0xAC, 0x02]);
        let mut e = Enc::default();
        e.int(3, -1);
        // Negative int64 is a 10-byte varint.
        assert_eq!(e.0.len(), 11);
        let mut e = Enc::default();
        e.str(2, "ab");
        assert_eq!(e.0, [0x12, 2, b'a', b'b']);
    }
}
