//! The SPM algorithm on a hand-made vocabulary: merges by score (leftmost on a tie), byte
//! fallback, spaces, user-defined tokens, decoding, and the GGUF metadata round trip.

use super::*;
use crate::{gguf, Tokenizer, TYPE_CONTROL, TYPE_NORMAL};

/// `<unk>`, `<s>`, `</s>`, the 256 byte tokens, then `pieces` (text, score) as normal tokens
/// and `user` as user-defined ones.
fn vocab_meta(pieces: &[(&str, f32)], user: &[&str]) -> Vec<(String, MetaValue)> {
    let mut tokens = vec!["<unk>".to_string(), "<s>".into(), "</s>".into()];
    let mut scores = vec![0.0, 0.0, 0.0];
    let mut types = vec![TYPE_UNKNOWN, TYPE_CONTROL, TYPE_CONTROL];
    for b in 0..=255u8 {
        tokens.push(format!("<0x{b:02X}>"));
        scores.push(0.0);
        types.push(TYPE_BYTE);
    }
    for (p, s) in pieces {
        tokens.push(p.to_string());
        scores.push(*s);
        types.push(TYPE_NORMAL);
    }
    for u in user {
        tokens.push(u.to_string());
        scores.push(0.0);
        types.push(TYPE_USER_DEFINED);
    }
    vec![
        (
            "tokenizer.ggml.model".into(),
            MetaValue::String("llama".into()),
        ),
        ("tokenizer.ggml.tokens".into(), MetaValue::strings(&tokens)),
        ("tokenizer.ggml.scores".into(), MetaValue::f32s(scores)),
        ("tokenizer.ggml.token_type".into(), MetaValue::i32s(types)),
    ]
}

fn load(meta: &[(String, MetaValue)]) -> Tokenizer {
    let get = |k: &str| meta.iter().find(|(key, _)| key == k).map(|(_, v)| v);
    gguf::from_metadata(&get, Path::new("llama.gguf"))
        .unwrap()
        .unwrap()
}

const PIECES: &[(&str, f32)] = &[
    ("▁", -5.0),
    ("h", -6.0),
    ("e", -6.0),
    ("l", -6.0),
    ("o", -6.0),
    ("a", -6.0),
    ("b", -6.0),
    ("é", -6.0),
    ("▁h", -1.0),
    ("he", -2.0),
    ("ll", -1.5),
    ("lo", -3.0),
    ("▁he", -0.5),
    ("llo", -1.0),
    ("▁hello", -0.1),
    ("▁a", -1.0),
    ("ab", -1.0),
    ("▁▁", -2.0),
];

fn tok() -> Tokenizer {
    load(&vocab_meta(PIECES, &["<|user|>"]))
}

fn pieces(t: &Tokenizer, text: &str) -> Vec<String> {
    t.encode(text, false)
        .unwrap()
        .iter()
        .map(|&id| t.token(id).unwrap().to_string())
        .collect()
}

#[test]
fn merges_follow_scores_through_intermediate_tokens() {
    let t = tok();
    assert!(t.is_spm());
    assert_eq!(pieces(&t, "hello"), ["▁hello"]);
    // `he` (-2) would merge before `▁h` (-1) if ranks were ascending; `▁h` wins on score.
    assert_eq!(pieces(&t, "hell"), ["▁he", "ll"]);
    assert_eq!(pieces(&t, "lo"), ["▁", "lo"]);
}

#[test]
fn equal_scores_merge_the_leftmost_pair() {
    let t = tok();
    // `▁a` and `ab` both score -1: the leftmost (`▁a`) merges, `b` stays alone.
    assert_eq!(pieces(&t, "ab"), ["▁a", "b"]);
}

#[test]
fn characters_outside_the_vocabulary_fall_back_to_bytes() {
    let t = tok();
    assert_eq!(pieces(&t, "é€"), ["▁", "é", "<0xE2>", "<0x82>", "<0xAC>"]);
    assert_eq!(pieces(&t, "\n"), ["▁", "<0x0A>"]);
    assert_eq!(pieces(&t, "日"), ["▁", "<0xE6>", "<0x97>", "<0xA5>"]);
}

#[test]
fn spaces_become_the_marker_with_one_prefix_space() {
    let t = tok();
    // `▁h` (-1) outscores `▁▁` (-2), so the second marker joins the word.
    assert_eq!(pieces(&t, " hello"), ["▁", "▁hello"]);
    assert_eq!(pieces(&t, "a  "), ["▁a", "▁▁"]);
    let ids = t.encode("hello", true).unwrap();
    assert_eq!(ids[0], 1, "BOS first: {ids:?}");
    assert_eq!(t.encode("", true).unwrap(), [1]);
    assert!(t.encode("", false).unwrap().is_empty());
}

