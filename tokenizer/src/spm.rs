//! llama.cpp's SentencePiece-style vocabulary (`tokenizer.ggml.model = "llama"`, its
//! `LLAMA_VOCAB_TYPE_SPM`: Llama-2, TinyLlama and the files its converter writes from a
//! `tokenizer.model`), encoded and decoded exactly as llama.cpp's `llm_tokenizer_spm` and
//! `token_to_piece` do:
//!
//! - encode: user-defined tokens (type 4) are cut out of the text first, longest first (as
//!   llama.cpp's `tokenizer_st_partition` does without special-token parsing); each remaining
//!   piece gets a leading space when `add_space_prefix` and it is the first piece or follows
//!   such a token, spaces become `▁` (U+2581), the piece is split into UTF-8 characters, and
//!   the adjacent pair whose concatenation is a token of the highest score is merged until
//!   none is (ties: the leftmost pair, llama.cpp's `llm_bigram_spm` comparator). A symbol
//!   that is not a token becomes its bytes' `<0xXX>` tokens.
//! - decode: normal tokens with `▁` as a space, byte tokens as their byte, user-defined tokens
//!   as their text, control/unknown/unused tokens as nothing.
//!
//! Where llama.cpp has no answer edgebench picks one, said where it is done: a byte with no
//! `<0xXX>` token (llama.cpp aborts) becomes the unknown token, and decoding drops the one
//! leading space the encoding added (see [`SpmVocab::decode`]).

use crate::TokenizerError;
use edgebench_reference::gguf::{MetaArray, MetaValue};
use std::collections::{BinaryHeap, HashMap};
use std::path::Path;

/// llama.cpp token types beyond normal (1) and control (3).
pub const TYPE_UNKNOWN: i32 = 2;
pub const TYPE_USER_DEFINED: i32 = 4;
pub const TYPE_UNUSED: i32 = 5;
pub const TYPE_BYTE: i32 = 6;

/// SentencePiece's space marker, `▁`.
const SPACE: &str = "\u{2581}";

/// Tokens with their scores and types, the look-up tables and the file's flags.
#[derive(Debug, Clone)]
pub struct SpmVocab {
    pub(crate) tokens: Vec<String>,
    pub(crate) scores: Vec<f32>,
    pub(crate) types: Vec<i32>,
    ids: HashMap<String, u32>,
    /// The `<0xXX>` token of each byte (llama.cpp's `byte_to_token`).
    byte_ids: [Option<u32>; 256],
    /// User-defined tokens, longest text first (ties: lower id first).
    user_defined: Vec<u32>,
    pub(crate) unk: Option<u32>,
    pub(crate) add_bos: bool,
    pub(crate) add_eos: bool,
    pub(crate) add_space_prefix: bool,
}

/// A text piece or a user-defined token cut out of the text.
enum Fragment<'t> {
    Text(&'t str),
    Token(u32),
}

impl SpmVocab {
    /// Build from tokens, scores and types (as many as tokens) and the file's flags; `Err`
    /// names what is inconsistent.
    pub fn new(
        mut tokens: Vec<String>,
        scores: Vec<f32>,
        types: Vec<i32>,
        unk: Option<u32>,
        flags: (bool, bool, bool),
    ) -> Result<SpmVocab, String> {
        let n = tokens.len();
        if scores.len() != n || types.len() != n {
            return Err(format!(
                "{n} tokens but {} scores and {} token types",
                scores.len(),
                types.len()
            ));
        }
        let mut ids = HashMap::with_capacity(n);
        let mut byte_ids: [Option<u32>; 256] = [None; 256];
        for (i, t) in tokens.iter_mut().enumerate() {
            if t.is_empty() {
                // llama.cpp renames an empty token so that it can never match.
                *t = format!("[EMPTY_{i}]");
            }
            if let Some(first) = ids.insert(t.clone(), i as u32) {
                return Err(format!(
                    "duplicate token `{t}` (ids {first} and {i}); llama.cpp refuses such a vocabulary too"
                ));
            }
            if types[i] == TYPE_BYTE && byte_of(t).is_none() {
                return Err(format!(
                    "token {i} `{t}` has type 6 (byte) but is not of the form <0xXX>"
                ));
            }
        }
        // llama.cpp's `byte_to_token`: the token `<0xXX>` (upper-case hex, whatever its type),
        // else the one-byte token of that text.
        for (b, slot) in byte_ids.iter_mut().enumerate() {
            *slot = ids
                .get(&format!("<0x{b:02X}>"))
                .or_else(|| {
                    (b < 0x80)
                        .then(|| ids.get(&(b as u8 as char).to_string()))
                        .flatten()
                })
                .copied();
        }
        let mut user_defined: Vec<u32> = (0..n as u32)
            .filter(|&i| types[i as usize] == TYPE_USER_DEFINED)
            .collect();
        user_defined.sort_by_key(|&i| std::cmp::Reverse(tokens[i as usize].len()));
        let (add_bos, add_eos, add_space_prefix) = flags;
        Ok(SpmVocab {
            tokens,
            scores,
            types,
            ids,
            byte_ids,
            user_defined,
            unk,
            add_bos,
            add_eos,
            add_space_prefix,
        })
    }

