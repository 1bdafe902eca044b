//! The GPT-2 pre-tokenizer: text is cut into words by GPT-2's regex before BPE runs, so no
//! token spans a word boundary. llama.cpp applies the same split for `tokenizer.ggml.pre =
//! "gpt-2"` (its hand-written `unicode_regex_split_custom_gpt2`, including the trailing `\s+`),
//! and Hugging Face's `ByteLevel` pre-tokenizer with `use_regex: true` uses this exact pattern.

use fancy_regex::Regex;

/// GPT-2's pattern, verbatim.
pub const GPT2_PATTERN: &str =
    r"'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+";

/// A compiled GPT-2 splitter.
#[derive(Debug, Clone)]
pub struct PreTokenizer {
    re: Regex,
}

impl PreTokenizer {
    pub fn gpt2() -> Self {
        PreTokenizer {
            re: Regex::new(GPT2_PATTERN).expect("the GPT-2 pattern compiles"),
        }
    }

    /// The words of `text`, in order; together they are exactly `text`.
    pub fn split<'t>(&self, text: &'t str) -> Vec<&'t str> {
        let mut out = Vec::new();
        let mut at = 0;
        for m in self.re.find_iter(text) {
            // Every character is matched by some alternative, so matches are contiguous; a
            // backtrack-limit error (not reachable with this pattern) keeps the rest whole.
            let Ok(m) = m else { break };
            out.push(m.as_str());
            at = m.end();
        }
        if at < text.len() {
            out.push(&text[at..]);
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_like_gpt2() {
        let p = PreTokenizer::gpt2();
        assert_eq!(
            p.split("In the beginning God's  word, 12 x\n\nAnd  "),
            vec![
                "In",
                " the",
                " beginning",
                " God",
                "'s",
                " ",
                " word",
                ",",
                " 12",
                " x",
                "\n",
                "\n",
                "And",
                "  "
            ]
        );
        assert_eq!(p.split(""), Vec::<&str>::new());
        assert_eq!(p.split("héllo wörld"), vec!["héllo", " wörld"]);
    }
}
