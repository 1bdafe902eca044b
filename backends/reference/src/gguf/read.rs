//! [`GgufFile`]: map a GGUF file, parse and validate its header, metadata and tensor table.

use super::cursor::Cursor;
use super::{GgmlType, GgufError, MetaValue, DEFAULT_ALIGNMENT, MAGIC, MAX_DIMS};
use memmap2::Mmap;
use std::collections::{BTreeMap, HashMap};
use std::fs::File;
use std::path::{Path, PathBuf};

/// Most tensors a file may declare (the largest published models have a few thousand).
pub const MAX_TENSORS: u64 = 1 << 18;
/// Most metadata keys a file may declare (real files have tens to hundreds).
pub const MAX_METADATA_KEYS: u64 = 1 << 16;

/// Where one tensor lives and what it holds.
#[derive(Debug, Clone, PartialEq)]
pub struct TensorInfo {
    pub name: String,
    /// ggml order: `dims[0]` is the innermost (row length).
    pub dims: Vec<u64>,
    pub ggml_type: GgmlType,
    /// Offset from the start of the data section, as stored in the file.
    pub offset: u64,
    /// Absolute byte range in the file (checked to lie inside it).
    pub start: usize,
    pub len: usize,
}

impl TensorInfo {
    pub fn n_elements(&self) -> u64 {
        self.dims.iter().product()
    }
}

/// A tensor's description and its bytes, borrowed from the mapped file.
#[derive(Debug, Clone, Copy)]
pub struct TensorView<'a> {
    pub name: &'a str,
    pub ggml_type: GgmlType,
    pub dims: &'a [u64],
    pub data: &'a [u8],
}

/// An open, validated GGUF file. Tensor data stays in the memory map.
pub struct GgufFile {
    path: PathBuf,
    map: Mmap,
    /// Whether `map` maps the file (true) or an anonymous copy ([`GgufFile::from_bytes`]).
    file_backed: bool,
    version: u32,
    alignment: u64,
    data_offset: usize,
    metadata: Vec<(String, MetaValue)>,
    meta_index: HashMap<String, usize>,
    tensors: Vec<TensorInfo>,
    tensor_index: BTreeMap<String, usize>,
}

impl std::fmt::Debug for GgufFile {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("GgufFile")
            .field("path", &self.path)
            .field("version", &self.version)
            .field("tensors", &self.tensors.len())
            .finish_non_exhaustive()
    }
}

impl GgufFile {
    /// Map and validate `path`. Every failure names the file and what is wrong with it.
    pub fn open(path: impl AsRef<Path>) -> Result<Self, GgufError> {
        let path = path.as_ref();
        let file = File::open(path).map_err(|e| GgufError::io(path, e))?;
        // SAFETY: the map is read-only and private to this process. Another process truncating
        // or rewriting the file while it is mapped is outside what we can guard against (as for
        // llama.cpp); every offset we use is checked against the length we mapped.
        let map = unsafe { Mmap::map(&file) }.map_err(|e| GgufError::io(path, e))?;
        Self::parse(path, map, true)
    }

    /// Parse an in-memory copy of a file (for tests and fuzzing); `name` stands in for the
    /// path in error messages.
    pub fn from_bytes(name: impl AsRef<Path>, bytes: &[u8]) -> Result<Self, GgufError> {
        let name = name.as_ref();
        let mut anon =
            memmap2::MmapMut::map_anon(bytes.len()).map_err(|e| GgufError::io(name, e))?;
        anon.copy_from_slice(bytes);
        let map = anon.make_read_only().map_err(|e| GgufError::io(name, e))?;
        Self::parse(name, map, false)
    }

