//! cargo-fuzz target `report`: the body is a library function, replayed over `fuzz/corpus/report` by
//! `cargo test` too.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    edgebench::fuzzing::report(data);
});
