//! edgebench backend for ONNX files through tract, the pure-Rust inference engine.
//!
//! The one design decision: one optimised plan serves prefill and every decode step. The batch
//! axis is fixed to 1 before type analysis (a symbolic batch breaks analysis of optimum's mask
//! code), `sequence_length` and `past_sequence_length` stay symbolic, and the plan is optimised
//! once at load. Each session feeds `present.*` back as `past_key_values.*`.
//!
//! tract runs graphs on one thread here: its matmul threading (`multithread-mm`) is not
//! enabled, and `describe()` says so.

mod model;

use edgebench_backend::{Backend, BackendError, LoadOptions, Model, ModelFormat, ModelSpec};
use std::collections::BTreeMap;

/// The tract version this crate is pinned to.
pub const TRACT_VERSION: &str = "0.23.9";

#[derive(Debug, Clone, Default)]
pub struct TractBackend;

impl Backend for TractBackend {
    fn name(&self) -> &'static str {
        "tract"
    }

    fn formats(&self) -> &'static [ModelFormat] {
        &[ModelFormat::Onnx]
    }

    fn check(&self) -> Result<(), BackendError> {
        Ok(())
    }

    fn load(&self, spec: &ModelSpec, opts: &LoadOptions) -> Result<Box<dyn Model>, BackendError> {
        if spec.format != ModelFormat::Onnx {
            return Err(BackendError::Unsupported {
                backend: "tract".into(),
                what: format!("{} files (it loads ONNX)", spec.format.as_str()),
            });
        }
        Ok(Box::new(model::TractModel::load(spec, opts)?))
    }

    fn describe(&self) -> BTreeMap<String, String> {
        BTreeMap::from([
            ("version".to_string(), format!("tract-onnx {TRACT_VERSION}")),
            (
                "threads".to_string(),
                "1 (tract's multithread-mm is not enabled; LoadOptions::threads is ignored)"
                    .to_string(),
            ),
            (
                "plan".to_string(),
                "batch fixed to 1, symbolic sequence/past lengths, optimised once".to_string(),
            ),
        ])
    }
}