    fn parse(path: &Path, map: Mmap, file_backed: bool) -> Result<Self, GgufError> {
        let bad = |p: String| GgufError::invalid(path, p);
        let mut c = Cursor::new(&map);
        let magic = c.bytes(4, "magic").map_err(|_| {
            bad(format!(
                "file is {} bytes, too short to be GGUF (expected the magic `GGUF`)",
                map.len()
            ))
        })?;
        if magic != MAGIC {
            return Err(bad(format!(
                "not a GGUF file: starts with {magic:02x?}, expected `GGUF`"
            )));
        }
        let version = c.u32("version").map_err(bad)?;
        if !(2..=3).contains(&version) {
            return Err(bad(format!(
                "GGUF version {version} is not supported (this reader handles versions 2 and 3)"
            )));
        }
        // A tensor info takes at least 8 (name len) + 4 (n_dims) + 4 (type) + 8 (offset) bytes.
        let n_tensors = c.count(24, "tensor count").map_err(bad)?;
        // A key-value pair takes at least 8 (key len) + 4 (type) + 1 bytes.
        let n_kv = c.count(13, "metadata count").map_err(bad)?;
        // Each entry costs ~100 bytes of memory for its ≥13 (≥24) bytes in the file: capped
        // far above any real model, so a hostile file cannot make us allocate gigabytes.
        for (n, max, what) in [
            (n_tensors, MAX_TENSORS, "tensors"),
            (n_kv, MAX_METADATA_KEYS, "metadata keys"),
        ] {
            if n > max {
                return Err(bad(format!(
                    "the header declares {n} {what}, more than the {max} this reader accepts (real models have a few thousand at most): the file is corrupt"
                )));
            }
        }

        let mut metadata = Vec::with_capacity(n_kv as usize);
        let mut meta_index = HashMap::with_capacity(n_kv as usize);
        for i in 0..n_kv {
            let key = c
                .string(&format!("key of metadata entry {i}"))
                .map_err(bad)?;
            let what = format!("metadata `{key}`");
            let t = c.value_type(&what).map_err(bad)?;
            let v = c.value(t, &what).map_err(bad)?;
            if meta_index.insert(key.clone(), metadata.len()).is_some() {
                return Err(bad(format!("metadata key `{key}` appears twice")));
            }
            metadata.push((key, v));
        }

        let alignment = match meta_index.get("general.alignment") {
            None => DEFAULT_ALIGNMENT,
            Some(&i) => match metadata[i].1 {
                MetaValue::U32(a) if a.is_power_of_two() => u64::from(a),
                ref v => {
                    return Err(bad(format!(
                        "`general.alignment` is {v} ({:?}); it must be a u32 power of two",
                        v.value_type()
                    )))
                }
            },
        };

        let mut raw = Vec::with_capacity(n_tensors as usize);
        for i in 0..n_tensors {
            raw.push(read_tensor_info(&mut c, i).map_err(bad)?);
        }
        // The data section may start past the end only if no tensor has data (checked below).
        let data_offset = align_up(c.pos() as u64, alignment)
            .ok_or_else(|| bad("data section offset overflows".to_string()))?;

        let mut tensors = Vec::with_capacity(raw.len());
        let mut tensor_index = BTreeMap::new();
        for (name, dims, ggml_type, offset) in raw {
            let t = place_tensor(
                name,
                dims,
                ggml_type,
                offset,
                data_offset,
                alignment,
                map.len(),
            )
            .map_err(bad)?;
            if tensor_index.insert(t.name.clone(), tensors.len()).is_some() {
                return Err(bad(format!("tensor `{}` appears twice", t.name)));
            }
            tensors.push(t);
        }
        Ok(GgufFile {
            path: path.to_path_buf(),
            map,
            file_backed,
            version,
            alignment,
            data_offset: data_offset as usize,
            metadata,
            meta_index,
            tensors,
            tensor_index,
        })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }
    pub fn version(&self) -> u32 {
        self.version
    }
    pub fn alignment(&self) -> u64 {
        self.alignment
    }
    /// Absolute offset of the data section.
    pub fn data_offset(&self) -> usize {
        self.data_offset
    }
    /// Size of the file in bytes.
    pub fn file_size(&self) -> u64 {
        self.map.len() as u64
    }
    /// The whole mapped file.
    pub fn bytes(&self) -> &[u8] {
        &self.map
    }

    /// Map the pages of bytes `start..start + len` into this process now rather than one page
    /// fault at a time on first use (`MADV_POPULATE_READ`, Linux 5.14+; llama.cpp maps its
    /// files with `MAP_POPULATE` for the same reason): without it the first forward pass paid
    /// for faulting in every weight it read. Best effort: a no-op for in-memory copies, on other
    /// systems, or where the kernel refuses (older kernels: the pages then fault in as before).
    pub fn populate(&self, start: usize, len: usize) {
        if !self.file_backed || len == 0 || start.saturating_add(len) > self.map.len() {
            return;
        }
        #[cfg(target_os = "linux")]
        let _ = self
            .map
            .advise_range(memmap2::Advice::PopulateRead, start, len);
    }

    /// Drop the pages of bytes `start..start + len` from this process's resident memory
    /// (`MADV_DONTNEED`); touching them again reads them back from the file. Used after a
    /// tensor was copied into another layout, so the copy is not counted twice. Best effort:
    /// a no-op for in-memory copies ([`GgufFile::from_bytes`]) or if the kernel refuses.
    pub fn release(&self, start: usize, len: usize) {
        if !self.file_backed || len == 0 || start.saturating_add(len) > self.map.len() {
            return;
        }
        // SAFETY: the mapping is private, read-only and file-backed, so it holds no page of
        // its own: dropped pages are read again from the file with the same bytes on the next
        // access (the file changing underneath is outside our guarantees, as for `open`).
        let _ = unsafe {
            self.map
                .unchecked_advise_range(memmap2::UncheckedAdvice::DontNeed, start, len)
        };
    }

