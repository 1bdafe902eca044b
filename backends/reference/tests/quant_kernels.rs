//! Quantization budgets and kernel agreement: quantize → dequantize RMSE, quantized dot
//! products against f32, and every scalar kernel against a naive twin over lengths 0..=300.

mod common;

use edgebench_reference::gguf::GgmlType;
use edgebench_reference::kernels::{self, matmul, MatRef};
use edgebench_reference::quant::{self, q8_0, rmse, BlockQ8};
use proptest::prelude::*;

/// quantize → dequantize RMSE relative to the RMS of N(0,1) data.
const Q8_0_REL_RMSE: f32 = 0.006;
const Q4_0_REL_RMSE: f32 = 0.12;
const F16_REL_RMSE: f32 = 0.0005;
/// |quantized dot − f32 dot| relative to ‖w‖·‖x‖ (the dot's natural scale).
const Q8_0_DOT_REL: f32 = 0.01;
const Q4_0_DOT_REL: f32 = 0.06;

#[test]
fn round_trip_rmse_within_budgets() {
    let x = common::gaussian(32 * 1024, 1);
    for (ty, budget) in [
        (GgmlType::F16, F16_REL_RMSE),
        (GgmlType::Q8_0, Q8_0_REL_RMSE),
        (GgmlType::Q4_0, Q4_0_REL_RMSE),
    ] {
        let bytes = quant::quantize(ty, &x).unwrap();
        assert_eq!(bytes.len() as u64, ty.bytes_for(x.len() as u64).unwrap());
        let mut back = vec![0f32; x.len()];
        assert!(quant::dequantize(ty, &bytes, &mut back));
        let e = rmse(&x, &back);
        println!("{ty}: relative RMSE {e}");
        assert!(e <= budget, "{ty}: RMSE {e} > {budget}");
    }
    let bytes = quant::quantize(GgmlType::F32, &x).unwrap();
    let mut back = vec![0f32; x.len()];
    assert!(quant::dequantize(GgmlType::F32, &bytes, &mut back));
    assert_eq!(back, x);
    assert!(quant::quantize(GgmlType::Q8_0, &x[..31]).is_none());
    assert!(!quant::dequantize(GgmlType::Q5K, &bytes, &mut back));
}

#[test]
fn quantized_dots_within_budgets() {
    let k = &kernels::scalar::KERNELS;
    for seed in 0..20 {
        let n = 32 * (1 + seed as usize % 24);
        let (w, x) = (common::gaussian(n, seed), common::gaussian(n, seed + 100));
        let exact = common::naive_dot(&w, &x);
        let scale = common::naive_dot(&w, &w).sqrt() * common::naive_dot(&x, &x).sqrt();
        let mut a = vec![BlockQ8::default(); n / 32];
        (k.quantize_q8_0)(&x, &mut a);
        let d8 = kernels::dot1(
            k.dot_q8_0,
            &quant::quantize(GgmlType::Q8_0, &w).unwrap(),
            &a,
        );
        let d4 = kernels::dot1(
            k.dot_q4_0,
            &quant::quantize(GgmlType::Q4_0, &w).unwrap(),
            &a,
        );
        assert!(
            (d8 - exact).abs() / scale <= Q8_0_DOT_REL,
            "q8_0 dot {d8} vs {exact}"
        );
        assert!(
            (d4 - exact).abs() / scale <= Q4_0_DOT_REL,
            "q4_0 dot {d4} vs {exact}"
        );
    }
}

#[test]
fn activation_blocks_match_the_file_encoding() {
    // The activation quantizer and the file quantizer are the same ggml reference code.
    let x = common::gaussian(64, 9);
    let mut a = vec![BlockQ8::default(); 2];
    q8_0::quantize_row(&x, &mut a);
    let bytes = q8_0::quantize(&x);
    for (b, blk) in a.iter().zip(bytes.chunks_exact(34)) {
        assert_eq!(quant::f16::from_f32(b.d).to_le_bytes(), [blk[0], blk[1]]);
        assert!(b.qs.iter().zip(&blk[2..]).all(|(&q, &v)| q as u8 == v));
    }
}

#[test]
fn matmul_batched_equals_rows_and_matches_dequantized_f32() {
    let k = &kernels::scalar::KERNELS;
    let (rows, cols, n) = (7, 96, 3);
    let w = common::gaussian(rows * cols, 5);
    let x = common::gaussian(n * cols, 6);
    for ty in [GgmlType::F32, GgmlType::F16, GgmlType::Q8_0, GgmlType::Q4_0] {
        let data = quant::quantize(ty, &w).unwrap();
        let m = MatRef {
            ggml_type: ty,
            rows,
            cols,
            data: &data,
            x8: false,
        };
        let mut q8 = kernels::MatmulScratch::default();
        let mut batched = vec![0f32; n * rows];
        matmul(k, &m, &x, n, &mut batched, &mut q8);
        let mut wd = vec![0f32; rows * cols];
        assert!(quant::dequantize(ty, &data, &mut wd));
        for t in 0..n {
            let xr = &x[t * cols..(t + 1) * cols];
            let mut single = vec![0f32; rows];
            matmul(k, &m, xr, 1, &mut single, &mut q8);
            assert_eq!(
                &batched[t * rows..(t + 1) * rows],
                &single[..],
                "{ty} row {t}"
            );
            for r in 0..rows {
                let want = common::naive_dot(&wd[r * cols..(r + 1) * cols], xr);
                let tol = if matches!(ty, GgmlType::F32 | GgmlType::F16) {
                    1e-4
                } else {
                    0.1
                };
                assert!(
                    (single[r] - want).abs() <= tol,
                    "{ty} [{t},{r}] {} vs {want}",
                    single[r]
                );
            }
        }
    }
}

