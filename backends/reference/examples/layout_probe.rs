//! Root-cause probe of the weight layouts' decode speed: a whole model's worth of matrices
//! (smollm-135m's shapes by default, 30 layers plus the output projection, each layer its own
//! memory as in a model) streamed once per "token" by single-row products on one thread, for
//! each variant: file layout or row-interleaved (x8), in ordinary 4 KiB pages or in memory
//! advised `MADV_HUGEPAGE`, under every kernel set this CPU runs. Variants are alternated
//! round by round (ABCD ABCD ..), so a shared machine's bandwidth swings hit all alike; the
//! output is each round's ms per token and the median.
//!
//! `cargo run --release -p edgebench-reference --example layout_probe -- [q8_0|q4_0] [ROUNDS] [TOKENS]`

use edgebench_reference::gguf::GgmlType;
use edgebench_reference::kernels::{self, Kernels, MatRef, MatmulScratch};
use edgebench_reference::quant;
use memmap2::{Advice, MmapMut, MmapOptions};
use std::time::Instant;

/// smollm-135m: (rows, cols) of one layer's matrices, the layer count, the output projection.
const LAYER: [(usize, usize); 7] = [
    (576, 576),
    (192, 576),
    (192, 576),
    (576, 576),
    (1536, 576),
    (1536, 576),
    (576, 1536),
];
const LAYERS: usize = 30;
const OUTPUT: (usize, usize) = (49152, 576);

#[path = "../benches/common/mod.rs"]
mod common;
use common::data;

/// Bytes in ordinary heap memory or in an anonymous map advised `MADV_HUGEPAGE`.
enum Mem {
    Heap(Vec<u8>),
    Huge(MmapMut),
}

impl Mem {
    fn new(bytes: &[u8], huge: bool) -> std::io::Result<Mem> {
        if !huge {
            return Ok(Mem::Heap(bytes.to_vec()));
        }
        let mut m = MmapOptions::new().len(bytes.len()).map_anon()?;
        m.advise(Advice::HugePage)?;
        m.copy_from_slice(bytes);
        Ok(Mem::Huge(m))
    }

    fn bytes(&self) -> &[u8] {
        match self {
            Mem::Heap(v) => v,
            Mem::Huge(m) => m,
        }
    }
}

struct Variant {
    label: String,
    x8: bool,
    kernels: &'static Kernels,
    mats: Vec<(usize, usize, Mem)>,
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let ty = match args.first().map_or("q8_0", String::as_str) {
        "q4_0" => GgmlType::Q4_0,
        "q8_0" => GgmlType::Q8_0,
        other => return Err(format!("type `{other}`: use q8_0 or q4_0").into()),
    };
    let rounds: usize = args.get(1).map_or(Ok(6), |s| s.parse())?;
    let tokens: usize = args.get(2).map_or(Ok(8), |s| s.parse())?;
    // One quantized copy per shape in each layout, replicated into every layer's own memory.
    let shapes: Vec<(usize, usize)> = LAYER.iter().copied().chain([OUTPUT]).collect();
    let mut file = Vec::new();
    let mut x8 = Vec::new();
    for (i, &(r, c)) in shapes.iter().enumerate() {
        let w = quant::quantize(ty, &data(r * c, i as u64 + 1)).ok_or("quantize")?;
        x8.push(quant::x8::pack(ty, &w, r).ok_or("pack")?);
        file.push(w);
    }
    let simd: Vec<&'static Kernels> = kernels::sets()
        .into_iter()
        .filter(|k| k.name != "scalar")
        .collect();
    let mut variants = Vec::new();
    for &k in &simd {
        for interleaved in [false, true] {
            for huge in [false, true] {
                let src = if interleaved { &x8 } else { &file };
                let mut mats = Vec::new();
                for _ in 0..LAYERS {
                    for (i, &(r, c)) in LAYER.iter().enumerate() {
                        mats.push((r, c, Mem::new(&src[i], huge)?));
                    }
                }
                let (r, c) = OUTPUT;
                mats.push((r, c, Mem::new(&src[LAYER.len()], huge)?));
                variants.push(Variant {
                    label: format!(
                        "{} {} {}",
                        k.name,
                        if interleaved { "x8  " } else { "file" },
                        if huge { "hugepage" } else { "4k" }
                    ),
                    x8: interleaved,
                    kernels: k,
                    mats,
                });
            }
        }
    }
    let x = data(1536, 99);
    let mut out = vec![0f32; OUTPUT.0];
    let mut scratch = MatmulScratch::default();
    let mut ms: Vec<Vec<f64>> = vec![Vec::new(); variants.len()];
    for _round in 0..=rounds {
        for (v, times) in variants.iter().zip(ms.iter_mut()) {
            let t = Instant::now();
            for _ in 0..tokens {
                for (r, c, mem) in &v.mats {
                    let m = MatRef {
                        ggml_type: ty,
                        rows: *r,
                        cols: *c,
                        data: mem.bytes(),
                        x8: v.x8,
                    };
                    kernels::matmul(v.kernels, &m, &x[..*c], 1, &mut out[..*r], &mut scratch);
                }
            }
            times.push(t.elapsed().as_secs_f64() * 1e3 / tokens as f64);
        }
    }
    let bytes: usize = variants[0].mats.iter().map(|m| m.2.bytes().len()).sum();
    println!(
        "{} weights {:.1} MB, ms per token (round 0 is warm-up, dropped), load {}",
        ty.name(),
        bytes as f64 / 1e6,
        std::fs::read_to_string("/proc/loadavg")
            .unwrap_or_default()
            .trim()
    );
    for (v, times) in variants.iter().zip(&ms) {
        let mut t = times[1..].to_vec();
        let rounds: Vec<String> = t.iter().map(|x| format!("{x:.2}")).collect();
        t.sort_by(f64::total_cmp);
        let med = t[t.len() / 2];
        println!(
            "{:28} median {:7.2} ms ({:5.2} GB/s)  rounds {}",
            v.label,
            med,
            bytes as f64 / med / 1e6,
            rounds.join(" ")
        );
    }
    Ok(())
}
