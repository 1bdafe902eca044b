//! Loading a GGUF file into candle's `quantized_llama::ModelWeights`, kept as the template
//! every session clones (see the crate docs for why and what a clone costs).
//!
//! Memory: candle reads each tensor into its own buffer (no mmap), keeps quantized matmul
//! weights at their file size, dequantizes f32/f16/bf16 matmul weights, the norms and the
//! token embedding table to f32 (an f16 file takes twice its size in RAM; a q4_0 file holds
//! its embedding table as f32), and may repack q8_0/k-quant weights into kernel-friendly
//! tiles on first use (x86 with VNNI, aarch64), which adds a second copy of those weights.

use crate::guard::guarded;
use crate::inspect::{self, CANDLE_MAX_POSITIONS};
use crate::quantized_llama::ModelWeights;
use crate::session::CandleSession;
use candle_core::quantized::gguf_file::Content;
use candle_core::Device;
use edgebench_backend::{BackendError, LoadOptions, Model, ModelInfo, ModelSpec, Session};
use std::io::BufReader;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::Path;

/// A loaded model: the weights with an empty KV cache, and the facts about the file.
pub(crate) struct CandleModel {
    pub(crate) template: ModelWeights,
    pub(crate) info: ModelInfo,
    /// Most positions a session may hold.
    pub(crate) max_positions: usize,
    /// Which bound set `max_positions`, for the error a full context returns.
    pub(crate) limit_reason: String,
}

pub(crate) fn load(spec: &ModelSpec, opts: &LoadOptions) -> Result<CandleModel, BackendError> {
    if opts.max_seq_len == 0 {
        return Err(BackendError::InvalidInput(
            "max_seq_len must be at least 1 (LoadOptions::max_seq_len = 0)".into(),
        ));
    }
    crate::threads::configure(opts.threads)?;
    let path = spec.path.as_path();
    // Our own code indexes shapes read from the file too: a panic anywhere is a bad file.
    catch_unwind(AssertUnwindSafe(|| load_file(path, opts))).unwrap_or_else(|_| {
        Err(BackendError::invalid_model(
            path,
            "loading panicked (see the message above); the file is malformed",
        ))
    })
}

fn load_file(path: &Path, opts: &LoadOptions) -> Result<CandleModel, BackendError> {
    crate::strict::check(path)?;
    let file = std::fs::File::open(path).map_err(|source| BackendError::Io {
        path: path.to_path_buf(),
        source,
    })?;
    let file_size = file
        .metadata()
        .map_err(|source| BackendError::Io {
            path: path.to_path_buf(),
            source,
        })?
        .len();
    let mut reader = BufReader::new(file);
    let mut ct = guarded(|| Content::read(&mut reader)).map_err(|m| header_error(path, m))?;
    let facts = inspect::inspect(path, &mut ct, file_size)?;
    let template =
        guarded(|| ModelWeights::from_gguf(ct, &mut reader, &Device::Cpu)).map_err(|m| {
            BackendError::invalid_model(
                path,
                format!(
                    "candle could not build the model: {m} (truncated or corrupt tensor data?)"
                ),
            )
        })?;
    let (max_positions, limit_reason) = limit(opts.max_seq_len, facts.file_context);
    Ok(CandleModel {
        template,
        info: facts.info,
        max_positions,
        limit_reason,
    })
}

/// The smallest of `max_seq_len`, the file's context length and candle's RoPE table.
fn limit(max_seq_len: usize, file_context: Option<usize>) -> (usize, String) {
    let mut bounds = vec![(max_seq_len, "LoadOptions::max_seq_len".to_string())];
    if let Some(c) = file_context {
        bounds.push((c, "the file's llama.context_length".into()));
    }
    bounds.push((
        CANDLE_MAX_POSITIONS,
        "candle's RoPE table (quantized_llama::MAX_SEQ_LEN)".into(),
    ));
    bounds
        .into_iter()
        .min_by_key(|(n, _)| *n)
        .unwrap_or((max_seq_len, String::new()))
}

/// Map a failure to parse the GGUF header to the right error kind.
fn header_error(path: &Path, message: String) -> BackendError {
    if let Some(id) = message.strip_prefix("unknown dtype for tensor ") {
        return BackendError::Unsupported {
            backend: crate::NAME.into(),
            what: format!(
                "GGUF tensor type id {id} in {} (candle 0.11.1 reads f32, f16, bf16, q4_0, \
                 q4_1, q5_0, q5_1, q8_0, q2_k, q3_k, q4_k, q5_k, q6_k); convert the file with \
                 llama.cpp's llama-quantize to one of those",
                path.display()
            ),
        };
    }
    BackendError::invalid_model(
        path,
        format!("cannot read the GGUF header: {message} (truncated, or not a GGUF file?)"),
    )
}

impl Model for CandleModel {
    fn info(&self) -> ModelInfo {
        self.info.clone()
    }

    fn session(&self) -> Result<Box<dyn Session + '_>, BackendError> {
        Ok(Box::new(CandleSession::new(self)))
    }
}

#[cfg(test)]
mod tests {
    use super::limit;

    #[test]
    fn limit_takes_the_smallest_bound_and_names_it() {
        assert_eq!(limit(64, Some(128)).0, 64);
        let (n, why) = limit(512, Some(128));
        assert_eq!(n, 128);
        assert!(why.contains("context_length"));
        let (n, why) = limit(10_000, None);
        assert_eq!(n, 4096);
        assert!(why.contains("MAX_SEQ_LEN"));
    }
}
