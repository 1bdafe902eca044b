//! Training a byte-level BPE vocabulary on a text: count the pre-tokenized words, then merge the
//! most frequent adjacent pair again and again. Deterministic: ties go to the pair of smaller
//! token ids, and nothing depends on hash-map order.

use crate::bpe::{TYPE_CONTROL, TYPE_NORMAL};
use crate::bytes::ByteMap;
use crate::pretokenize::PreTokenizer;
use std::cmp::Reverse;
use std::collections::{BinaryHeap, HashMap};

/// The special tokens every trained vocabulary starts with: BOS then EOS (ids 0 and 1).
pub const BOS: &str = "<s>";
pub const EOS: &str = "</s>";

/// What [`train`] produces: tokens (byte-character form), their types and merges.
#[derive(Debug, Clone)]
pub struct Trained {
    pub tokens: Vec<String>,
    pub types: Vec<i32>,
    pub merges: Vec<(String, String)>,
}

type Pair = (u32, u32);

/// Learn merges on `text` until the vocabulary has `vocab_size` tokens (2 special + 256 byte
/// tokens + merges) or no pair occurs twice.
pub fn train(text: &str, vocab_size: usize) -> Trained {
    let bytes = ByteMap::new();
    let mut tokens = vec![BOS.to_string(), EOS.to_string()];
    let mut types = vec![TYPE_CONTROL, TYPE_CONTROL];
    for b in 0..=255u8 {
        tokens.push(bytes.char_of(b).to_string());
        types.push(TYPE_NORMAL);
    }
    let mut ids: HashMap<String, u32> = tokens
        .iter()
        .enumerate()
        .map(|(i, t)| (t.clone(), i as u32))
        .collect();

    let mut counts: HashMap<&str, u64> = HashMap::new();
    for w in PreTokenizer::gpt2().split(text) {
        *counts.entry(w).or_insert(0) += 1;
    }
    let mut sorted: Vec<(&str, u64)> = counts.into_iter().collect();
    sorted.sort_unstable();
    let mut words: Vec<Vec<u32>> = sorted
        .iter()
        .map(|(w, _)| w.bytes().map(|b| 2 + u32::from(b)).collect())
        .collect();
    let freq: Vec<i64> = sorted.iter().map(|&(_, c)| c as i64).collect();

    let mut pair_count: HashMap<Pair, i64> = HashMap::new();
    let mut where_: HashMap<Pair, Vec<usize>> = HashMap::new();
    for (i, w) in words.iter().enumerate() {
        for p in w.windows(2) {
            *pair_count.entry((p[0], p[1])).or_insert(0) += freq[i];
            where_.entry((p[0], p[1])).or_default().push(i);
        }
    }
    let mut heap: BinaryHeap<(i64, Reverse<Pair>)> =
        pair_count.iter().map(|(&p, &c)| (c, Reverse(p))).collect();

    let mut merges = Vec::new();
    while tokens.len() < vocab_size {
        let Some((c, Reverse(pair))) = heap.pop() else {
            break;
        };
        if pair_count.get(&pair) != Some(&c) {
            continue; // stale entry: the count changed after it was pushed
        }
        if c < 2 {
            break;
        }
        let (a, b) = (&tokens[pair.0 as usize], &tokens[pair.1 as usize]);
        let text = format!("{a}{b}");
        merges.push((a.clone(), b.clone()));
        let merged = match ids.get(&text) {
            Some(&id) => id,
            None => {
                let id = tokens.len() as u32;
                ids.insert(text.clone(), id);
                tokens.push(text);
                types.push(TYPE_NORMAL);
                id
            }
        };
        let mut touched = where_.remove(&pair).unwrap_or_default();
        touched.sort_unstable();
        touched.dedup();
        let mut delta: HashMap<Pair, i64> = HashMap::new();
        for &i in &touched {
            let w = &mut words[i];
            if !w.windows(2).any(|p| (p[0], p[1]) == pair) {
                continue;
            }
            for p in w.windows(2) {
                *delta.entry((p[0], p[1])).or_insert(0) -= freq[i];
            }
            let mut out = Vec::with_capacity(w.len());
            let mut k = 0;
            while k < w.len() {
                if k + 1 < w.len() && (w[k], w[k + 1]) == pair {
                    out.push(merged);
                    k += 2;
                } else {
                    out.push(w[k]);
                    k += 1;
                }
            }
            *w = out;
            for p in w.windows(2) {
                *delta.entry((p[0], p[1])).or_insert(0) += freq[i];
                if (p[0], p[1]) != pair {
                    where_.entry((p[0], p[1])).or_default().push(i);
                }
            }
        }
        let mut changed: Vec<(Pair, i64)> = delta.into_iter().filter(|&(_, d)| d != 0).collect();
        changed.sort_unstable();
        for (p, d) in changed {
            let n = pair_count.entry(p).or_insert(0);
            *n += d;
            if *n > 0 {
                heap.push((*n, Reverse(p)));
            }
        }
        pair_count.remove(&pair);
    }
    Trained {
        tokens,
        types,
        merges,
    }
}
