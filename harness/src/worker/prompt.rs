//! Prompt token ids: deterministic random ids (the same seed, length and vocabulary give the
//! same prompt on every backend and machine), and text through the model's own tokenizer
//! ([`resolve_prompt`]), whose generated ids are decoded back to text for the report
//! ([`decode_runs`]).

use edgebench_tokenizer::Tokenizer;
use rand::{Rng, SeedableRng};
use std::path::Path;

use crate::plan::{tokenizer_of, PromptSpec};
use crate::results::RunRecord;

/// The prompt as the worker feeds it: text becomes the token ids of `model`'s tokenizer, BOS
/// first when the tokenizer has one (the trained models' files say `add_bos_token = true`
/// exactly then, as llama.cpp reads it); ids and random prompts stay as they are. The error
/// names the file and the fix.
pub fn resolve_prompt(spec: &PromptSpec, model: &Path) -> Result<PromptSpec, String> {
    let PromptSpec::Text(text) = spec else {
        return Ok(spec.clone());
    };
    let tokenizer = tokenizer_of(model).map_err(|e| {
        format!(
            "{e}, so the text prompt cannot be encoded; give token ids (`prompt = [1, 2, 3]`) \
             or `prompt_tokens = N`, or use a model with a tokenizer"
        )
    })?;
    let ids = tokenizer
        .encode(text, tokenizer.bos_id().is_some())
        .map_err(|e| format!("encoding the text prompt with {}: {e}", model.display()))?;
    if ids.is_empty() {
        return Err(format!(
            "the text prompt encodes to no tokens with {}'s tokenizer; give more text",
            model.display()
        ));
    }
    Ok(PromptSpec::Explicit(ids))
}

/// Fill each run's `text` with its generated tokens decoded by `model`'s tokenizer; runs stay
/// without text when the model has none (or the file cannot be read any more).
pub fn decode_runs(runs: &mut [RunRecord], model: &Path) {
    if runs.is_empty() {
        return;
    }
    let Ok(Some(tokenizer)) = Tokenizer::for_model(model) else {
        return;
    };
    for r in runs {
        r.text = tokenizer.decode(&r.tokens).ok();
    }
}

/// `n` ids in `[first, vocab)`, where `first` skips the conventional special tokens
/// (<unk>, <s>, </s>) when the vocabulary is large enough.
pub fn prompt_ids(seed: u64, n: usize, vocab: usize) -> Vec<u32> {
    let first = if vocab > 8 { 3 } else { 0 };
    let mut rng = rand_pcg::Pcg64Mcg::seed_from_u64(seed ^ 0x005E_ED0F_7E57);
    (0..n)
        .map(|_| rng.random_range(first..vocab.max(first + 1)) as u32)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::prompt_ids;

    #[test]
    fn deterministic_and_in_range() {
        let a = prompt_ids(42, 100, 32000);
        assert_eq!(a, prompt_ids(42, 100, 32000));
        assert_ne!(a, prompt_ids(43, 100, 32000));
        assert!(a.iter().all(|&t| (3..32000).contains(&t)));
        assert!(prompt_ids(1, 5, 2).iter().all(|&t| t < 2));
    }
}
