//! Test support: one cached `kjv-micro` training shared by every test (and every test run)
//! under the target directory; tests skip with a message when the corpus cannot be had.

#![allow(dead_code)]

use edgebench_train::{corpus, CachedModel, Corpus, TrainPreset};
use std::path::PathBuf;
use std::sync::{Mutex, OnceLock};

/// `EDGEBENCH_CORPUS`, else the KJV from the per-user cache (fetched with apt-get on first use).
pub fn corpus() -> Option<Corpus> {
    match corpus::load(edgebench_backend::user_cache_dir().as_deref()) {
        Ok(c) => Some(c),
        Err(e) => {
            eprintln!("SKIPPED: no training corpus: {e}");
            None
        }
    }
}

/// Where the tests keep their trained models (shared across runs: the key has the code
/// version, so a stale model is never reused).
pub fn cache_root() -> PathBuf {
    PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("trained")
}

/// The cached kjv-micro (seed 42), trained once per target directory.
pub fn micro() -> Option<CachedModel> {
    static LOCK: OnceLock<Mutex<()>> = OnceLock::new();
    let _g = LOCK.get_or_init(|| Mutex::new(())).lock().unwrap();
    let c = corpus()?;
    Some(
        edgebench_train::load_or_train(&cache_root(), &c, TrainPreset::KjvMicro, 42, false)
            .expect("training kjv-micro"),
    )
}
