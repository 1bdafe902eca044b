//! Every SIMD kernel set this CPU runs against the scalar oracle (proptest; float kernels over
//! lengths 0..=300, block formats over 0..=10 blocks with random bytes and extreme scales,
//! batches of 1..=6 activation rows and 1..=9 weight rows (the 4-row decode path and its remainder)), plus quantize → dequantize RMSE
//! and quantized-dot budgets for Q5_0, Q4_K and Q6_K.

mod common;

use edgebench_reference::gguf::GgmlType;
use edgebench_reference::kernels::{self, dot1, Kernels};
use edgebench_reference::quant::{self, f16, q8_0, q8_k, rmse, x8, BlockQ8, BlockQ8K, QK, QK_K};
use proptest::prelude::*;

/// SIMD sets follow the scalar set's canonical lane order (multiply then add, `reduce8`), so
/// every kernel must agree *bit for bit* with its scalar twin; `magnitude` only explains a
/// failure.
/// quantize → dequantize RMSE relative to the RMS of N(0,1) data.
const Q5_0_REL_RMSE: f32 = 0.06;
const Q4_K_REL_RMSE: f32 = 0.10;
const Q6_K_REL_RMSE: f32 = 0.025;
/// |quantized dot − f32 dot| relative to ‖w‖·‖x‖ (Q8_0 / Q8_K activations).
const Q5_0_DOT_REL: f32 = 0.03;
const Q4_K_DOT_REL: f32 = 0.05;
const Q6_K_DOT_REL: f32 = 0.015;

fn simd_sets() -> Vec<&'static Kernels> {
    kernels::sets()
        .into_iter()
        .filter(|k| k.name != "scalar")
        .collect()
}

fn scalar() -> &'static Kernels {
    &kernels::scalar::KERNELS
}

/// Σ|w_i·x_i| in f64 over dequantized weights and activations.
fn magnitude(w: &[f32], x: &[f32]) -> f64 {
    w.iter()
        .zip(x)
        .map(|(a, b)| f64::from(*a).abs() * f64::from(*b).abs())
        .sum()
}

/// Extreme but finite f16 scales: zero, subnormal, tiny, ordinary, the largest, negative.
const SCALES: [f32; 8] = [0.0, 6.0e-8, 1.0e-4, 0.01, 0.5, 3.0, 65504.0, -0.75];

/// A random weight block of `ty`: random bytes with its f16 scales replaced by `SCALES`.
fn random_block(ty: GgmlType, bytes: &mut [u8], pick: &[u8]) {
    let put = |b: &mut [u8], at: usize, k: u8| {
        b[at..at + 2].copy_from_slice(&f16::from_f32(SCALES[k as usize % 8]).to_le_bytes())
    };
    match ty {
        GgmlType::Q8_0 | GgmlType::Q4_0 | GgmlType::Q5_0 => put(bytes, 0, pick[0]),
        GgmlType::Q4K => {
            put(bytes, 0, pick[0]);
            put(bytes, 2, pick[1]);
        }
        GgmlType::Q6K => put(bytes, 208, pick[0]),
        _ => unreachable!(),
    }
}

/// Dequantized activations of Q8_0 / Q8_K blocks.
/// `n` rows of `cols` Gaussian activations scaled by 10^amp, quantized row by row by `q` into
/// blocks of `per_block` values.
fn acts<B: Default + Clone>(
    n: usize,
    cols: usize,
    per_block: usize,
    seed: u64,
    amp: i32,
    q: fn(&[f32], &mut [B]),
) -> Vec<B> {
    let scale = 10f32.powi(amp);
    let x: Vec<f32> = common::gaussian(n * cols, seed)
        .iter()
        .map(|v| v * scale)
        .collect();
    let nb = cols / per_block;
    let mut a = vec![B::default(); n * nb];
    for t in 0..n {
        q(&x[t * cols..(t + 1) * cols], &mut a[t * nb..(t + 1) * nb]);
    }
    a
}

