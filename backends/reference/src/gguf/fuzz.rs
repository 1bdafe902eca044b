//! The GGUF reader's fuzz entry point ([`fuzz_one`]), shared by the cargo-fuzz target in
//! `fuzz/` and the corpus replay test, so both exercise exactly the same code.

use super::{GgufFile, InspectReport};

/// Parse `data` as a GGUF file and, when it is valid, touch everything a caller may: every
/// metadata value's rendering, every tensor's bytes, the inspect report. Must never panic.
pub fn fuzz_one(data: &[u8]) {
    let Ok(f) = GgufFile::from_bytes("fuzz.gguf", data) else {
        return;
    };
    for (k, v) in f.metadata() {
        let _ = (k.len(), v.to_string().len());
    }
    let mut sum = 0u64;
    for t in f.tensors() {
        let view = f.view(t);
        assert_eq!(view.data.len(), t.len, "tensor view length");
        sum = sum.wrapping_add(view.data.iter().map(|&b| u64::from(b)).sum::<u64>());
    }
    let report = InspectReport::from_file(&f);
    std::hint::black_box((report.to_string().len(), sum));
}

#[cfg(test)]
mod tests {
    /// Every file of the fuzz corpus (`fuzz/corpus/gguf`) goes through [`super::fuzz_one`]:
    /// the coverage fuzzing found these inputs, CI replays them on stable.
    #[test]
    fn fuzz_corpus_replays_cleanly() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fuzz/corpus/gguf");
        let files = std::fs::read_dir(&dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display()));
        let mut n = 0;
        for f in files {
            let path = f.expect("listing the corpus").path();
            eprintln!("replaying {}", path.display());
            super::fuzz_one(&std::fs::read(&path).expect("reading a corpus file"));
            n += 1;
        }
        assert!(n > 0, "no corpus files in {}", dir.display());
    }
}
