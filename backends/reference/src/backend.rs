//! [`ReferenceBackend`]: the engine behind edgebench's `Backend` → `Model` → `Session` contract.

use crate::kernels;
use crate::model::{LlamaModel, LlamaSession};
use edgebench_backend::{
    Backend, BackendError, LoadOptions, Logits, Model, ModelFormat, ModelInfo, ModelSpec, Session,
};
use std::collections::BTreeMap;
use std::sync::atomic::{AtomicUsize, Ordering};

/// Upper bound on `LoadOptions::threads` (a typo like 1000 should not spawn 1000 threads).
const MAX_THREADS: usize = 256;

/// Compute threads of the most recently loaded model, for `describe()` (which has no model).
static LAST_THREADS: AtomicUsize = AtomicUsize::new(1);

/// The reference engine: GGUF llama models on runtime-dispatched SIMD kernels and a
/// persistent thread pool (`LoadOptions::threads`).
#[derive(Debug, Default, Clone, Copy)]
pub struct ReferenceBackend;

const NAME: &str = "reference";

fn kernels() -> Result<&'static kernels::Kernels, BackendError> {
    kernels::select().map_err(|e| BackendError::Unavailable {
        backend: NAME.into(),
        reason: e.to_string(),
        fix: format!(
            "unset {} or set it to `auto` or one of: {}",
            kernels::ENV_VAR,
            kernels::available().join(", ")
        ),
    })
}

impl Backend for ReferenceBackend {
    fn name(&self) -> &'static str {
        NAME
    }

    fn formats(&self) -> &'static [ModelFormat] {
        &[ModelFormat::Gguf]
    }

    fn check(&self) -> Result<(), BackendError> {
        kernels().map(|_| ())
    }

    fn load(&self, spec: &ModelSpec, opts: &LoadOptions) -> Result<Box<dyn Model>, BackendError> {
        if spec.format != ModelFormat::Gguf {
            return Err(BackendError::Unsupported {
                backend: NAME.into(),
                what: format!(
                    "{} files ({}); it loads GGUF",
                    spec.format.as_str(),
                    spec.path.display()
                ),
            });
        }
        let model = LlamaModel::load(
            &spec.path,
            opts.max_seq_len,
            kernels()?,
            opts.threads.clamp(1, MAX_THREADS),
        )?;
        LAST_THREADS.store(model.threads(), Ordering::Relaxed);
        Ok(Box::new(ReferenceModel { model }))
    }

    fn describe(&self) -> BTreeMap<String, String> {
        let kernels = match kernels::select() {
            Ok(k) => k.name.to_string(),
            Err(e) => format!("invalid: {e}"),
        };
        BTreeMap::from([
            ("version".into(), env!("CARGO_PKG_VERSION").into()),
            ("kernels".into(), kernels),
            // Threads of the most recently loaded model (1 before any load).
            (
                "threads".into(),
                LAST_THREADS.load(Ordering::Relaxed).to_string(),
            ),
            ("kv_cache".into(), "f32".into()),
        ])
    }
}

/// A loaded model (it owns its compute threads).
struct ReferenceModel {
    model: LlamaModel,
}

impl Model for ReferenceModel {
    fn info(&self) -> ModelInfo {
        self.model.info()
    }

    fn session(&self) -> Result<Box<dyn Session + '_>, BackendError> {
        Ok(Box::new(ReferenceSession(LlamaSession::new(&self.model))))
    }
}

struct ReferenceSession<'m>(LlamaSession<'m>);

impl Session for ReferenceSession<'_> {
    fn prefill(&mut self, tokens: &[u32]) -> Result<Logits, BackendError> {
        self.0.forward(tokens)
    }

    fn position(&self) -> usize {
        self.0.position()
    }
}
