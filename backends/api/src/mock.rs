//! A mock backend: deterministic pseudo-random logits at a configurable fixed cost per token.
//! The harness uses it to measure its own overhead and tests use it to script failures
//! (error, panic, abort, SIGKILL) at a chosen token.
//!
//! Options come from the model path, e.g. `mock:vocab=256,cost_us=50,fail_at=3`:
//! `vocab` (default 256), `cost_us` per token fed (default 0), `load_ms` (default 0),
//! `fail_at`, `panic_at`, `abort_at`, `sigkill_at`, `hang_at` (decode step index, 0-based),
//! `alloc_mb` (bytes held for the model's lifetime, to exercise RSS accounting).

use crate::{
    Backend, BackendError, LoadOptions, Logits, Model, ModelFormat, ModelInfo, ModelSpec, Session,
};
use std::collections::BTreeMap;
use std::time::Duration;

#[derive(Debug, Default)]
pub struct MockBackend;

#[derive(Debug, Clone, Default, PartialEq)]
pub struct MockOptions {
    pub vocab: usize,
    pub cost_us: u64,
    pub load_ms: u64,
    pub fail_at: Option<usize>,
    pub panic_at: Option<usize>,
    pub abort_at: Option<usize>,
    pub sigkill_at: Option<usize>,
    pub hang_at: Option<usize>,
    pub alloc_mb: usize,
}

impl MockOptions {
    /// Parse `mock:key=value,...`. Unknown keys are errors so a typo never goes unnoticed.
    pub fn parse(spec: &str) -> Result<Self, String> {
        let rest = spec
            .strip_prefix("mock:")
            .or_else(|| (spec == "mock").then_some(""))
            .ok_or_else(|| {
                format!("`{spec}` is not a mock model (expected `mock:key=value,...`)")
            })?;
        let mut o = MockOptions {
            vocab: 256,
            ..Default::default()
        };
        for kv in rest.split(',').filter(|s| !s.is_empty()) {
            let (k, v) = kv
                .split_once('=')
                .ok_or_else(|| format!("mock option `{kv}` must be key=value"))?;
            let n: u64 = v
                .parse()
                .map_err(|_| format!("mock option `{k}`: `{v}` is not a non-negative integer"))?;
            let idx = Some(n as usize);
            match k {
                "vocab" => o.vocab = n as usize,
                "cost_us" => o.cost_us = n,
                "load_ms" => o.load_ms = n,
                "fail_at" => o.fail_at = idx,
                "panic_at" => o.panic_at = idx,
                "abort_at" => o.abort_at = idx,
                "sigkill_at" => o.sigkill_at = idx,
                "hang_at" => o.hang_at = idx,
                "alloc_mb" => o.alloc_mb = n as usize,
                _ => {
                    return Err(format!(
                        "unknown mock option `{k}` (known: vocab, cost_us, load_ms, fail_at, panic_at, abort_at, sigkill_at, hang_at, alloc_mb)"
                    ))
                }
            }
        }
        if o.vocab == 0 {
            return Err("mock option `vocab` must be at least 1".into());
        }
        Ok(o)
    }
}

impl Backend for MockBackend {
    fn name(&self) -> &'static str {
        "mock"
    }
    fn formats(&self) -> &'static [ModelFormat] {
        &[ModelFormat::Mock]
    }
    fn check(&self) -> Result<(), BackendError> {
        Ok(())
    }
    fn load(&self, spec: &ModelSpec, _opts: &LoadOptions) -> Result<Box<dyn Model>, BackendError> {
        let text = spec.path.to_string_lossy();
        let opts =
            MockOptions::parse(&text).map_err(|r| BackendError::invalid_model(&spec.path, r))?;
        if opts.load_ms > 0 {
            std::thread::sleep(Duration::from_millis(opts.load_ms));
        }
        // Touch every page so the allocation shows up in RSS.
        let ballast = vec![1u8; opts.alloc_mb << 20];
        Ok(Box::new(MockModel { opts, ballast }))
    }
    fn describe(&self) -> BTreeMap<String, String> {
        BTreeMap::from([("version".to_string(), env!("CARGO_PKG_VERSION").to_string())])
    }
}

struct MockModel {
    opts: MockOptions,
    ballast: Vec<u8>,
}

