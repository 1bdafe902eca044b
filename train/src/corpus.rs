//! The training text: the King James Bible from Debian's `bible-kjv` packages (public domain),
//! fetched once through apt's own client (`apt-get download`, no root), sha256-pinned and kept
//! in the per-user cache; `EDGEBENCH_CORPUS=/path/to/text` replaces it (a board without apt).
//!
//! Preparation: each verse is one line, `Ge1:1 In the beginning ...`. The reference prefix is
//! stripped: it is not prose, a third of the tokens would go to predicting verse numbers, and a
//! prompt like "In the beginning" should meet the text it was trained on. The held-out split is
//! the trailing whole books holding at least 5% of the text (Hebrews to Revelation), so no
//! validation verse shares a book with a training verse. A text without verse references is
//! split at the line that leaves the last 5% of its bytes held out.

use crate::TrainError;
use sha2::{Digest, Sha256};
use std::path::{Path, PathBuf};
use std::process::Command;

/// sha256 of `bible -f "gen1:1-rev22:21"` from bible-kjv 4.38 (4,404,412 bytes).
pub const KJV_SHA256: &str = "cd45f0c9cedab8e4439bd6486c8952c77cc8b0ecc5d1f6ae3513f2039f47229d";
/// Fraction of the text held out for validation.
pub const HELD_OUT_FRACTION: f64 = 0.05;
/// Bytes of held-out text in the evaluation passage (cut at a line end).
pub const EVAL_PASSAGE_BYTES: usize = 4096;

/// A corpus as read, with where it came from.
#[derive(Debug, Clone)]
pub struct Corpus {
    pub text: String,
    pub sha256: String,
    /// "bible-kjv (Debian), cached at ..." or the `EDGEBENCH_CORPUS` path.
    pub source: String,
}

/// The corpus cut for training.
#[derive(Debug, Clone, PartialEq)]
pub struct Split {
    pub train: String,
    pub valid: String,
    /// How the split was made, for the report.
    pub how: String,
}

pub fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

/// Read `path` as the corpus.
pub fn from_file(path: &Path) -> Result<Corpus, TrainError> {
    let text = std::fs::read_to_string(path).map_err(|e| {
        TrainError::Corpus(format!(
            "reading the corpus {}: {e}; point EDGEBENCH_CORPUS (or --corpus) at a UTF-8 text file",
            path.display()
        ))
    })?;
    Ok(Corpus {
        sha256: sha256_hex(text.as_bytes()),
        text,
        source: path.display().to_string(),
    })
}

/// The corpus: `EDGEBENCH_CORPUS` if set, else the cached KJV, fetching it on first use.
pub fn load(cache_root: Option<&Path>) -> Result<Corpus, TrainError> {
    if let Some(p) = std::env::var_os("EDGEBENCH_CORPUS").filter(|v| !v.is_empty()) {
        return from_file(Path::new(&p));
    }
    let Some(root) = cache_root else {
        return Err(TrainError::Corpus(
            "no cache directory for the KJV corpus (neither XDG_CACHE_HOME nor HOME is set); set EDGEBENCH_CORPUS=/path/to/text".into(),
        ));
    };
    let cached = root.join("corpus").join("kjv.txt");
    if let Ok(bytes) = std::fs::read(&cached) {
        if sha256_hex(&bytes) == KJV_SHA256 {
            let text = String::from_utf8(bytes).expect("the pinned text is ASCII");
            return Ok(Corpus {
                text,
                sha256: KJV_SHA256.into(),
                source: format!("bible-kjv (Debian), cached at {}", cached.display()),
            });
        }
    }
    let text = fetch_kjv()?;
    let dir = cached.parent().expect("has a parent");
    let io = |e: std::io::Error| TrainError::Io {
        path: cached.clone(),
        source: e,
    };
    std::fs::create_dir_all(dir).map_err(io)?;
    let tmp = dir.join(format!(".kjv-{}.txt", std::process::id()));
    std::fs::write(&tmp, &text).map_err(io)?;
    std::fs::rename(&tmp, &cached).map_err(io)?;
    Ok(Corpus {
        text,
        sha256: KJV_SHA256.into(),
        source: format!("bible-kjv (Debian), fetched into {}", cached.display()),
    })
}

fn run(cmd: &mut Command, what: &str) -> Result<Vec<u8>, TrainError> {
    let fix = "when apt cannot locate the package, its package lists are empty: run `sudo apt-get update` once and retry; without apt, install the text with `apt-get install bible-kjv` elsewhere and set EDGEBENCH_CORPUS=/path/to/kjv.txt (the output of `bible -f \"gen1:1-rev22:21\"`)";
    let out = cmd
        .output()
        .map_err(|e| TrainError::Corpus(format!("{what}: {e}; {fix}")))?;
    if !out.status.success() {
        return Err(TrainError::Corpus(format!(
            "{what} failed ({}): {}; {fix}",
            out.status,
            String::from_utf8_lossy(&out.stderr).trim()
        )));
    }
    Ok(out.stdout)
}

