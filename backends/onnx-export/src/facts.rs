//! Weight facts of an ONNX file for reports: its parameter count and the bytes of weights one
//! decode step reads (the bandwidth roofline's denominator).
//!
//! The file is read with a small streaming protobuf decoder (the counterpart of [`crate::proto`]'s
//! encoder): node lists, initializer headers and metadata are decoded, tensor payloads
//! (`raw_data`, typed data fields) are skipped with a seek, so a 1 GB file costs a few reads.
//! External data is not opened: its `length` entries give the sizes.
//!
//! # Rules
//!
//! **Bytes of an initializer**: the length of its `raw_data`; else its external-data `length`;
//! else its element count times its element size (typed data fields, 4-bit types at half a
//! byte).
//!
//! **Decode bytes**: one token's step reads every initializer once, except a table that is only
//! gathered with run-time indices (`Gather` input 0 indexed by `input_ids`, possibly through
//! `DequantizeLinear` on either side of the `Gather`, or `com.microsoft::GatherBlockQuantized`
//! data and scales): of such a tensor one slice along the gather axis is counted (bytes / that
//! axis's size; a 1-D or scalar tensor, such as a per-tensor scale, counts whole). A table that
//! is also used otherwise (tied embedding and output projection, reached through any chain of
//! constant nodes such as `Transpose`) counts whole plus one row, as the reference engine counts
//! `token_embd.weight` when it is tied. Initializers nothing reads count zero.
//!
//! **Parameters**: elements of the initializers that hold weights, which are those
//! - of a floating, 8/16-bit integer or 4-bit type (not `int32`/`int64`/`bool`/`string`
//!   shape constants), with more than one element (not scalars such as `eps` or a per-tensor
//!   scale);
//! - not used only as quantization metadata (inputs 1.. of `DequantizeLinear`/`QuantizeLinear`,
//!   the zero points of `MatMulInteger`, the scales/zero points/`g_idx` of `MatMulNBits`, the
//!   scales/zero points of `GatherBlockQuantized`, `DynamicQuantizeMatMul` and
//!   `MatMulIntegerToFloat`, a `Mul` by the scale output of `DynamicQuantizeLinear`);
//! - combined with the token stream: the node that finally uses the initializer (after any
//!   constant-only nodes) has an input computed from `input_ids` (or `inputs_embeds`; without
//!   either, from any graph input), not counting paths through `Shape`/`Size`. This leaves out
//!   buffers computed from positions only, such as RoPE's `inv_freq` or cos/sin caches.
//!
//! A packed 4-bit matrix counts its logical elements: `MatMulNBits` input B counts `K × N` from
//! the node's attributes (without them, its bytes × 8 / `bits`); a `uint8` `GatherBlockQuantized`
//! table counts its bytes × 8 / `bits` (default 4). Everything else counts the product of its
//! dims. When the file's metadata says `llama.tie_word_embeddings=true` but the graph holds the
//! output projection as a separate copy of the embedding (as this crate writes tied models),
//! the embedding is counted once, as a tied checkpoint has it once.
//!
//! Sparse initializers, `Constant` node values and subgraphs are not looked at.

use crate::{ExportError, LlamaConfig};
use edgebench_backend::ModelInfo;
use std::collections::{HashMap, HashSet, VecDeque};
use std::io::{BufReader, Read, Seek, SeekFrom};
use std::path::Path;

/// What [`weight_facts`] finds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct WeightFacts {
    /// Bytes of initializers one decode step reads (see the module docs for the rules).
    pub decode_bytes: u64,
    /// Logical weight elements (packed 4-bit values count one each).
    pub parameter_count: u64,
    /// Bytes of all initializers, wherever they are stored.
    pub total_initializer_bytes: u64,
}

/// Read the graph of the ONNX model at `path` and work out its [`WeightFacts`]. Malformed or
/// truncated files are errors ([`ExportError::Unreadable`]), never panics.
pub fn weight_facts(path: &Path) -> Result<WeightFacts, ExportError> {
    let file = std::fs::File::open(path).map_err(|source| ExportError::Io {
        path: path.to_path_buf(),
        source,
    })?;
    facts_of(file).map_err(|reason| ExportError::Unreadable {
        path: path.to_path_buf(),
        reason,
    })
}

