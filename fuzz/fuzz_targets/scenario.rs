//! cargo-fuzz target `scenario`: the body is a library function, replayed over `fuzz/corpus/scenario` by
//! `cargo test` too.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    edgebench::fuzzing::scenario(data);
});
