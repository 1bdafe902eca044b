//! Why a point has no (or incomplete) measurements: [`PointError`] with a typed [`ErrorKind`]
//! (serialized as the same snake_case strings reports have always carried).

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PointError {
    pub kind: ErrorKind,
    pub message: String,
}

impl PointError {
    pub fn new(kind: ErrorKind, message: impl Into<String>) -> Self {
        PointError {
            kind,
            message: message.into(),
        }
    }
}

/// What kind of failure (or deliberate skip) a point met.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ErrorKind {
    /// The backend cannot run here (library missing, CPU features).
    Unavailable,
    /// The backend does not load this format or quantization.
    Unsupported,
    /// The model file is corrupt or not what it claims to be.
    InvalidModel,
    /// Reading a file failed.
    Io,
    /// The model could not take the input (token out of range, context full).
    InvalidInput,
    /// The runtime failed while computing.
    Runtime,
    /// The harness itself failed inside the worker (bad point file, empty logits).
    Harness,
    /// The worker exited non-zero or died of a signal other than SIGKILL.
    Crashed,
    /// The worker died of SIGKILL (out of memory, or killed externally).
    Killed,
    /// The worker ran past `timeout_s`.
    Timeout,
    /// The worker process could not be started.
    Spawn,
    /// The harness could not make (synthesize) or fingerprint the point's model file.
    Model,
    /// Skipped by the user, or the run was aborted while it ran.
    Skipped,
    /// The backend is not compiled into this build.
    NotCompiled,
    /// Placeholder while a point is being assembled; never in a finished report.
    Pending,
    /// A kind this version does not know (from a newer worker or report).
    #[serde(untagged)]
    Other(String),
}

impl ErrorKind {
    /// From the string a worker reports (`BackendError::kind`, the worker's own kinds).
    pub fn parse(kind: &str) -> ErrorKind {
        serde_json::from_value(serde_json::Value::String(kind.to_string()))
            .unwrap_or_else(|_| ErrorKind::Other(kind.to_string()))
    }

    /// The snake_case name, as in `report.json`.
    pub fn as_str(&self) -> String {
        match serde_json::to_value(self) {
            Ok(serde_json::Value::String(s)) => s,
            _ => String::new(),
        }
    }

    /// A deliberate skip (by the user, or a backend not in this build), not a failure.
    pub fn is_skip(&self) -> bool {
        matches!(self, ErrorKind::Skipped | ErrorKind::NotCompiled)
    }
}

impl std::fmt::Display for ErrorKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_serialize_as_the_strings_reports_carry() {
        for (kind, name) in [
            (ErrorKind::InvalidModel, "invalid_model"),
            (ErrorKind::NotCompiled, "not_compiled"),
            (ErrorKind::Skipped, "skipped"),
            (ErrorKind::Timeout, "timeout"),
            (
                ErrorKind::Other("from_the_future".into()),
                "from_the_future",
            ),
        ] {
            assert_eq!(serde_json::to_string(&kind).unwrap(), format!("\"{name}\""));
            assert_eq!(ErrorKind::parse(name), kind);
            assert_eq!(kind.as_str(), name);
        }
    }

    #[test]
    fn only_deliberate_skips_are_skips() {
        assert!(ErrorKind::Skipped.is_skip());
        assert!(ErrorKind::NotCompiled.is_skip());
        assert!(!ErrorKind::Crashed.is_skip());
        assert!(!ErrorKind::Other("skipped_maybe".into()).is_skip());
    }
}
