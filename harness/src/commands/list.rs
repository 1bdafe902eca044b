//! `edgebench list`: every backend this build knows, its formats, and whether it can run here;
//! then where the ONNX Runtime library comes from (never fetching it).

use anyhow::Result;

pub fn list() -> Result<i32> {
    let ort = ort_library();
    println!(
        "{:<10} {:<8} {:<10} status",
        "backend", "formats", "feature"
    );
    for e in crate::registry::entries() {
        let formats: Vec<&str> = e.formats.iter().map(|f| f.as_str()).collect();
        let will_fetch = ort.as_ref().and_then(|(_, row)| row.clone());
        let status = match e.make {
            None => format!(
                "not compiled in; rebuild with `--features {}`",
                e.feature.unwrap_or_default()
            ),
            Some(_) if e.name == "ort" && will_fetch.is_some() => will_fetch.unwrap_or_default(),
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
    if let Some((line, _)) = ort {
        println!("\nONNX Runtime library: {line}");
    }
    Ok(0)
}

/// Where ONNX Runtime comes from (a line for the end), and the `ort` row's status when it is
/// not installed yet but will be fetched on first use (a check would only say "unavailable").
#[cfg(feature = "ort")]
fn ort_library() -> Option<(String, Option<String>)> {
    use edgebench_ort::library::{status, Status};
    let s = status();
    let row = match &s {
        Status::WillFetch { version, .. } => Some(format!(
            "not present: ONNX Runtime {version} will be fetched on first use"
        )),
        _ => None,
    };
    Some((s.to_string(), row))
}

#[cfg(not(feature = "ort"))]
fn ort_library() -> Option<(String, Option<String>)> {
    None
}
