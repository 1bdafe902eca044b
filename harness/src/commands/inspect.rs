//! `edgebench model inspect FILE`: metadata, tensor table, sizes and sha256 of a GGUF file.

use anyhow::{Context, Result};
use std::path::Path;

pub fn inspect(file: &Path) -> Result<i32> {
    let report = edgebench_reference::inspect(file)
        .with_context(|| format!("inspecting {}", file.display()))?;
    let (sha, len) = crate::models::sha256_file(file)?;
    println!("file:   {}", file.display());
    println!("size:   {len} bytes");
    println!("sha256: {sha}");
    print!("{report}");
    Ok(0)
}
