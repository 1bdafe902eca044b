//! llama.cpp (llama-cpp-python) on the trained kjv-micro f32 GGUF: it must load the file,
//! tokenize the held-out passage and a text prompt to edgebench's ids, and continue the prompt
//! greedily exactly as the reference engine does (`scripts/check_llamacpp_trained.py`).
//! Skipped with a message when no Python imports `llama_cpp` (`$EDGEBENCH_LLAMACPP_PYTHON`,
//! `python3`, or `.venv-llamacpp` at the repo root).

mod common;

use edgebench_backend::{conformance, pycheck, Backend, LoadOptions, ModelFormat, ModelSpec};
use edgebench_reference::synth::SynthQuant;
use edgebench_reference::ReferenceBackend;
use edgebench_tokenizer::Tokenizer;
use std::path::{Path, PathBuf};

const PROMPT: &str = "In the beginning";
const GREEDY_TOKENS: usize = 24;

fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn llamacpp_python() -> Option<PathBuf> {
    if let Some(p) = std::env::var_os("EDGEBENCH_LLAMACPP_PYTHON") {
        std::env::set_var("EDGEBENCH_PYTHON", p);
    }
    pycheck::find_python(&repo_root(), "llama_cpp, numpy", &[".venv-llamacpp"])
}

#[test]
fn llama_cpp_tokenizes_and_continues_like_edgebench() {
    let Some(py) = llamacpp_python() else {
        eprintln!("SKIPPED check_llamacpp_trained.py: no Python with `llama_cpp` (pip install llama-cpp-python, or set EDGEBENCH_LLAMACPP_PYTHON)");
        return;
    };
    let Some(m) = common::micro() else { return };
    let gguf = m.gguf(SynthQuant::F32).unwrap();
    let tok = Tokenizer::for_model(&gguf)
        .unwrap()
        .expect("the GGUF carries a tokenizer");
    let eval_text = m.eval_text().unwrap();
    let eval_ids = tok.encode(&eval_text, true).unwrap();
    assert_eq!(eval_ids, m.tokenizer.encode(&eval_text, true).unwrap());
    let prompt_ids = tok.encode(PROMPT, true).unwrap();

    let spec = ModelSpec {
        path: gguf.clone(),
        format: ModelFormat::Gguf,
        quant: Some("f32".into()),
    };
    let opts = LoadOptions {
        threads: 1,
        max_seq_len: 64,
    };
    let model = ReferenceBackend.load(&spec, &opts).unwrap();
    let mut session = model.session().unwrap();
    let (greedy, _) = conformance::greedy(session.as_mut(), &prompt_ids, GREEDY_TOKENS).unwrap();
    println!(
        "reference: {PROMPT:?} -> {:?}",
        tok.decode(&greedy).unwrap()
    );

    let dir = tempfile::tempdir().unwrap();
    let expected = dir.path().join("expected.json");
    let doc = serde_json::json!({
        "gguf": gguf, "eval_text": eval_text, "eval_ids": eval_ids,
        "prompt": PROMPT, "prompt_ids": prompt_ids, "greedy_ids": greedy,
    });
    std::fs::write(&expected, doc.to_string()).unwrap();
    pycheck::run_checker(
        &py,
        &repo_root(),
        "scripts/check_llamacpp_trained.py",
        &[expected],
    );
}