/// Parameters of a llama of `info`'s shape (the [`LlamaConfig::parameter_count`] formula): the
/// backends' fallback when [`weight_facts`] cannot read a file that the runtime could load.
/// 0 when a dimension is unknown (reported as 0), as for files without edgebench's
/// `llama.*` metadata.
pub fn llama_parameter_count(info: &ModelInfo, tied: bool) -> u64 {
    let dims = [
        info.vocab_size,
        info.embedding_length,
        info.block_count,
        info.head_count,
        info.head_count_kv,
        info.feed_forward_length,
    ];
    if dims.contains(&0) {
        return 0;
    }
    LlamaConfig {
        name: String::new(),
        hidden_size: info.embedding_length,
        num_hidden_layers: info.block_count,
        num_attention_heads: info.head_count,
        num_key_value_heads: info.head_count_kv,
        intermediate_size: info.feed_forward_length,
        vocab_size: info.vocab_size,
        max_position_embeddings: info.context_length,
        rope_theta: 10000.0,
        rms_norm_eps: 1e-5,
        tie_word_embeddings: tied,
    }
    .parameter_count()
}

fn facts_of<R: Read + Seek>(r: R) -> Result<WeightFacts, String> {
    let desc = read_model(r)?;
    Ok(analyse(&desc))
}

// ---------------------------------------------------------------------------------------------
// Decoding.

/// The parts of a `ModelProto` the analysis needs.
#[derive(Debug, Default)]
struct Desc {
    nodes: Vec<NodeDesc>,
    inits: Vec<Init>,
    inputs: Vec<String>,
    metadata: Vec<(String, String)>,
}

#[derive(Debug, Default)]
struct NodeDesc {
    op: String,
    domain: String,
    inputs: Vec<String>,
    outputs: Vec<String>,
    /// Integer attributes only.
    ints: Vec<(String, i64)>,
}

impl NodeDesc {
    fn int(&self, name: &str) -> Option<i64> {
        self.ints.iter().find(|(n, _)| n == name).map(|(_, v)| *v)
    }
}

