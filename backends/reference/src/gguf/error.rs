//! The one error type of the GGUF reader and writer: always names the file.

use std::path::PathBuf;

#[derive(Debug, thiserror::Error)]
pub enum GgufError {
    /// Opening, mapping, reading or writing the file failed.
    #[error("GGUF file {path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// The file is not a valid GGUF file (bad magic, truncated, inconsistent offsets...).
    #[error("GGUF file {path}: {problem}")]
    Invalid { path: PathBuf, problem: String },
    /// What the caller asked the writer to write is inconsistent.
    #[error("writing GGUF file {path}: {problem}")]
    Write { path: PathBuf, problem: String },
}

impl GgufError {
    pub(crate) fn invalid(path: &std::path::Path, problem: impl Into<String>) -> Self {
        GgufError::Invalid {
            path: path.to_path_buf(),
            problem: problem.into(),
        }
    }

    pub(crate) fn io(path: &std::path::Path, source: std::io::Error) -> Self {
        GgufError::Io {
            path: path.to_path_buf(),
            source,
        }
    }
}
