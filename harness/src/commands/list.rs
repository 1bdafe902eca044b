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
        let status = match (e.make, &ort.row) {
            (None, _) => format!(
                "not compiled in; rebuild with `--features {}`",
                e.feature.unwrap_or_default()
            ),
            (Some(_), Some(row)) if e.name == "ort" => row.clone(),
            (Some(make), _) => {
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
    if let Some(line) = ort.line {
        println!("\nONNX Runtime library: {line}");
    }
    Ok(0)
}

/// What `list` says about ONNX Runtime besides the check.
#[derive(Default)]
struct OrtLibrary {
    /// The `ort` row when no library is installed: what will be fetched, or why nothing can be
    /// (a check would only say "not installed").
    row: Option<String>,
    /// The closing line: the library and where it was found, or what will be fetched.
    line: Option<String>,
}

#[cfg(feature = "ort")]
fn ort_library() -> OrtLibrary {
    use edgebench_ort::library::{status, Status};
    let s = status();
    match &s {
        Status::Found(_) => OrtLibrary {
            row: None,
            line: Some(s.to_string()),
        },
        Status::WillFetch { version, .. } => OrtLibrary {
            row: Some(format!(
                "not present: ONNX Runtime {version} will be fetched on first use"
            )),
            line: Some(s.to_string()),
        },
        Status::Unavailable(e) => OrtLibrary {
            row: Some(format!("unavailable: {e}")),
            line: None,
        },
    }
}

#[cfg(not(feature = "ort"))]
fn ort_library() -> OrtLibrary {
    OrtLibrary::default()
}

/// Make every ONNX Runtime library this process would load go through `edgebench ort-probe`
/// in a child process first, so a broken or fake library cannot crash `list`, a run or a worker.
pub fn register_ort_prober() {
    #[cfg(feature = "ort")]
    if let Ok(exe) = std::env::current_exe() {
        edgebench_ort::library::set_prober(exe, vec!["ort-probe".into()]);
    }
}

/// `edgebench ort-probe LIBRARY` (hidden): the child side of that check.
pub fn ort_probe(library: &std::path::Path) -> i32 {
    #[cfg(feature = "ort")]
    return edgebench_ort::library::probe_main(library);
    #[cfg(not(feature = "ort"))]
    {
        eprintln!(
            "{}: this build has no ONNX Runtime support (rebuild with `--features ort`)",
            library.display()
        );
        2
    }
}