    /// llama.cpp's `tokenize(text, add_special, parse_special = false)` for this vocabulary,
    /// appended to `out`.
    pub fn encode(
        &self,
        text: &str,
        add_special: bool,
        bos: Option<u32>,
        eos: Option<u32>,
        out: &mut Vec<u32>,
    ) -> Result<(), TokenizerError> {
        if add_special && self.add_bos {
            out.extend(bos);
        }
        let mut prev_special = true;
        for f in self.partition(text) {
            match f {
                Fragment::Token(id) => {
                    out.push(id);
                    prev_special = true;
                }
                Fragment::Text(piece) => {
                    let mut s = String::with_capacity(piece.len() + 3);
                    if self.add_space_prefix && prev_special {
                        s.push(' ');
                    }
                    s.push_str(piece);
                    self.encode_piece(&s.replace(' ', SPACE), out)?;
                    prev_special = false;
                }
            }
        }
        if add_special && self.add_eos {
            out.extend(eos);
        }
        Ok(())
    }

    /// `text` split around the user-defined tokens, longest token first, each occurrence left
    /// to right (llama.cpp's `tokenizer_st_partition`); an empty text has no fragment.
    fn partition<'t>(&self, text: &'t str) -> Vec<Fragment<'t>> {
        let mut frags = if text.is_empty() {
            vec![]
        } else {
            vec![Fragment::Text(text)]
        };
        for &id in &self.user_defined {
            let needle = self.tokens[id as usize].as_str();
            let mut next = Vec::with_capacity(frags.len());
            for f in frags {
                let Fragment::Text(mut rest) = f else {
                    next.push(f);
                    continue;
                };
                while let Some(at) = rest.find(needle) {
                    if at > 0 {
                        next.push(Fragment::Text(&rest[..at]));
                    }
                    next.push(Fragment::Token(id));
                    rest = &rest[at + needle.len()..];
                }
                if !rest.is_empty() {
                    next.push(Fragment::Text(rest));
                }
            }
            frags = next;
        }
        frags
    }

    /// `llm_tokenizer_spm_session::tokenize` on one escaped piece.
    fn encode_piece(&self, text: &str, out: &mut Vec<u32>) -> Result<(), TokenizerError> {
        // Symbols: byte ranges of the piece, one UTF-8 character each to start with, in a
        // linked list (merged-away symbols keep `len == 0`).
        let mut syms: Vec<Symbol> = Vec::with_capacity(text.len());
        for (start, c) in text.char_indices() {
            let i = syms.len();
            syms.push(Symbol {
                start,
                len: c.len_utf8(),
                prev: i.checked_sub(1),
                next: Some(i + 1).filter(|_| start + c.len_utf8() < text.len()),
            });
        }
        let mut queue = BinaryHeap::new();
        for i in 1..syms.len() {
            self.try_add_bigram(text, &syms, Some(i - 1), Some(i), &mut queue);
        }
        while let Some(b) = queue.pop() {
            let (l, r) = (syms[b.left], syms[b.right]);
            // Stale: one side was merged since the pair was queued.
            if l.len == 0 || r.len == 0 || l.len + r.len != b.size {
                continue;
            }
            syms[b.left].len += r.len;
            syms[b.right].len = 0;
            syms[b.left].next = r.next;
            if let Some(n) = r.next {
                syms[n].prev = Some(b.left);
            }
            let (prev, next) = (syms[b.left].prev, syms[b.left].next);
            self.try_add_bigram(text, &syms, prev, Some(b.left), &mut queue);
            self.try_add_bigram(text, &syms, Some(b.left), next, &mut queue);
        }
        let mut i = (!syms.is_empty()).then_some(0);
        while let Some(s) = i {
            let sym = syms[s];
            let piece = &text[sym.start..sym.start + sym.len];
            // A merged symbol is always a token (only pairs that are tokens merge), so
            // llama.cpp's `rev_merge` split never applies: a symbol is a token or one
            // character that falls back to its bytes.
            match self.ids.get(piece) {
                Some(&id) => out.push(id),
                None => {
                    for &byte in piece.as_bytes() {
                        let id = self.byte_ids[byte as usize]
                            .or(self.unk)
                            .ok_or(TokenizerError::NoByteToken { byte })?;
                        out.push(id);
                    }
                }
            }
            i = sym.next;
        }
        Ok(())
    }

    fn try_add_bigram(
        &self,
        text: &str,
        syms: &[Symbol],
        left: Option<usize>,
        right: Option<usize>,
        queue: &mut BinaryHeap<Bigram>,
    ) {
        let (Some(left), Some(right)) = (left, right) else {
            return;
        };
        let (l, r) = (syms[left], syms[right]);
        let size = l.len + r.len;
        if let Some(&id) = self.ids.get(&text[l.start..l.start + size]) {
            queue.push(Bigram {
                score: self.scores[id as usize],
                left,
                right,
                size,
            });
        }
    }

    /// The bytes of `ids` as llama.cpp's `token_to_piece` (no special rendering) gives them,
    /// with one leading space removed when `add_space_prefix`: the space the encoding added.
    /// (llama-cpp-python's `detokenize` removes it when the ids start with BOS, llama.cpp's
    /// `llama_detokenize` when the first token is not BOS; edgebench in both cases, so that
    /// decoding inverts encoding.) `Err` is an id outside the vocabulary.
    pub fn decode(&self, ids: &[u32], out: &mut Vec<u8>) -> Result<(), u32> {
        let start = out.len();
        for &id in ids {
            let t = self.tokens.get(id as usize).ok_or(id)?;
            match self.types[id as usize] {
                crate::TYPE_NORMAL => out.extend_from_slice(t.replace(SPACE, " ").as_bytes()),
                TYPE_USER_DEFINED => out.extend_from_slice(t.as_bytes()),
                TYPE_BYTE => out.extend(byte_of(t)),
                // Control, unknown, unused and undefined tokens print nothing.
                _ => {}
            }
        }
        if self.add_space_prefix && out.get(start) == Some(&b' ') {
            out.remove(start);
        }
        Ok(())
    }

    /// The `tokenizer.ggml.*` entries of this vocabulary (with `bos`/`eos`).
    pub fn gguf_metadata(&self, bos: Option<u32>, eos: Option<u32>) -> Vec<(String, MetaValue)> {
        let mut out = vec![
            ("tokenizer.ggml.model", MetaValue::String("llama".into())),
            ("tokenizer.ggml.pre", MetaValue::String("default".into())),
            ("tokenizer.ggml.tokens", MetaValue::strings(&self.tokens)),
            (
                "tokenizer.ggml.scores",
                MetaValue::f32s(self.scores.iter().copied()),
            ),
            (
                "tokenizer.ggml.token_type",
                MetaValue::i32s(self.types.iter().copied()),
            ),
        ];
        for (key, id) in [
            ("tokenizer.ggml.bos_token_id", bos),
            ("tokenizer.ggml.eos_token_id", eos),
            ("tokenizer.ggml.unknown_token_id", self.unk),
        ] {
            if let Some(id) = id {
                out.push((key, MetaValue::U32(id)));
            }
        }
        out.extend([
            (
                "tokenizer.ggml.add_bos_token",
                MetaValue::Bool(self.add_bos),
            ),
            (
                "tokenizer.ggml.add_eos_token",
                MetaValue::Bool(self.add_eos),
            ),
            (
                "tokenizer.ggml.add_space_prefix",
                MetaValue::Bool(self.add_space_prefix),
            ),
        ]);
        out.into_iter().map(|(k, v)| (k.to_string(), v)).collect()
    }
}

