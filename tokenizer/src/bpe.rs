//! The vocabulary and merge table, and BPE on one pre-tokenized word: start from its bytes,
//! merge the adjacent pair of lowest merge rank (leftmost on a tie) until none is in the table.
//! That is the order llama.cpp's `llm_tokenizer_bpe` and Hugging Face's `BPE` model merge in.

use crate::bytes::ByteMap;
use std::collections::HashMap;

/// llama.cpp token types (`llama_token_type`, written as `tokenizer.ggml.token_type`).
pub const TYPE_NORMAL: i32 = 1;
pub const TYPE_CONTROL: i32 = 3;

/// Tokens, their types and the ranked merges, with the look-up tables built from them.
#[derive(Debug, Clone)]
pub struct Vocab {
    pub(crate) tokens: Vec<String>,
    pub(crate) types: Vec<i32>,
    /// Merges in rank order, as token ids.
    pub(crate) merges: Vec<(u32, u32)>,
    ranks: HashMap<(u32, u32), (usize, u32)>,
    byte_ids: [u32; 256],
    pub(crate) bytes: ByteMap,
}

impl Vocab {
    /// Build from token strings (byte-character form), types and merges given as token pairs;
    /// `Err` names what is inconsistent.
    pub fn new(
        tokens: Vec<String>,
        types: Vec<i32>,
        merges: &[(String, String)],
    ) -> Result<Self, String> {
        if types.len() != tokens.len() {
            return Err(format!(
                "{} tokens but {} token types",
                tokens.len(),
                types.len()
            ));
        }
        let mut ids = HashMap::with_capacity(tokens.len());
        for (i, t) in tokens.iter().enumerate() {
            // Duplicates: the first id wins, as in llama.cpp's `token_to_id`.
            ids.entry(t.clone()).or_insert(i as u32);
        }
        let bytes = ByteMap::new();
        let mut byte_ids = [0u32; 256];
        for b in 0..=255u8 {
            let c = bytes.char_of(b).to_string();
            byte_ids[b as usize] = *ids.get(&c).ok_or_else(|| {
                format!("the vocabulary lacks the byte token `{c}` (byte 0x{b:02x}); a byte-level BPE vocabulary holds all 256")
            })?;
        }
        let id = |s: &str| {
            ids.get(s)
                .copied()
                .ok_or_else(|| format!("merge part `{s}` is not a token"))
        };
        let mut ranks = HashMap::with_capacity(merges.len());
        let mut merge_ids = Vec::with_capacity(merges.len());
        for (rank, (a, b)) in merges.iter().enumerate() {
            let pair = (id(a)?, id(b)?);
            let merged = id(&format!("{a}{b}"))?;
            ranks.entry(pair).or_insert((rank, merged));
            merge_ids.push(pair);
        }
        Ok(Vocab {
            tokens,
            types,
            merges: merge_ids,
            ranks,
            byte_ids,
            bytes,
        })
    }

    pub fn len(&self) -> usize {
        self.tokens.len()
    }

    /// The merges as token strings, in rank order.
    pub fn merge_strings(&self) -> impl Iterator<Item = (&str, &str)> + '_ {
        self.merges.iter().map(|&(a, b)| {
            (
                self.tokens[a as usize].as_str(),
                self.tokens[b as usize].as_str(),
            )
        })
    }

    /// BPE on one word, appending its ids to `out`.
    pub fn encode_word(&self, word: &[u8], out: &mut Vec<u32>) {
        let mut syms: Vec<u32> = word.iter().map(|&b| self.byte_ids[b as usize]).collect();
        loop {
            let best = syms
                .windows(2)
                .enumerate()
                .filter_map(|(i, w)| self.ranks.get(&(w[0], w[1])).map(|&(r, m)| (r, i, m)))
                .min();
            let Some((_, i, merged)) = best else { break };
            syms[i] = merged;
            syms.remove(i + 1);
        }
        out.extend_from_slice(&syms);
    }

    /// The bytes of token `id` (nothing for a control token); `None` for an id out of range.
    pub fn token_bytes(&self, id: u32, out: &mut Vec<u8>) -> Option<()> {
        let t = self.tokens.get(id as usize)?;
        if self.types[id as usize] == TYPE_CONTROL {
            return Some(());
        }
        for c in t.chars() {
            match self.bytes.byte_of(c) {
                Some(b) => out.push(b),
                // Not a byte character (a user-added token): its text as it is.
                None => out.extend_from_slice(c.to_string().as_bytes()),
            }
        }
        Some(())
    }
}
