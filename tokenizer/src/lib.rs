//! edgebench's tokenizer: byte-level BPE as GPT-2 defined it (byte-to-unicode map, GPT-2
//! pre-tokenizer regex, ranked merges). It trains a vocabulary on a text ([`Tokenizer::train`]),
//! encodes and decodes, and stores the vocabulary where the runtimes look for it: as GGUF
//! metadata in llama.cpp's `gpt2` form ([`Tokenizer::gguf_metadata`]) and as a Hugging Face
//! `tokenizer.json` beside an ONNX file ([`Tokenizer::to_hf_json`]).
//!
//! It also reads llama.cpp's SentencePiece-style vocabulary (`tokenizer.ggml.model = "llama"`,
//! the Llama-2/TinyLlama family) and encodes and decodes it as llama.cpp does (`spm.rs`).
//!
//! The one design decision: our own ~400 lines instead of the `tokenizers` crate, whose
//! default features pull C++ (onig, esaxx) and whose training is not byte-for-byte
//! reproducible across versions; this crate is small enough for the lean board build and its
//! output depends only on the text and the vocabulary size.

mod bpe;
mod bytes;
mod gguf;
mod hf_json;
mod pretokenize;
mod spm;
mod train;

pub use bpe::{TYPE_CONTROL, TYPE_NORMAL};
pub use pretokenize::{PreTokenizer, GPT2_PATTERN};
pub use spm::{TYPE_BYTE, TYPE_UNKNOWN, TYPE_UNUSED, TYPE_USER_DEFINED};
pub use train::{BOS, EOS};

use bpe::Vocab;
use spm::SpmVocab;
use std::path::{Path, PathBuf};

/// What went wrong, naming the file and the fix where there is one.
#[derive(Debug, thiserror::Error)]
pub enum TokenizerError {
    #[error("reading {path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("{path}: {problem}")]
    Invalid { path: PathBuf, problem: String },
    #[error("{path}: tokenizer model `{model}` is not supported (edgebench reads llama.cpp's `gpt2` (byte-level BPE) and `llama` (SentencePiece) vocabularies in GGUF, and `BPE` + `ByteLevel` in tokenizer.json); give the scenario token ids instead of text")]
    Unsupported { path: PathBuf, model: String },
    #[error("token id {id} is outside the vocabulary of {vocab} tokens")]
    UnknownId { id: u32, vocab: usize },
    #[error("byte 0x{byte:02X} of the text has no token: the llama vocabulary lacks `<0x{byte:02X}>` and an unknown token; give the scenario token ids instead of text")]
    NoByteToken { byte: u8 },
    #[error("a llama (SentencePiece) vocabulary cannot be written as tokenizer.json: edgebench writes only byte-level BPE vocabularies (the trained models') there")]
    NotBpe,
}

/// A tokenizer with optional BOS/EOS tokens: byte-level BPE or llama.cpp's SPM.
#[derive(Debug, Clone)]
pub struct Tokenizer {
    model: Model,
    bos: Option<u32>,
    eos: Option<u32>,
}

/// The vocabulary and its algorithm.
#[derive(Debug, Clone)]
enum Model {
    /// GPT-2 byte-level BPE (`gpt2` in GGUF, `BPE` + `ByteLevel` in tokenizer.json).
    Bpe {
        vocab: Box<Vocab>,
        pre: PreTokenizer,
    },
    /// llama.cpp's SentencePiece-style vocabulary (`llama` in GGUF).
    Spm(Box<SpmVocab>),
}

impl Tokenizer {
    /// Train on `text` up to `vocab_size` tokens; BOS is `<s>` (id 0), EOS `</s>` (id 1).
    pub fn train(text: &str, vocab_size: usize) -> Tokenizer {
        let t = train::train(text, vocab_size);
        let vocab =
            Vocab::new(t.tokens, t.types, &t.merges).expect("a trained vocabulary is consistent");
        Tokenizer {
            model: Model::Bpe {
                vocab: Box::new(vocab),
                pre: PreTokenizer::gpt2(),
            },
            bos: Some(0),
            eos: Some(1),
        }
    }

    pub(crate) fn from_parts(
        tokens: Vec<String>,
        types: Vec<i32>,
        merges: &[(String, String)],
        bos: Option<u32>,
        eos: Option<u32>,
        path: &Path,
    ) -> Result<Tokenizer, TokenizerError> {
        let invalid = |problem: String| TokenizerError::Invalid {
            path: path.to_path_buf(),
            problem,
        };
        let vocab = Vocab::new(tokens, types, merges).map_err(invalid)?;
        for id in [bos, eos].into_iter().flatten() {
            if id as usize >= vocab.len() {
                return Err(invalid(format!(
                    "special token id {id} is outside the vocabulary of {} tokens",
                    vocab.len()
                )));
            }
        }
        Ok(Tokenizer {
            model: Model::Bpe {
                vocab: Box::new(vocab),
                pre: PreTokenizer::gpt2(),
            },
            bos,
            eos,
        })
    }

