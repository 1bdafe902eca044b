//! Text prompts and the verify gate's held-out-text quality, end to end on the reference
//! engine: a small GGUF with an embedded byte-level BPE vocabulary (random weights: the figures
//! are not good, but they are real and checkable), a `prompt = "..."` scenario, `eval_text`,
//! and what report.json and report.md then say; a text prompt on a model without a tokenizer is
//! refused before anything runs; an agreement row from before passage metrics still loads.

use assert_cmd::Command;
use edgebench_reference::synth::{generate, write_gguf_with_vocab, Preset, SynthQuant};
use edgebench_tokenizer::Tokenizer;
use std::path::{Path, PathBuf};

const TEXT: &str = "In the beginning God created the heaven and the earth. And the earth was \
                    without form, and void; and darkness was upon the face of the deep. And the \
                    Spirit of God moved upon the face of the waters. And God said, Let there be \
                    light: and there was light.";

/// The tiny preset's shape with a vocabulary trained on [`TEXT`], written at `quant`.
fn model_with_tokenizer(dir: &Path, quant: SynthQuant) -> PathBuf {
    let tok = Tokenizer::train(TEXT, 300);
    let mut c = Preset::Tiny.config();
    c.vocab_size = tok.vocab_size();
    let path = dir.join(format!("tok-{}.gguf", quant.name()));
    write_gguf_with_vocab(&generate(&c, 7), quant, &tok.gguf_metadata(), &path).unwrap();
    path
}

/// The passage's perplexity computed here, independently of the gate: the reference engine in
/// this process, teacher-forced over the one window the passage fits in, exp(mean −log p(next
/// token)) over the second half of the window, as llama.cpp scores it.
fn perplexity_in_process(file: &Path, ids: &[u32]) -> f64 {
    use edgebench_backend::agreement::{log_softmax, teacher_forced};
    use edgebench_backend::{Backend, LoadOptions, ModelFormat, ModelSpec};
    let spec = ModelSpec {
        path: file.to_path_buf(),
        format: ModelFormat::Gguf,
        quant: None,
    };
    let opts = LoadOptions {
        threads: 1,
        max_seq_len: ids.len() + 2,
    };
    let model = edgebench_reference::ReferenceBackend
        .load(&spec, &opts)
        .unwrap();
    let mut session = model.session().unwrap();
    let rows = teacher_forced(session.as_mut(), &ids[..1], &ids[1..ids.len() - 1]).unwrap();
    let first = ids.len() / 2;
    let nll: f64 = rows[first..]
        .iter()
        .zip(&ids[first + 1..])
        .map(|(row, &t)| -log_softmax(row)[t as usize])
        .sum();
    (nll / (ids.len() - 1 - first) as f64).exp()
}

fn run(dir: &Path, scenario: &str) -> (serde_json::Value, String) {
    let path = dir.join("s.toml");
    std::fs::write(&path, scenario).unwrap();
    let out = dir.join("out");
    Command::cargo_bin("edgebench")
        .unwrap()
        .args(["run", "--no-calibration", "-q", "--out"])
        .arg(&out)
        .arg(&path)
        .assert()
        .success();
    let json = std::fs::read_to_string(out.join("report.json")).unwrap();
    let md = std::fs::read_to_string(out.join("report.md")).unwrap();
    (serde_json::from_str(&json).unwrap(), md)
}

