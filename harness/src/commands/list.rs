//! `edgebench list`: every backend this build knows, its formats, and whether it can run here.

use anyhow::Result;

pub fn list() -> Result<i32> {
    println!(
        "{:<10} {:<8} {:<10} status",
        "backend", "formats", "feature"
    );
    for e in crate::registry::entries() {
        let formats: Vec<&str> = e.formats.iter().map(|f| f.as_str()).collect();
        let status = match e.make {
            None => format!(
                "not compiled in; rebuild with `--features {}`",
                e.feature.unwrap_or_default()
            ),
            Some(make) => {
                let b = make();
                match b.check() {
                    Ok(()) => {
                        let d = b.describe();
                        let version = d
                            .get("version")
                            .map_or_else(String::new, |v| format!(" (version {v})"));
                        format!("available{version}")
                    }
                    Err(err) => format!("unavailable: {err}"),
                }
            }
        };
        println!(
            "{:<10} {:<8} {:<10} {status}",
            e.name,
            formats.join(","),
            e.feature.unwrap_or("-")
        );
    }
    Ok(0)
}
