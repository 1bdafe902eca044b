//! Typed backend errors. Each variant carries enough to tell the user what failed and how to fix it.

use std::path::PathBuf;

#[derive(Debug, thiserror::Error)]
pub enum BackendError {
    /// The backend cannot run on this machine or build (missing library, feature not compiled).
    #[error("backend `{backend}` is unavailable: {reason}; fix: {fix}")]
    Unavailable {
        backend: String,
        reason: String,
        fix: String,
    },
    /// The backend does not load files of this format or quantization.
    #[error("backend `{backend}` does not support {what}")]
    Unsupported { backend: String, what: String },
    /// The model file is corrupt, truncated or not what it claims to be.
    #[error("model file {path}: {reason}")]
    InvalidModel { path: PathBuf, reason: String },
    /// Reading the model file failed.
    #[error("reading model file {path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// The caller passed something the model cannot take (token id out of range, context full).
    #[error("invalid input: {0}")]
    InvalidInput(String),
    /// The runtime failed while computing.
    #[error("runtime error in backend `{backend}`: {message}")]
    Runtime { backend: String, message: String },
}

impl BackendError {
    /// A short machine-readable kind for reports (`unavailable`, `unsupported`, ...).
    pub fn kind(&self) -> &'static str {
        match self {
            BackendError::Unavailable { .. } => "unavailable",
            BackendError::Unsupported { .. } => "unsupported",
            BackendError::InvalidModel { .. } => "invalid_model",
            BackendError::Io { .. } => "io",
            BackendError::InvalidInput(_) => "invalid_input",
            BackendError::Runtime { .. } => "runtime",
        }
    }

    pub fn invalid_model(path: impl Into<PathBuf>, reason: impl Into<String>) -> Self {
        BackendError::InvalidModel {
            path: path.into(),
            reason: reason.into(),
        }
    }

    pub fn runtime(backend: &str, message: impl std::fmt::Display) -> Self {
        BackendError::Runtime {
            backend: backend.to_string(),
            message: message.to_string(),
        }
    }
}
