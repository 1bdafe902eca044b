//! [`PointLabel`]: the short description of one matrix point that names it in reports,
//! progress displays and the worker hand-off.

use serde::{Deserialize, Serialize};

/// A short description of one matrix point, for progress displays.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PointLabel {
    pub index: usize,
    pub backend: String,
    pub model: String,
    pub quant: String,
    pub threads: usize,
    pub prompt_tokens: usize,
    pub gen_tokens: usize,
}

impl std::fmt::Display for PointLabel {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} {} {} t{} p{} g{}",
            self.backend, self.model, self.quant, self.threads, self.prompt_tokens, self.gen_tokens
        )
    }
}
