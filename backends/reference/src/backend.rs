//! [`ReferenceBackend`]: the engine behind edgebench's `Backend` → `Model` → `Session` contract.

use crate::kernels;
use crate::model::{LlamaModel, LlamaSession};
use edgebench_backend::{
    Backend, BackendError, LoadOptions, Logits, Model, ModelFormat, ModelInfo, ModelSpec, Session,
};
use std::collections::BTreeMap;

/// The reference engine: GGUF llama models on the scalar (later SIMD) kernels, one thread.
#[derive(Debug, Default, Clone, Copy)]
pub struct ReferenceBackend;

const NAME: &str = "reference";

fn kernels() -> Result<&'static kernels::Kernels, BackendError> {
    kernels::select().map_err(|e| BackendError::Unavailable {
        backend: NAME.into(),
        reason: e.to_string(),
        fix: format!("unset {} or set it to `auto` or `scalar`", kernels::ENV_VAR),
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
        let model = LlamaModel::load(&spec.path, opts.max_seq_len, kernels()?)?;
        Ok(Box::new(ReferenceModel {
            model,
            threads: opts.threads.max(1),
        }))
    }

    fn describe(&self) -> BTreeMap<String, String> {
        let kernels = match kernels::select() {
            Ok(k) => k.name.to_string(),
            Err(e) => format!("invalid: {e}"),
        };
        BTreeMap::from([
            ("version".into(), env!("CARGO_PKG_VERSION").into()),
            ("kernels".into(), kernels),
            // Single-threaded until the thread pool lands; LoadOptions::threads is accepted.
            ("threads".into(), "1".into()),
            ("kv_cache".into(), "f32".into()),
        ])
    }
}

/// A loaded model plus the options it was loaded with.
struct ReferenceModel {
    model: LlamaModel,
    /// Requested threads; recorded, computation is single-threaded for now.
    #[allow(dead_code)]
    threads: usize,
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
