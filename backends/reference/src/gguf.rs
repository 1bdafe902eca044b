//! GGUF files: a bounds-checked mmap reader, a writer that lays files out the way llama.cpp
//! does, and an inspection report for the CLI.
//!
//! The reader never trusts a length or count from the file: every offset is computed with
//! checked arithmetic and compared with the file size before anything is allocated or sliced,
//! so a truncated or corrupt file is a [`GgufError`] naming the file and the problem.

mod cursor;
mod error;
mod fuzz;
mod inspect;
// The memory map of the model file.
#[allow(unsafe_code)]
mod read;
mod types;
mod value;
mod write;

pub use error::GgufError;
pub use fuzz::fuzz_one;
pub use inspect::{inspect, InspectReport, TensorRow};
pub use read::{GgufFile, TensorInfo, TensorView, MAX_METADATA_KEYS, MAX_TENSORS};
pub use types::GgmlType;
pub use value::{MetaArray, MetaValue, StringArray, ValueType};
pub use write::{GgufWriter, TensorSpec};

/// `GGUF` as it appears at the start of every file.
pub const MAGIC: [u8; 4] = *b"GGUF";
/// Version written by [`GgufWriter`]; the reader also accepts version 2.
pub const VERSION: u32 = 3;
/// Default alignment of the data section and of every tensor when `general.alignment` is absent.
pub const DEFAULT_ALIGNMENT: u64 = 32;
/// Largest number of dimensions a ggml tensor has.
pub const MAX_DIMS: usize = 4;
