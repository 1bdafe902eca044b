//! Write a synthesized model: `cargo run --release --example synth -- PRESET QUANT OUT.gguf [SEED]`.

use edgebench_reference::synth::{write_preset_gguf, Preset, SynthQuant};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [preset, quant, out, rest @ ..] = args.as_slice() else {
        return Err("usage: synth PRESET QUANT OUT.gguf [SEED]".into());
    };
    let seed = rest.first().map(|s| s.parse()).transpose()?.unwrap_or(42);
    let preset: Preset = preset.parse()?;
    let quant: SynthQuant = quant.parse()?;
    write_preset_gguf(preset, seed, quant, out.as_ref())?;
    println!("{}", edgebench_reference::inspect(out)?.tensors.len());
    Ok(())
}