/// The byte of a `<0xXX>` token.
fn byte_of(t: &str) -> Option<u8> {
    let hex = t.strip_prefix("<0x")?.strip_suffix('>')?;
    (hex.len() == 2)
        .then(|| u8::from_str_radix(hex, 16).ok())
        .flatten()
}

#[derive(Debug, Clone, Copy)]
struct Symbol {
    start: usize,
    len: usize,
    prev: Option<usize>,
    next: Option<usize>,
}

/// A candidate merge. The heap pops the highest score first and, among equal scores, the
/// leftmost pair: llama.cpp's `llm_bigram_spm::comparator` (`l.score < r.score ||
/// (l.score == r.score && l.left > r.left)`) as a max-heap order.
#[derive(Debug)]
struct Bigram {
    score: f32,
    left: usize,
    right: usize,
    size: usize,
}

impl Ord for Bigram {
    fn cmp(&self, o: &Self) -> std::cmp::Ordering {
        self.score
            .partial_cmp(&o.score)
            .unwrap_or(std::cmp::Ordering::Equal)
            .then(o.left.cmp(&self.left))
    }
}

impl PartialOrd for Bigram {
    fn partial_cmp(&self, o: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(o))
    }
}

impl PartialEq for Bigram {
    fn eq(&self, o: &Self) -> bool {
        self.cmp(o).is_eq()
    }
}

