//! [`GgufWriter`]: writes GGUF v3 laid out as llama.cpp's `gguf_write_to_file` does: header,
//! metadata, tensor infos, zero padding to the alignment, then each tensor's data padded to
//! the alignment. Tensor data is produced one tensor at a time by a callback, so writing a
//! billion-parameter model never holds more than one tensor in memory.

use super::{
    GgmlType, GgufError, MetaArray, MetaValue, DEFAULT_ALIGNMENT, MAGIC, MAX_DIMS, VERSION,
};
use std::borrow::Cow;
use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::Path;

/// A tensor to be written: name, dims in ggml order (`dims[0]` = row length) and type.
#[derive(Debug, Clone, PartialEq)]
pub struct TensorSpec {
    pub name: String,
    pub dims: Vec<u64>,
    pub ggml_type: GgmlType,
}

impl TensorSpec {
    pub fn new(name: impl Into<String>, dims: &[u64], ggml_type: GgmlType) -> Self {
        TensorSpec {
            name: name.into(),
            dims: dims.to_vec(),
            ggml_type,
        }
    }

    /// Bytes of data, if the dims are valid for the type.
    pub fn n_bytes(&self) -> Option<u64> {
        let n = self
            .dims
            .iter()
            .try_fold(1u64, |acc, &d| acc.checked_mul(d))?;
        self.ggml_type.bytes_for(n)
    }
}

/// Collects metadata and tensor specs, then writes the file.
#[derive(Debug, Default, Clone)]
pub struct GgufWriter {
    metadata: Vec<(String, MetaValue)>,
    tensors: Vec<TensorSpec>,
}

impl GgufWriter {
    pub fn new() -> Self {
        Self::default()
    }

    /// Add (or replace) a metadata entry; order of first insertion is kept.
    pub fn meta(&mut self, key: impl Into<String>, value: MetaValue) -> &mut Self {
        let key = key.into();
        match self.metadata.iter_mut().find(|(k, _)| *k == key) {
            Some(slot) => slot.1 = value,
            None => self.metadata.push((key, value)),
        }
        self
    }

    /// Remove every metadata entry whose key starts with `prefix`.
    pub fn drop_meta_prefix(&mut self, prefix: &str) -> &mut Self {
        self.metadata.retain(|(k, _)| !k.starts_with(prefix));
        self
    }

    pub fn tensor(&mut self, spec: TensorSpec) -> &mut Self {
        self.tensors.push(spec);
        self
    }

    pub fn tensors(&self) -> &[TensorSpec] {
        &self.tensors
    }

    fn alignment(&self) -> u64 {
        match self.metadata.iter().find(|(k, _)| k == "general.alignment") {
            Some((_, MetaValue::U32(a))) => u64::from(*a),
            _ => DEFAULT_ALIGNMENT,
        }
    }

    /// Write the file. `data(i, spec)` must return exactly `spec.n_bytes()` bytes for tensor `i`.
    /// The file is written to `<path>.tmp` and renamed into place when complete.
    pub fn write<'d>(
        &self,
        path: &Path,
        mut data: impl FnMut(usize, &TensorSpec) -> Result<Cow<'d, [u8]>, GgufError>,
    ) -> Result<(), GgufError> {
        let bad = |p: String| GgufError::Write {
            path: path.to_path_buf(),
            problem: p,
        };
        let align = self.alignment();
        if !align.is_power_of_two() {
            return Err(bad(format!("alignment {align} is not a power of two")));
        }
        let mut sizes = Vec::with_capacity(self.tensors.len());
        for t in &self.tensors {
            if t.dims.is_empty() || t.dims.len() > MAX_DIMS {
                return Err(bad(format!(
                    "tensor `{}` has {} dims",
                    t.name,
                    t.dims.len()
                )));
            }
            let n = t.n_bytes().ok_or_else(|| {
                bad(format!(
                    "tensor `{}` dims {:?} are not whole {} blocks",
                    t.name, t.dims, t.ggml_type
                ))
            })?;
            sizes.push(n);
        }

        let tmp = path.with_extension("gguf.tmp");
        let io = |e| GgufError::io(path, e);
        let mut w = BufWriter::with_capacity(1 << 20, File::create(&tmp).map_err(io)?);
        let put = |w: &mut BufWriter<File>, b: &[u8]| w.write_all(b).map_err(io);
        let mut header = Vec::new();
        header.extend_from_slice(&MAGIC);
        header.extend_from_slice(&VERSION.to_le_bytes());
        header.extend_from_slice(&(self.tensors.len() as u64).to_le_bytes());
        header.extend_from_slice(&(self.metadata.len() as u64).to_le_bytes());
        for (k, v) in &self.metadata {
            put_string(&mut header, k);
            header.extend_from_slice(&v.value_type().id().to_le_bytes());
            put_value(&mut header, v);
        }
        let mut offset = 0u64;
        for (t, &n) in self.tensors.iter().zip(&sizes) {
            put_string(&mut header, &t.name);
            header.extend_from_slice(&(t.dims.len() as u32).to_le_bytes());
            for d in &t.dims {
                header.extend_from_slice(&d.to_le_bytes());
            }
            header.extend_from_slice(&t.ggml_type.id().to_le_bytes());
            header.extend_from_slice(&offset.to_le_bytes());
            offset += n.div_ceil(align) * align;
        }
        put(&mut w, &header)?;
        let zeros = vec![0u8; align as usize];
        let pad = |pos: u64| ((align - pos % align) % align) as usize;
        put(&mut w, &zeros[..pad(header.len() as u64)])?;
        for (i, (t, &n)) in self.tensors.iter().zip(&sizes).enumerate() {
            let bytes = data(i, t)?;
            if bytes.len() as u64 != n {
                return Err(bad(format!(
                    "tensor `{}` has {} bytes of data, expected {n}",
                    t.name,
                    bytes.len()
                )));
            }
            put(&mut w, &bytes)?;
            put(&mut w, &zeros[..pad(n)])?;
        }
        w.flush().map_err(io)?;
        drop(w);
        std::fs::rename(&tmp, path).map_err(io)
    }
}

