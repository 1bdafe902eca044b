//! The graph analysis behind [`WeightFacts`]: which values are constant, which come from the
//! token stream, where each initializer is used at run time, and from that its decode bytes
//! and whether it is a parameter (the rules are in the parent module's docs). Each step is a
//! method of [`Graph`], the decoded graph indexed by value name.

use super::WeightFacts;
use crate::proto::decode::{Desc, Init, NodeDesc};
use std::collections::{HashMap, HashSet, VecDeque};

/// Work out the [`WeightFacts`] of a decoded model.
pub(super) fn analyse(d: &Desc) -> WeightFacts {
    let g = Graph::new(d);
    let mut facts = WeightFacts::default();
    // (logical elements, tied in the graph) of tables gathered by token ids.
    let mut embeddings: Vec<(u64, bool)> = Vec::new();
    let mut param_sizes: Vec<u64> = Vec::new();
    for (ti, t) in d.inits.iter().enumerate() {
        facts.total_initializer_bytes = facts.total_initializer_bytes.saturating_add(t.bytes);
        if g.init_of.get(t.name.as_str()) != Some(&ti) {
            // A second initializer of the same name: the graph can only read the first.
            continue;
        }
        let terminals = g.runtime_uses(&t.name);
        let gathers = g.gathers(&terminals, t.dims.len());
        let tied = !gathers.is_empty() && gathers.len() < terminals.len();
        let read = decode_read(t, &terminals, &gathers, tied);
        facts.decode_bytes = facts.decode_bytes.saturating_add(read);

        if !g.is_parameter(t, &terminals) {
            continue;
        }
        let logical = g.logical_elements(t);
        facts.parameter_count = facts.parameter_count.saturating_add(logical);
        param_sizes.push(logical);
        if g.gathered_by_tokens(&gathers) {
            embeddings.push((logical, tied));
        }
    }
    if metadata_says_tied(d) {
        let copy = untied_copy_of_the_embedding(&embeddings, &param_sizes);
        facts.parameter_count = facts.parameter_count.saturating_sub(copy);
    }
    facts
}

/// Where an initializer's value ends up after constant-only nodes.
#[derive(Debug, Clone, Copy)]
struct Use {
    node: usize,
    slot: usize,
    /// Every constant node on the way was a `DequantizeLinear` (or there were none).
    through_dq_only: bool,
}

/// A decoded graph indexed by value name, with its constant and token-derived values.
struct Graph<'d> {
    d: &'d Desc,
    /// The first initializer of each name (the only one the graph can read).
    init_of: HashMap<&'d str, usize>,
    /// The node that computes each value.
    producer: HashMap<&'d str, usize>,
    /// `(node, input slot)` of every use of each value.
    consumers: HashMap<&'d str, Vec<(usize, usize)>>,
    /// Nodes all of whose inputs are constant.
    node_const: Vec<bool>,
    /// Initializers and the outputs of constant nodes.
    constant: HashSet<&'d str>,
    /// Values computed from the token stream.
    tainted: HashSet<&'d str>,
}

impl<'d> Graph<'d> {
    fn new(d: &'d Desc) -> Self {
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
        let mut g = Graph {
            d,
            init_of,
            producer,
            consumers,
            node_const: Vec::new(),
            constant: HashSet::new(),
            tainted: HashSet::new(),
        };
        (g.node_const, g.constant) = g.constant_nodes();
        g.tainted = g.token_values();
        g
    }

    fn uses_of(&self, v: &str) -> &[(usize, usize)] {
        self.consumers.get(v).map_or(&[][..], Vec::as_slice)
    }

