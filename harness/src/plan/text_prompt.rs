//! A text prompt (`prompt = "In the beginning"`) needs a model with a tokenizer: refuse it at
//! plan time, naming the point and the fix, for a model that has none (synthesized random
//! weights, the mock backend, a file without a vocabulary) instead of failing every point.

use super::{ModelSource, PlanPoint, PromptSpec};

/// What a user can do instead, said once in every refusal.
const FIX: &str = "use a model with a tokenizer (`trained = \"kjv-small\"`, a GGUF file with \
                   an embedded tokenizer.ggml vocabulary, or an ONNX file with tokenizer.json \
                   beside it), or give token ids (`prompt = [1, 2, 3]`) or `prompt_tokens = N`";

/// `Err` with the message when `p` has a text prompt its model cannot tokenize. A file that is
/// not there yet passes: the point then fails with the file's own error.
pub fn check(p: &PlanPoint) -> Result<(), String> {
    if !matches!(p.prompt, PromptSpec::Text(_)) {
        return Ok(());
    }
    let l = &p.label;
    let point = format!("{} {} {}", l.backend, l.model, l.quant);
    let refuse = |why: String| Err(format!("point {point}: a text `prompt` {why}; {FIX}"));
    match &p.source {
        ModelSource::Synth { preset, .. } => refuse(format!(
            "needs a tokenizer, and the synthesized model `{preset}` (random weights) has none"
        )),
        ModelSource::Mock { spec } => refuse(format!(
            "needs a tokenizer, and the mock model `{spec}` has none"
        )),
        ModelSource::File { path } if path.is_file() => {
            match edgebench_tokenizer::Tokenizer::for_model(path) {
                Ok(Some(_)) => Ok(()),
                Ok(None) => refuse(format!(
                    "needs a tokenizer, and model file {} has none",
                    path.display()
                )),
                Err(e) => refuse(format!(
                    "needs a tokenizer, and the one of model file {} cannot be read: {e}",
                    path.display()
                )),
            }
        }
        _ => Ok(()),
    }
}