fn deq8(a: &[BlockQ8]) -> Vec<f32> {
    a.iter()
        .flat_map(|b| b.qs.iter().map(move |&q| f32::from(q) * b.d))
        .collect()
}
fn deq8k(a: &[BlockQ8K]) -> Vec<f32> {
    a.iter()
        .flat_map(|b| b.qs.iter().map(move |&q| f32::from(q) * b.d))
        .collect()
}

fn close(got: f32, want: f32, _mag: f64) -> bool {
    got.to_bits() == want.to_bits() || (got.is_nan() && want.is_nan())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: common::proptest_cases(48), ..ProptestConfig::default() })]

    /// Rows of whole 32-element steps, many activation rows: the register-tiled f32 products
    /// (`avx512vnni`: 4 weight rows × 3 activation rows) and every partial tile.
    #[test]
    fn tiled_f32_weight_dots_agree(steps in 1usize..=10, rows in 1usize..=9, n in 1usize..=8, seed in any::<u64>()) {
        let cols = 32 * steps;
        let w = common::gaussian(rows * cols, seed);
        let x = common::gaussian(n * cols, seed ^ 1);
        let bytes = quant::quantize(GgmlType::F32, &w).unwrap();
        let mut want = vec![0f32; rows * n];
        (scalar().dot_f32_bytes)(&bytes, rows, &x, &mut want);
        for k in simd_sets() {
            let mut got = vec![0f32; rows * n];
            (k.dot_f32_bytes)(&bytes, rows, &x, &mut got);
            for (i, (g, e)) in got.iter().zip(&want).enumerate() {
                prop_assert!(close(*g, *e, 0.0), "{} [{i}]: {g} vs {e}", k.name);
            }
        }
    }

    #[test]
    fn float_weight_dots_agree(cols in 0usize..=300, rows in 1usize..=9, n in 1usize..=6, seed in any::<u64>()) {
        let w = common::gaussian(rows * cols, seed);
        let x = common::gaussian(n * cols, seed ^ 1);
        for k in simd_sets() {
            prop_assert!(close((k.dot_f32)(&w[..cols], &x[..cols]), (scalar().dot_f32)(&w[..cols], &x[..cols]), magnitude(&w[..cols], &x[..cols])));
            for ty in [GgmlType::F32, GgmlType::F16] {
                let bytes = quant::quantize(ty, &w).unwrap();
                let mut wd = vec![0f32; w.len()];
                quant::dequantize(ty, &bytes, &mut wd);
                let f = if ty == GgmlType::F32 { k.dot_f32_bytes } else { k.dot_f16 };
                let g = if ty == GgmlType::F32 { scalar().dot_f32_bytes } else { scalar().dot_f16 };
                let (mut got, mut want) = (vec![0f32; rows * n], vec![0f32; rows * n]);
                f(&bytes, rows, &x, &mut got);
                g(&bytes, rows, &x, &mut want);
                for t in 0..n {
                    for r in 0..rows {
                        let mag = magnitude(&wd[r * cols..(r + 1) * cols], &x[t * cols..(t + 1) * cols]);
                        prop_assert!(close(got[t * rows + r], want[t * rows + r], mag), "{} {ty} [{t},{r}]", k.name);
                    }
                }
            }
        }
    }

    #[test]
    fn interleaved_dots_agree(nb in 0usize..=10, groups in 1usize..=3, n in 1usize..=6, seed in any::<u64>(), amp in -6i32..6) {
        let (rows, cols) = (8 * groups, nb * QK);
        let a = acts(n, cols, QK, seed, amp, q8_0::quantize_row);
        let asum: Vec<i32> = a.iter().map(kernels::scalar_x8::block_sum).collect();
        let ad = deq8(&a);
        let raw: Vec<u8> = common::gaussian(rows * nb * 35, seed ^ 11).iter().map(|v| (v * 1e3) as i64 as u8).collect();
        for (ty, bb) in [(GgmlType::Q8_0, 34usize), (GgmlType::Q4_0, 18), (GgmlType::Q5_0, 22)] {
            let mut w = raw[..rows * nb * bb].to_vec();
            for (i, b) in w.chunks_exact_mut(bb).enumerate() {
                random_block(ty, b, &[raw[rows * nb * 34 + i]]);
            }
            let mut wd = vec![0f32; rows * cols];
            prop_assert!(quant::dequantize(ty, &w, &mut wd));
            let packed = x8::pack(ty, &w, rows).unwrap();
            let pick = |k: &Kernels| match ty {
                GgmlType::Q4_0 => k.dot_q4_0x8,
                GgmlType::Q5_0 => k.dot_q5_0x8,
                _ => k.dot_q8_0x8,
            };
            let mut want = vec![0f32; rows * n];
            pick(scalar())(&packed, rows, &a, &asum, &mut want);
            for k in simd_sets() {
                let mut got = vec![0f32; rows * n];
                pick(k)(&packed, rows, &a, &asum, &mut got);
                for (i, (g, w)) in got.iter().zip(&want).enumerate() {
                    prop_assert!(close(*g, *w, 0.0), "{} {ty} x8 [{i}] {g} vs {w}", k.name);
                }
            }
            // The interleaved oracle computes the file-layout dot product, summed in another order.
            let mut file = vec![0f32; rows * n];
            let f = match ty {
                GgmlType::Q4_0 => scalar().dot_q4_0,
                GgmlType::Q5_0 => scalar().dot_q5_0,
                _ => scalar().dot_q8_0,
            };
            f(&w, rows, &a, &mut file);
            for t in 0..n {
                for r in 0..rows {
                    let mag = magnitude(&wd[r * cols..(r + 1) * cols], &ad[t * cols..(t + 1) * cols]);
                    let (p, q) = (want[t * rows + r], file[t * rows + r]);
                    prop_assert!((f64::from(p) - f64::from(q)).abs() <= 1e-5 * mag, "{ty} [{t},{r}] x8 {p} vs file {q} (magnitude {mag})");
                }
            }
        }
    }

    #[test]
    fn interleaved_q4_k_dots_agree(nb in 0usize..=4, groups in 1usize..=2, n in 1usize..=6, seed in any::<u64>(), amp in -6i32..6) {
        let (rows, cols) = (8 * groups, nb * QK_K);
        let a = acts(n, cols, QK_K, seed, amp, q8_k::quantize_row);
        let ad = deq8k(&a);
        let raw: Vec<u8> = common::gaussian(rows * nb * 146, seed ^ 13).iter().map(|v| (v * 1e3) as i64 as u8).collect();
        let mut w = raw[..rows * nb * 144].to_vec();
        for (i, b) in w.chunks_exact_mut(144).enumerate() {
            random_block(GgmlType::Q4K, b, &raw[rows * nb * 144 + 2 * i..][..2]);
        }
        let mut wd = vec![0f32; rows * cols];
        prop_assert!(quant::dequantize(GgmlType::Q4K, &w, &mut wd));
        let packed = x8::pack(GgmlType::Q4K, &w, rows).unwrap();
        prop_assert_eq!(packed.len(), x8::packed_len(GgmlType::Q4K, w.len()));
        let mut want = vec![0f32; rows * n];
        (scalar().dot_q4_kx8)(&packed, rows, &a, &mut want);
        for k in simd_sets() {
            let mut got = vec![0f32; rows * n];
            (k.dot_q4_kx8)(&packed, rows, &a, &mut got);
            for (i, (g, w)) in got.iter().zip(&want).enumerate() {
                prop_assert!(close(*g, *w, 0.0), "{} q4_k x8 [{i}] {g} vs {w}", k.name);
            }
        }
        let mut file = vec![0f32; rows * n];
        (scalar().dot_q4_k)(&w, rows, &a, &mut file);
        for t in 0..n {
            for r in 0..rows {
                // Q4_K subtracts dmin·m·Σa: its magnitude includes the min term.
                let mag = magnitude(&wd[r * cols..(r + 1) * cols], &ad[t * cols..(t + 1) * cols]) * 4.0;
                let (p, q) = (want[t * rows + r], file[t * rows + r]);
                prop_assert!((f64::from(p) - f64::from(q)).abs() <= 1e-5 * mag, "q4_k [{t},{r}] x8 {p} vs file {q} (magnitude {mag})");
            }
        }
    }

    #[test]
    fn interleaved_q6_k_dots_agree(nb in 0usize..=4, groups in 1usize..=2, n in 1usize..=6, seed in any::<u64>(), amp in -6i32..6) {
        let (rows, cols) = (8 * groups, nb * QK_K);
        let a = acts(n, cols, QK_K, seed, amp, q8_k::quantize_row);
        let ad = deq8k(&a);
        let raw: Vec<u8> = common::gaussian(rows * nb * 211, seed ^ 17).iter().map(|v| (v * 1e3) as i64 as u8).collect();
        let mut w = raw[..rows * nb * 210].to_vec();
        for (i, b) in w.chunks_exact_mut(210).enumerate() {
            random_block(GgmlType::Q6K, b, &raw[rows * nb * 210 + i..][..1]);
        }
        let mut wd = vec![0f32; rows * cols];
        prop_assert!(quant::dequantize(GgmlType::Q6K, &w, &mut wd));
        let packed = x8::pack(GgmlType::Q6K, &w, rows).unwrap();
        prop_assert_eq!(packed.len(), w.len());
        let mut want = vec![0f32; rows * n];
        (scalar().dot_q6_kx8)(&packed, rows, &a, &mut want);
        for k in simd_sets() {
            let mut got = vec![0f32; rows * n];
            (k.dot_q6_kx8)(&packed, rows, &a, &mut got);
            for (i, (g, w)) in got.iter().zip(&want).enumerate() {
                prop_assert!(close(*g, *w, 0.0), "{} q6_k x8 [{i}] {g} vs {w}", k.name);
            }
        }
        let mut file = vec![0f32; rows * n];
        (scalar().dot_q6_k)(&w, rows, &a, &mut file);
        for t in 0..n {
            for r in 0..rows {
                let mag = magnitude(&wd[r * cols..(r + 1) * cols], &ad[t * cols..(t + 1) * cols]);
                let (p, q) = (want[t * rows + r], file[t * rows + r]);
                prop_assert!((f64::from(p) - f64::from(q)).abs() <= 1e-5 * mag, "q6_k [{t},{r}] x8 {p} vs file {q} (magnitude {mag})");
            }
        }
    }

    #[test]
    fn q8_block_dots_agree(nb in 0usize..=10, rows in 1usize..=9, n in 1usize..=6, seed in any::<u64>(), amp in -6i32..6) {
        let cols = nb * QK;
        let a = acts(n, cols, QK, seed, amp, q8_0::quantize_row);
        let ad = deq8(&a);
        let raw: Vec<u8> = common::gaussian(rows * nb * 34 + 2 * rows * nb, seed ^ 7).iter().map(|v| (v * 1e3) as i64 as u8).collect();
        for (ty, bb) in [(GgmlType::Q8_0, 34usize), (GgmlType::Q4_0, 18), (GgmlType::Q5_0, 22)] {
            let mut w = raw[..rows * nb * bb].to_vec();
            for (i, b) in w.chunks_exact_mut(bb).enumerate() {
                let pick = [raw[rows * nb * 34 + i]];
                random_block(ty, b, &pick);
            }
            let mut wd = vec![0f32; rows * cols];
            prop_assert!(quant::dequantize(ty, &w, &mut wd));
            for k in simd_sets() {
                let (f, g) = match ty {
                    GgmlType::Q8_0 => (k.dot_q8_0, scalar().dot_q8_0),
                    GgmlType::Q4_0 => (k.dot_q4_0, scalar().dot_q4_0),
                    _ => (k.dot_q5_0, scalar().dot_q5_0),
                };
                let (mut got, mut want) = (vec![0f32; rows * n], vec![0f32; rows * n]);
                f(&w, rows, &a, &mut got);
                g(&w, rows, &a, &mut want);
                for t in 0..n {
                    for r in 0..rows {
                        let mag = magnitude(&wd[r * cols..(r + 1) * cols], &ad[t * cols..(t + 1) * cols]);
                        prop_assert!(close(got[t * rows + r], want[t * rows + r], mag), "{} {ty} [{t},{r}] {} vs {}", k.name, got[t * rows + r], want[t * rows + r]);
                    }
                }
            }
        }
    }

    #[test]
    fn k_quant_dots_agree(nb in 0usize..=10, rows in 1usize..=9, n in 1usize..=6, seed in any::<u64>(), amp in -6i32..6) {
        let cols = nb * QK_K;
        let a = acts(n, cols, QK_K, seed, amp, q8_k::quantize_row);
        let ad = deq8k(&a);
        let raw: Vec<u8> = common::gaussian(rows * nb * 210 + 2 * rows * nb, seed ^ 9).iter().map(|v| (v * 1e3) as i64 as u8).collect();
        for (ty, bb) in [(GgmlType::Q4K, 144usize), (GgmlType::Q6K, 210)] {
            let mut w = raw[..rows * nb * bb].to_vec();
            for (i, b) in w.chunks_exact_mut(bb).enumerate() {
                let pick = [raw[rows * nb * 210 + 2 * i], raw[rows * nb * 210 + 2 * i + 1]];
                random_block(ty, b, &pick);
            }
            let mut wd = vec![0f32; rows * cols];
            prop_assert!(quant::dequantize(ty, &w, &mut wd));
            for k in simd_sets() {
                let (f, g) = if ty == GgmlType::Q4K { (k.dot_q4_k, scalar().dot_q4_k) } else { (k.dot_q6_k, scalar().dot_q6_k) };
                let (mut got, mut want) = (vec![0f32; rows * n], vec![0f32; rows * n]);
                f(&w, rows, &a, &mut got);
                g(&w, rows, &a, &mut want);
                for t in 0..n {
                    for r in 0..rows {
                        // Q4_K subtracts dmin·m·Σa: its magnitude includes the min term.
                        let mag = magnitude(&wd[r * cols..(r + 1) * cols], &ad[t * cols..(t + 1) * cols]) * 4.0;
                        prop_assert!(close(got[t * rows + r], want[t * rows + r], mag), "{} {ty} [{t},{r}] {} vs {}", k.name, got[t * rows + r], want[t * rows + r]);
                    }
                }
            }
        }
    }

    #[test]
    fn activation_quantizers_are_bit_identical(nb in 0usize..=10, seed in any::<u64>(), amp in -6i32..6) {
        let x: Vec<f32> = common::gaussian(nb * QK_K, seed).iter().map(|v| v * 10f32.powi(amp)).collect();
        for k in simd_sets() {
            let (mut a, mut b) = (vec![BlockQ8::default(); nb * 8], vec![BlockQ8::default(); nb * 8]);
            (k.quantize_q8_0)(&x, &mut a);
            (scalar().quantize_q8_0)(&x, &mut b);
            prop_assert_eq!(&a, &b);
            let (mut a, mut b) = (vec![BlockQ8K::default(); nb], vec![BlockQ8K::default(); nb]);
            (k.quantize_q8_k)(&x, &mut a);
            (scalar().quantize_q8_k)(&x, &mut b);
            prop_assert_eq!(&a, &b);
        }
    }

    #[test]
    fn elementwise_kernels_agree(x in prop::collection::vec(-8.0f32..8.0, 0..=300), seed in any::<u64>()) {
        let n = x.len();
        let y = common::gaussian(n, seed);
        for k in simd_sets() {
            if n > 0 {
                let (mut a, mut b) = (vec![0f32; n], vec![0f32; n]);
                (k.rmsnorm)(&mut a, &x, &y, 1e-5);
                (scalar().rmsnorm)(&mut b, &x, &y, 1e-5);
                for i in 0..n {
                    prop_assert_eq!(a[i].to_bits(), b[i].to_bits(), "rmsnorm {}", i);
                }
                let (mut a, mut b) = (x.clone(), x.clone());
                (k.softmax)(&mut a);
                (scalar().softmax)(&mut b);
                for i in 0..n {
                    prop_assert_eq!(a[i].to_bits(), b[i].to_bits(), "softmax {}", i);
                }
            }
            let (mut a, mut b) = (x.clone(), x.clone());
            (k.silu_mul)(&mut a, &y);
            (scalar().silu_mul)(&mut b, &y);
            for i in 0..n {
                prop_assert_eq!(a[i].to_bits(), b[i].to_bits(), "silu_mul {}", i);
            }
            let (mut a, mut b) = (y.clone(), y.clone());
            (k.axpy)(&mut a, 0.37, &x);
            (scalar().axpy)(&mut b, 0.37, &x);
            for i in 0..n {
                prop_assert_eq!(a[i].to_bits(), b[i].to_bits(), "axpy {}", i);
            }
            if n >= 2 {
                let half = n / 2;
                let (cos, sin): (Vec<f32>, Vec<f32>) = y[..half / 2].iter().map(|t| (t.cos(), t.sin())).unzip();
                let (mut a, mut b) = (x[..half * 2].to_vec(), x[..half * 2].to_vec());
                (k.rope)(&mut a, half, &cos, &sin);
                (scalar().rope)(&mut b, half, &cos, &sin);
                prop_assert_eq!(a, b);
            }
        }
    }

    #[test]
    fn attention_agrees(hd8 in 1usize..=16, odd in any::<bool>(), len in 1usize..=300, seed in any::<u64>()) {
        // Head sizes 8..=128 in steps of 8 (the SIMD path) or one less (the fallback).
        let hd = 8 * hd8 - usize::from(odd);
        let stride = hd + 5;
        let q = common::gaussian(hd, seed);
        let kc = common::gaussian(len * stride, seed ^ 2);
        let vc = common::gaussian(len * stride, seed ^ 3);
        let scale = 1.0 / (hd as f32).sqrt();
        let mut sc = vec![0f32; len];
        let mut want = vec![0f32; hd];
        (scalar().attend)(&q, &kc, &vc, stride, len, scale, &mut sc, &mut want);
        for k in simd_sets() {
            let mut got = vec![7f32; hd];
            (k.attend)(&q, &kc, &vc, stride, len, scale, &mut sc, &mut got);
            for i in 0..hd {
                prop_assert_eq!(got[i].to_bits(), want[i].to_bits(), "{} attend {}: {} vs {}", k.name, i, got[i], want[i]);
            }
        }
    }
}

