//! Write a random llama of a small shape as fp32, int8 and int4 ONNX files (for scripts/check_onnx.py
//! before the reference synthesizer is available).
//! Usage: cargo run -p edgebench-onnx-export --example random_llama -- <out_dir>

use edgebench_onnx_export::{write_onnx_view, LayerView, OnnxVariant, Shape, WeightsView};

fn main() {
    let out = std::env::args().nth(1).unwrap_or_else(|| ".".into());
    let shape = Shape {
        vocab_size: 256,
        hidden_size: 64,
        intermediate_size: 160,
        num_layers: 2,
        num_heads: 4,
        num_kv_heads: 2,
        head_dim: 16,
        rms_norm_eps: 1e-5,
        rope_theta: 10000.0,
    };
    let mut seed = 0x1234_5678_u64;
    let mut rnd = |n: usize, scale: f32| -> Vec<f32> {
        (0..n)
            .map(|_| {
                seed = seed
                    .wrapping_mul(6364136223846793005)
                    .wrapping_add(1442695040888963407);
                ((seed >> 40) as f32 / (1u64 << 24) as f32 * 2.0 - 1.0) * scale
            })
            .collect()
    };
    let (d, f, v) = (64, 160, 256);
    let emb = rnd(v * d, 1.0);
    let layers: Vec<Vec<Vec<f32>>> = (0..2)
        .map(|_| {
            vec![
                rnd(d, 0.2).iter().map(|x| 1.0 + x).collect(),
                rnd(d * d, 0.2),
                rnd(32 * d, 0.2),
                rnd(32 * d, 0.2),
                rnd(d * d, 0.2),
                rnd(d, 0.2).iter().map(|x| 1.0 + x).collect(),
                rnd(f * d, 0.2),
                rnd(f * d, 0.2),
                rnd(d * f, 0.2),
            ]
        })
        .collect();
    let norm: Vec<f32> = vec![1.0; d];
    let head = rnd(v * d, 0.2);
    let view = WeightsView {
        shape,
        embedding: &emb,
        layers: layers
            .iter()
            .map(|l| LayerView {
                attn_norm: &l[0],
                q: &l[1],
                k: &l[2],
                v: &l[3],
                o: &l[4],
                ffn_norm: &l[5],
                gate: &l[6],
                up: &l[7],
                down: &l[8],
            })
            .collect(),
        final_norm: &norm,
        lm_head: &head,
    };
    for var in [OnnxVariant::Fp32, OnnxVariant::Int8, OnnxVariant::Int4] {
        let p = std::path::Path::new(&out).join(format!("random-{}.onnx", var.as_str()));
        let s = write_onnx_view(&view, var, &p).expect("write");
        println!(
            "{} ({} bytes, {} nodes)",
            p.display(),
            s.bytes_written,
            s.node_count
        );
    }
}
