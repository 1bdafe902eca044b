//! `weight_facts` on the files this crate writes: decode bytes against the value computed from
//! the preset's shape, parameter counts against the reference engine on the f32 GGUF.

use edgebench_backend::{Backend, LoadOptions, ModelFormat, ModelSpec};
use edgebench_onnx_export::{
    weight_facts, write_onnx_with, write_preset_onnx, ExternalData, LlamaConfig, OnnxVariant,
    Preset, PresetWeights,
};
use edgebench_reference::synth::{write_preset_gguf, SynthQuant};
use edgebench_reference::ReferenceBackend;
use std::path::Path;

const VARIANTS: [OnnxVariant; 3] = [OnnxVariant::Fp32, OnnxVariant::Int8, OnnxVariant::Int4];

/// Bytes one decode step reads, from the shape alone: every layer matrix and the lm_head at the
/// variant's encoding (int8: i8 values + f32 scale + i8 zero point per matrix; int4: 16 bytes of
/// codes + one f32 scale per block of 32), the f32 norms, and one embedding row (int8: a u8 row
/// + its f32 scale and u8 zero point).
fn expected_decode_bytes(c: &LlamaConfig, v: OnnxVariant) -> u64 {
    let (d, f, vocab) = (c.hidden_size, c.intermediate_size, c.vocab_size);
    let (q, kv) = (c.q_dim(), c.kv_dim());
    let layer = [(q, d), (kv, d), (kv, d), (d, q), (f, d), (f, d), (d, f)];
    let matrix = |(n, k): (usize, usize)| -> u64 {
        (match v {
            OnnxVariant::Fp32 => 4 * n * k,
            OnnxVariant::Int8 => n * k + 4 + 1,
            OnnxVariant::Int4 => n * k.div_ceil(32) * (16 + 4),
        }) as u64
    };
    let layers: u64 = layer.iter().map(|&m| matrix(m)).sum::<u64>() * c.num_hidden_layers as u64;
    let norms = 4 * (2 * d * c.num_hidden_layers + d) as u64;
    let lm_head = matrix((vocab, d));
    let row = match v {
        OnnxVariant::Int8 => d as u64 + 4 + 1,
        _ => 4 * d as u64,
    };
    layers + norms + lm_head + row
}

fn embedding_table_bytes(c: &LlamaConfig, v: OnnxVariant) -> u64 {
    let n = (c.vocab_size * c.hidden_size) as u64;
    if v == OnnxVariant::Int8 {
        n
    } else {
        4 * n
    }
}

fn reference_parameter_count(preset: Preset, dir: &Path) -> u64 {
    let path = dir.join(format!("{preset}-f32.gguf"));
    write_preset_gguf(preset, 42, SynthQuant::F32, &path).unwrap();
    let spec = ModelSpec {
        path: path.clone(),
        format: ModelFormat::Gguf,
        quant: None,
    };
    let m = ReferenceBackend
        .load(
            &spec,
            &LoadOptions {
                threads: 1,
                max_seq_len: 32,
            },
        )
        .unwrap();
    m.info().parameter_count
}

