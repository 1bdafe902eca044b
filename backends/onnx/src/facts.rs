//! Weight facts of an ONNX file for reports: its parameter count and the bytes of weights one
//! decode step reads (the bandwidth roofline's denominator).
//!
//! The file is read with the streaming decoder of [`crate::proto`] (tensor payloads are skipped,
//! external data is not opened), then [`analysis`] applies the rules below to its graph.
//!
//! # Rules
//!
//! **Bytes of an initializer**: the length of its `raw_data`; else its external-data `length`;
//! else its element count times its element size (typed data fields, 4-bit types at half a
//! byte).
//!
//! **Decode bytes**: one token's step reads every initializer once, except a table that is only
//! gathered with run-time indices (`Gather` input 0 indexed by `input_ids`, possibly through
//! `DequantizeLinear` on either side of the `Gather`, or `com.microsoft::GatherBlockQuantized`
//! data and scales): of such a tensor one slice along the gather axis is counted (bytes / that
//! axis's size; a 1-D or scalar tensor, such as a per-tensor scale, counts whole). A table that
//! is also used otherwise (tied embedding and output projection, reached through any chain of
//! constant nodes such as `Transpose`) counts whole plus one row, as the reference engine counts
//! `token_embd.weight` when it is tied. Initializers nothing reads count zero.
//!
//! **Parameters**: elements of the initializers that hold weights, which are those
//! - of a floating, 8/16-bit integer or 4-bit type (not `int32`/`int64`/`bool`/`string`
//!   shape constants), with more than one element (not scalars such as `eps` or a per-tensor
//!   scale);
//! - not used only as quantization metadata (inputs 1.. of `DequantizeLinear`/`QuantizeLinear`,
//!   the zero points of `MatMulInteger`, the scales/zero points/`g_idx` of `MatMulNBits`, the
//!   scales/zero points of `GatherBlockQuantized`, `DynamicQuantizeMatMul` and
//!   `MatMulIntegerToFloat`, a `Mul` by the scale output of `DynamicQuantizeLinear`);
//! - combined with the token stream: the node that finally uses the initializer (after any
//!   constant-only nodes) has an input computed from `input_ids` (or `inputs_embeds`; without
//!   either, from any graph input), not counting paths through `Shape`/`Size`. This leaves out
//!   buffers computed from positions only, such as RoPE's `inv_freq` or cos/sin caches.
//!
//! A packed 4-bit matrix counts its logical elements: `MatMulNBits` input B counts `K × N` from
//! the node's attributes (without them, its bytes × 8 / `bits`); a `uint8` `GatherBlockQuantized`
//! table counts its bytes × 8 / `bits` (default 4). Everything else counts the product of its
//! dims. When the file's metadata says `llama.tie_word_embeddings=true` but the graph holds the
//! output projection as a separate copy of the embedding (as `edgebench-onnx-export` writes
//! tied models), the embedding is counted once, as a tied checkpoint has it once.
//!
//! Sparse initializers, `Constant` node values and subgraphs are not looked at.

mod analysis;
#[cfg(test)]
mod tests;

use crate::proto::decode::read_model;
use crate::ReadError;
use std::io::{Read, Seek};
use std::path::Path;

/// What [`weight_facts`] finds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct WeightFacts {
    /// Bytes of initializers one decode step reads (see the module docs for the rules).
    pub decode_bytes: u64,
    /// Logical weight elements (packed 4-bit values count one each).
    pub parameter_count: u64,
    /// Bytes of all initializers, wherever they are stored.
    pub total_initializer_bytes: u64,
}

/// Read the graph of the ONNX model at `path` and work out its [`WeightFacts`]. Malformed or
/// truncated files are errors ([`ReadError::Unreadable`]), never panics.
pub fn weight_facts(path: &Path) -> Result<WeightFacts, ReadError> {
    let file = std::fs::File::open(path).map_err(|source| ReadError::Io {
        path: path.to_path_buf(),
        source,
    })?;
    facts_of(file).map_err(|reason| ReadError::Unreadable {
        path: path.to_path_buf(),
        reason,
    })
}

fn facts_of<R: Read + Seek>(r: R) -> Result<WeightFacts, String> {
    let desc = read_model(r)?;
    Ok(analysis::analyse(&desc))
}

/// [`weight_facts`] of an in-memory file: the ONNX protobuf reader's entry point for fuzzing
/// (`fuzz/`) and the corpus replay test. Errors are the reason only (there is no path).
pub fn weight_facts_of_bytes(bytes: &[u8]) -> Result<WeightFacts, String> {
    facts_of(std::io::Cursor::new(bytes))
}

#[cfg(test)]
mod fuzz_corpus {
    /// Every file of the fuzz corpus (`fuzz/corpus/onnx`) goes through the reader the `onnx`
    /// fuzz target calls: errors are fine, panics are not.
    #[test]
    fn fuzz_corpus_replays_cleanly() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fuzz/corpus/onnx");
        let files = std::fs::read_dir(&dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display()));
        let mut n = 0;
        for f in files {
            let path = f.expect("listing the corpus").path();
            eprintln!("replaying {}", path.display());
            let _ = super::weight_facts_of_bytes(&std::fs::read(&path).expect("reading a file"));
            n += 1;
        }
        assert!(n > 0, "no corpus files in {}", dir.display());
    }
}