#[test]
fn q8_0_activation_rounding_ties_go_away_from_zero() {
    // amax 127 → d = 1, id = 1: x·id is exactly the value, so .5 cases are true ties.
    let mut x = [0f32; 32];
    x[0] = 127.0;
    let ties = [2.5, -2.5, 0.5, -0.5, 3.5, -126.5, 1.4999999, -1.5000001];
    x[1..1 + ties.len()].copy_from_slice(&ties);
    for k in kernels::sets() {
        let mut a = [BlockQ8::default()];
        (k.quantize_q8_0)(&x, &mut a);
        assert_eq!(
            &a[0].qs[..9],
            &[127, 3, -3, 1, -1, 4, -127, 1, -2],
            "{}",
            k.name
        );
    }
}

#[test]
fn new_formats_round_trip_within_budgets() {
    let x = common::gaussian(256 * 64, 11);
    for (ty, budget) in [
        (GgmlType::Q5_0, Q5_0_REL_RMSE),
        (GgmlType::Q4K, Q4_K_REL_RMSE),
        (GgmlType::Q6K, Q6_K_REL_RMSE),
    ] {
        let bytes = quant::quantize(ty, &x).unwrap();
        assert_eq!(bytes.len() as u64, ty.bytes_for(x.len() as u64).unwrap());
        let mut back = vec![0f32; x.len()];
        assert!(quant::dequantize(ty, &bytes, &mut back));
        let e = rmse(&x, &back);
        println!("{ty}: relative RMSE {e}");
        assert!(e <= budget, "{ty}: RMSE {e} > {budget}");
    }
    // Zero and constant blocks stay finite and exact where representable.
    for ty in [GgmlType::Q5_0, GgmlType::Q4K, GgmlType::Q6K] {
        let z = vec![0f32; 256];
        let mut back = vec![1f32; 256];
        assert!(quant::dequantize(
            ty,
            &quant::quantize(ty, &z).unwrap(),
            &mut back
        ));
        assert!(back.iter().all(|&v| v == 0.0), "{ty}: zeros");
    }
}

