//! The "Generated text" section of `report.md`: for each point whose model has a tokenizer, the
//! greedy token ids of its first measured run next to their text, escaped so that markdown
//! shows the text as it is (a `|`, `*` or newline in generated text cannot break the page).

use std::fmt::Write;

use crate::results::{PointResult, PointStatus};

/// `text` with markdown's punctuation backslash-escaped and line breaks shown as `⏎`.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        match c {
            '\n' => out.push_str(" ⏎ "),
            '\r' => {}
            '\\' | '`' | '*' | '_' | '{' | '}' | '[' | ']' | '<' | '>' | '(' | ')' | '#' | '+'
            | '-' | '!' | '|' | '~' => {
                out.push('\\');
                out.push(c);
            }
            c if c.is_control() => out.push('\u{FFFD}'),
            c => out.push(c),
        }
    }
    out
}

/// The section, or nothing when no point has generated text.
pub fn render(points: &[PointResult]) -> String {
    let mut s = String::new();
    let with_text = points
        .iter()
        .filter(|p| p.status == PointStatus::Ok)
        .filter_map(|p| {
            let run = p.runs.first()?;
            Some((p, run, run.text.as_deref()?))
        });
    for (p, run, text) in with_text {
        if s.is_empty() {
            let _ = writeln!(
                s,
                "\n## Generated text (greedy, first measured run)\n\n| point | token ids | text |\n|---|---|---|"
            );
        }
        let ids: Vec<String> = run.tokens.iter().map(u32::to_string).collect();
        let _ = writeln!(
            s,
            "| {} | {} | {} |",
            escape(&p.label.to_string()),
            ids.join(" "),
            escape(text)
        );
    }
    s
}

#[cfg(test)]
mod tests {
    use super::escape;

    #[test]
    fn escape_keeps_tables_and_emphasis_intact() {
        assert_eq!(escape("a|b"), "a\\|b");
        assert_eq!(escape("*God*"), "\\*God\\*");
        assert_eq!(escape("line\nnext"), "line ⏎ next");
        assert_eq!(escape("In the beginning"), "In the beginning");
        assert_eq!(escape("x\u{7}"), "x\u{FFFD}");
    }
}