impl Model for MockModel {
    fn info(&self) -> ModelInfo {
        ModelInfo {
            architecture: "mock".into(),
            vocab_size: self.opts.vocab,
            context_length: usize::MAX,
            weight_types: "none".into(),
            weight_bytes: Some(self.ballast.len() as u64),
            ..Default::default()
        }
    }
    fn session(&self) -> Result<Box<dyn Session + '_>, BackendError> {
        Ok(Box::new(MockSession {
            opts: &self.opts,
            history: Vec::new(),
            steps: 0,
        }))
    }
}

struct MockSession<'m> {
    opts: &'m MockOptions,
    history: Vec<u32>,
    steps: usize,
}

/// splitmix64: a tiny, well-known mixing function; enough for reproducible fake logits.
fn mix(mut z: u64) -> u64 {
    z = z.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

impl MockSession<'_> {
    fn logits(&self) -> Logits {
        // Depends on the whole history, like a real model with a KV cache.
        let h = self
            .history
            .iter()
            .fold(0xED6E_u64, |acc, &t| mix(acc ^ u64::from(t)));
        (0..self.opts.vocab)
            .map(|i| {
                (mix(h ^ (i as u64).wrapping_mul(0x100_0000_01B3)) >> 40) as f32
                    / (1u64 << 24) as f32
            })
            .collect()
    }

    fn feed(&mut self, tokens: &[u32]) -> Result<(), BackendError> {
        // The mock has no context limit.
        crate::check_tokens(tokens, self.opts.vocab, 0, usize::MAX)?;
        if self.opts.cost_us > 0 {
            std::thread::sleep(Duration::from_micros(
                self.opts.cost_us * tokens.len() as u64,
            ));
        }
        self.history.extend_from_slice(tokens);
        Ok(())
    }
}

impl Session for MockSession<'_> {
    fn prefill(&mut self, tokens: &[u32]) -> Result<Logits, BackendError> {
        self.feed(tokens)?;
        Ok(self.logits())
    }

    fn step(&mut self, token: u32) -> Result<Logits, BackendError> {
        let i = self.steps;
        self.steps += 1;
        let o = self.opts;
        if o.fail_at == Some(i) {
            return Err(BackendError::runtime(
                "mock",
                format!("scripted failure at decode step {i}"),
            ));
        }
        if o.panic_at == Some(i) {
            panic!("mock backend: scripted panic at decode step {i}");
        }
        if o.abort_at == Some(i) {
            std::process::abort();
        }
        if o.sigkill_at == Some(i) {
            // Simulates the kernel's OOM killer or a user's `kill -9`.
            let _ = std::process::Command::new("kill")
                .args(["-9", &std::process::id().to_string()])
                .status();
            std::thread::sleep(Duration::from_secs(5));
        }
        if o.hang_at == Some(i) {
            loop {
                std::thread::sleep(Duration::from_secs(3600));
            }
        }
        self.feed(&[token])?;
        Ok(self.logits())
    }

    fn position(&self) -> usize {
        self.history.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::conformance;

    fn spec(s: &str) -> ModelSpec {
        ModelSpec {
            path: s.into(),
            format: ModelFormat::Mock,
            quant: None,
        }
    }

    #[test]
    fn parses_options_and_rejects_unknown_keys() {
        let o = MockOptions::parse("mock:vocab=10,cost_us=5,fail_at=2").unwrap();
        assert_eq!((o.vocab, o.cost_us, o.fail_at), (10, 5, Some(2)));
        assert!(MockOptions::parse("mock:vocab=10,treads=2")
            .unwrap_err()
            .contains("unknown mock option `treads`"));
        assert!(MockOptions::parse("mock:vocab=x").is_err());
        assert!(MockOptions::parse("mock:vocab=0").is_err());
        assert_eq!(MockOptions::parse("mock").unwrap().vocab, 256);
    }

    #[test]
    fn mock_passes_the_conformance_suite() {
        conformance::run_all(&MockBackend, &spec("mock:vocab=97"), 0.0);
    }

    #[test]
    fn scripted_failure_is_an_error_not_a_panic() {
        let m = MockBackend
            .load(&spec("mock:fail_at=1"), &LoadOptions::default())
            .unwrap();
        let mut s = m.session().unwrap();
        s.prefill(&[1, 2]).unwrap();
        s.step(3).unwrap();
        let e = s.step(4).unwrap_err();
        assert_eq!(e.kind(), "runtime");
    }
}
