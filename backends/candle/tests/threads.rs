//! Thread configuration is per process: its own test binary, so no other test has sized
//! candle's pools first.

mod common;

use edgebench_backend::{Backend, LoadOptions};
use edgebench_candle::CandleBackend;
use edgebench_reference::synth::SynthQuant;

#[test]
fn threads_are_set_at_first_load_and_fixed_after() {
    let (_dir, path) = common::tiny(SynthQuant::Q8_0);
    let two = LoadOptions {
        threads: 2,
        max_seq_len: 64,
    };
    let model = CandleBackend.load(&common::spec(&path), &two).unwrap();
    let d = CandleBackend.describe();
    assert_eq!(d["threads"], "2", "{d:?}");
    assert_eq!(rayon::current_num_threads(), 2);
    assert_eq!(candle_core::utils::barrier_pool().n_workers() + 1, 2);
    let mut s = model.session().unwrap();
    s.prefill(&[1, 2, 3]).unwrap();
    // The same count loads again; another count is refused with the fix in the message.
    CandleBackend.load(&common::spec(&path), &two).unwrap();
    let one = LoadOptions { threads: 1, ..two };
    let e = CandleBackend
        .load(&common::spec(&path), &one)
        .err()
        .unwrap();
    assert_eq!(e.kind(), "unavailable", "{e}");
    assert!(e.to_string().contains("own process"), "{e}");
}
