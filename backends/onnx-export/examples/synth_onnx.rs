//! Write a preset's canonical weights as fp32, int8 and int4 ONNX files (for
//! `scripts/check_onnx.py` and manual runs; the harness has `model synth --format onnx`).
//!
//! Usage: cargo run -p edgebench-onnx-export --example synth_onnx -- <preset> <out_dir> [seed] [variants]

use edgebench_onnx_export::{write_preset_onnx, OnnxVariant, Preset};
use std::path::Path;

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.len() < 2 {
        eprintln!("usage: synth_onnx <preset> <out_dir> [seed=42] [variants=fp32,int8,int4]");
        std::process::exit(2);
    }
    let preset: Preset = args[0].parse().unwrap_or_else(|e| {
        eprintln!("{e}");
        std::process::exit(2)
    });
    let out = Path::new(&args[1]);
    let seed = args.get(2).map_or(42, |s| s.parse().expect("seed"));
    let variants = args.get(3).map_or("fp32,int8,int4", String::as_str);
    std::fs::create_dir_all(out).expect("create out dir");
    for v in variants.split(',') {
        let var = OnnxVariant::parse(v).expect("variant: fp32, int8 or int4");
        let p = out.join(format!("{}-{}.onnx", preset.name(), var.as_str()));
        match write_preset_onnx(preset, seed, var, &p) {
            Ok(s) => println!(
                "{} ({} bytes{}, {} nodes)",
                p.display(),
                s.bytes_written,
                s.external_data
                    .map(|d| format!(", external data {}", d.display()))
                    .unwrap_or_default(),
                s.node_count
            ),
            Err(e) => {
                eprintln!("error: {e}");
                std::process::exit(1);
            }
        }
    }
}
