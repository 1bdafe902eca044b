//! Cross-architecture reproducibility: every kernel set is bit-identical to the same scalar
//! oracle, so an x86_64 build (`avx2`, `avx512vnni`) and an aarch64 build (`neon`,
//! `neon-dotprod`) must give the same greedy tokens and the same logits, bit for bit, on every
//! file type. This test computes, for each synthesized model file, the greedy tokens and a
//! 64-bit FNV-1a digest of every logit's bits with every kernel set this CPU runs (they must
//! agree here), then:
//!
//! - `EDGEBENCH_DIGEST_OUT=FILE` writes the digests to FILE (the aarch64 run under QEMU does);
//! - `EDGEBENCH_DIGEST_OTHER=FILE[:FILE...]` compares them with digests written on another
//!   architecture and fails on any difference (`.ci/aarch64.sh` runs it natively on x86_64
//!   with the files of both emulated CPUs). Without it the comparison says SKIPPED.

mod common;

use edgebench_backend::argmax;
use edgebench_reference::kernels::{self, Kernels};
use edgebench_reference::model::{LlamaModel, LlamaSession};
use edgebench_reference::synth::{self, Preset, SynthQuant};
use std::path::Path;

const STEPS: usize = 16;

/// FNV-1a, 64-bit.
fn fnv(h: &mut u64, bytes: &[u8]) {
    for &b in bytes {
        *h ^= u64::from(b);
        *h = h.wrapping_mul(0x0000_0100_0000_01b3);
    }
}

const FNV_START: u64 = 0xcbf2_9ce4_8422_2325;

/// `tokens=a,b,... logits_fnv64=...` for the prompt and `STEPS` greedy steps.
fn digest(path: &Path, k: &'static Kernels, prompt: &[u32]) -> String {
    let m = LlamaModel::load(path, 64, k, 1).unwrap();
    let mut s = LlamaSession::new(&m);
    let mut h = FNV_START;
    let mut tokens = Vec::new();
    let mut logits = s.forward(prompt).unwrap();
    for step in 0..=STEPS {
        for v in &logits {
            fnv(&mut h, &v.to_bits().to_le_bytes());
        }
        let t = argmax(&logits).unwrap();
        tokens.push(t.to_string());
        if step < STEPS {
            logits = s.forward(&[t]).unwrap();
        }
    }
    format!("tokens={} logits_fnv64={h:016x}", tokens.join(","))
}

/// One line per model file: `name file_fnv64=... tokens=... logits_fnv64=...`, the same for
/// every kernel set this CPU runs (asserted).
fn digests(dir: &Path) -> Vec<String> {
    let mut files = Vec::new();
    for q in SynthQuant::ALL {
        files.push((format!("tiny-{q}"), common::tiny(dir, q), 256));
        let path = dir.join(format!("k256-{q}.gguf"));
        synth::write_gguf(&synth::generate(&common::k256(), 5), q, &path).unwrap();
        files.push((format!("k256-{q}"), path, 320));
    }
    for q in [SynthQuant::Q8_0, SynthQuant::Q4_0, SynthQuant::Q4KM] {
        let path = dir.join(format!("stories15m-{q}.gguf"));
        synth::write_preset_gguf(Preset::Stories15m, 42, q, &path).unwrap();
        files.push((format!("stories15m-{q}"), path, 32000));
    }
    files
        .iter()
        .map(|(name, path, vocab)| {
            let mut h = FNV_START;
            fnv(&mut h, &std::fs::read(path).unwrap());
            let prompt = common::prompt(*vocab);
            let per_set: Vec<(&str, String)> = kernels::sets()
                .into_iter()
                .map(|k| (k.name, digest(path, k, &prompt)))
                .collect();
            for (set, d) in &per_set[1..] {
                assert_eq!(d, &per_set[0].1, "{name}: {set} differs from scalar");
            }
            format!("{name} file_fnv64={h:016x} {}", per_set[0].1)
        })
        .collect()
}

fn header() -> String {
    format!(
        "# arch={} sets={}",
        std::env::consts::ARCH,
        kernels::available().join(",")
    )
}

#[test]
fn greedy_tokens_and_logits_match_the_other_architecture() {
    let dir = tempfile::tempdir().unwrap();
    let mine = digests(dir.path());
    println!("{}", header());
    for l in &mine {
        println!("{l}");
    }
    if let Some(out) = std::env::var_os("EDGEBENCH_DIGEST_OUT") {
        let text = format!("{}\n{}\n", header(), mine.join("\n"));
        std::fs::write(&out, text).unwrap();
        println!("digests written to {}", Path::new(&out).display());
    }
    let Some(others) = std::env::var_os("EDGEBENCH_DIGEST_OTHER") else {
        println!(
            "SKIPPED cross-architecture comparison: set EDGEBENCH_DIGEST_OTHER to digest files written (EDGEBENCH_DIGEST_OUT) by a run on another architecture; .ci/aarch64.sh does"
        );
        return;
    };
    for other in std::env::split_paths(&others) {
        let text = std::fs::read_to_string(&other)
            .unwrap_or_else(|e| panic!("reading {}: {e}", other.display()));
        let theirs_header = text.lines().find(|l| l.starts_with('#')).unwrap_or("");
        let theirs: Vec<&str> = text.lines().filter(|l| !l.starts_with('#')).collect();
        assert_eq!(
            theirs.len(),
            mine.len(),
            "{}: another list of model files",
            other.display()
        );
        for (a, b) in mine.iter().zip(&theirs) {
            assert_eq!(
                a,
                b,
                "{} vs {theirs_header} ({})",
                header(),
                other.display()
            );
        }
        println!(
            "IDENTICAL: {} model files, greedy tokens and logit bits: {} vs {theirs_header}",
            mine.len(),
            header()
        );
    }
}
