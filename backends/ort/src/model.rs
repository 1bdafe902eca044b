//! A loaded decoder-with-past model and its sessions.
//!
//! `ort::Session::run` takes `&mut self`, so the model keeps its ONNX Runtime session behind a
//! mutex and every edgebench session borrows it per call; each edgebench session owns its KV
//! cache as the `present.*` values of its last call.

use crate::library::Runtime;
use crate::OptLevel;
use edgebench_backend::{BackendError, LoadOptions, Logits, Model, ModelInfo, ModelSpec, Session};
use edgebench_onnx::{decoder_info, DecoderShape};
use ort::session::{Session as OrtSession, SessionInputValue};
use ort::value::{DynValue, Tensor, ValueType};
use std::borrow::Cow;
use std::sync::Mutex;

const NAME: &str = "ort";

pub(crate) struct OrtModel {
    session: Mutex<OrtSession>,
    /// `(past_key_values.i.key, present.i.key)` ... in input order.
    kv: Vec<(String, String)>,
    kv_heads: usize,
    head_dim: usize,
    has_mask: bool,
    has_positions: bool,
    max_seq_len: usize,
    info: ModelInfo,
}

fn rt_err(e: impl std::fmt::Display) -> BackendError {
    BackendError::runtime(NAME, e)
}

/// Sort an ONNX Runtime load error into the error kinds the harness reports.
fn load_error(spec: &ModelSpec, e: impl std::fmt::Display) -> BackendError {
    let msg = e.to_string();
    let op_missing = [
        "is not a registered function/op",
        "Could not find an implementation",
    ];
    if op_missing.iter().any(|m| msg.contains(m)) {
        return BackendError::Unsupported {
            backend: NAME.into(),
            what: format!("an operator in {} ({msg})", spec.path.display()),
        };
    }
    BackendError::invalid_model(&spec.path, format!("ONNX Runtime could not load it: {msg}"))
}

fn dims(t: &ValueType) -> Vec<i64> {
    match t {
        ValueType::Tensor { shape, .. } => shape.to_vec(),
        _ => Vec::new(),
    }
}

impl OrtModel {
    pub fn load(
        rt: &Runtime,
        spec: &ModelSpec,
        opts: &LoadOptions,
        level: OptLevel,
    ) -> Result<Self, BackendError> {
        std::fs::metadata(&spec.path).map_err(|source| BackendError::Io {
            path: spec.path.clone(),
            source,
        })?;
        let build = || -> Result<OrtSession, String> {
            let b = OrtSession::builder(&rt.env).map_err(|e| e.to_string())?;
            let b = b
                .with_intra_threads(opts.threads.max(1))
                .map_err(|e| e.to_string())?
                .with_inter_threads(1)
                .map_err(|e| e.to_string())?
                .with_optimization_level(level.to_ort())
                .map_err(|e| e.to_string())?;
            let mut b = b;
            b.commit_from_file(&spec.path).map_err(|e| e.to_string())
        };
        let session = build().map_err(|e| load_error(spec, e))?;

        let bad = |r: String| BackendError::invalid_model(&spec.path, r);
        let in_names: Vec<String> = session
            .inputs()
            .iter()
            .map(|o| o.name().to_string())
            .collect();
        let out_names: Vec<String> = session
            .outputs()
            .iter()
            .map(|o| o.name().to_string())
            .collect();
        let not_decoder = || {
            bad(format!(
                "not a decoder-with-past export (optimum's `text-generation-with-past`): inputs {in_names:?}, outputs {out_names:?}"
            ))
        };
        if !in_names.iter().any(|n| n == "input_ids") {
            return Err(not_decoder());
        }
        let logits = session
            .outputs()
            .iter()
            .find(|o| o.name() == "logits")
            .ok_or_else(not_decoder)?;
        let vocab = *dims(logits.dtype()).last().unwrap_or(&-1);
        if vocab <= 0 {
            return Err(bad(
                "output `logits` has no fixed vocabulary dimension".into()
            ));
        }
        let mut kv = Vec::new();
        let (mut kv_heads, mut head_dim) = (0usize, 0usize);
        for o in session.inputs() {
            if let Some(rest) = o.name().strip_prefix("past_key_values.") {
                let present = format!("present.{rest}");
                if !out_names.contains(&present) {
                    return Err(bad(format!(
                        "input `{}` has no matching output `{present}`",
                        o.name()
                    )));
                }
                let d = dims(o.dtype());
                if d.len() != 4 || d[1] <= 0 || d[3] <= 0 {
                    return Err(bad(format!(
                        "input `{}` has shape {d:?}, expected [batch, kv_heads, past, head_dim]",
                        o.name()
                    )));
                }
                kv_heads = d[1] as usize;
                head_dim = d[3] as usize;
                kv.push((o.name().to_string(), present));
            }
        }
        if kv.is_empty() {
            return Err(not_decoder());
        }
        let shape = DecoderShape {
            vocab_size: vocab as usize,
            block_count: kv.len() / 2,
            head_count_kv: kv_heads,
        };
        let info = {
            let md = session.metadata().ok();
            decoder_info(spec, opts, shape, |k| md.as_ref().and_then(|m| m.custom(k)))
        };
        Ok(OrtModel {
            has_mask: in_names.iter().any(|n| n == "attention_mask"),
            has_positions: in_names.iter().any(|n| n == "position_ids"),
            session: Mutex::new(session),
            kv,
            kv_heads,
            head_dim,
            max_seq_len: opts.max_seq_len,
            info,
        })
    }
}

