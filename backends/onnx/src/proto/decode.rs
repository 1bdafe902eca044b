//! The decoder: the counterpart of [`super::encode`] for reading. A streaming protobuf reader
//! over a seekable file that decodes what the weight facts need (node lists, initializer
//! headers, graph input names, `metadata_props`) and skips tensor payloads (`raw_data`, typed
//! data fields) with a seek, so a 1 GB file costs a few reads. External data is not opened: its
//! `length` entries give the sizes. Every read is checked against the end of its enclosing
//! message, so malformed or truncated bytes are errors, never panics.

use std::io::{BufReader, Read, Seek, SeekFrom};

/// The parts of a `ModelProto` the weight facts need.
#[derive(Debug, Default)]
pub(crate) struct Desc {
    pub nodes: Vec<NodeDesc>,
    pub inits: Vec<Init>,
    /// Names of the graph's inputs.
    pub inputs: Vec<String>,
    /// `metadata_props` as (key, value).
    pub metadata: Vec<(String, String)>,
}

/// A `NodeProto` without its name and non-integer attributes.
#[derive(Debug, Default)]
pub(crate) struct NodeDesc {
    pub op: String,
    pub domain: String,
    pub inputs: Vec<String>,
    pub outputs: Vec<String>,
    /// Integer attributes only.
    pub ints: Vec<(String, i64)>,
}

impl NodeDesc {
    /// The integer attribute `name`, if the node has one.
    pub fn int(&self, name: &str) -> Option<i64> {
        self.ints.iter().find(|(n, _)| n == name).map(|(_, v)| *v)
    }
}

/// An initializer's header: its payload is sized, not read.
#[derive(Debug)]
pub(crate) struct Init {
    pub name: String,
    pub dims: Vec<i64>,
    /// `TensorProto.DataType`.
    pub data_type: i64,
    /// Product of the dims.
    pub numel: u64,
    /// Stored bytes: `raw_data`'s length, else the external `length`, else numel × element size.
    pub bytes: u64,
}

/// Decode the `ModelProto` in `r`: its graph (which must have nodes) and `metadata_props`.
pub(crate) fn read_model<R: Read + Seek>(mut r: R) -> Res<Desc> {
    let io = |e: std::io::Error| e.to_string();
    let end = r.seek(SeekFrom::End(0)).map_err(io)?;
    r.seek(SeekFrom::Start(0)).map_err(io)?;
    let mut pb = Pb {
        r: BufReader::with_capacity(1 << 16, r),
        pos: 0,
    };
    let mut d = Desc::default();
    let mut graphs = 0;
    while pb.pos < end {
        match pb.key(end)? {
            (7, 2) => {
                let e = pb.sub(end)?;
                pb.graph(e, &mut d)?;
                graphs += 1;
            }
            (14, 2) => {
                let e = pb.sub(end)?;
                let kv = pb.pair(e)?;
                d.metadata.push(kv);
            }
            (0, _) => return Err("field number 0: not an ONNX protobuf".into()),
            (_, w) => pb.skip(w, end)?,
        }
    }
    if graphs == 0 || d.nodes.is_empty() {
        return Err("no graph with nodes: not an ONNX model".into());
    }
    Ok(d)
}

/// Strings longer than this (a tokenizer in the metadata, say) are skipped and read as empty.
const MAX_STRING: u64 = 1 << 20;

type Res<T> = Result<T, String>;

/// A protobuf reader over a seekable stream that tracks its position; every read is checked
/// against the end of the enclosing message.
struct Pb<R> {
    r: BufReader<R>,
    pos: u64,
}

impl<R: Read + Seek> Pb<R> {
    fn byte(&mut self, end: u64) -> Res<u8> {
        if self.pos >= end {
            return Err(format!("truncated message at byte {}", self.pos));
        }
        let mut b = [0u8];
        self.r
            .read_exact(&mut b)
            .map_err(|e| format!("at byte {}: {e}", self.pos))?;
        self.pos += 1;
        Ok(b[0])
    }

    fn varint(&mut self, end: u64) -> Res<u64> {
        let mut v = 0u64;
        for i in 0..10 {
            let b = self.byte(end)?;
            v |= u64::from(b & 0x7f) << (7 * i);
            if b & 0x80 == 0 {
                return Ok(v);
            }
        }
        Err(format!("varint longer than 10 bytes at byte {}", self.pos))
    }

    fn key(&mut self, end: u64) -> Res<(u64, u8)> {
        let k = self.varint(end)?;
        Ok((k >> 3, (k & 7) as u8))
    }

    /// A length prefix; the bytes it announces must lie inside the enclosing message.
    fn len(&mut self, end: u64) -> Res<u64> {
        let n = self.varint(end)?;
        if n > end - self.pos {
            return Err(format!(
                "a field of {n} bytes at byte {} runs past its message (ends at {end})",
                self.pos
            ));
        }
        Ok(n)
    }

    fn skip_bytes(&mut self, n: u64, end: u64) -> Res<()> {
        if n > end - self.pos {
            return Err(format!("truncated message at byte {}", self.pos));
        }
        let step = i64::try_from(n).map_err(|_| "field too long".to_string())?;
        self.r
            .seek_relative(step)
            .map_err(|e| format!("at byte {}: {e}", self.pos))?;
        self.pos += n;
        Ok(())
    }

    fn skip(&mut self, wire: u8, end: u64) -> Res<()> {
        match wire {
            0 => self.varint(end).map(drop),
            1 => self.skip_bytes(8, end),
            2 => {
                let n = self.len(end)?;
                self.skip_bytes(n, end)
            }
            5 => self.skip_bytes(4, end),
            w => Err(format!(
                "unsupported protobuf wire type {w} at byte {}",
                self.pos
            )),
        }
    }

