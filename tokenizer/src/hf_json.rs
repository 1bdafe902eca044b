//! The vocabulary as a Hugging Face `tokenizer.json`: a `BPE` model with a `ByteLevel`
//! pre-tokenizer (GPT-2 regex, no prefix space) and decoder, the special tokens as added
//! tokens, and BOS prepended by a `TemplateProcessing` post-processor. Reading accepts this
//! form (merges as `"a b"` strings or `["a", "b"]` pairs).

use crate::{Tokenizer, TokenizerError, TYPE_CONTROL, TYPE_NORMAL};
use serde_json::{json, Map, Value};
use std::path::Path;

impl Tokenizer {
    /// `tokenizer.json` text; [`TokenizerError::NotBpe`] for a llama vocabulary.
    pub fn to_hf_json(&self) -> Result<String, TokenizerError> {
        let crate::Model::Bpe { vocab: v, .. } = &self.model else {
            return Err(TokenizerError::NotBpe);
        };
        let vocab: Map<String, Value> = v
            .tokens
            .iter()
            .enumerate()
            .filter(|&(i, _)| v.types[i] != TYPE_CONTROL)
            .map(|(i, t)| (t.clone(), json!(i)))
            .collect();
        let added: Vec<Value> = v
            .tokens
            .iter()
            .enumerate()
            .filter(|&(i, _)| v.types[i] == TYPE_CONTROL)
            .map(|(i, t)| {
                json!({"id": i, "content": t, "single_word": false, "lstrip": false,
                       "rstrip": false, "normalized": false, "special": true})
            })
            .collect();
        let merges: Vec<Value> = v.merge_strings().map(|(a, b)| json!([a, b])).collect();
        let byte_level = json!({"type": "ByteLevel", "add_prefix_space": false,
                                "trim_offsets": true, "use_regex": true});
        let post = match self.bos.and_then(|b| self.token(b)) {
            Some(bos) => json!({
                "type": "TemplateProcessing",
                "single": [{"SpecialToken": {"id": bos, "type_id": 0}},
                           {"Sequence": {"id": "A", "type_id": 0}}],
                "pair": [{"SpecialToken": {"id": bos, "type_id": 0}},
                         {"Sequence": {"id": "A", "type_id": 0}},
                         {"Sequence": {"id": "B", "type_id": 1}}],
                "special_tokens": {bos: {"id": bos, "ids": [self.bos], "tokens": [bos]}}
            }),
            None => Value::Null,
        };
        let doc = json!({
            "version": "1.0",
            "truncation": null,
            "padding": null,
            "added_tokens": added,
            "normalizer": null,
            "pre_tokenizer": byte_level,
            "post_processor": post,
            "decoder": byte_level,
            "model": {
                "type": "BPE", "dropout": null, "unk_token": null,
                "continuing_subword_prefix": null, "end_of_word_suffix": null,
                "fuse_unk": false, "byte_fallback": false, "ignore_merges": false,
                "vocab": vocab, "merges": merges
            }
        });
        Ok(serde_json::to_string_pretty(&doc).expect("a JSON value serializes"))
    }
}

/// Parse `tokenizer.json` text (`path` names it in errors).
pub(crate) fn parse(text: &str, path: &Path) -> Result<Tokenizer, TokenizerError> {
    let invalid = |problem: String| TokenizerError::Invalid {
        path: path.to_path_buf(),
        problem,
    };
    let doc: Value = serde_json::from_str(text).map_err(|e| invalid(format!("not JSON: {e}")))?;
    let model = &doc["model"];
    let kind = model["type"].as_str().unwrap_or("(none)");
    let pre = doc["pre_tokenizer"]["type"].as_str().unwrap_or("(none)");
    if kind != "BPE" || pre != "ByteLevel" {
        return Err(TokenizerError::Unsupported {
            path: path.to_path_buf(),
            model: format!("{kind} with pre-tokenizer {pre}"),
        });
    }
    let mut slots: Vec<Option<(String, i32)>> = Vec::new();
    let mut put = |id: u64, token: &str, ty: i32| {
        let id = id as usize;
        if slots.len() <= id {
            slots.resize(id + 1, None);
        }
        slots[id] = Some((token.to_string(), ty));
    };
    let vocab = model["vocab"]
        .as_object()
        .ok_or_else(|| invalid("`model.vocab` is not an object".into()))?;
    for (t, id) in vocab {
        let id = id
            .as_u64()
            .ok_or_else(|| invalid(format!("vocab entry `{t}` has no integer id")))?;
        put(id, t, TYPE_NORMAL);
    }
    let mut specials = Vec::new();
    for a in doc["added_tokens"].as_array().into_iter().flatten() {
        let (Some(id), Some(t)) = (a["id"].as_u64(), a["content"].as_str()) else {
            return Err(invalid("an added token lacks `id` or `content`".into()));
        };
        let special = a["special"].as_bool().unwrap_or(false);
        put(id, t, if special { TYPE_CONTROL } else { TYPE_NORMAL });
        specials.push((t.to_string(), id as u32));
    }
    let (mut tokens, mut types) = (Vec::with_capacity(slots.len()), Vec::new());
    for (i, s) in slots.into_iter().enumerate() {
        let (t, ty) = s.ok_or_else(|| invalid(format!("no token has id {i}")))?;
        tokens.push(t);
        types.push(ty);
    }
    let merges = model["merges"]
        .as_array()
        .ok_or_else(|| invalid("`model.merges` is not an array".into()))?
        .iter()
        .map(|m| {
            match m {
                Value::String(s) => s
                    .split_once(' ')
                    .map(|(a, b)| (a.to_string(), b.to_string())),
                Value::Array(p) => match (
                    p.first().and_then(Value::as_str),
                    p.get(1).and_then(Value::as_str),
                ) {
                    (Some(a), Some(b)) if p.len() == 2 => Some((a.to_string(), b.to_string())),
                    _ => None,
                },
                _ => None,
            }
            .ok_or_else(|| invalid(format!("merge {m} is neither \"a b\" nor [\"a\", \"b\"]")))
        })
        .collect::<Result<Vec<_>, _>>()?;
    let special = |names: &[&str]| {
        specials
            .iter()
            .find(|(t, _)| names.contains(&t.as_str()))
            .map(|&(_, id)| id)
    };
    let bos = doc["post_processor"]["single"]
        .as_array()
        .and_then(|s| s.first())
        .and_then(|first| first["SpecialToken"]["id"].as_str())
        .and_then(|name| special(&[name]));
    let eos = special(&["</s>", "<|endoftext|>", "<|end_of_text|>"]);
    Tokenizer::from_parts(tokens, types, &merges, bos, eos, path)
}
