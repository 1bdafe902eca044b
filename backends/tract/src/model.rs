//! Loading a decoder-with-past ONNX file into one optimised tract plan, and running sessions on it.

use edgebench_backend::{BackendError, LoadOptions, Logits, Model, ModelInfo, ModelSpec, Session};
use edgebench_onnx::{decoder_info, DecoderShape};
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::Arc;
use tract_onnx::pb::ModelProto;
use tract_onnx::prelude::*;
use tract_onnx::tract_hir::internal::DimLike;
use tract_onnx::tract_hir::ops::unimpl::UnimplementedOp;

const NAME: &str = "tract";

type Plan = Arc<TypedRunnableModel>;

pub(crate) struct TractModel {
    plan: Plan,
    /// Input slot of each graph input.
    inputs: Inputs,
    /// For each KV pair: (input slot of past_key_values.*, output slot of present.*).
    kv: Vec<(usize, usize)>,
    logits_slot: usize,
    kv_heads: usize,
    head_dim: usize,
    max_seq_len: usize,
    info: ModelInfo,
}

#[derive(Debug, Default)]
struct Inputs {
    count: usize,
    input_ids: usize,
    attention_mask: Option<usize>,
    position_ids: Option<usize>,
}

fn rt_err(e: impl std::fmt::Display) -> BackendError {
    BackendError::runtime(NAME, e)
}

/// Run `f`, turning a panic inside tract into an error.
fn guarded<T>(what: &str, f: impl FnOnce() -> Result<T, BackendError>) -> Result<T, BackendError> {
    match catch_unwind(AssertUnwindSafe(f)) {
        Ok(r) => r,
        Err(p) => {
            let msg = p
                .downcast_ref::<String>()
                .cloned()
                .or_else(|| p.downcast_ref::<&str>().map(|s| s.to_string()))
                .unwrap_or_else(|| "unknown panic".into());
            Err(rt_err(format!("tract panicked while {what}: {msg}")))
        }
    }
}

/// The first node tract has no implementation for, as `domain::OpType (node name)`.
fn unimplemented_op(model: &InferenceModel, proto: &ModelProto) -> Option<String> {
    let node = model
        .nodes()
        .iter()
        .find(|n| n.op_is::<UnimplementedOp>())?;
    let pb = proto
        .graph
        .as_ref()
        .and_then(|g| g.node.iter().find(|p| p.name == node.name));
    Some(match pb {
        Some(p) => {
            let domain = if p.domain.is_empty() {
                "ai.onnx"
            } else {
                &p.domain
            };
            format!("op {domain}::{} (node `{}`)", p.op_type, p.name)
        }
        None => format!("op of node `{}` ({})", node.name, node.op.name()),
    })
}

impl TractModel {
    pub fn load(spec: &ModelSpec, opts: &LoadOptions) -> Result<Self, BackendError> {
        std::fs::metadata(&spec.path).map_err(|source| BackendError::Io {
            path: spec.path.clone(),
            source,
        })?;
        guarded("loading the model", || Self::load_inner(spec, opts))
    }

    fn load_inner(spec: &ModelSpec, opts: &LoadOptions) -> Result<Self, BackendError> {
        let path = &spec.path;
        let bad = |r: String| BackendError::invalid_model(path, r);
        // Files from ORT's quantizers carry stale value_info (with a symbolic batch).
        let onnx = tract_onnx::onnx().with_ignore_value_info(true);
        let proto = onnx.proto_model_for_path(path).map_err(|e| {
            bad(format!(
                "not a readable ONNX protobuf (truncated or corrupt?): {e:#}"
            ))
        })?;
        let dir = path.parent().and_then(|d| d.to_str());
        let parsed = onnx
            .parse(&proto, dir)
            .map_err(|e| bad(format!("tract could not parse the graph: {e:#}")))?;
        let mut model = parsed.model;
        if let Some(op) = unimplemented_op(&model, &proto) {
            return Err(BackendError::Unsupported {
                backend: NAME.into(),
                what: format!(
                    "{op} in {}: unsupported by tract {}",
                    path.display(),
                    crate::TRACT_VERSION
                ),
            });
        }

        // Name every input and fix its batch axis to 1.
        let mut inputs = Inputs::default();
        let mut past = Vec::new();
        let in_outlets = model.input_outlets().map_err(rt_err)?.to_vec();
        inputs.count = in_outlets.len();
        let mut have_ids = false;
        for (slot, o) in in_outlets.iter().enumerate() {
            let name = model.node(o.node).name.clone();
            match name.as_str() {
                "input_ids" => {
                    inputs.input_ids = slot;
                    have_ids = true;
                }
                "attention_mask" => inputs.attention_mask = Some(slot),
                "position_ids" => inputs.position_ids = Some(slot),
                n if n.starts_with("past_key_values.") => past.push((slot, n.to_string())),
                n => {
                    return Err(bad(format!(
                        "unexpected graph input `{n}` for a decoder-with-past model"
                    )))
                }
            }
            let mut fact = model.input_fact(slot).map_err(rt_err)?.clone();
            fact.shape.set_dim(0, 1.to_dim());
            model.set_input_fact(slot, fact).map_err(rt_err)?;
        }
        if !have_ids || past.is_empty() {
            return Err(bad(
                "not a decoder-with-past export (optimum's `text-generation-with-past`): needs `input_ids` and `past_key_values.*` inputs".into(),
            ));
        }

        let typed = model
            .into_typed()
            .map_err(|e| bad(format!("tract's type analysis failed: {e:#}")))?;
        let optimized = typed
            .into_optimized()
            .map_err(|e| rt_err(format!("optimising the graph: {e:#}")))?;

        // Map outputs back to their ONNX names (optimisation renames nodes, not labels).
        let outs = optimized.output_outlets().map_err(rt_err)?.to_vec();
        let label = |o: &OutletId| optimized.outlet_label(*o).map(str::to_string);
        let out_names: Vec<Option<String>> = outs.iter().map(label).collect();
        let slot_of = |n: &str| out_names.iter().position(|x| x.as_deref() == Some(n));
        let logits_slot =
            slot_of("logits").ok_or_else(|| bad("the graph has no `logits` output".into()))?;
        let mut kv = Vec::new();
        for (slot, name) in &past {
            let present = name.replacen("past_key_values.", "present.", 1);
            let out = slot_of(&present)
                .ok_or_else(|| bad(format!("input `{name}` has no matching output `{present}`")))?;
            kv.push((*slot, out));
        }

        let vocab = optimized
            .outlet_fact(outs[logits_slot])
            .map_err(rt_err)?
            .shape
            .last()
            .and_then(|d| d.to_usize().ok());
        let vocab =
            vocab.ok_or_else(|| bad("output `logits` has no fixed vocabulary dimension".into()))?;
        let kv_fact = optimized.input_fact(past[0].0).map_err(rt_err)?;
        let kv_dims: Vec<Option<usize>> = kv_fact.shape.iter().map(|d| d.to_usize().ok()).collect();
        let (kv_heads, head_dim) = match kv_dims.as_slice() {
            [_, Some(h), _, Some(d)] => (*h, *d),
            _ => {
                return Err(bad(format!(
                    "`{}` has shape {:?}, expected [batch, kv_heads, past, head_dim]",
                    past[0].1, kv_fact.shape
                )))
            }
        };

        let prop = |k: &str| -> Option<String> {
            optimized
                .properties
                .get(&format!("onnx.metadata_props.{k}"))
                .and_then(|t| {
                    t.try_as_plain_ram()
                        .ok()?
                        .to_scalar::<String>()
                        .ok()
                        .cloned()
                })
        };
        let shape = DecoderShape {
            vocab_size: vocab,
            block_count: kv.len() / 2,
            head_count_kv: kv_heads,
        };
        let info = decoder_info(spec, opts, shape, prop);
        let plan = optimized
            .into_runnable()
            .map_err(|e| rt_err(format!("building the plan: {e:#}")))?;
        Ok(TractModel {
            plan,
            inputs,
            kv,
            logits_slot,
            kv_heads,
            head_dim,
            max_seq_len: opts.max_seq_len,
            info,
        })
    }
}

