//! Print the weight facts of ONNX files: decode bytes (weights read per decoded token),
//! parameter count, initializer bytes and file length.
//!
//! Usage: cargo run -p edgebench-onnx-export --example weight_facts -- <model.onnx>...

fn main() {
    let paths: Vec<String> = std::env::args().skip(1).collect();
    if paths.is_empty() {
        eprintln!("usage: weight_facts <model.onnx>...");
        std::process::exit(2);
    }
    let mut failed = false;
    for p in &paths {
        let path = std::path::Path::new(p);
        let len = std::fs::metadata(path).map(|m| m.len()).unwrap_or(0);
        match edgebench_onnx_export::weight_facts(path) {
            Ok(f) => println!(
                "{p}: decode_bytes {} parameters {} initializer_bytes {} file {len}",
                f.decode_bytes, f.parameter_count, f.total_initializer_bytes
            ),
            Err(e) => {
                eprintln!("{e}");
                failed = true;
            }
        }
    }
    if failed {
        std::process::exit(1);
    }
}