fn vec_f32(max: usize) -> impl Strategy<Value = Vec<f32>> {
    prop::collection::vec(-4.0f32..4.0, 0..=max)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: common::proptest_cases(64), ..ProptestConfig::default() })]

    #[test]
    fn float_dots_agree_with_naive(a in vec_f32(300), seed in any::<u64>()) {
        let k = &kernels::scalar::KERNELS;
        let b = common::gaussian(a.len(), seed);
        let want = common::naive_dot(&a, &b);
        let tol = 1e-4 * (1.0 + a.len() as f32);
        prop_assert!(((k.dot_f32)(&a, &b) - want).abs() <= tol);
        let wb: Vec<u8> = a.iter().flat_map(|v| v.to_le_bytes()).collect();
        prop_assert!((kernels::dot1(k.dot_f32_bytes, &wb, &b) - want).abs() <= tol);
        let h = quant::quantize(GgmlType::F16, &a).unwrap();
        let mut ad = vec![0f32; a.len()];
        quant::dequantize(GgmlType::F16, &h, &mut ad);
        prop_assert!((kernels::dot1(k.dot_f16, &h, &b) - common::naive_dot(&ad, &b)).abs() <= tol);
    }

    #[test]
    fn elementwise_kernels_agree_with_naive(x in vec_f32(300)) {
        let k = &kernels::scalar::KERNELS;
        let n = x.len();
        if n > 0 {
            let w = common::gaussian(n, 3);
            let mut out = vec![0f32; n];
            (k.rmsnorm)(&mut out, &x, &w, 1e-5);
            let ms = x.iter().map(|v| v * v).sum::<f32>() / n as f32;
            for i in 0..n {
                let want = x[i] / (ms + 1e-5).sqrt() * w[i];
                prop_assert!((out[i] - want).abs() <= 1e-3 * (1.0 + want.abs()));
            }
            let mut sm = x.clone();
            (k.softmax)(&mut sm);
            let sum: f32 = sm.iter().sum();
            prop_assert!((sum - 1.0).abs() < 1e-4);
            let max = x.iter().cloned().fold(f32::MIN, f32::max);
            let z: f32 = x.iter().map(|v| (v - max).exp()).sum();
            for i in 0..n {
                prop_assert!((sm[i] - (x[i] - max).exp() / z).abs() < 1e-5);
            }
        }
        let up = common::gaussian(n, 4);
        let mut g = x.clone();
        (k.silu_mul)(&mut g, &up);
        for i in 0..n {
            let want = x[i] / (1.0 + (-x[i]).exp()) * up[i];
            prop_assert!((g[i] - want).abs() <= 1e-5 * (1.0 + want.abs()));
        }
        let mut y = up.clone();
        (k.axpy)(&mut y, 0.5, &x);
        for i in 0..n {
            prop_assert_eq!(y[i], up[i] + 0.5 * x[i]);
        }
    }

    #[test]
    fn rope_rotates_adjacent_pairs(heads in 1usize..4, half in 1usize..9, pos in 0usize..300) {
        let k = &kernels::scalar::KERNELS;
        let hd = 2 * half + 2; // the last pair stays unrotated (rot_dim < head_dim)
        let x = common::gaussian(heads * hd, pos as u64);
        let (cos, sin): (Vec<f32>, Vec<f32>) = (0..half)
            .map(|i| {
                let th = pos as f32 * 10000f32.powf(-2.0 * i as f32 / (2 * half) as f32);
                (th.cos(), th.sin())
            })
            .unzip();
        let mut y = x.clone();
        (k.rope)(&mut y, hd, &cos, &sin);
        for h in 0..heads {
            for i in 0..half {
                let (a, b) = (x[h * hd + 2 * i], x[h * hd + 2 * i + 1]);
                prop_assert!((y[h * hd + 2 * i] - (a * cos[i] - b * sin[i])).abs() < 1e-5);
                prop_assert!((y[h * hd + 2 * i + 1] - (a * sin[i] + b * cos[i])).abs() < 1e-5);
            }
            prop_assert_eq!(&y[h * hd + 2 * half..(h + 1) * hd], &x[h * hd + 2 * half..(h + 1) * hd]);
        }
    }
}