#[test]
fn presets_in_every_variant() {
    let dir = tempfile::tempdir().unwrap();
    for preset in [Preset::Tiny, Preset::Stories15m] {
        let c = preset.config();
        let reference = reference_parameter_count(preset, dir.path());
        assert_eq!(reference, c.parameter_count(), "{preset}");
        for v in VARIANTS {
            let path = dir.path().join(format!("{preset}-{}.onnx", v.as_str()));
            write_preset_onnx(preset, 42, v, &path).unwrap();
            let file = std::fs::metadata(&path).unwrap().len();
            let f = weight_facts(&path).unwrap();
            let want = expected_decode_bytes(&c, v);
            let err = (f.decode_bytes as f64 - want as f64).abs() / want as f64;
            println!(
                "{preset} {}: decode_bytes {} (expected {want}, {:+.4}%), parameters {}, \
                 initializers {} bytes, file {file} bytes",
                v.as_str(),
                f.decode_bytes,
                100.0 * (f.decode_bytes as f64 / want as f64 - 1.0),
                f.parameter_count,
                f.total_initializer_bytes,
            );
            assert!(err < 0.01, "{preset} {v:?}: {} vs {want}", f.decode_bytes);
            assert_eq!(f.parameter_count, reference, "{preset} {v:?}");
            assert!(f.total_initializer_bytes <= file);
            if preset == Preset::Stories15m {
                assert!(f.total_initializer_bytes > file * 19 / 20);
            }
            // Everything but one row of the embedding table is read.
            let table = embedding_table_bytes(&c, v);
            let row = table / c.vocab_size as u64;
            assert!(file - f.decode_bytes >= table - row, "{preset} {v:?}");
            assert_eq!(
                f.total_initializer_bytes - f.decode_bytes,
                table - row,
                "{preset} {v:?}"
            );
        }
    }
    // The quantized stories15m files are dominated by their embedding.
    let ratio = |v: OnnxVariant| {
        let p = dir.path().join(format!("stories15m-{}.onnx", v.as_str()));
        weight_facts(&p).unwrap().decode_bytes as f64 / std::fs::metadata(&p).unwrap().len() as f64
    };
    assert!(
        ratio(OnnxVariant::Int8) < 0.7,
        "{}",
        ratio(OnnxVariant::Int8)
    );
    assert!(
        ratio(OnnxVariant::Int4) < 0.25,
        "{}",
        ratio(OnnxVariant::Int4)
    );
}

#[test]
fn external_data_gives_the_same_facts() {
    let dir = tempfile::tempdir().unwrap();
    let src = PresetWeights::new(Preset::Tiny, 3);
    for v in VARIANTS {
        let inside = dir.path().join(format!("in-{}.onnx", v.as_str()));
        let outside = dir.path().join(format!("out-{}.onnx", v.as_str()));
        write_onnx_with(&src, v, &inside, ExternalData::Never).unwrap();
        let s = write_onnx_with(&src, v, &outside, ExternalData::Always).unwrap();
        assert!(s.external_data.is_some());
        let a = weight_facts(&inside).unwrap();
        let b = weight_facts(&outside).unwrap();
        assert_eq!(a, b, "{v:?}");
        let len = |p: &Path| std::fs::metadata(p).unwrap().len();
        assert!(len(&outside) + b.total_initializer_bytes / 2 < len(&inside));
    }
}

#[test]
fn tied_embeddings_count_once() {
    let dir = tempfile::tempdir().unwrap();
    let mut c = Preset::Tiny.config();
    c.tie_word_embeddings = true;
    let src = PresetWeights {
        config: c.clone(),
        seed: 5,
    };
    for v in VARIANTS {
        let path = dir.path().join(format!("tied-{}.onnx", v.as_str()));
        write_onnx_with(&src, v, &path, ExternalData::Never).unwrap();
        let f = weight_facts(&path).unwrap();
        assert_eq!(f.parameter_count, c.parameter_count(), "{v:?}");
        // The file holds lm_head as its own copy: read whole, plus one embedding row.
        let mut untied = c.clone();
        untied.tie_word_embeddings = false;
        let want = expected_decode_bytes(&untied, v);
        assert!(
            (f.decode_bytes as f64 / want as f64 - 1.0).abs() < 0.01,
            "{v:?}: {} vs {want}",
            f.decode_bytes
        );
    }
}

#[test]
fn missing_and_malformed_files_are_errors() {
    let dir = tempfile::tempdir().unwrap();
    let e = weight_facts(&dir.path().join("nope.onnx")).unwrap_err();
    assert!(e.to_string().contains("nope.onnx"), "{e}");
    let p = dir.path().join("junk.onnx");
    std::fs::write(&p, b"GGUF\x03\x00\x00\x00 definitely not protobuf").unwrap();
    assert!(weight_facts(&p).is_err());
    std::fs::write(&p, b"").unwrap();
    assert!(weight_facts(&p).is_err());
}