#[test]
fn text_prompt_and_passage_perplexity_on_a_model_with_a_tokenizer() {
    let dir = tempfile::tempdir().unwrap();
    let f32_file = model_with_tokenizer(dir.path(), SynthQuant::F32);
    std::fs::write(dir.path().join("passage.txt"), TEXT).unwrap();
    let scenario = format!(
        "name = \"t\"\nbackends = [\"reference\"]\nprompt = \"In the beginning\"\ngen_tokens = 4\n\
         repetitions = 1\nwarmup = 0\nverify = true\n\
         [[models]]\npath = \"{}\"\nquant = \"f32\"\neval_text = \"passage.txt\"\n",
        f32_file.display()
    );
    let (r, md) = run(dir.path(), &scenario);
    let tok = Tokenizer::for_model(&f32_file).unwrap().unwrap();
    let want_prompt = tok.encode("In the beginning", true).unwrap();
    let p = &r["points"][0];
    assert_eq!(p["status"], "ok", "{p}");
    assert_eq!(p["label"]["prompt_tokens"], want_prompt.len());
    let run0 = &p["runs"][0];
    let ids: Vec<u32> = serde_json::from_value(run0["tokens"].clone()).unwrap();
    assert_eq!(ids.len(), 4);
    let text = run0["text"]
        .as_str()
        .expect("generated text in report.json");
    assert_eq!(text, tok.decode(&ids).unwrap());
    assert!(md.contains("## Generated text"), "{md}");

    // The passage: BOS + the text, shorter than the context (256), so one window whose second
    // half is scored; the file is its own baseline, so ΔPPL and KL are 0 and top-1 is 100%.
    // The greedy gate ran on the encoded text prompt too: prefill + 32 steps compared.
    let a = &r["agreement"]["rows"][0]["agreement"];
    assert_eq!(a["positions"], 33, "{a}");
    let q = &r["agreement"]["rows"][0]["passage"];
    let ids = tok.encode(TEXT, true).unwrap();
    assert!(ids.len() < 256, "one window: {}", ids.len());
    assert_eq!(q["eval_tokens"], ids.len() - 1 - ids.len() / 2, "{q}");
    let ppl = q["perplexity"].as_f64().unwrap();
    let want = perplexity_in_process(&f32_file, &ids);
    assert!(
        (ppl - want).abs() <= 1e-9 * want,
        "{ppl} vs {want} computed in process"
    );
    assert_eq!(q["delta_perplexity_vs_f32"], 0.0);
    assert_eq!(q["kl_mean_nats"], 0.0);
    assert_eq!(q["top1_agreement"], 1.0);
    assert!(q["reason"].is_null());
    assert!(md.contains("| PPL | ΔPPL vs f32 |"), "{md}");
    assert!(md.contains(&format!("{ppl:.3}")), "{md}");
}

#[test]
fn a_quantized_file_scores_against_its_own_baseline_and_without_passage_says_why() {
    let dir = tempfile::tempdir().unwrap();
    let q8 = model_with_tokenizer(dir.path(), SynthQuant::Q8_0);
    // No eval_text: perplexity is null with the fix in the reason, and token-id prompts work.
    let scenario = format!(
        "name = \"t\"\nbackends = [\"reference\"]\nprompt = [5, 6, 7]\ngen_tokens = 2\n\
         repetitions = 1\nwarmup = 0\nverify = true\n[[models]]\npath = \"{}\"\nquant = \"q8_0\"\n",
        q8.display()
    );
    let (r, md) = run(dir.path(), &scenario);
    assert_eq!(r["points"][0]["label"]["prompt_tokens"], 3);
    let q = &r["agreement"]["rows"][0]["passage"];
    assert!(q["perplexity"].is_null());
    assert!(q["reason"].as_str().unwrap().contains("eval_text"), "{q}");
    assert!(md.contains("Perplexity on held-out text: n/a"), "{md}");
}

#[test]
fn a_text_prompt_on_a_model_without_tokenizer_is_refused_with_the_fix() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("s.toml");
    std::fs::write(
        &path,
        "name = \"t\"\nbackends = [\"reference\"]\nprompt = \"In the beginning\"\ngen_tokens = 2\n\
         [[models]]\nsynth = \"tiny\"\n",
    )
    .unwrap();
    let out = Command::cargo_bin("edgebench")
        .unwrap()
        .args(["run", "--no-calibration", "-q", "--out"])
        .arg(dir.path().join("out"))
        .arg(&path)
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("s.toml"), "names the file: {err}");
    assert!(
        err.contains("point reference tiny f32"),
        "names the point: {err}"
    );
    assert!(err.contains("has none"), "says what is missing: {err}");
    assert!(err.contains("prompt_tokens = N"), "says the fix: {err}");
}
