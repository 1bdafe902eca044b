//! cargo-fuzz target `onnx`: the body is a library function, replayed over `fuzz/corpus/onnx` by
//! `cargo test` too.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let _ = edgebench_onnx::weight_facts_of_bytes(data);
});