    fn outputs_of(&self, ni: usize) -> impl Iterator<Item = &'d str> {
        self.d.nodes[ni].outputs.iter().map(String::as_str)
    }

    /// Constant nodes (all their inputs are initializers or outputs of constant nodes) and the
    /// constant values, by propagation from the initializers and the input-less nodes.
    fn constant_nodes(&self) -> (Vec<bool>, HashSet<&'d str>) {
        let nodes = &self.d.nodes;
        let mut pending: Vec<usize> = nodes
            .iter()
            .map(|n| n.inputs.iter().filter(|i| !i.is_empty()).count())
            .collect();
        let mut node_const = vec![false; nodes.len()];
        let mut queue: VecDeque<&str> = self.init_of.keys().copied().collect();
        for ni in 0..nodes.len() {
            if pending[ni] == 0 {
                node_const[ni] = true;
                queue.extend(self.outputs_of(ni));
            }
        }
        let mut seen: HashSet<&str> = HashSet::new();
        while let Some(v) = queue.pop_front() {
            if !seen.insert(v) {
                continue;
            }
            for &(ni, _) in self.uses_of(v) {
                pending[ni] = pending[ni].saturating_sub(1);
                if pending[ni] == 0 && !node_const[ni] {
                    node_const[ni] = true;
                    queue.extend(self.outputs_of(ni));
                }
            }
        }
        (node_const, seen)
    }

    /// Values computed from `input_ids`/`inputs_embeds` (without either, from any graph input
    /// that is not an initializer), not following `Shape`/`Size`.
    fn token_values(&self) -> HashSet<&'d str> {
        let runtime_inputs: Vec<&str> = self
            .d
            .inputs
            .iter()
            .map(String::as_str)
            .filter(|i| !self.init_of.contains_key(i))
            .collect();
        let token_inputs: Vec<&str> = runtime_inputs
            .iter()
            .copied()
            .filter(|i| matches!(*i, "input_ids" | "inputs_embeds"))
            .collect();
        let seeds = if token_inputs.is_empty() {
            runtime_inputs
        } else {
            token_inputs
        };
        let mut tainted: HashSet<&str> = HashSet::new();
        let mut queue: VecDeque<&str> = seeds.into_iter().collect();
        while let Some(v) = queue.pop_front() {
            if !tainted.insert(v) {
                continue;
            }
            for &(ni, _) in self.uses_of(v) {
                if !matches!(self.d.nodes[ni].op.as_str(), "Shape" | "Size") {
                    queue.extend(self.outputs_of(ni));
                }
            }
        }
        tainted
    }

    /// Follow the value `name` through constant nodes to the nodes that use it at run time.
    fn runtime_uses(&self, name: &'d str) -> Vec<Use> {
        let mut terminals: Vec<Use> = Vec::new();
        let mut visited: HashSet<&str> = HashSet::new();
        let mut queue: VecDeque<(&str, bool)> = VecDeque::from([(name, true)]);
        while let Some((v, dq_only)) = queue.pop_front() {
            if !visited.insert(v) {
                continue;
            }
            for &(ni, slot) in self.uses_of(v) {
                let n = &self.d.nodes[ni];
                if self.node_const[ni] {
                    let dq = dq_only && n.op == "DequantizeLinear";
                    queue.extend(self.outputs_of(ni).map(|o| (o, dq)));
                } else {
                    terminals.push(Use {
                        node: ni,
                        slot,
                        through_dq_only: dq_only,
                    });
                }
            }
        }
        terminals
    }

    /// The uses among `terminals` that gather rows of a table of rank `rank` by run-time
    /// indices, with the gather axis.
    fn gathers(&self, terminals: &[Use], rank: usize) -> Vec<(Use, usize)> {
        terminals
            .iter()
            .filter_map(|u| self.gather_axis(u, rank).map(|a| (*u, a)))
            .collect()
    }

    /// The gather axis when `u` is a `Gather` (input 0) or `GatherBlockQuantized` (data or
    /// scales) with run-time indices, reached through `DequantizeLinear` nodes only.
    fn gather_axis(&self, u: &Use, rank: usize) -> Option<usize> {
        let n = &self.d.nodes[u.node];
        let indices = n.inputs.get(1).map(String::as_str).unwrap_or("");
        let runtime_indices = !indices.is_empty() && !self.constant.contains(indices);
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
    }

    /// Whether some gather in `gathers` is indexed by a value computed from the tokens.
    fn gathered_by_tokens(&self, gathers: &[(Use, usize)]) -> bool {
        gathers.iter().any(|(u, _)| {
            self.d.nodes[u.node]
                .inputs
                .get(1)
                .is_some_and(|i| self.tainted.contains(i.as_str()))
        })
    }

    /// Whether `t` holds weights: a weight type, more than one element, not only quantization
    /// metadata, and (when the graph has token inputs) combined with the token stream.
    fn is_parameter(&self, t: &Init, terminals: &[Use]) -> bool {
        let check_taint = !self.tainted.is_empty();
        is_weight_type(t.data_type)
            && t.numel > 1
            && !self
                .uses_of(&t.name)
                .iter()
                .all(|&(ni, slot)| self.side_slot(&self.d.nodes[ni], slot))
            && (!check_taint
                || terminals.iter().any(|u| {
                    self.d.nodes[u.node]
                        .inputs
                        .iter()
                        .any(|i| self.tainted.contains(i.as_str()))
                }))
    }

    /// Whether input `slot` of `n` is quantization metadata rather than a weight.
    fn side_slot(&self, n: &NodeDesc, slot: usize) -> bool {
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
                self.producer.get(other).is_some_and(|&p| {
                    let p = &self.d.nodes[p];
                    p.op == "DynamicQuantizeLinear" && p.outputs.get(1).is_some_and(|o| o == other)
                })
            }
            _ => false,
        }
    }

    /// Parameters `t` holds: its logical elements when a node reads it as a packed 4-bit
    /// matrix, else its element count.
    fn logical_elements(&self, t: &Init) -> u64 {
        self.uses_of(&t.name)
            .iter()
            .find_map(|&(ni, slot)| packed_elements(&self.d.nodes[ni], slot, t))
            .unwrap_or(t.numel)
    }
}

