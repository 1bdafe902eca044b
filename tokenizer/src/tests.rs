//! Round trips: train → encode → decode, GGUF metadata and tokenizer.json back to the same
//! tokenizer.

use super::*;

const TEXT: &str = "In the beginning God created the heaven and the earth.\n\
And the earth was without form, and void; and darkness was upon the face of the deep.\n\
And God said, Let there be light: and there was light.\n\
And God saw the light, that it was good: and God divided the light from the darkness.\n";

fn trained() -> Tokenizer {
    Tokenizer::train(&TEXT.repeat(3), 400)
}

#[test]
fn training_merges_frequent_words_and_is_deterministic() {
    let t = trained();
    assert!(t.merge_count() > 40, "{}", t.merge_count());
    assert_eq!(t.vocab_size(), 258 + t.merge_count());
    let ids = t.encode(" the earth", false).unwrap();
    assert_eq!(ids.len(), 2, "{ids:?}");
    assert_eq!(t.token(ids[0]), Some("Ġthe"));
    let again = trained();
    assert_eq!(again.gguf_metadata(), t.gguf_metadata());
}

#[test]
fn decode_inverts_encode_on_any_text() {
    let t = trained();
    for s in [TEXT, "héllo wörld  \t\n\n x", "€ 12,345 'll'd", ""] {
        let ids = t.encode(s, true).unwrap();
        assert_eq!(ids.first(), Some(&0));
        assert_eq!(t.decode(&ids).unwrap(), s);
    }
    assert!(matches!(
        t.decode(&[100_000]),
        Err(TokenizerError::UnknownId { id: 100_000, .. })
    ));
}

#[test]
fn gguf_metadata_round_trips() {
    let t = trained();
    let meta = t.gguf_metadata();
    let get = |k: &str| meta.iter().find(|(key, _)| key == k).map(|(_, v)| v);
    let back = gguf::from_metadata(&get, Path::new("m.gguf"))
        .unwrap()
        .unwrap();
    assert_eq!(back.gguf_metadata(), meta);
    assert_eq!(
        back.encode(TEXT, true).unwrap(),
        t.encode(TEXT, true).unwrap()
    );
    assert_eq!((back.bos_id(), back.eos_id()), (Some(0), Some(1)));
    let none = |_: &str| None;
    assert!(gguf::from_metadata(&none, Path::new("m.gguf"))
        .unwrap()
        .is_none());
}

#[test]
fn tokenizer_json_round_trips_beside_an_onnx_file() {
    let t = trained();
    let d = tempfile::tempdir().unwrap();
    let onnx = d.path().join("model.onnx");
    assert!(Tokenizer::for_model(&onnx).unwrap().is_none());
    t.write_hf_json(&d.path().join("tokenizer.json")).unwrap();
    let back = Tokenizer::for_model(&onnx).unwrap().unwrap();
    assert_eq!(back.gguf_metadata(), t.gguf_metadata());
    let e = Tokenizer::from_hf_json_file(&d.path().join("missing.json")).unwrap_err();
    assert!(e.to_string().contains("missing.json"), "{e}");
}

#[test]
fn an_unknown_vocabulary_model_is_reported_as_unsupported() {
    let tokens = MetaValueArray::strings(["<unk>"]);
    let model = edgebench_reference::gguf::MetaValue::String("bert".into());
    let get = |k: &str| match k {
        "tokenizer.ggml.tokens" => Some(&tokens),
        "tokenizer.ggml.model" => Some(&model),
        _ => None,
    };
    let e = gguf::from_metadata(&get, Path::new("x.gguf")).unwrap_err();
    assert!(e.to_string().contains("`bert` is not supported"), "{e}");
}

use edgebench_reference::gguf::MetaValue as MetaValueArray;