#[derive(Debug)]
struct Init {
    name: String,
    dims: Vec<i64>,
    data_type: i64,
    numel: u64,
    bytes: u64,
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

/// Types a weight can be stored in (not index/shape/bool/string types).
fn is_weight_type(data_type: i64) -> bool {
    matches!(data_type, 1..=5 | 10 | 11 | 16..=23)
}

fn read_model<R: Read + Seek>(mut r: R) -> Res<Desc> {
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

// ---------------------------------------------------------------------------------------------
// Analysis.

/// Whether input `slot` of `n` is quantization metadata rather than a weight.
fn side_slot(d: &Desc, producer: &HashMap<&str, usize>, n: &NodeDesc, slot: usize) -> bool {
    match n.op.as_str() {
        "DequantizeLinear" | "QuantizeLinear" => slot >= 1,
        "MatMulInteger" | "ConvInteger" => slot >= 2,
        "MatMulNBits" => (2..=4).contains(&slot),
        "GatherBlockQuantized" => slot >= 2,
        "DynamicQuantizeMatMul" => (2..=3).contains(&slot),
        "MatMulIntegerToFloat" => (2..=5).contains(&slot),
        "QLinearMatMul" => slot != 0 && slot != 3,
        "Mul" if slot < 2 && n.inputs.len() == 2 => {
            let other = n.inputs[1 - slot].as_str();
            producer.get(other).is_some_and(|&p| {
                let p = &d.nodes[p];
                p.op == "DynamicQuantizeLinear" && p.outputs.get(1).is_some_and(|o| o == other)
            })
        }
        _ => false,
    }
}

/// Where an initializer's value ends up after constant-only nodes.
#[derive(Debug, Clone, Copy)]
struct Use {
    node: usize,
    slot: usize,
    /// Every constant node on the way was a `DequantizeLinear` (or there were none).
    through_dq_only: bool,
}

fn analyse(d: &Desc) -> WeightFacts {
    let mut init_of: HashMap<&str, usize> = HashMap::new();
    for (i, t) in d.inits.iter().enumerate() {
        init_of.entry(t.name.as_str()).or_insert(i);
    }
    let mut producer: HashMap<&str, usize> = HashMap::new();
    let mut consumers: HashMap<&str, Vec<(usize, usize)>> = HashMap::new();
    for (ni, n) in d.nodes.iter().enumerate() {
        for o in n.outputs.iter().filter(|o| !o.is_empty()) {
            producer.entry(o.as_str()).or_insert(ni);
        }
        for (slot, i) in n.inputs.iter().enumerate().filter(|(_, i)| !i.is_empty()) {
            consumers.entry(i.as_str()).or_default().push((ni, slot));
        }
    }
    let uses_of = |v: &str| consumers.get(v).map_or(&[][..], Vec::as_slice);

    // Constant nodes: all their inputs are initializers or outputs of constant nodes.
    let mut pending: Vec<usize> = d
        .nodes
        .iter()
        .map(|n| n.inputs.iter().filter(|i| !i.is_empty()).count())
        .collect();
    let mut node_const = vec![false; d.nodes.len()];
    let mut queue: VecDeque<&str> = init_of.keys().copied().collect();
    for (ni, n) in d.nodes.iter().enumerate() {
        if pending[ni] == 0 {
            node_const[ni] = true;
            queue.extend(n.outputs.iter().map(String::as_str));
        }
    }
    let mut seen: HashSet<&str> = HashSet::new();
    while let Some(v) = queue.pop_front() {
        if !seen.insert(v) {
            continue;
        }
        for &(ni, _) in uses_of(v) {
            pending[ni] = pending[ni].saturating_sub(1);
            if pending[ni] == 0 && !node_const[ni] {
                node_const[ni] = true;
                queue.extend(d.nodes[ni].outputs.iter().map(String::as_str));
            }
        }
    }
    let constant = seen;

    // Values computed from the token stream.
    let runtime_inputs: Vec<&str> = d
        .inputs
        .iter()
        .map(String::as_str)
        .filter(|i| !init_of.contains_key(i))
        .collect();
    let seeds: Vec<&str> = match runtime_inputs
        .iter()
        .copied()
        .filter(|i| matches!(*i, "input_ids" | "inputs_embeds"))
        .collect::<Vec<_>>()
    {
        s if s.is_empty() => runtime_inputs,
        s => s,
    };
    let mut tainted: HashSet<&str> = HashSet::new();
    let mut queue: VecDeque<&str> = seeds.iter().copied().collect();
    while let Some(v) = queue.pop_front() {
        if !tainted.insert(v) {
            continue;
        }
        for &(ni, _) in uses_of(v) {
            let n = &d.nodes[ni];
            if !matches!(n.op.as_str(), "Shape" | "Size") {
                queue.extend(n.outputs.iter().map(String::as_str));
            }
        }
    }
    let check_taint = !tainted.is_empty();

    let gather_axis = |u: &Use, rank: usize| -> Option<usize> {
        let n = &d.nodes[u.node];
        let indices = n.inputs.get(1).map(String::as_str).unwrap_or("");
        let runtime_indices = !indices.is_empty() && !constant.contains(indices);
        let axis = match n.op.as_str() {
            "Gather" if u.slot == 0 && n.domain.is_empty() => n.int("axis").unwrap_or(0),
            "GatherBlockQuantized" if matches!(u.slot, 0 | 2 | 3) => {
                n.int("gather_axis").unwrap_or(0)
            }
            _ => return None,
        };
        if !(u.through_dq_only && runtime_indices) {
            return None;
        }
        let axis = if axis < 0 { axis + rank as i64 } else { axis };
        usize::try_from(axis).ok()
    };

    let mut facts = WeightFacts::default();
    // (logical elements, tied in the graph) of tables gathered by token ids.
    let mut embeddings: Vec<(u64, bool)> = Vec::new();
    let mut param_sizes: Vec<u64> = Vec::new();
    for (ti, t) in d.inits.iter().enumerate() {
        facts.total_initializer_bytes = facts.total_initializer_bytes.saturating_add(t.bytes);
        if init_of.get(t.name.as_str()) != Some(&ti) {
            // A second initializer of the same name: the graph can only read the first.
            continue;
        }
        // Follow the value through constant nodes to the nodes that use it at run time.
        let mut terminals: Vec<Use> = Vec::new();
        let mut visited: HashSet<&str> = HashSet::new();
        let mut queue: VecDeque<(&str, bool)> = VecDeque::from([(t.name.as_str(), true)]);
        while let Some((v, dq_only)) = queue.pop_front() {
            if !visited.insert(v) {
                continue;
            }
            for &(ni, slot) in uses_of(v) {
                let n = &d.nodes[ni];
                if node_const[ni] {
                    let dq = dq_only && n.op == "DequantizeLinear";
                    queue.extend(n.outputs.iter().map(|o| (o.as_str(), dq)));
                } else {
                    terminals.push(Use {
                        node: ni,
                        slot,
                        through_dq_only: dq_only,
                    });
                }
            }
        }

        let rank = t.dims.len();
        let gathers: Vec<(Use, usize)> = terminals
            .iter()
            .filter_map(|u| gather_axis(u, rank).map(|a| (*u, a)))
            .collect();
        let row = gathers.first().map_or(t.bytes, |&(_, axis)| {
            match t.dims.get(axis).and_then(|&r| u64::try_from(r).ok()) {
                Some(rows) if rank >= 2 && rows > 0 => t.bytes / rows,
                _ => t.bytes,
            }
        });
        let tied = !gathers.is_empty() && gathers.len() < terminals.len();
        let read = if terminals.is_empty() {
            0
        } else if gathers.is_empty() {
            t.bytes
        } else if tied {
            t.bytes.saturating_add(row)
        } else {
            row
        };
        facts.decode_bytes = facts.decode_bytes.saturating_add(read);

        // Parameters.
        let direct = uses_of(&t.name);
        let weight = is_weight_type(t.data_type)
            && t.numel > 1
            && !direct
                .iter()
                .all(|&(ni, slot)| side_slot(d, &producer, &d.nodes[ni], slot))
            && (!check_taint
                || terminals.iter().any(|u| {
                    d.nodes[u.node]
                        .inputs
                        .iter()
                        .any(|i| tainted.contains(i.as_str()))
                }));
        if !weight {
            continue;
        }
        let logical = direct
            .iter()
            .find_map(|&(ni, slot)| packed_elements(&d.nodes[ni], slot, t))
            .unwrap_or(t.numel);
        facts.parameter_count = facts.parameter_count.saturating_add(logical);
        param_sizes.push(logical);
        let by_tokens = gathers.iter().any(|(u, _)| {
            d.nodes[u.node]
                .inputs
                .get(1)
                .is_some_and(|i| tainted.contains(i.as_str()))
        });
        if by_tokens {
            embeddings.push((logical, tied));
        }
    }

    // A tied checkpoint written with a separate copy of the embedding as the output matrix.
    let meta_tied = d
        .metadata
        .iter()
        .any(|(k, v)| k == "llama.tie_word_embeddings" && v.trim() == "true");
    if meta_tied {
        if let Some(&(emb, false)) = embeddings.iter().max_by_key(|(n, _)| *n) {
            if param_sizes.iter().filter(|&&n| n == emb).count() >= 2 {
                facts.parameter_count = facts.parameter_count.saturating_sub(emb);
            }
        }
    }
    facts
}

/// Logical elements of a packed 4-bit weight used as input `slot` of `n`, if it is one.
fn packed_elements(n: &NodeDesc, slot: usize, t: &Init) -> Option<u64> {
    let bits = n.int("bits").filter(|b| (1..=8).contains(b)).unwrap_or(4) as u64;
    let unpacked = || (t.data_type == 2).then(|| t.numel.saturating_mul(8) / bits);
    match (n.op.as_str(), slot) {
        ("MatMulNBits", 1) => match (n.int("K"), n.int("N")) {
            (Some(k), Some(nn)) if k > 0 && nn > 0 => Some((k as u64).saturating_mul(nn as u64)),
            _ => unpacked(),
        },
        ("GatherBlockQuantized", 0) => unpacked(),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
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
    fn shape_fallback_matches_the_config() {
        for p in [crate::Preset::Stories15m, crate::Preset::Smollm135m] {
            let c = p.config();
            let info = ModelInfo {
                vocab_size: c.vocab_size,
                embedding_length: c.hidden_size,
                block_count: c.num_hidden_layers,
                head_count: c.num_attention_heads,
                head_count_kv: c.num_key_value_heads,
                feed_forward_length: c.intermediate_size,
                ..ModelInfo::default()
            };
            assert_eq!(
                llama_parameter_count(&info, c.tie_word_embeddings),
                c.parameter_count()
            );
        }
        assert_eq!(llama_parameter_count(&ModelInfo::default(), false), 0);
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
}