/// `apt-get download` both packages into a scratch directory, unpack, print the whole text.
fn fetch_kjv() -> Result<String, TrainError> {
    let tmp = tempfile::tempdir().map_err(|e| TrainError::Corpus(format!("scratch dir: {e}")))?;
    let d = tmp.path();
    run(
        Command::new("apt-get")
            .args(["download", "bible-kjv", "bible-kjv-text"])
            .current_dir(d),
        "`apt-get download bible-kjv bible-kjv-text`",
    )?;
    let root = d.join("root");
    let mut debs: Vec<PathBuf> = std::fs::read_dir(d)
        .map_err(|e| TrainError::Corpus(format!("listing {}: {e}", d.display())))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "deb"))
        .collect();
    debs.sort();
    for deb in &debs {
        run(
            Command::new("dpkg-deb").arg("-x").arg(deb).arg(&root),
            &format!("`dpkg-deb -x {}`", deb.display()),
        )?;
    }
    let text = run(
        // `-d` takes a path relative to the working directory (an absolute one is not found).
        Command::new(root.join("usr/bin/bible"))
            .args(["-d", "usr/lib/bible.data", "-f", "gen1:1-rev22:21"])
            .current_dir(&root),
        "running the packaged `bible` program",
    )?;
    let sha = sha256_hex(&text);
    if sha != KJV_SHA256 {
        return Err(TrainError::Corpus(format!(
            "the fetched KJV text has sha256 {sha}, expected {KJV_SHA256} (a different bible-kjv version?); set EDGEBENCH_CORPUS to use it anyway"
        )));
    }
    String::from_utf8(text)
        .map_err(|e| TrainError::Corpus(format!("the KJV text is not UTF-8: {e}")))
}

/// `Ge1:1 In the beginning` → `("Ge", "In the beginning")`; `None` for a line without a
/// reference.
fn split_reference(line: &str) -> Option<(&str, &str)> {
    let (head, rest) = line.split_once(' ')?;
    let book_end = head
        .char_indices()
        .skip(1)
        .find(|(_, c)| c.is_ascii_digit())
        .map(|(i, _)| i)?;
    let (book, cv) = head.split_at(book_end);
    let (c, v) = cv.split_once(':')?;
    let digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    (book.bytes().skip(1).all(|b| b.is_ascii_alphabetic()) && digits(c) && digits(v))
        .then_some((book, rest))
}

/// Strip verse references and hold out the trailing books (see the module docs).
pub fn split(text: &str) -> Split {
    let lines: Vec<&str> = text.lines().filter(|l| !l.trim().is_empty()).collect();
    let parsed: Option<Vec<(&str, &str)>> = lines.iter().map(|l| split_reference(l)).collect();
    let target = (text.len() as f64 * HELD_OUT_FRACTION) as usize;
    let join = |ls: &[&str]| ls.iter().map(|l| format!("{l}\n")).collect::<String>();
    match parsed {
        Some(verses) if !verses.is_empty() => {
            let mut cut = verses.len();
            let mut held = 0;
            while cut > 0 && held < target {
                let book = verses[cut - 1].0;
                while cut > 0 && verses[cut - 1].0 == book {
                    held += verses[cut - 1].1.len() + 1;
                    cut -= 1;
                }
            }
            let texts: Vec<&str> = verses.iter().map(|v| v.1).collect();
            let books = |r: &[(&str, &str)]| {
                let mut b: Vec<&str> = r.iter().map(|v| v.0).collect();
                b.dedup();
                b.len()
            };
            Split {
                train: join(&texts[..cut]),
                valid: join(&texts[cut..]),
                how: format!(
                    "verse references stripped; held out the last {} of {} books (from `{}`), {} of {} verses",
                    books(&verses[cut..]),
                    books(&verses),
                    verses.get(cut).map_or("", |v| v.0),
                    verses.len() - cut,
                    verses.len()
                ),
            }
        }
        _ => {
            let mut cut = lines.len();
            let mut held = 0;
            while cut > 1 && held < target {
                cut -= 1;
                held += lines[cut].len() + 1;
            }
            Split {
                train: join(&lines[..cut]),
                valid: join(&lines[cut..]),
                how: format!(
                    "no verse references; held out the last {} of {} lines",
                    lines.len() - cut,
                    lines.len()
                ),
            }
        }
    }
}

/// The fixed evaluation passage: the first [`EVAL_PASSAGE_BYTES`] of the held-out text, cut
/// at a line end.
pub fn eval_passage(valid: &str) -> String {
    if valid.len() <= EVAL_PASSAGE_BYTES {
        return valid.to_string();
    }
    let end = valid[..EVAL_PASSAGE_BYTES]
        .rfind('\n')
        .map_or(EVAL_PASSAGE_BYTES, |i| i + 1);
    valid[..end].to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn references_are_stripped_and_whole_books_held_out() {
        let mut text = String::new();
        for (book, n) in [("Ge", 30), ("1Sm", 30), ("Rev", 3)] {
            for v in 1..=n {
                text.push_str(&format!("{book}1:{v} Verse {v} of {book} is here.\n"));
            }
        }
        let s = split(&text);
        assert!(s.valid.starts_with("Verse 1 of 1Sm"), "{}", s.how);
        assert!(!s.train.contains("Rev") && !s.train.contains("1Sm"));
        assert!(s.how.contains("last 2 of 3 books"), "{}", s.how);
        assert_eq!(
            split_reference("Rev22:21 The grace"),
            Some(("Rev", "The grace"))
        );
        assert_eq!(split_reference("In the beginning"), None);
        let plain = split(&"a line of text\n".repeat(100));
        assert!(plain.how.contains("last 5 of 100 lines"), "{}", plain.how);
    }
}