#[test]
fn new_format_dots_match_f32_within_budgets() {
    for k in kernels::sets() {
        for seed in 0..12u64 {
            let n = QK_K * (1 + seed as usize % 8);
            let (w, x) = (common::gaussian(n, seed), common::gaussian(n, seed + 100));
            let exact = common::naive_dot(&w, &x);
            let scale = common::naive_dot(&w, &w).sqrt() * common::naive_dot(&x, &x).sqrt();
            let mut a8 = vec![BlockQ8::default(); n / QK];
            (k.quantize_q8_0)(&x, &mut a8);
            let mut ak = vec![BlockQ8K::default(); n / QK_K];
            (k.quantize_q8_k)(&x, &mut ak);
            let d5 = dot1(
                k.dot_q5_0,
                &quant::quantize(GgmlType::Q5_0, &w).unwrap(),
                &a8,
            );
            let d4k = dot1(
                k.dot_q4_k,
                &quant::quantize(GgmlType::Q4K, &w).unwrap(),
                &ak,
            );
            let d6k = dot1(
                k.dot_q6_k,
                &quant::quantize(GgmlType::Q6K, &w).unwrap(),
                &ak,
            );
            for (name, d, budget) in [
                ("q5_0", d5, Q5_0_DOT_REL),
                ("q4_k", d4k, Q4_K_DOT_REL),
                ("q6_k", d6k, Q6_K_DOT_REL),
            ] {
                let rel = (d - exact).abs() / scale;
                assert!(
                    rel <= budget,
                    "{} {name}: dot {d} vs {exact} (rel {rel})",
                    k.name
                );
            }
        }
    }
}