impl Eq for Bigram {}

/// The llama vocabulary described by GGUF metadata (`get` looks a key up), with its
/// `tokens` already read; BOS/EOS/unknown default to 1/2/0 as in llama.cpp.
pub(crate) fn from_metadata<'m>(
    get: &dyn Fn(&str) -> Option<&'m MetaValue>,
    tokens: Vec<String>,
    path: &Path,
) -> Result<crate::Tokenizer, TokenizerError> {
    let invalid = |problem: String| TokenizerError::Invalid {
        path: path.to_path_buf(),
        problem,
    };
    let n = tokens.len();
    let too_short = |key: &str, len: usize| {
        invalid(format!(
            "`{key}` has {len} entries for {n} tokens; re-convert the model with llama.cpp's convert_hf_to_gguf.py"
        ))
    };
    let scores: Vec<f32> = match get("tokenizer.ggml.scores") {
        None => vec![0.0; n],
        Some(MetaValue::Array(MetaArray::F32(s))) if s.len() >= n => s[..n].to_vec(),
        Some(MetaValue::Array(MetaArray::I32(s))) if s.len() >= n => {
            s[..n].iter().map(|&v| v as f32).collect()
        }
        Some(MetaValue::Array(MetaArray::F32(s))) => {
            return Err(too_short("tokenizer.ggml.scores", s.len()))
        }
        Some(MetaValue::Array(MetaArray::I32(s))) => {
            return Err(too_short("tokenizer.ggml.scores", s.len()))
        }
        Some(_) => {
            return Err(invalid(
                "`tokenizer.ggml.scores` is not an array of f32 or i32".into(),
            ))
        }
    };
    let types: Vec<i32> = match get("tokenizer.ggml.token_type") {
        None => vec![crate::TYPE_NORMAL; n],
        Some(MetaValue::Array(MetaArray::I32(t))) if t.len() >= n => t[..n].to_vec(),
        Some(MetaValue::Array(MetaArray::I32(t))) => {
            return Err(too_short("tokenizer.ggml.token_type", t.len()))
        }
        Some(_) => {
            return Err(invalid(
                "`tokenizer.ggml.token_type` is not an array of i32".into(),
            ))
        }
    };
    // llama.cpp: a default out of range is disabled, a key out of range keeps the default.
    let id = |key: &str, default: u32| {
        let given = match get(key) {
            Some(MetaValue::U32(v)) => Some(*v),
            Some(MetaValue::I32(v)) => u32::try_from(*v).ok(),
            _ => None,
        };
        given
            .filter(|&v| (v as usize) < n)
            .or(Some(default).filter(|&v| (v as usize) < n))
    };
    let flag = |key: &str, default: bool| match get(key) {
        Some(MetaValue::Bool(b)) => *b,
        _ => default,
    };
    let bos = id("tokenizer.ggml.bos_token_id", 1);
    let eos = id("tokenizer.ggml.eos_token_id", 2);
    let unk = id("tokenizer.ggml.unknown_token_id", 0);
    let flags = (
        flag("tokenizer.ggml.add_bos_token", true),
        flag("tokenizer.ggml.add_eos_token", false),
        flag("tokenizer.ggml.add_space_prefix", true),
    );
    let vocab = SpmVocab::new(tokens, scores, types, unk, flags).map_err(invalid)?;
    Ok(crate::Tokenizer {
        model: crate::Model::Spm(Box::new(vocab)),
        bos,
        eos,
    })
}

#[cfg(test)]
#[path = "spm_tests.rs"]
mod tests;
