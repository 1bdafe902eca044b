//! The backend registry: one explicit list, one line per backend. A backend that is not
//! compiled into this build is still listed, so a scenario naming it gets a skipped point that
//! says how to rebuild, instead of an "unknown backend" error.

use edgebench_backend::{Backend, ModelFormat};

/// A backend this build knows about.
pub struct BackendEntry {
    pub name: &'static str,
    pub formats: &'static [ModelFormat],
    /// Cargo feature that compiles it in (`None`: always built).
    pub feature: Option<&'static str>,
    /// Constructor, `None` when the feature is off.
    pub make: Option<fn() -> Box<dyn Backend>>,
}

const GGUF: &[ModelFormat] = &[ModelFormat::Gguf];
const ONNX: &[ModelFormat] = &[ModelFormat::Onnx];
const MOCK: &[ModelFormat] = &[ModelFormat::Mock];

/// Every backend, in report order. `mock` is for tests and overhead calibration.
pub fn entries() -> Vec<BackendEntry> {
    vec![
        BackendEntry {
            name: "reference",
            formats: GGUF,
            feature: None,
            make: Some(|| Box::<edgebench_reference::ReferenceBackend>::default()),
        },
        BackendEntry {
            name: "candle",
            formats: GGUF,
            feature: Some("candle"),
            #[cfg(feature = "candle")]
            make: Some(|| Box::<edgebench_candle::CandleBackend>::default()),
            #[cfg(not(feature = "candle"))]
            make: None,
        },
        BackendEntry {
            name: "ort",
            formats: ONNX,
            feature: Some("ort"),
            #[cfg(feature = "ort")]
            make: Some(|| Box::<edgebench_ort::OrtBackend>::default()),
            #[cfg(not(feature = "ort"))]
            make: None,
        },
        BackendEntry {
            name: "tract",
            formats: ONNX,
            feature: Some("tract"),
            #[cfg(feature = "tract")]
            make: Some(|| Box::<edgebench_tract::TractBackend>::default()),
            #[cfg(not(feature = "tract"))]
            make: None,
        },
        BackendEntry {
            name: "mock",
            formats: MOCK,
            feature: None,
            make: Some(|| Box::new(edgebench_backend::mock::MockBackend)),
        },
    ]
}

#[derive(Debug, thiserror::Error, PartialEq)]
pub enum RegistryError {
    #[error("unknown backend `{name}`{hint}; known backends: {known}")]
    Unknown {
        name: String,
        hint: String,
        known: String,
    },
    #[error(
        "backend `{name}` is not compiled into this build; rebuild with `--features {feature}`"
    )]
    NotCompiled { name: String, feature: String },
}

/// Look a backend entry up by name, with a "did you mean" for typos.
pub fn entry(name: &str) -> Result<BackendEntry, RegistryError> {
    let all = entries();
    let known: Vec<&str> = all.iter().map(|e| e.name).collect();
    let known_list = known.join(", ");
    match all.into_iter().find(|e| e.name == name) {
        Some(e) => Ok(e),
        None => {
            let hint = known
                .iter()
                .map(|k| (strsim::jaro_winkler(name, k), *k))
                .filter(|(s, _)| *s > 0.75)
                .max_by(|a, b| a.0.total_cmp(&b.0))
                .map_or_else(String::new, |(_, k)| format!(" (did you mean `{k}`?)"));
            Err(RegistryError::Unknown {
                name: name.to_string(),
                hint,
                known: known_list,
            })
        }
    }
}

/// Construct a compiled-in backend.
pub fn by_name(name: &str) -> Result<Box<dyn Backend>, RegistryError> {
    let e = entry(name)?;
    match e.make {
        Some(make) => Ok(make()),
        None => Err(RegistryError::NotCompiled {
            name: name.to_string(),
            feature: e.feature.unwrap_or_default().to_string(),
        }),
    }
}

/// Names `["all"]` expands to: every compiled-in backend except the mock.
pub fn all_compiled() -> Vec<&'static str> {
    entries()
        .into_iter()
        .filter(|e| e.make.is_some() && e.name != "mock")
        .map(|e| e.name)
        .collect()
}

/// Cargo features compiled into this build (for reports).
pub fn compiled_features() -> Vec<String> {
    entries()
        .into_iter()
        .filter(|e| e.make.is_some())
        .filter_map(|e| e.feature.map(str::to_string))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unknown_backend_suggests_the_closest() {
        let e = entry("refrence").err().unwrap();
        assert!(e.to_string().contains("did you mean `reference`?"), "{e}");
    }

    #[test]
    fn reference_and_mock_are_always_built() {
        assert!(by_name("reference").is_ok());
        assert!(by_name("mock").is_ok());
        assert!(all_compiled().contains(&"reference"));
        assert!(!all_compiled().contains(&"mock"));
    }
}
