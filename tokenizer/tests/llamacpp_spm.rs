//! llama.cpp (llama-cpp-python) against edgebench on a llama (SentencePiece) vocabulary: a
//! tiny GGUF with a few hundred scored tokens (the 256 byte tokens, `<unk>`, `<s>`, `</s>`, a
//! user-defined token) is tokenized by both (`scripts/check_llamacpp_spm.py`); every string's
//! ids must be identical, edgebench's decode of llama.cpp's ids must equal llama-cpp-python's
//! detokenize, and decode must invert encode. Skipped with a message when no Python imports
//! `llama_cpp` (`$EDGEBENCH_LLAMACPP_PYTHON`, `python3`, or `.venv-llamacpp` at the repo root).

use edgebench_reference::gguf::MetaValue;
use edgebench_reference::synth::{generate, write_gguf_with_vocab, Preset, SynthQuant};
use edgebench_tokenizer::{Tokenizer, TYPE_BYTE, TYPE_CONTROL, TYPE_NORMAL, TYPE_UNKNOWN};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

const CORPUS: &str = "In the beginning God created the heaven and the earth. And the earth was \
without form, and void; and darkness was upon the face of the deep. And the Spirit of God moved \
upon the face of the waters. And God said, Let there be light: and there was light. The quick \
brown fox jumps over the lazy dog; café, naïve, résumé, 日本 and 1234567890!";

const USER_TOKEN: &str = "<|user|>";

/// The strings both tokenize: ASCII, leading/double/trailing spaces, newlines and tabs,
/// accented and CJK text (some characters in the vocabulary, some not), emoji that need byte
/// fallback, control-token text (not parsed), a user-defined token, the empty string.
const STRINGS: &[&str] = &[
    "In the beginning",
    "In the beginning God created the heaven and the earth.",
    "the earth",
    " leading space",
    "  two leading spaces",
    "double  space and   triple",
    "trailing space ",
    "trailing spaces   ",
    " ",
    "   ",
    "\n",
    "line one\nline two\n\nline four",
    "tab\tseparated\tvalues",
    "café naïve résumé",
    "Ångström déjà vu",
    "日本",
    "日本語のテキスト",
    "emoji 🙂 and 🚀!",
    "🙂",
    "mixed: é € 日 ∑ ☃",
    "<s>not a control token</s>",
    "numbers 1234567890 and 3.14159",
    "a",
    "And God said, Let there be light: and there was light.",
    "The quick brown fox jumps over the lazy dog",
    "before<|user|>after",
    "",
];

fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// The first of `$EDGEBENCH_LLAMACPP_PYTHON`, `python3` and `.venv-llamacpp/bin/python` that
/// imports `llama_cpp`.
fn llamacpp_python() -> Option<PathBuf> {
    let mut candidates: Vec<PathBuf> = std::env::var_os("EDGEBENCH_LLAMACPP_PYTHON")
        .map(PathBuf::from)
        .into_iter()
        .collect();
    candidates.push("python3".into());
    candidates.push(repo_root().join(".venv-llamacpp/bin/python"));
    candidates.into_iter().find(|py| {
        Command::new(py)
            .args(["-c", "import llama_cpp"])
            .output()
            .is_ok_and(|o| o.status.success())
    })
}

/// A llama vocabulary: `<unk>`, `<s>`, `</s>`, the byte tokens, the corpus's characters, and
/// its most frequent word pieces (`▁`-prefixed substrings of 2 to 6 characters) with scores
/// that fall by one every 8 pieces (so equal scores compete), `▁▁`/`▁▁▁`, and a user-defined
/// token. `€`, `∑`, `☃`, `語` and the emoji are not in it: they fall back to bytes.
fn vocab() -> Vec<(String, MetaValue)> {
    let mut tokens = vec!["<unk>".to_string(), "<s>".into(), "</s>".into()];
    let mut scores = vec![0.0f32; 3];
    let mut types = vec![TYPE_UNKNOWN, TYPE_CONTROL, TYPE_CONTROL];
    for b in 0..=255u8 {
        tokens.push(format!("<0x{b:02X}>"));
        scores.push(0.0);
        types.push(TYPE_BYTE);
    }
    let mut chars: Vec<char> = CORPUS.chars().filter(|c| *c != ' ').collect();
    chars.extend(['▁', '\n', 'Å', 'ö', 'à', '.', 'T', 'Q']);
    chars.sort();
    chars.dedup();
    for c in chars {
        tokens.push(c.to_string());
        scores.push(-1000.0);
        types.push(TYPE_NORMAL);
    }
    let mut counts: BTreeMap<String, usize> = BTreeMap::new();
    for w in CORPUS.split(' ') {
        let w: Vec<char> = format!("▁{w}").chars().collect();
        for len in 2..=6 {
            for s in w.windows(len) {
                *counts.entry(s.iter().collect()).or_default() += 1;
            }
        }
    }
    let mut pieces: Vec<(String, usize)> = counts.into_iter().collect();
    pieces.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
    let mut extra = vec!["▁▁".to_string(), "▁▁▁".into()];
    extra.extend(pieces.into_iter().take(300).map(|(p, _)| p));
    for (rank, p) in extra.into_iter().enumerate() {
        if !tokens.contains(&p) {
            tokens.push(p);
            scores.push(-((rank / 8) as f32));
            types.push(TYPE_NORMAL);
        }
    }
    tokens.push(USER_TOKEN.into());
    scores.push(0.0);
    types.push(edgebench_tokenizer::TYPE_USER_DEFINED);
    vec![
        (
            "tokenizer.ggml.model".into(),
            MetaValue::String("llama".into()),
        ),
        ("tokenizer.ggml.tokens".into(), MetaValue::strings(&tokens)),
        ("tokenizer.ggml.scores".into(), MetaValue::f32s(scores)),
        ("tokenizer.ggml.token_type".into(), MetaValue::i32s(types)),
        ("tokenizer.ggml.bos_token_id".into(), MetaValue::U32(1)),
        ("tokenizer.ggml.eos_token_id".into(), MetaValue::U32(2)),
        ("tokenizer.ggml.unknown_token_id".into(), MetaValue::U32(0)),
        ("tokenizer.ggml.add_bos_token".into(), MetaValue::Bool(true)),
        (
            "tokenizer.ggml.add_eos_token".into(),
            MetaValue::Bool(false),
        ),
    ]
}

