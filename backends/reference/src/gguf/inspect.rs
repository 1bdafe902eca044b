//! [`inspect`]: a printable summary of a GGUF file (metadata, tensor table, totals) for the CLI.

use super::{GgufError, GgufFile};
use std::fmt;
use std::path::{Path, PathBuf};

/// One line of the tensor table.
#[derive(Debug, Clone, PartialEq)]
pub struct TensorRow {
    pub name: String,
    /// Lower-case ggml type name (`f32`, `q8_0`).
    pub ggml_type: String,
    /// ggml order (`dims[0]` = row length).
    pub dims: Vec<u64>,
    pub n_elements: u64,
    pub bytes: u64,
    /// Offset from the start of the data section.
    pub offset: u64,
}

/// What `edgebench model inspect` prints. The harness adds the file's sha256.
#[derive(Debug, Clone, PartialEq)]
pub struct InspectReport {
    pub path: PathBuf,
    pub version: u32,
    pub alignment: u64,
    pub file_size_bytes: u64,
    pub data_offset: u64,
    /// Key and a short rendering of the value (arrays abbreviated), in file order.
    pub metadata: Vec<(String, String)>,
    pub tensors: Vec<TensorRow>,
    pub parameter_count: u64,
    pub tensor_bytes: u64,
    /// Tensor count per type, e.g. `[("f32", 13), ("q8_0", 44)]`, sorted by type name.
    pub type_counts: Vec<(String, usize)>,
}

/// Open `path` and summarise it.
pub fn inspect(path: impl AsRef<Path>) -> Result<InspectReport, GgufError> {
    let f = GgufFile::open(path)?;
    Ok(InspectReport::from_file(&f))
}

impl InspectReport {
    pub fn from_file(f: &GgufFile) -> Self {
        let tensors: Vec<TensorRow> = f
            .tensors()
            .iter()
            .map(|t| TensorRow {
                name: t.name.clone(),
                ggml_type: t.ggml_type.name().to_string(),
                dims: t.dims.clone(),
                n_elements: t.n_elements(),
                bytes: t.len as u64,
                offset: t.offset,
            })
            .collect();
        let mut type_counts = std::collections::BTreeMap::new();
        for t in &tensors {
            *type_counts.entry(t.ggml_type.clone()).or_insert(0usize) += 1;
        }
        InspectReport {
            path: f.path().to_path_buf(),
            version: f.version(),
            alignment: f.alignment(),
            file_size_bytes: f.file_size(),
            data_offset: f.data_offset() as u64,
            metadata: f
                .metadata()
                .iter()
                .map(|(k, v)| (k.clone(), v.to_string()))
                .collect(),
            parameter_count: tensors.iter().map(|t| t.n_elements).sum(),
            tensor_bytes: tensors.iter().map(|t| t.bytes).sum(),
            tensors,
            type_counts: type_counts.into_iter().collect(),
        }
    }
}

impl fmt::Display for InspectReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "file: {}", self.path.display())?;
        writeln!(
            f,
            "GGUF v{}, alignment {}, {} bytes, data at {}",
            self.version, self.alignment, self.file_size_bytes, self.data_offset
        )?;
        writeln!(f, "metadata ({} keys):", self.metadata.len())?;
        for (k, v) in &self.metadata {
            writeln!(f, "  {k} = {v}")?;
        }
        writeln!(f, "tensors ({}):", self.tensors.len())?;
        let w = self.tensors.iter().map(|t| t.name.len()).max().unwrap_or(0);
        for t in &self.tensors {
            let dims: Vec<String> = t.dims.iter().map(u64::to_string).collect();
            writeln!(
                f,
                "  {:w$}  {:6}  {:>16}  {:>12} B",
                t.name,
                t.ggml_type,
                dims.join(" x "),
                t.bytes
            )?;
        }
        let types: Vec<String> = self
            .type_counts
            .iter()
            .map(|(t, n)| format!("{t} x{n}"))
            .collect();
        write!(
            f,
            "total: {} parameters, {} bytes of tensor data ({})",
            self.parameter_count,
            self.tensor_bytes,
            types.join(", ")
        )
    }
}
