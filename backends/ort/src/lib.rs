//! edgebench backend for ONNX Runtime through the `ort` crate.
//!
//! The one design decision: the library is loaded at run time (`load-dynamic`), found by
//! [`library`]'s lookup order, fetched once from PyPI (the pinned release in [`pins`]) when it
//! is nowhere, and a missing or wrong library is a one-line [`BackendError::Unavailable`] that
//! says how to fix it, never a panic. The model is an optimum-style decoder with past: each
//! call feeds `present.*` of the previous call back as `past_key_values.*`, starting from
//! 0-length tensors.

// Raw calls into the loaded ONNX Runtime library.
#[allow(unsafe_code)]
mod ffi;
pub mod library;
mod model;
pub mod pins;
mod provision;

use edgebench_backend::{Backend, BackendError, LoadOptions, Model, ModelFormat, ModelSpec};
use std::collections::BTreeMap;

pub use ort::session::builder::GraphOptimizationLevel;

/// The ONNX Runtime backend (CPU execution provider).
#[derive(Debug, Clone)]
pub struct OrtBackend {
    /// Graph optimization level; `Level3` (all optimizations) by default.
    pub optimization_level: OptLevel,
}

/// ONNX Runtime's graph optimization levels, named as in its documentation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum OptLevel {
    Disable,
    Basic,
    Extended,
    #[default]
    All,
}

impl OptLevel {
    fn to_ort(self) -> GraphOptimizationLevel {
        match self {
            OptLevel::Disable => GraphOptimizationLevel::Disable,
            OptLevel::Basic => GraphOptimizationLevel::Level1,
            OptLevel::Extended => GraphOptimizationLevel::Level2,
            OptLevel::All => GraphOptimizationLevel::Level3,
        }
    }
    pub fn as_str(self) -> &'static str {
        match self {
            OptLevel::Disable => "disable",
            OptLevel::Basic => "basic (level 1)",
            OptLevel::Extended => "extended (level 2)",
            OptLevel::All => "all (level 3)",
        }
    }
}

impl Default for OrtBackend {
    fn default() -> Self {
        OrtBackend {
            optimization_level: OptLevel::All,
        }
    }
}

impl Backend for OrtBackend {
    fn name(&self) -> &'static str {
        "ort"
    }

    fn formats(&self) -> &'static [ModelFormat] {
        &[ModelFormat::Onnx]
    }

    fn check(&self) -> Result<(), BackendError> {
        library::runtime().map(|_| ())
    }

    fn load(&self, spec: &ModelSpec, opts: &LoadOptions) -> Result<Box<dyn Model>, BackendError> {
        if spec.format != ModelFormat::Onnx {
            return Err(BackendError::Unsupported {
                backend: "ort".into(),
                what: format!("{} files (it loads ONNX)", spec.format.as_str()),
            });
        }
        let rt = library::runtime()?;
        let m = model::OrtModel::load(rt, spec, opts, self.optimization_level)?;
        Ok(Box::new(m))
    }

    fn describe(&self) -> BTreeMap<String, String> {
        let mut d = BTreeMap::new();
        d.insert("crate".into(), "ort 2.0.0-rc.15 (load-dynamic)".into());
        d.insert(
            "graph_optimization".into(),
            self.optimization_level.as_str().into(),
        );
        d.insert("execution_provider".into(), "CPUExecutionProvider".into());
        d.insert(
            "threads".into(),
            "intra-op threads = LoadOptions::threads; inter-op 1 (sequential)".into(),
        );
        match library::runtime() {
            Ok(rt) => {
                d.insert("version".into(), library::version(rt));
                d.insert("library".into(), rt.path.display().to_string());
                d.insert("library_source".into(), rt.source.as_str().into());
                d.insert("build_info".into(), rt.build_info.clone());
                d.insert(
                    "available_providers".into(),
                    ffi::available()
                        .map(|v| v.join(","))
                        .unwrap_or_else(|e| format!("unknown: {e}")),
                );
            }
            Err(e) => {
                d.insert("version".into(), "unavailable".into());
                d.insert("error".into(), e.to_string());
            }
        }
        d
    }
}
