//! Each distinct failure or flag reason once: table cells and list lines carry a short key
//! (`[1]`), and one "Reasons" section at the end of `report.md` holds each full text once,
//! however many points share it. The full texts stay in `report.json`.

use std::fmt::Write;

/// A flag that repeats an agreement note: `agreement: <note>`.
const FLAG_PREFIX: &str = "agreement: ";
/// An agreement note for a verify run that failed: `run failed: <kind>: <message>`.
const RUN_FAILED: &[&str] = &["run failed: ", "baseline run failed: "];

/// The distinct reasons of one report, in order of first use.
#[derive(Debug, Default)]
pub struct Reasons {
    texts: Vec<String>,
}

/// The reason itself, without the wrapper a flag or an agreement note puts around it, so the
/// point's error and the agreement row of the same failure share one key.
fn core(text: &str) -> &str {
    let t = text.trim();
    let t = t.strip_prefix(FLAG_PREFIX).unwrap_or(t);
    for w in RUN_FAILED {
        if let Some(rest) = t.strip_prefix(w) {
            return match rest.split_once(": ") {
                Some((kind, msg))
                    if !kind.is_empty()
                        && kind.chars().all(|c| c.is_ascii_lowercase() || c == '_') =>
                {
                    msg
                }
                _ => rest,
            };
        }
    }
    t
}

impl Reasons {
    /// The key (`[n]`) of `text`, registering it if it is new.
    pub fn key(&mut self, text: &str) -> String {
        let text = core(text);
        let n = match self.texts.iter().position(|t| t == text) {
            Some(i) => i + 1,
            None => {
                self.texts.push(text.to_string());
                self.texts.len()
            }
        };
        format!("[{n}]")
    }

    /// Keys of several reasons, space-separated.
    pub fn keys<'a>(&mut self, texts: impl IntoIterator<Item = &'a String>) -> String {
        texts
            .into_iter()
            .map(|t| self.key(t))
            .collect::<Vec<_>>()
            .join(" ")
    }

    /// The section listing every reason once (empty when there are none).
    pub fn render(&self) -> String {
        let mut s = String::new();
        if self.texts.is_empty() {
            return s;
        }
        let _ = writeln!(s, "\n## Reasons\n");
        for (i, t) in self.texts.iter().enumerate() {
            let _ = writeln!(s, "[{}] {t}\n", i + 1);
        }
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_same_reason_in_different_wrappers_gets_one_key() {
        let mut r = Reasons::default();
        let msg = "backend `ort` is unavailable: library not found; fix: run setup";
        assert_eq!(r.key(msg), "[1]");
        assert_eq!(r.key(&format!("run failed: unavailable: {msg}")), "[1]");
        assert_eq!(r.key("agreement: f32 disagrees: 3 of 4"), "[2]");
        assert_eq!(r.key("f32 disagrees: 3 of 4"), "[2]");
        assert_eq!(r.key(msg), "[1]");
        let text = r.render();
        assert_eq!(text.matches("is unavailable").count(), 1, "{text}");
        assert!(text.contains("[2] f32 disagrees: 3 of 4"), "{text}");
    }

    #[test]
    fn a_reason_that_starts_with_a_sentence_is_kept_whole() {
        let mut r = Reasons::default();
        r.key("Model file x.gguf: truncated");
        r.key("suspect: decode 900 tok/s is 120% of the ceiling");
        let text = r.render();
        assert!(text.contains("[1] Model file x.gguf: truncated"), "{text}");
        assert!(text.contains("[2] suspect: decode"), "{text}");
        assert!(Reasons::default().render().is_empty());
    }
}