    /// The tokenizer a model file carries. GGUF: the embedded `tokenizer.ggml.*` vocabulary;
    /// ONNX: `tokenizer.json` in the same directory. `Ok(None)` when the model has none.
    pub fn for_model(model_path: &Path) -> Result<Option<Tokenizer>, TokenizerError> {
        let ext = model_path
            .extension()
            .and_then(|e| e.to_str())
            .map(str::to_ascii_lowercase);
        match ext.as_deref() {
            Some("gguf") => gguf::read(model_path),
            Some("onnx") => {
                let json = model_path.with_file_name("tokenizer.json");
                if json.is_file() {
                    Tokenizer::from_hf_json_file(&json).map(Some)
                } else {
                    Ok(None)
                }
            }
            _ => Ok(None),
        }
    }

    /// Token ids of `text`, BOS first when `add_bos` and the vocabulary has one. `add_bos` is
    /// llama.cpp's `add_special`: a llama vocabulary adds BOS (and EOS) as its file's
    /// `add_bos_token` (`add_eos_token`) says.
    pub fn encode(&self, text: &str, add_bos: bool) -> Result<Vec<u32>, TokenizerError> {
        let mut out = Vec::with_capacity(text.len() / 3 + 1);
        match &self.model {
            Model::Bpe { vocab, pre } => {
                if add_bos {
                    out.extend(self.bos);
                }
                for word in pre.split(text) {
                    vocab.encode_word(word.as_bytes(), &mut out);
                }
            }
            Model::Spm(v) => v.encode(text, add_bos, self.bos, self.eos, &mut out)?,
        }
        Ok(out)
    }

    /// The text of `ids`: control tokens (BOS/EOS) print as nothing, and bytes that do not
    /// form valid UTF-8 (a sequence cut mid-character) print as U+FFFD, as llama.cpp does.
    /// A llama vocabulary with `add_space_prefix` drops the one leading space its encoding
    /// added (see [`spm`]), so `decode(encode(text))` is `text`.
    pub fn decode(&self, ids: &[u32]) -> Result<String, TokenizerError> {
        let mut bytes = Vec::with_capacity(ids.len() * 4);
        let unknown = |id| TokenizerError::UnknownId {
            id,
            vocab: self.vocab_size(),
        };
        match &self.model {
            Model::Bpe { vocab, .. } => {
                for &id in ids {
                    vocab.token_bytes(id, &mut bytes).ok_or(unknown(id))?;
                }
            }
            Model::Spm(v) => v.decode(ids, &mut bytes).map_err(unknown)?,
        }
        Ok(String::from_utf8_lossy(&bytes).into_owned())
    }

    pub fn bos_id(&self) -> Option<u32> {
        self.bos
    }

    pub fn eos_id(&self) -> Option<u32> {
        self.eos
    }

    /// Number of tokens (the model's `vocab_size`).
    pub fn vocab_size(&self) -> usize {
        match &self.model {
            Model::Bpe { vocab, .. } => vocab.len(),
            Model::Spm(v) => v.tokens.len(),
        }
    }

    /// Token `id` as stored in the vocabulary (byte-character form: `Ġthe` for " the"; a llama
    /// vocabulary's `▁the`).
    pub fn token(&self, id: u32) -> Option<&str> {
        let tokens = match &self.model {
            Model::Bpe { vocab, .. } => &vocab.tokens,
            Model::Spm(v) => &v.tokens,
        };
        tokens.get(id as usize).map(String::as_str)
    }

    /// Number of merges (0 for a llama vocabulary, which merges by token score).
    pub fn merge_count(&self) -> usize {
        match &self.model {
            Model::Bpe { vocab, .. } => vocab.merges.len(),
            Model::Spm(_) => 0,
        }
    }

    /// `true` for llama.cpp's SentencePiece-style (`llama`) vocabulary.
    pub fn is_spm(&self) -> bool {
        matches!(self.model, Model::Spm(_))
    }

    /// Write `tokenizer.json` at `path` (byte-level BPE only).
    pub fn write_hf_json(&self, path: &Path) -> Result<(), TokenizerError> {
        std::fs::write(path, self.to_hf_json()?).map_err(|source| TokenizerError::Io {
            path: path.to_path_buf(),
            source,
        })
    }

    /// Read a `tokenizer.json` written by [`Tokenizer::write_hf_json`] (or any Hugging Face
    /// byte-level BPE of the same form).
    pub fn from_hf_json_file(path: &Path) -> Result<Tokenizer, TokenizerError> {
        let text = std::fs::read_to_string(path).map_err(|source| TokenizerError::Io {
            path: path.to_path_buf(),
            source,
        })?;
        hf_json::parse(&text, path)
    }
}

#[cfg(test)]
mod tests;