    /// Metadata in file order.
    pub fn metadata(&self) -> &[(String, MetaValue)] {
        &self.metadata
    }
    pub fn get(&self, key: &str) -> Option<&MetaValue> {
        self.meta_index.get(key).map(|&i| &self.metadata[i].1)
    }
    /// An integer value that fits a `u32` (stored as any integer type).
    pub fn get_u32(&self, key: &str) -> Option<u32> {
        self.get(key)?.as_u64()?.try_into().ok()
    }
    pub fn get_u64(&self, key: &str) -> Option<u64> {
        self.get(key)?.as_u64()
    }
    pub fn get_f32(&self, key: &str) -> Option<f32> {
        self.get(key)?.as_f32()
    }
    pub fn get_str(&self, key: &str) -> Option<&str> {
        self.get(key)?.as_str()
    }

    /// Tensor descriptions in file order.
    pub fn tensors(&self) -> &[TensorInfo] {
        &self.tensors
    }
    pub fn tensor_info(&self, name: &str) -> Option<&TensorInfo> {
        self.tensor_index.get(name).map(|&i| &self.tensors[i])
    }
    pub fn tensor(&self, name: &str) -> Option<TensorView<'_>> {
        self.tensor_info(name).map(|t| self.view(t))
    }
    pub fn view<'a>(&'a self, t: &'a TensorInfo) -> TensorView<'a> {
        TensorView {
            name: &t.name,
            ggml_type: t.ggml_type,
            dims: &t.dims,
            data: &self.map[t.start..t.start + t.len],
        }
    }
}

fn align_up(x: u64, a: u64) -> Option<u64> {
    Some(x.checked_add(a - 1)? / a * a)
}

fn read_tensor_info(c: &mut Cursor<'_>, i: u64) -> Result<(String, Vec<u64>, u32, u64), String> {
    let name = c.string(&format!("name of tensor {i}"))?;
    let what = format!("tensor `{name}`");
    let n_dims = c.u32(&what)?;
    if n_dims == 0 || n_dims as usize > MAX_DIMS {
        return Err(format!(
            "{what} has {n_dims} dimensions (ggml tensors have 1 to {MAX_DIMS})"
        ));
    }
    let dims = (0..n_dims)
        .map(|_| c.u64(&what))
        .collect::<Result<Vec<_>, _>>()?;
    let ty = c.u32(&what)?;
    let offset = c.u64(&what)?;
    Ok((name, dims, ty, offset))
}

fn place_tensor(
    name: String,
    dims: Vec<u64>,
    type_id: u32,
    offset: u64,
    data_offset: u64,
    alignment: u64,
    file_size: usize,
) -> Result<TensorInfo, String> {
    let ggml_type = GgmlType::from_id(type_id)
        .ok_or_else(|| format!("tensor `{name}` has unknown ggml type id {type_id}"))?;
    let n = dims
        .iter()
        .try_fold(1u64, |acc, &d| acc.checked_mul(d))
        .ok_or_else(|| format!("tensor `{name}` dims {dims:?}: element count overflows"))?;
    if !dims[0].is_multiple_of(ggml_type.block_elems()) {
        return Err(format!(
            "tensor `{name}` ({ggml_type}) has row length {} which is not a multiple of the block size {}",
            dims[0],
            ggml_type.block_elems()
        ));
    }
    let len = ggml_type
        .bytes_for(n)
        .ok_or_else(|| format!("tensor `{name}` dims {dims:?}: byte size overflows"))?;
    if !offset.is_multiple_of(alignment) {
        return Err(format!(
            "tensor `{name}` offset {offset} is not a multiple of the alignment {alignment}"
        ));
    }
    let start = data_offset.checked_add(offset);
    let end = start.and_then(|s| s.checked_add(len));
    match (start, end) {
        (Some(s), Some(e)) if e <= file_size as u64 => Ok(TensorInfo {
            name,
            dims,
            ggml_type,
            offset,
            start: s as usize,
            len: len as usize,
        }),
        _ => Err(format!(
            "tensor `{name}` data [{}..{}] extends past end of file (size {file_size}): the file is truncated; re-download or re-synthesize it",
            data_offset as u128 + offset as u128,
            data_offset as u128 + offset as u128 + len as u128,
        )),
    }
}
