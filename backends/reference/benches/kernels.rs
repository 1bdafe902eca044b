//! Every kernel of every set this CPU runs (scalar vs SIMD), at the presets' sizes:
//! matrix-vector products of 288×768 (stories15m), 576×1536 (smollm-135m) and 2048×5632
//! (TinyLlama) for each weight type, a 64-token batch (prefill) at 576×1536, activation
//! quantization, RMSNorm and attention over 256 cached positions.
//! `cargo bench -p edgebench-reference --bench kernels [-- FILTER]`.

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use edgebench_reference::gguf::GgmlType;
use edgebench_reference::kernels::{self, Kernels, MatRef, MatmulScratch};
use edgebench_reference::quant::{self, BlockQ8, QK};
use std::hint::black_box;
use std::time::Duration;

mod common;
use common::data;

const SIZES: [(usize, usize); 3] = [(288, 768), (576, 1536), (2048, 5632)];
const TYPES: [GgmlType; 7] = [
    GgmlType::F32,
    GgmlType::F16,
    GgmlType::Q8_0,
    GgmlType::Q4_0,
    GgmlType::Q5_0,
    GgmlType::Q4K,
    GgmlType::Q6K,
];

/// `rows × cols` weights of `ty` (row-interleaved with `x8`) times `n` activation rows, through
/// the set's kernels on one thread: [`kernels::matmul`], which quantizes the activations as the
/// weight type wants and calls the type's dot product, as a model does.
#[allow(clippy::too_many_arguments)]
fn product(
    k: &Kernels,
    ty: GgmlType,
    x8: bool,
    w: &[u8],
    rows: usize,
    x: &[f32],
    n: usize,
    out: &mut [f32],
    scratch: &mut MatmulScratch,
) {
    let m = MatRef {
        ggml_type: ty,
        rows,
        cols: x.len() / n,
        data: w,
        x8,
    };
    kernels::matmul(k, &m, x, n, out, scratch);
}

/// Each type in file layout, plus the interleaved layout of the types that have one.
fn variants(types: &[GgmlType]) -> Vec<(GgmlType, bool)> {
    let mut v = Vec::new();
    for &ty in types {
        v.push((ty, false));
        if quant::x8::supported(ty, 8) {
            v.push((ty, true));
        }
    }
    v
}

fn weights(ty: GgmlType, x8: bool, wf: &[f32], rows: usize) -> Vec<u8> {
    let w = quant::quantize(ty, wf).unwrap();
    if x8 {
        quant::x8::pack(ty, &w, rows).unwrap()
    } else {
        w
    }
}

fn name(ty: GgmlType, x8: bool) -> String {
    format!("{}{}", ty.name(), if x8 { "x8" } else { "" })
}

fn matvec(c: &mut Criterion) {
    for (rows, cols) in SIZES {
        let wf = data(rows * cols, 1);
        let x = data(cols, 2);
        let mut g = c.benchmark_group(format!("matvec_{rows}x{cols}"));
        g.throughput(Throughput::Elements((rows * cols) as u64));
        for (ty, x8) in variants(&TYPES) {
            let w = weights(ty, x8, &wf, rows);
            for k in kernels::sets() {
                let (mut out, mut scratch) = (vec![0f32; rows], MatmulScratch::default());
                g.bench_function(BenchmarkId::new(name(ty, x8), k.name), |b| {
                    b.iter(|| {
                        product(
                            k,
                            ty,
                            x8,
                            black_box(&w),
                            rows,
                            black_box(&x),
                            1,
                            &mut out,
                            &mut scratch,
                        )
                    })
                });
            }
        }
        g.finish();
    }
}

fn prefill(c: &mut Criterion) {
    let (rows, cols, n) = (576, 1536, 64);
    let wf = data(rows * cols, 3);
    let x = data(n * cols, 4);
    let mut g = c.benchmark_group(format!("batch64_{rows}x{cols}"));
    g.throughput(Throughput::Elements((rows * cols * n) as u64));
    let types = [
        GgmlType::F32,
        GgmlType::Q8_0,
        GgmlType::Q4_0,
        GgmlType::Q5_0,
        GgmlType::Q4K,
        GgmlType::Q6K,
    ];
    for (ty, x8) in variants(&types) {
        let w = weights(ty, x8, &wf, rows);
        for k in kernels::sets() {
            let (mut out, mut scratch) = (vec![0f32; rows * n], MatmulScratch::default());
            g.bench_function(BenchmarkId::new(name(ty, x8), k.name), |b| {
                b.iter(|| {
                    product(
                        k,
                        ty,
                        x8,
                        black_box(&w),
                        rows,
                        black_box(&x),
                        n,
                        &mut out,
                        &mut scratch,
                    )
                })
            });
        }
    }
    g.finish();
}

fn small(c: &mut Criterion) {
    let x = data(5632, 5);
    let w = data(5632, 6);
    let mut g = c.benchmark_group("elementwise_5632");
    for k in kernels::sets() {
        let mut a8 = vec![BlockQ8::default(); 5632 / QK];
        g.bench_function(BenchmarkId::new("quantize_q8_0", k.name), |b| {
            b.iter(|| (k.quantize_q8_0)(black_box(&x), &mut a8))
        });
        let mut out = vec![0f32; 5632];
        g.bench_function(BenchmarkId::new("rmsnorm", k.name), |b| {
            b.iter(|| (k.rmsnorm)(&mut out, black_box(&x), &w, 1e-5))
        });
        g.bench_function(BenchmarkId::new("silu_mul", k.name), |b| {
            b.iter(|| {
                out.copy_from_slice(&x);
                (k.silu_mul)(&mut out, black_box(&w))
            })
        });
    }
    g.finish();
    let (hd, len, stride) = (64, 256, 192);
    let q = data(hd, 7);
    let kc = data(len * stride, 8);
    let vc = data(len * stride, 9);
    let mut g = c.benchmark_group("attend_hd64_len256");
    for k in kernels::sets() {
        let (mut sc, mut out) = (vec![0f32; len], vec![0f32; hd]);
        g.bench_function(k.name, |b| {
            b.iter(|| {
                (k.attend)(
                    black_box(&q),
                    &kc,
                    &vc,
                    stride,
                    len,
                    0.125,
                    &mut sc,
                    &mut out,
                )
            })
        });
    }
    g.finish();
}

fn config() -> Criterion {
    Criterion::default()
        .sample_size(10)
        .warm_up_time(Duration::from_millis(300))
        .measurement_time(Duration::from_millis(800))
}

criterion_group! { name = benches; config = config(); targets = matvec, prefill, small }
criterion_main!(benches);