impl Model for OrtModel {
    fn info(&self) -> ModelInfo {
        self.info.clone()
    }

    fn session(&self) -> Result<Box<dyn Session + '_>, BackendError> {
        let past = self
            .kv
            .iter()
            .map(|_| {
                Tensor::<f32>::from_array((
                    vec![1i64, self.kv_heads as i64, 0, self.head_dim as i64],
                    Vec::<f32>::new(),
                ))
                .map(|t| t.into_dyn())
                .map_err(rt_err)
            })
            .collect::<Result<Vec<DynValue>, _>>()?;
        Ok(Box::new(OrtSessionState {
            model: self,
            past,
            position: 0,
        }))
    }
}

struct OrtSessionState<'m> {
    model: &'m OrtModel,
    /// One value per `model.kv` entry: the KV cache so far.
    past: Vec<DynValue>,
    position: usize,
}

impl OrtSessionState<'_> {
    fn validate(&self, tokens: &[u32]) -> Result<(), BackendError> {
        let m = self.model;
        edgebench_backend::check_tokens(tokens, m.info.vocab_size, self.position, m.max_seq_len)
    }
}

impl Session for OrtSessionState<'_> {
    fn prefill(&mut self, tokens: &[u32]) -> Result<Logits, BackendError> {
        self.validate(tokens)?;
        let m = self.model;
        let n = tokens.len();
        let total = self.position + n;
        let ids: Vec<i64> = tokens.iter().map(|&t| i64::from(t)).collect();
        let mut inputs: Vec<(Cow<'_, str>, SessionInputValue<'_>)> =
            Vec::with_capacity(3 + m.kv.len());
        let t =
            |shape: Vec<i64>, v: Vec<i64>| Tensor::<i64>::from_array((shape, v)).map_err(rt_err);
        inputs.push(("input_ids".into(), t(vec![1, n as i64], ids)?.into()));
        if m.has_mask {
            inputs.push((
                "attention_mask".into(),
                t(vec![1, total as i64], vec![1; total])?.into(),
            ));
        }
        if m.has_positions {
            let pos = (self.position as i64..total as i64).collect();
            inputs.push(("position_ids".into(), t(vec![1, n as i64], pos)?.into()));
        }
        for ((name, _), v) in m.kv.iter().zip(&self.past) {
            inputs.push((Cow::Borrowed(name.as_str()), v.into()));
        }
        let mut session = m
            .session
            .lock()
            .map_err(|_| rt_err("the ONNX Runtime session is poisoned by an earlier panic"))?;
        let mut out = session.run(inputs).map_err(rt_err)?;
        let logits = out
            .get("logits")
            .ok_or_else(|| rt_err("the model returned no `logits`"))?;
        let (shape, data) = logits.try_extract_tensor::<f32>().map_err(rt_err)?;
        let vocab = m.info.vocab_size;
        if shape.len() != 3 || shape[2] as usize != vocab || data.len() < vocab {
            return Err(rt_err(format!(
                "`logits` has shape {:?}, expected [1, {n}, {vocab}]",
                shape.to_vec()
            )));
        }
        let last = data[data.len() - vocab..].to_vec();
        let mut past = Vec::with_capacity(m.kv.len());
        for (_, present) in &m.kv {
            past.push(
                out.remove(present.as_str())
                    .ok_or_else(|| rt_err(format!("the model returned no `{present}`")))?,
            );
        }
        drop(out);
        drop(session);
        self.past = past;
        self.position = total;
        Ok(last)
    }

    fn position(&self) -> usize {
        self.position
    }
}