fn put_string(out: &mut Vec<u8>, s: &str) {
    out.extend_from_slice(&(s.len() as u64).to_le_bytes());
    out.extend_from_slice(s.as_bytes());
}

fn put_value(out: &mut Vec<u8>, v: &MetaValue) {
    match v {
        MetaValue::U8(x) => out.push(*x),
        MetaValue::I8(x) => out.extend_from_slice(&x.to_le_bytes()),
        MetaValue::U16(x) => out.extend_from_slice(&x.to_le_bytes()),
        MetaValue::I16(x) => out.extend_from_slice(&x.to_le_bytes()),
        MetaValue::U32(x) => out.extend_from_slice(&x.to_le_bytes()),
        MetaValue::I32(x) => out.extend_from_slice(&x.to_le_bytes()),
        MetaValue::F32(x) => out.extend_from_slice(&x.to_le_bytes()),
        MetaValue::Bool(x) => out.push(u8::from(*x)),
        MetaValue::String(s) => put_string(out, s),
        MetaValue::U64(x) => out.extend_from_slice(&x.to_le_bytes()),
        MetaValue::I64(x) => out.extend_from_slice(&x.to_le_bytes()),
        MetaValue::F64(x) => out.extend_from_slice(&x.to_le_bytes()),
        MetaValue::Array(a) => put_array(out, a),
    }
}

fn put_array(out: &mut Vec<u8>, a: &MetaArray) {
    out.extend_from_slice(&a.element_type().id().to_le_bytes());
    out.extend_from_slice(&(a.len() as u64).to_le_bytes());
    match a {
        MetaArray::U8(v) => out.extend_from_slice(v),
        MetaArray::I8(v) => v
            .iter()
            .for_each(|x| out.extend_from_slice(&x.to_le_bytes())),
        MetaArray::U16(v) => v
            .iter()
            .for_each(|x| out.extend_from_slice(&x.to_le_bytes())),
        MetaArray::I16(v) => v
            .iter()
            .for_each(|x| out.extend_from_slice(&x.to_le_bytes())),
        MetaArray::U32(v) => v
            .iter()
            .for_each(|x| out.extend_from_slice(&x.to_le_bytes())),
        MetaArray::I32(v) => v
            .iter()
            .for_each(|x| out.extend_from_slice(&x.to_le_bytes())),
        MetaArray::F32(v) => v
            .iter()
            .for_each(|x| out.extend_from_slice(&x.to_le_bytes())),
        MetaArray::Bool(v) => v.iter().for_each(|&x| out.push(u8::from(x))),
        MetaArray::U64(v) => v
            .iter()
            .for_each(|x| out.extend_from_slice(&x.to_le_bytes())),
        MetaArray::I64(v) => v
            .iter()
            .for_each(|x| out.extend_from_slice(&x.to_le_bytes())),
        MetaArray::F64(v) => v
            .iter()
            .for_each(|x| out.extend_from_slice(&x.to_le_bytes())),
        MetaArray::String(v) => v.iter().for_each(|s| put_string(out, s)),
        MetaArray::Array(v) => v.iter().for_each(|inner| put_array(out, inner)),
    }
}

/// Convenience constructors for common metadata arrays.
impl MetaValue {
    pub fn strings<S: AsRef<str>>(items: impl IntoIterator<Item = S>) -> Self {
        MetaValue::Array(MetaArray::String(items.into_iter().collect()))
    }
    pub fn f32s(items: impl IntoIterator<Item = f32>) -> Self {
        MetaValue::Array(MetaArray::F32(items.into_iter().collect()))
    }
    pub fn i32s(items: impl IntoIterator<Item = i32>) -> Self {
        MetaValue::Array(MetaArray::I32(items.into_iter().collect()))
    }
}
