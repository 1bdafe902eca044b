//! Train a preset and print its report: `cargo run -p edgebench-train --example train_preset --
//! kjv-micro [seed] [out.safetensors]` (corpus: `EDGEBENCH_CORPUS` or the cached KJV).

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().collect();
    let preset: edgebench_train::TrainPreset =
        args.get(1).map_or("kjv-micro", String::as_str).parse()?;
    let seed = args.get(2).map_or(Ok(0), |s| s.parse())?;
    let corpus = edgebench_train::corpus::load(edgebench_backend::user_cache_dir().as_deref())?;
    let t = edgebench_train::train(
        &corpus,
        &edgebench_train::TrainOptions {
            preset,
            seed,
            checkpoint_dir: None,
            progress: true,
            stop_after: std::env::var("STOP_AFTER")
                .ok()
                .and_then(|s| s.parse().ok()),
        },
    )?;
    println!("{}", serde_json::to_string_pretty(&t.report)?);
    if let Some(out) = args.get(3) {
        edgebench_train::save_weights(&t.weights, std::path::Path::new(out))?;
    }
    Ok(())
}
