//! The reference engine's strict GGUF checks, run before candle sees a file. candle's reader
//! trusts the file more than llama.cpp does: it runs misaligned tensor offsets (with other
//! tokens than every other runtime) and panics on `general.alignment = 0`. So each file is
//! first opened with `edgebench_reference::gguf::GgufFile` (alignment a power of two, every
//! tensor offset aligned and inside the file, no duplicate names or keys, sizes matching
//! shapes) and refused with that reader's reason, and metadata arrays whose elements candle
//! would hold one boxed value each are capped.

use edgebench_backend::BackendError;
use edgebench_reference::gguf::{GgufError, GgufFile, MetaArray, MetaValue};
use std::path::Path;

/// Most metadata array elements (all arrays together) handed to candle, whose reader keeps
/// each as a 32-byte `Value` plus its heap data: a real tokenizer has well under 2 million.
pub const MAX_METADATA_ELEMENTS: u64 = 16 << 20;

/// `Ok` if the file passes; otherwise the error the point fails with. Unknown tensor types
/// are left to candle, which reports them as unsupported with its own list of types.
pub(crate) fn check(path: &Path) -> Result<(), BackendError> {
    let f = match GgufFile::open(path) {
        Ok(f) => f,
        Err(GgufError::Invalid { problem, .. }) if problem.contains("unknown ggml type id") => {
            return Ok(())
        }
        Err(GgufError::Invalid { problem, .. } | GgufError::Write { problem, .. }) => {
            return Err(BackendError::invalid_model(
                path,
                format!(
                    "{problem} (refused before candle reads it: the reference engine and llama.cpp refuse this file too)"
                ),
            ))
        }
        Err(GgufError::Io { source, .. }) => {
            return Err(BackendError::Io {
                path: path.to_path_buf(),
                source,
            })
        }
    };
    let elements: u64 = f
        .metadata()
        .iter()
        .map(|(_, v)| match v {
            MetaValue::Array(a) => elements_in(a),
            _ => 0,
        })
        .sum();
    if elements > MAX_METADATA_ELEMENTS {
        return Err(BackendError::invalid_model(
            path,
            format!(
                "metadata arrays hold {elements} elements in all; candle's GGUF reader keeps ~32 bytes per element ({} MiB), so files above {MAX_METADATA_ELEMENTS} are refused (real tokenizers hold under 2 million): the file is corrupt or hostile",
                (elements * 32) >> 20
            ),
        ));
    }
    Ok(())
}

fn elements_in(a: &MetaArray) -> u64 {
    match a {
        MetaArray::Array(inner) => inner.len() as u64 + inner.iter().map(elements_in).sum::<u64>(),
        _ => a.len() as u64,
    }
}
