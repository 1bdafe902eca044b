//! The subset of `onnx.proto` edgebench writes and reads, coded by hand.
//!
//! Protobuf's wire format is small enough to handle directly: a field is a varint key
//! `(number << 3) | wire_type` followed by a varint (type 0), 8 or 4 fixed bytes (types 1 and 5)
//! or a length-prefixed byte string (type 2, used for strings, bytes, nested messages and packed
//! repeated numbers). Field numbers are those of onnx.proto (IR 8).
//!
//! The message types below are what the writer builds; [`encode`] serializes them
//! ([`Model::to_bytes`]). [`decode`] is its counterpart for reading: a streaming decoder that
//! keeps only what the weight facts need and skips tensor payloads with a seek.

pub(crate) mod decode;
mod encode;

/// `TensorProto.DataType` values used here.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(i32)]
pub enum DataType {
    Float = 1,
    Uint8 = 2,
    Int8 = 3,
    Int32 = 6,
    Int64 = 7,
    Bool = 9,
}

/// A tensor: an initializer, or the value of a `Constant`/`ConstantOfShape` attribute.
#[derive(Debug, Clone)]
pub struct Tensor {
    pub name: String,
    pub dims: Vec<i64>,
    pub data_type: DataType,
    /// Little-endian raw bytes; empty when the data lives in `external`.
    pub raw: Vec<u8>,
    /// `(location, offset, length)` in an external data file.
    pub external: Option<(String, u64, u64)>,
}

/// A node attribute value.
#[derive(Debug, Clone)]
pub enum AttrValue {
    Int(i64),
    Float(f32),
    Ints(Vec<i64>),
    Tensor(Tensor),
}

#[derive(Debug, Clone)]
pub struct Attr {
    pub name: String,
    pub value: AttrValue,
}

#[derive(Debug, Clone)]
pub struct Node {
    pub name: String,
    pub op_type: String,
    pub domain: String,
    pub inputs: Vec<String>,
    pub outputs: Vec<String>,
    pub attrs: Vec<Attr>,
}

/// One axis of a graph input/output: a fixed size or a named symbol.
#[derive(Debug, Clone, PartialEq)]
pub enum Dim {
    Fixed(i64),
    Param(String),
}

#[derive(Debug, Clone)]
pub struct ValueInfo {
    pub name: String,
    pub elem_type: DataType,
    pub dims: Vec<Dim>,
}

#[derive(Debug, Clone, Default)]
pub struct Graph {
    pub name: String,
    pub nodes: Vec<Node>,
    pub initializers: Vec<Tensor>,
    pub inputs: Vec<ValueInfo>,
    pub outputs: Vec<ValueInfo>,
}

#[derive(Debug, Clone)]
pub struct Model {
    pub ir_version: i64,
    /// `(domain, version)`; the default domain is `""`.
    pub opsets: Vec<(String, i64)>,
    pub producer_name: String,
    pub producer_version: String,
    pub doc_string: String,
    pub metadata: Vec<(String, String)>,
    pub graph: Graph,
}
