//! A text prompt (`prompt = "In the beginning"`) needs a model with a tokenizer: refuse it at
//! plan time, naming the point and the fix, for a model that has none (synthesized random
//! weights, the mock backend, a file without a vocabulary) instead of failing every point.

use edgebench_tokenizer::Tokenizer;
use std::path::Path;

use super::{ModelSource, PlanPoint, PromptSpec};

/// The tokenizer `model` carries; `Err` says that the file has none, or why it cannot be read.
pub fn tokenizer_of(model: &Path) -> Result<Tokenizer, String> {
    match Tokenizer::for_model(model) {
        Ok(Some(t)) => Ok(t),
        Ok(None) => Err(format!("model file {} has no tokenizer", model.display())),
        Err(e) => Err(format!(
            "the tokenizer of model file {} cannot be read: {e}",
            model.display()
        )),
    }
}

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
        ModelSource::File { path } if path.is_file() => match tokenizer_of(path) {
            Ok(_) => Ok(()),
            Err(e) => refuse(format!("needs a tokenizer, and {e}")),
        },
        _ => Ok(()),
    }
}
