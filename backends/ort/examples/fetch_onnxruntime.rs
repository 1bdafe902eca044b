//! What `bash scripts/setup-onnxruntime.sh` runs: make sure the ONNX Runtime library is there
//! (the same lookup and fetch as `edgebench run`, so the pinned release lands in the per-user
//! cache when it is nowhere), then print `export ORT_DYLIB_PATH=...` for shells that want it.

fn main() {
    match edgebench_ort::library::ensure() {
        Ok(found) => {
            eprintln!(
                "ONNX Runtime library ({}): {}",
                found.source.as_str(),
                found.path.display()
            );
            let path = found.path.display().to_string().replace('\'', r"'\''");
            println!("export ORT_DYLIB_PATH='{path}'");
        }
        Err(e) => {
            eprintln!("error: {e}");
            std::process::exit(1);
        }
    }
}