#[test]
fn this_x86_machine_tests_its_simd_sets() {
    #[cfg(target_arch = "x86_64")]
    if std::is_x86_feature_detected!("avx2")
        && std::is_x86_feature_detected!("fma")
        && std::is_x86_feature_detected!("f16c")
    {
        let vnni = std::is_x86_feature_detected!("avx512vnni")
            && std::is_x86_feature_detected!("avx512vl");
        // Each set with its prefetching twin, which must agree with the oracle as well.
        let want: &[&str] = if vnni {
            &["avx2-pf", "avx2", "avx512vnni-pf", "avx512vnni"]
        } else {
            &["avx2-pf", "avx2"]
        };
        assert_eq!(simd_sets().iter().map(|k| k.name).collect::<Vec<_>>(), want);
        assert_eq!(kernels::select_auto().name, *want.last().unwrap());
    }
}

#[test]
fn this_aarch64_machine_tests_its_simd_sets() {
    #[cfg(target_arch = "aarch64")]
    {
        // Under QEMU the default CPU has dotprod; QEMU_CPU=cortex-a72 (a Pi 4 core) has not.
        let dotprod = std::arch::is_aarch64_feature_detected!("dotprod");
        let want: &[&str] = if dotprod {
            &["neon", "neon-dotprod"]
        } else {
            &["neon"]
        };
        let got: Vec<_> = simd_sets().iter().map(|k| k.name).collect();
        println!("aarch64 SIMD sets tested here: {got:?} (dotprod {dotprod})");
        assert_eq!(got, want);
        assert_eq!(kernels::select_auto().name, *want.last().unwrap());
    }
}
