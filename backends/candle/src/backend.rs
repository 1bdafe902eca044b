//! [`CandleBackend`]: the `Backend` implementation the harness registers as `candle`.

use edgebench_backend::{Backend, BackendError, LoadOptions, Model, ModelFormat, ModelSpec};
use std::collections::BTreeMap;

/// candle 0.11.1's quantized llama on the CPU. A unit struct: `CandleBackend` (or
/// `CandleBackend::default()`); all state lives in the models it loads and in candle's
/// process-wide thread pools, sized at the first load (see `LoadOptions::threads`).
#[derive(Debug, Default, Clone, Copy)]
pub struct CandleBackend;

impl Backend for CandleBackend {
    fn name(&self) -> &'static str {
        crate::NAME
    }

    fn formats(&self) -> &'static [ModelFormat] {
        &[ModelFormat::Gguf]
    }

    /// Pure Rust on the CPU, compiled in: nothing to look for at run time.
    fn check(&self) -> Result<(), BackendError> {
        Ok(())
    }

    fn load(&self, spec: &ModelSpec, opts: &LoadOptions) -> Result<Box<dyn Model>, BackendError> {
        if spec.format != ModelFormat::Gguf {
            return Err(BackendError::Unsupported {
                backend: crate::NAME.into(),
                what: format!(
                    "{} files ({}); candle loads GGUF only",
                    spec.format.as_str(),
                    spec.path.display()
                ),
            });
        }
        Ok(Box::new(crate::model::load(spec, opts)?))
    }

    fn describe(&self) -> BTreeMap<String, String> {
        crate::describe::describe()
    }
}