impl Model for TractModel {
    fn info(&self) -> ModelInfo {
        self.info.clone()
    }

    fn session(&self) -> Result<Box<dyn Session + '_>, BackendError> {
        let empty = Tensor::zero::<f32>(&[1, self.kv_heads, 0, self.head_dim]).map_err(rt_err)?;
        let empty: TValue = empty.into_tvalue();
        let state = self.plan.spawn().map_err(rt_err)?;
        Ok(Box::new(TractSession {
            model: self,
            state,
            past: vec![empty; self.kv.len()],
            position: 0,
        }))
    }
}

struct TractSession<'m> {
    model: &'m TractModel,
    state: TypedSimpleState,
    past: Vec<TValue>,
    position: usize,
}

fn i64_tensor(values: Vec<i64>) -> Result<TValue, BackendError> {
    let n = values.len();
    Tensor::from_shape(&[1, n], &values)
        .map(|t| t.into_tvalue())
        .map_err(rt_err)
}

impl TractSession<'_> {
    fn run(&mut self, tokens: &[u32]) -> Result<Logits, BackendError> {
        let m = self.model;
        let n = tokens.len();
        let total = self.position + n;
        let mut inputs: Vec<Option<TValue>> = vec![None; m.inputs.count];
        inputs[m.inputs.input_ids] =
            Some(i64_tensor(tokens.iter().map(|&t| i64::from(t)).collect())?);
        if let Some(s) = m.inputs.attention_mask {
            inputs[s] = Some(i64_tensor(vec![1; total])?);
        }
        if let Some(s) = m.inputs.position_ids {
            inputs[s] = Some(i64_tensor((self.position as i64..total as i64).collect())?);
        }
        for ((slot, _), v) in m.kv.iter().zip(&self.past) {
            inputs[*slot] = Some(v.clone());
        }
        let inputs: TVec<TValue> = inputs
            .into_iter()
            .map(|v| v.ok_or_else(|| rt_err("an input of the graph was not fed")))
            .collect::<Result<_, _>>()?;
        let outputs = self
            .state
            .run(inputs)
            .map_err(|e| rt_err(format!("{e:#}")))?;
        let logits = outputs[m.logits_slot]
            .to_plain_array_view::<f32>()
            .map_err(rt_err)?;
        let vocab = m.info.vocab_size;
        let data = logits
            .as_slice()
            .ok_or_else(|| rt_err("`logits` is not contiguous"))?;
        if data.len() != n * vocab {
            return Err(rt_err(format!(
                "`logits` has shape {:?}, expected [1, {n}, {vocab}]",
                logits.shape()
            )));
        }
        let last = data[(n - 1) * vocab..].to_vec();
        self.past = m.kv.iter().map(|(_, out)| outputs[*out].clone()).collect();
        self.position = total;
        Ok(last)
    }
}

impl Session for TractSession<'_> {
    fn prefill(&mut self, tokens: &[u32]) -> Result<Logits, BackendError> {
        let m = self.model;
        edgebench_backend::check_tokens(tokens, m.info.vocab_size, self.position, m.max_seq_len)?;
        guarded("running the graph", || self.run(tokens))
    }

    fn position(&self) -> usize {
        self.position
    }
}
