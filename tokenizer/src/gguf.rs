//! The vocabulary as GGUF metadata, the way llama.cpp's converter writes a GPT-2 style BPE:
//! `tokenizer.ggml.model = "gpt2"`, `tokenizer.ggml.pre = "gpt-2"` (llama.cpp's
//! `LLAMA_VOCAB_PRE_TYPE_GPT2`, GPT-2's regex), tokens in byte-character form, token types
//! (1 normal, 3 control), merges as `"left right"` strings, BOS/EOS ids and `add_bos_token`.
//! Reading also accepts llama.cpp's SentencePiece-style `llama` vocabulary ([`crate::spm`]).

use crate::{Tokenizer, TokenizerError, TYPE_NORMAL};
use edgebench_reference::gguf::{GgufFile, MetaArray, MetaValue};
use std::path::Path;

impl Tokenizer {
    /// The `tokenizer.ggml.*` entries for a GGUF file.
    pub fn gguf_metadata(&self) -> Vec<(String, MetaValue)> {
        let v = match &self.model {
            crate::Model::Bpe { vocab, .. } => vocab,
            crate::Model::Spm(v) => return v.gguf_metadata(self.bos, self.eos),
        };
        let merges: Vec<String> = v.merge_strings().map(|(a, b)| format!("{a} {b}")).collect();
        let mut out = vec![
            ("tokenizer.ggml.model", MetaValue::String("gpt2".into())),
            ("tokenizer.ggml.pre", MetaValue::String("gpt-2".into())),
            ("tokenizer.ggml.tokens", MetaValue::strings(&v.tokens)),
            (
                "tokenizer.ggml.token_type",
                MetaValue::i32s(v.types.iter().copied()),
            ),
            ("tokenizer.ggml.merges", MetaValue::strings(merges)),
        ];
        if let Some(b) = self.bos {
            out.push(("tokenizer.ggml.bos_token_id", MetaValue::U32(b)));
        }
        if let Some(e) = self.eos {
            out.push(("tokenizer.ggml.eos_token_id", MetaValue::U32(e)));
        }
        out.push((
            "tokenizer.ggml.add_bos_token",
            MetaValue::Bool(self.bos.is_some()),
        ));
        out.push(("tokenizer.ggml.add_eos_token", MetaValue::Bool(false)));
        out.into_iter().map(|(k, v)| (k.to_string(), v)).collect()
    }
}

/// The tokenizer embedded in the GGUF file at `path`; `Ok(None)` without `tokenizer.ggml.tokens`.
pub(crate) fn read(path: &Path) -> Result<Option<Tokenizer>, TokenizerError> {
    let f = GgufFile::open(path).map_err(|e| TokenizerError::Invalid {
        path: path.to_path_buf(),
        problem: e.to_string(),
    })?;
    from_metadata(&|k| f.get(k), path)
}

/// The tokenizer described by GGUF metadata (`get` looks a key up).
pub fn from_metadata<'m>(
    get: &dyn Fn(&str) -> Option<&'m MetaValue>,
    path: &Path,
) -> Result<Option<Tokenizer>, TokenizerError> {
    let invalid = |problem: String| TokenizerError::Invalid {
        path: path.to_path_buf(),
        problem,
    };
    let strings = |key: &str| -> Result<Option<Vec<String>>, TokenizerError> {
        match get(key) {
            None => Ok(None),
            Some(MetaValue::Array(MetaArray::String(a))) => {
                Ok(Some(a.iter().map(str::to_string).collect()))
            }
            Some(_) => Err(invalid(format!("`{key}` is not an array of strings"))),
        }
    };
    let Some(tokens) = strings("tokenizer.ggml.tokens")? else {
        return Ok(None);
    };
    let model = match get("tokenizer.ggml.model") {
        Some(MetaValue::String(s)) => s.clone(),
        _ => return Err(invalid("`tokenizer.ggml.model` is missing".into())),
    };
    if model == "llama" {
        return crate::spm::from_metadata(get, tokens, path).map(Some);
    }
    if model != "gpt2" {
        return Err(TokenizerError::Unsupported {
            path: path.to_path_buf(),
            model,
        });
    }
    let types = match get("tokenizer.ggml.token_type") {
        None => vec![TYPE_NORMAL; tokens.len()],
        Some(MetaValue::Array(MetaArray::I32(t))) => t.clone(),
        Some(_) => {
            return Err(invalid(
                "`tokenizer.ggml.token_type` is not an array of i32".into(),
            ))
        }
    };
    let merges = strings("tokenizer.ggml.merges")?.unwrap_or_default();
    let merges = merges
        .iter()
        .map(|m| {
            m.split_once(' ')
                .map(|(a, b)| (a.to_string(), b.to_string()))
                .ok_or_else(|| invalid(format!("merge `{m}` is not two tokens split by a space")))
        })
        .collect::<Result<Vec<_>, _>>()?;
    let id = |key: &str| match get(key) {
        Some(MetaValue::U32(v)) => Some(*v),
        Some(MetaValue::I32(v)) => u32::try_from(*v).ok(),
        _ => None,
    };
    Tokenizer::from_parts(
        tokens,
        types,
        &merges,
        id("tokenizer.ggml.bos_token_id"),
        id("tokenizer.ggml.eos_token_id"),
        path,
    )
    .map(Some)
}