    /// The end of a length-prefixed submessage that starts here.
    fn sub(&mut self, end: u64) -> Res<u64> {
        let n = self.len(end)?;
        Ok(self.pos + n)
    }

    fn string(&mut self, end: u64) -> Res<String> {
        let n = self.len(end)?;
        if n > MAX_STRING {
            self.skip_bytes(n, end)?;
            return Ok(String::new());
        }
        let mut buf = vec![0u8; n as usize];
        self.r
            .read_exact(&mut buf)
            .map_err(|e| format!("at byte {}: {e}", self.pos))?;
        self.pos += n;
        Ok(String::from_utf8_lossy(&buf).into_owned())
    }

    /// `StringStringEntryProto`: (key, value).
    fn pair(&mut self, end: u64) -> Res<(String, String)> {
        let (mut k, mut v) = (String::new(), String::new());
        while self.pos < end {
            match self.key(end)? {
                (1, 2) => k = self.string(end)?,
                (2, 2) => v = self.string(end)?,
                (_, w) => self.skip(w, end)?,
            }
        }
        Ok((k, v))
    }

    fn graph(&mut self, end: u64, d: &mut Desc) -> Res<()> {
        while self.pos < end {
            match self.key(end)? {
                (1, 2) => {
                    let e = self.sub(end)?;
                    let n = self.node(e)?;
                    d.nodes.push(n);
                }
                (5, 2) => {
                    let e = self.sub(end)?;
                    let t = self.tensor(e)?;
                    d.inits.push(t);
                }
                (11, 2) => {
                    // ValueInfoProto: only the name.
                    let e = self.sub(end)?;
                    let mut name = String::new();
                    while self.pos < e {
                        match self.key(e)? {
                            (1, 2) => name = self.string(e)?,
                            (_, w) => self.skip(w, e)?,
                        }
                    }
                    d.inputs.push(name);
                }
                (_, w) => self.skip(w, end)?,
            }
        }
        Ok(())
    }

    fn node(&mut self, end: u64) -> Res<NodeDesc> {
        let mut n = NodeDesc::default();
        while self.pos < end {
            match self.key(end)? {
                (1, 2) => n.inputs.push(self.string(end)?),
                (2, 2) => n.outputs.push(self.string(end)?),
                (4, 2) => n.op = self.string(end)?,
                (7, 2) => n.domain = self.string(end)?,
                (5, 2) => {
                    let e = self.sub(end)?;
                    let (mut name, mut i) = (String::new(), None);
                    while self.pos < e {
                        match self.key(e)? {
                            (1, 2) => name = self.string(e)?,
                            (3, 0) => i = Some(self.varint(e)? as i64),
                            (_, w) => self.skip(w, e)?,
                        }
                    }
                    if let Some(i) = i {
                        n.ints.push((name, i));
                    }
                }
                (_, w) => self.skip(w, end)?,
            }
        }
        Ok(n)
    }

    fn tensor(&mut self, end: u64) -> Res<Init> {
        let (mut name, mut dims, mut data_type) = (String::new(), Vec::new(), 0i64);
        let (mut raw, mut ext_len, mut external) = (None, None, false);
        while self.pos < end {
            match self.key(end)? {
                (1, 0) => dims.push(self.varint(end)? as i64),
                (1, 2) => {
                    let e = self.sub(end)?;
                    while self.pos < e {
                        dims.push(self.varint(e)? as i64);
                    }
                }
                (2, 0) => data_type = self.varint(end)? as i64,
                (8, 2) => name = self.string(end)?,
                (9, 2) => {
                    let n = self.len(end)?;
                    self.skip_bytes(n, end)?;
                    raw = Some(n);
                }
                (13, 2) => {
                    let e = self.sub(end)?;
                    let (k, v) = self.pair(e)?;
                    if k == "length" {
                        ext_len = v.trim().parse::<u64>().ok();
                    }
                }
                (14, 0) => external = self.varint(end)? == 1,
                (_, w) => self.skip(w, end)?,
            }
        }
        let mut numel = 1u64;
        for &d in &dims {
            let d = u64::try_from(d)
                .map_err(|_| format!("initializer `{name}` has a negative dimension {d}"))?;
            numel = numel
                .checked_mul(d)
                .ok_or_else(|| format!("initializer `{name}` has too many elements"))?;
        }
        let computed = numel
            .checked_mul(bits_of(data_type))
            .map(|b| b.div_ceil(8))
            .ok_or_else(|| format!("initializer `{name}` has too many elements"))?;
        let bytes = match (raw, external.then_some(ext_len).flatten()) {
            (Some(n), _) => n,
            (None, Some(n)) => n,
            (None, None) => computed,
        };
        Ok(Init {
            name,
            dims,
            data_type,
            numel,
            bytes,
        })
    }
}

/// Bits per element of a `TensorProto.DataType` (0 for strings and unknown types).
fn bits_of(data_type: i64) -> u64 {
    match data_type {
        2 | 3 | 9 | 17..=20 => 8, // uint8, int8, bool, float8 variants
        4 | 5 | 10 | 16 => 16,    // uint16, int16, float16, bfloat16
        1 | 6 | 12 => 32,         // float, int32, uint32
        7 | 11 | 13 | 14 => 64,   // int64, double, uint64, complex64
        15 => 128,                // complex128
        21..=23 => 4,             // uint4, int4, float4e2m1
        _ => 0,
    }
}
