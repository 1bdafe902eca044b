//! ONNX variants of synthesized models (fp32, int8, int4), written by `edgebench-onnx-export`
//! when an ONNX backend is compiled in.

use anyhow::Result;
use std::path::Path;

#[cfg(feature = "onnx-export")]
pub fn write(
    weights: &edgebench_reference::synth::LlamaWeights,
    quant: &str,
    out: &Path,
) -> Result<()> {
    use anyhow::Context;
    let variant = match quant {
        "f32" => edgebench_onnx_export::OnnxVariant::Fp32,
        "int8" => edgebench_onnx_export::OnnxVariant::Int8,
        "int4" => edgebench_onnx_export::OnnxVariant::Int4,
        other => anyhow::bail!("ONNX models come in f32, int8 and int4, not `{other}`"),
    };
    edgebench_onnx_export::write_onnx(weights, variant, out)
        .with_context(|| format!("writing {}", out.display()))?;
    Ok(())
}

#[cfg(not(feature = "onnx-export"))]
pub fn write(
    _weights: &edgebench_reference::synth::LlamaWeights,
    _quant: &str,
    _out: &Path,
) -> Result<()> {
    anyhow::bail!("ONNX model synthesis is not compiled into this build; rebuild with `--features ort` or `--features tract`")
}