#[test]
fn user_defined_tokens_are_cut_out_and_the_text_after_them_gets_a_prefix_space() {
    let t = tok();
    assert_eq!(
        pieces(&t, "ab<|user|>hello"),
        ["▁a", "b", "<|user|>", "▁hello"]
    );
    assert_eq!(pieces(&t, "<|user|>"), ["<|user|>"]);
    // Control tokens are not parsed from text: `<s>` is spelled out in bytes.
    assert_eq!(pieces(&t, "<s>")[0], "▁");
    assert!(!t.encode("<s>", false).unwrap().contains(&1));
}

#[test]
fn decode_inverts_encode_and_drops_the_prefix_space() {
    let t = tok();
    for s in [
        "hello",
        " hello",
        "ab  ab ",
        "é€ 日本\n\tx",
        "a<|user|>",
        "",
        "  ",
    ] {
        let ids = t.encode(s, true).unwrap();
        assert_eq!(t.decode(&ids).unwrap(), s, "{ids:?}");
        let ids = t.encode(s, false).unwrap();
        assert_eq!(t.decode(&ids).unwrap(), s, "{ids:?}");
    }
    // As in llama.cpp, text after a user-defined token gets a prefix space, which decodes.
    let ids = t.encode("a<|user|>b", true).unwrap();
    assert_eq!(t.decode(&ids).unwrap(), "a<|user|> b");
    // Control and unknown tokens print nothing; a byte sequence cut short is U+FFFD.
    assert_eq!(t.decode(&[1, 0, 2]).unwrap(), "");
    assert_eq!(t.decode(&[3 + 0xE2]).unwrap(), "\u{FFFD}");
    assert!(matches!(
        t.decode(&[100_000]),
        Err(TokenizerError::UnknownId { id: 100_000, .. })
    ));
}

#[test]
fn without_add_space_prefix_no_space_is_added_or_removed() {
    let mut meta = vocab_meta(PIECES, &[]);
    meta.push((
        "tokenizer.ggml.add_space_prefix".into(),
        MetaValue::Bool(false),
    ));
    let t = load(&meta);
    // `ll` (-1.5) before `he` (-2), then `llo` (-1), then `he`.
    assert_eq!(pieces(&t, "hello"), ["he", "llo"]);
    assert_eq!(pieces(&t, " hello"), ["▁hello"]);
    let ids = t.encode(" hello", true).unwrap();
    assert_eq!(t.decode(&ids).unwrap(), " hello");
}

#[test]
fn a_missing_byte_token_becomes_unknown() {
    let mut meta = vocab_meta(PIECES, &[]);
    let MetaValue::Array(MetaArray::String(toks)) = &meta[1].1 else {
        unreachable!()
    };
    let toks: Vec<String> = toks
        .iter()
        .map(|t| {
            if t == "<0xE2>" {
                "<0xE2x>".into()
            } else {
                t.to_string()
            }
        })
        .collect();
    let types: Vec<i32> = toks
        .iter()
        .enumerate()
        .map(|(i, t)| match i {
            0 => TYPE_UNKNOWN,
            1 | 2 => TYPE_CONTROL,
            _ if t.starts_with("<0x") && t.len() == 6 => TYPE_BYTE,
            _ => TYPE_NORMAL,
        })
        .collect();
    meta[1].1 = MetaValue::strings(&toks);
    meta[3].1 = MetaValue::i32s(types);
    let t = load(&meta);
    assert_eq!(pieces(&t, "€"), ["▁", "<unk>", "<0x82>", "<0xAC>"]);
}

#[test]
fn gguf_metadata_round_trips_with_llama_defaults() {
    let t = tok();
    assert_eq!((t.bos_id(), t.eos_id()), (Some(1), Some(2)));
    let meta = t.gguf_metadata();
    let back = load(&meta);
    assert_eq!(back.gguf_metadata(), meta);
    assert_eq!(
        back.encode("hello ab", true).unwrap(),
        t.encode("hello ab", true).unwrap()
    );
    assert_eq!(t.merge_count(), 0);
    assert!(matches!(t.to_hf_json(), Err(TokenizerError::NotBpe)));
}

#[test]
fn inconsistent_llama_metadata_names_the_file_and_the_problem() {
    let mut meta = vocab_meta(PIECES, &[]);
    meta[2].1 = MetaValue::f32s([0.0; 3]);
    let get = |k: &str| meta.iter().find(|(key, _)| key == k).map(|(_, v)| v);
    let e = gguf::from_metadata(&get, Path::new("short.gguf")).unwrap_err();
    assert!(
        e.to_string().contains("short.gguf") && e.to_string().contains("tokenizer.ggml.scores"),
        "{e}"
    );
    let mut meta = vocab_meta(&[("hi", 0.0), ("hi", 0.0)], &[]);
    meta.truncate(2);
    let get = |k: &str| meta.iter().find(|(key, _)| key == k).map(|(_, v)| v);
    let e = gguf::from_metadata(&get, Path::new("dup.gguf")).unwrap_err();
    assert!(e.to_string().contains("duplicate token `hi`"), "{e}");
}