#[test]
fn llama_cpp_tokenizes_a_llama_vocabulary_like_edgebench() {
    let dir = tempfile::tempdir().unwrap();
    let meta = vocab();
    let n_tokens = match &meta[1].1 {
        MetaValue::Array(a) => a.len(),
        _ => unreachable!(),
    };
    let mut c = Preset::Tiny.config();
    c.vocab_size = n_tokens;
    let gguf = dir.path().join("spm-tiny.gguf");
    write_gguf_with_vocab(&generate(&c, 7), SynthQuant::F32, &meta, &gguf).unwrap();

    // Our side needs no llama.cpp: the file reads back as a llama vocabulary that inverts.
    let tok = Tokenizer::for_model(&gguf)
        .unwrap()
        .expect("the GGUF carries a vocabulary");
    assert!(tok.is_spm());
    assert_eq!(tok.vocab_size(), n_tokens);
    let ours: Vec<Vec<u32>> = STRINGS
        .iter()
        .map(|s| tok.encode(s, true).unwrap())
        .collect();
    for (s, ids) in STRINGS.iter().zip(&ours) {
        // Text after a user-defined token gets llama.cpp's prefix space back.
        let want = s.replace(USER_TOKEN, &format!("{USER_TOKEN} "));
        assert_eq!(tok.decode(ids).unwrap(), want, "{s:?}: {ids:?}");
    }

    let Some(py) = llamacpp_python() else {
        eprintln!("SKIPPED check_llamacpp_spm.py: no Python with `llama_cpp` (pip install llama-cpp-python, or set EDGEBENCH_LLAMACPP_PYTHON)");
        return;
    };
    let input = dir.path().join("input.json");
    let output = dir.path().join("output.json");
    std::fs::write(
        &input,
        serde_json::json!({"gguf": gguf, "strings": STRINGS}).to_string(),
    )
    .unwrap();
    let run = Command::new(&py)
        .arg(repo_root().join("scripts/check_llamacpp_spm.py"))
        .args([&input, &output])
        .output()
        .unwrap_or_else(|e| panic!("run check_llamacpp_spm.py with {}: {e}", py.display()));
    let log = format!(
        "{}{}",
        String::from_utf8_lossy(&run.stdout),
        String::from_utf8_lossy(&run.stderr)
    );
    println!("{log}");
    assert!(run.status.success(), "check_llamacpp_spm.py failed:\n{log}");
    let theirs: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&output).unwrap()).unwrap();
    assert_eq!(
        theirs["vocab_type"], 1,
        "llama.cpp did not read an SPM vocabulary"
    );
    let their_ids: Vec<Vec<u32>> = serde_json::from_value(theirs["ids"].clone()).unwrap();
    let their_text: Vec<String> = serde_json::from_value(theirs["text"].clone()).unwrap();
    let mut diffs = vec![];
    for (i, s) in STRINGS.iter().enumerate() {
        if ours[i] != their_ids[i] {
            diffs.push(format!(
                "{s:?}: llama.cpp {:?} vs edgebench {:?}",
                their_ids[i], ours[i]
            ));
        }
        let decoded = tok.decode(&their_ids[i]).unwrap();
        if decoded != their_text[i] {
            diffs.push(format!(
                "{s:?}: llama-cpp-python detokenizes to {:?}, edgebench decodes {decoded:?}",
                their_text[i]
            ));
        }
    }
    assert!(
        diffs.is_empty(),
        "{} differences:\n{}",
        diffs.len(),
        diffs.join("\n")
    );
    println!(
        "llama.cpp and edgebench agree on all {} strings ({n_tokens}-token vocabulary)",
        STRINGS.len()
    );
}
