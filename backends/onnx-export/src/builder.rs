//! A small helper that appends nodes and initializers to a graph under readable, unique names
//! (`/model/layers.0/self_attn/MatMul`, output `..._output_0`), the way torch's exporter names
//! them, so that a file is easy to inspect in Netron or `onnx.helper.printable_graph`.

use crate::proto::{Attr, AttrValue, DataType, Node, Tensor};
use std::collections::HashMap;
use std::io::Write;

#[derive(Default)]
pub(crate) struct Builder {
    pub nodes: Vec<Node>,
    pub inits: Vec<Tensor>,
    scope: String,
    names: HashMap<String, usize>,
    consts: HashMap<(Vec<u8>, Vec<i64>, i32), String>,
    /// When set, initializers of 1 KiB or more are written here as they are added.
    pub external: Option<ExternalData>,
}

/// An external data file being written (`<model file>_data`, as `onnx.save` names it with
/// `location`): tensors are 4 KiB aligned so runtimes can map them.
pub(crate) struct ExternalData {
    pub location: String,
    pub file: std::io::BufWriter<std::fs::File>,
    pub offset: u64,
    pub error: Option<std::io::Error>,
}

impl ExternalData {
    fn store(&mut self, t: &mut Tensor) {
        if self.error.is_some() {
            return;
        }
        let pad = (4096 - self.offset % 4096) % 4096;
        let r = self
            .file
            .write_all(&vec![0u8; pad as usize])
            .and_then(|_| self.file.write_all(&t.raw));
        if let Err(e) = r {
            self.error = Some(e);
            return;
        }
        self.offset += pad;
        let len = t.raw.len() as u64;
        t.external = Some((self.location.clone(), self.offset, len));
        t.raw = Vec::new();
        self.offset += len;
    }
}

pub(crate) fn int(name: &str, v: i64) -> Attr {
    Attr {
        name: name.into(),
        value: AttrValue::Int(v),
    }
}

pub(crate) fn ints(name: &str, v: &[i64]) -> Attr {
    Attr {
        name: name.into(),
        value: AttrValue::Ints(v.to_vec()),
    }
}

pub(crate) fn tensor(name: &str, dt: DataType, dims: &[i64], raw: Vec<u8>) -> Tensor {
    Tensor {
        name: name.into(),
        dims: dims.to_vec(),
        data_type: dt,
        raw,
        external: None,
    }
}

pub(crate) fn f32_bytes(v: &[f32]) -> Vec<u8> {
    v.iter().flat_map(|x| x.to_le_bytes()).collect()
}

impl Builder {
    /// Set the name prefix of the nodes that follow (`/model/layers.3/mlp`).
    pub fn scope(&mut self, s: impl Into<String>) {
        self.scope = s.into();
    }

    fn node_name(&mut self, op: &str) -> String {
        let base = format!("{}/{}", self.scope, op);
        let n = self.names.entry(base.clone()).or_insert(0);
        let name = if *n == 0 { base } else { format!("{base}_{n}") };
        *n += 1;
        name
    }

    /// Append a node with one output and return that output's name.
    pub fn op(&mut self, op: &str, inputs: &[&str], attrs: Vec<Attr>) -> String {
        self.op_n(op, "", inputs, attrs, 1).remove(0)
    }

    /// Append a node with `n` outputs named after the node.
    pub fn op_n(
        &mut self,
        op: &str,
        domain: &str,
        inputs: &[&str],
        attrs: Vec<Attr>,
        n: usize,
    ) -> Vec<String> {
        let name = self.node_name(op);
        let outputs: Vec<String> = (0..n).map(|i| format!("{name}_output_{i}")).collect();
        self.push(name, op, domain, inputs, attrs, outputs.clone());
        outputs
    }

    /// Append a node whose outputs have given names (graph outputs such as `present.0.key`).
    pub fn op_into(&mut self, op: &str, inputs: &[&str], attrs: Vec<Attr>, outputs: &[&str]) {
        let name = self.node_name(op);
        let outputs = outputs.iter().map(|s| s.to_string()).collect();
        self.push(name, op, "", inputs, attrs, outputs);
    }

    fn push(
        &mut self,
        name: String,
        op: &str,
        domain: &str,
        inputs: &[&str],
        attrs: Vec<Attr>,
        outputs: Vec<String>,
    ) {
        self.nodes.push(Node {
            name,
            op_type: op.into(),
            domain: domain.into(),
            inputs: inputs.iter().map(|s| s.to_string()).collect(),
            outputs,
            attrs,
        });
    }

    /// Add a named initializer and return its name.
    pub fn init(&mut self, mut t: Tensor) -> String {
        if let Some(ext) = self.external.as_mut().filter(|_| t.raw.len() >= 1024) {
            ext.store(&mut t);
        }
        let name = t.name.clone();
        self.inits.push(t);
        name
    }

    fn constant(&mut self, dt: DataType, dims: &[i64], raw: Vec<u8>) -> String {
        let key = (raw, dims.to_vec(), dt as i32);
        if let Some(n) = self.consts.get(&key) {
            return n.clone();
        }
        let name = format!("/model/constants/c{}", self.consts.len());
        self.consts.insert(key.clone(), name.clone());
        self.init(tensor(&name, dt, dims, key.0))
    }

    /// A shared small int64 constant (shapes, axes, indices).
    pub fn i64s(&mut self, v: &[i64], dims: &[i64]) -> String {
        let raw = v.iter().flat_map(|x| x.to_le_bytes()).collect();
        self.constant(DataType::Int64, dims, raw)
    }

    /// A shared small f32 constant.
    pub fn f32s(&mut self, v: &[f32], dims: &[i64]) -> String {
        self.constant(DataType::Float, dims, f32_bytes(v))
    }
}