/// Bytes of `t` one decode step reads: none when nothing uses it at run time, one row (slice
/// along the gather axis) of a table only gathered, whole plus a row of a tied table, else
/// whole.
fn decode_read(t: &Init, terminals: &[Use], gathers: &[(Use, usize)], tied: bool) -> u64 {
    let rank = t.dims.len();
    let row = gathers.first().map_or(t.bytes, |&(_, axis)| {
        match t.dims.get(axis).and_then(|&r| u64::try_from(r).ok()) {
            Some(rows) if rank >= 2 && rows > 0 => t.bytes / rows,
            _ => t.bytes,
        }
    });
    if terminals.is_empty() {
        0
    } else if gathers.is_empty() {
        t.bytes
    } else if tied {
        t.bytes.saturating_add(row)
    } else {
        row
    }
}

/// Types a weight can be stored in (not index/shape/bool/string types).
fn is_weight_type(data_type: i64) -> bool {
    matches!(data_type, 1..=5 | 10 | 11 | 16..=23)
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

/// `llama.tie_word_embeddings=true` in the file's metadata.
fn metadata_says_tied(d: &Desc) -> bool {
    d.metadata
        .iter()
        .any(|(k, v)| k == "llama.tie_word_embeddings" && v.trim() == "true")
}

/// The parameters to take back when a tied checkpoint was written with a separate copy of the
/// embedding as the output matrix: the largest token-gathered table, if it is not tied in the
/// graph and another parameter has its size; else 0.
fn untied_copy_of_the_embedding(embeddings: &[(u64, bool)], param_sizes: &[u64]) -> u64 {
    match embeddings.iter().max_by_key(|(n, _)| *n) {
        Some(&(emb, false)) if param_sizes.iter().filter(|&&n| n == emb).count() >= 2 => emb,
        _ => 0,
    }
}
