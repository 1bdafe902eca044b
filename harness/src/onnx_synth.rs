//! ONNX variants of synthesized models (fp32, int8, int4), written by `edgebench-onnx-export`
//! when an ONNX backend is compiled in.

use anyhow::Result;
use edgebench_reference::synth::Preset;
use std::path::Path;

#[cfg(feature = "onnx-export")]
pub fn write(preset: Preset, seed: u64, quant: &str, out: &Path) -> Result<()> {
    use anyhow::Context;
    use edgebench_onnx_export::OnnxVariant;
    let variant = match quant {
        "f32" => OnnxVariant::Fp32,
        "int8" => OnnxVariant::Int8,
        "int4" => OnnxVariant::Int4,
        other => anyhow::bail!("ONNX models come in f32, int8 and int4, not `{other}`"),
    };
    edgebench_onnx_export::write_preset_onnx(preset, seed, variant, out)
        .with_context(|| format!("writing {}", out.display()))?;
    Ok(())
}

#[cfg(not(feature = "onnx-export"))]
pub fn write(_preset: Preset, _seed: u64, _quant: &str, _out: &Path) -> Result<()> {
    anyhow::bail!(
        "ONNX model synthesis is not compiled into this build; rebuild with `--features ort` or `--features tract`"
    )
}
