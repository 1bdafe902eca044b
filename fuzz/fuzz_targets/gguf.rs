//! cargo-fuzz target `gguf`: the body is a library function, replayed over `fuzz/corpus/gguf` by
//! `cargo test` too.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    edgebench_reference::gguf::fuzz_one(data);
});
