//! [`LlamaModel::load`]: find every tensor a llama needs, check its shape and type, and keep
//! byte ranges into the memory map. Missing tensors, wrong shapes and unsupported types are
//! [`BackendError::InvalidModel`] naming the tensor and the fix.

use super::tune::{self, Layout, Tuning};
use super::Hparams;
use crate::gguf::{GgmlType, GgufFile, TensorInfo};
use crate::kernels::{Kernels, MatRef, ThreadPool};
use crate::quant;
use edgebench_backend::{BackendError, ModelInfo};
use std::collections::BTreeMap;
use std::path::Path;

/// A weight matrix `[rows, cols]` as a byte range of the mapped file, and where its
/// row-interleaved copy is, if it has one.
#[derive(Debug, Clone)]
pub(crate) struct Weight {
    pub ggml_type: GgmlType,
    pub rows: usize,
    pub cols: usize,
    pub start: usize,
    pub len: usize,
    /// Byte range of its copy in [`LlamaModel::interleaved`].
    pub x8: Option<std::ops::Range<usize>>,
}

#[derive(Debug)]
pub(crate) struct Layer {
    pub attn_norm: Vec<f32>,
    pub wq: Weight,
    pub wk: Weight,
    pub wv: Weight,
    pub wo: Weight,
    pub ffn_norm: Vec<f32>,
    pub w_gate: Weight,
    pub w_up: Weight,
    pub w_down: Weight,
}

impl Layer {
    /// The layer's weight matrices (its norms are vectors).
    fn matrices(&self) -> [&Weight; 7] {
        [
            &self.wq,
            &self.wk,
            &self.wv,
            &self.wo,
            &self.w_gate,
            &self.w_up,
            &self.w_down,
        ]
    }

    /// [`Layer::matrices`], mutable (the loader points them at their interleaved copies).
    fn matrices_mut(&mut self) -> [&mut Weight; 7] {
        [
            &mut self.wq,
            &mut self.wk,
            &mut self.wv,
            &mut self.wo,
            &mut self.w_gate,
            &mut self.w_up,
            &mut self.w_down,
        ]
    }
}

/// A loaded llama: hyperparameters, the mapped file and where each weight lives in it.
pub struct LlamaModel {
    pub(crate) file: GgufFile,
    pub(crate) hp: Hparams,
    pub(crate) kernels: &'static Kernels,
    /// Compute threads (workers parked between products), created once at load.
    pub(crate) pool: ThreadPool,
    pub(crate) embd: Weight,
    pub(crate) layers: Vec<Layer>,
    pub(crate) output_norm: Vec<f32>,
    pub(crate) output: Weight,
    pub(crate) tied: bool,
    /// Row-interleaved copies of the Q4_0/Q5_0/Q8_0/Q4_K/Q6_K matrices ([`quant::x8`]), made at
    /// load, one after another in one anonymous map advised for huge pages ([`X8Arena`]).
    pub(crate) interleaved: X8Arena,
    /// The load-time measurement that chose the layout and kernel set, if one ran.
    pub(crate) tuning: Option<Tuning>,
    /// KV cache capacity of each session (positions).
    pub(crate) max_seq: usize,
}

impl std::fmt::Debug for LlamaModel {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LlamaModel")
            .field("path", &self.file.path())
            .field("hparams", &self.hp)
            .field("kernels", &self.kernels.name)
            .field("threads", &self.pool.threads())
            .finish_non_exhaustive()
    }
}

const SUPPORTED: &str = "supported types: F32, F16, Q8_0, Q4_0, Q5_0, Q4_K, Q6_K; requantize with llama.cpp \
(`llama-quantize --allow-requantize IN.gguf OUT.gguf Q8_0`) or re-synthesize with `edgebench model synth --quant q8_0`";

impl LlamaModel {
    /// Open and validate `path`. `max_seq_len` is bounded by the model's context length;
    /// matrix products run on `threads` threads (the caller's plus `threads - 1` workers).
    /// Q4_0/Q5_0/Q8_0/Q4_K/Q6_K matrices are interleaved, with exactly `kernels` (no measurement:
    /// [`LlamaModel::load_with`]).
    pub fn load(
        path: &Path,
        max_seq_len: usize,
        kernels: &'static Kernels,
        threads: usize,
    ) -> Result<Self, BackendError> {
        Self::load_with(path, max_seq_len, kernels, threads, Layout::X8, false)
    }

    /// [`LlamaModel::load`] with the weight layout given by `layout`: with [`Layout::X8`], every
    /// Q4_0/Q5_0/Q8_0/Q4_K/Q6_K matrix whose row count is a multiple of 8 is copied into the
    /// row-interleaved layout ([`quant::x8`]) and its pages of the map are released, so
    /// resident memory stays about one model (the embedding table keeps the file layout for row
    /// lookups; a tied output matrix gets a copy). With [`Layout::Measure`], the candidates of
    /// [`tune::candidates`] (`free_set`: the set may be swapped for its prefetching twin) are
    /// timed on the model's matrices and the fastest is kept ([`LlamaModel::tuning`]).
    pub fn load_with(
        path: &Path,
        max_seq_len: usize,
        kernels: &'static Kernels,
        threads: usize,
        layout: Layout,
        free_set: bool,
    ) -> Result<Self, BackendError> {
        let file = GgufFile::open(path).map_err(|e| match e {
            crate::gguf::GgufError::Io { path, source } => BackendError::Io { path, source },
            crate::gguf::GgufError::Invalid { path, problem } => {
                BackendError::invalid_model(path, problem)
            }
            other => BackendError::invalid_model(path, other.to_string()),
        })?;
        let hp = Hparams::from_gguf(&file)?;
        if max_seq_len == 0 {
            return Err(BackendError::InvalidInput(
                "max_seq_len is 0; the KV cache needs at least one position".into(),
            ));
        }
        let find = Finder { file: &file };
        let (e, q, kv, ff) = (hp.n_embd, hp.q_dim(), hp.kv_dim(), hp.n_ff);
        let embd = find.matrix("token_embd.weight", hp.n_vocab, e)?;
        let mut layers = Vec::with_capacity(hp.n_layer.min(file.tensors().len()));
        for i in 0..hp.n_layer {
            let n = |s: &str| format!("blk.{i}.{s}.weight");
            layers.push(Layer {
                attn_norm: find.vector(&n("attn_norm"), e)?,
                wq: find.matrix(&n("attn_q"), q, e)?,
                wk: find.matrix(&n("attn_k"), kv, e)?,
                wv: find.matrix(&n("attn_v"), kv, e)?,
                wo: find.matrix(&n("attn_output"), e, q)?,
                ffn_norm: find.vector(&n("ffn_norm"), e)?,
                w_gate: find.matrix(&n("ffn_gate"), ff, e)?,
                w_up: find.matrix(&n("ffn_up"), ff, e)?,
                w_down: find.matrix(&n("ffn_down"), e, ff)?,
            });
        }
        let output_norm = find.vector("output_norm.weight", e)?;
        let tied = file.tensor_info("output.weight").is_none();
        let mut output = if tied {
            embd.clone()
        } else {
            find.matrix("output.weight", hp.n_vocab, e)?
        };
        let pool = ThreadPool::new(threads.max(1));
        let mut interleaved = X8Arena::default();
        let (mut kernels, mut tuning) = (kernels, None);
        if layout != Layout::File {
            let mut weights: Vec<&mut Weight> =
                layers.iter_mut().flat_map(Layer::matrices_mut).collect();
            weights.push(&mut output);
            let packable = |w: &Weight| quant::x8::supported(w.ggml_type, w.rows) && w.len > 0;
            let lens = weights
                .iter()
                .filter(|w| packable(w))
                .map(|w| quant::x8::packed_len(w.ggml_type, w.len));
            interleaved = X8Arena::new(lens).map_err(|source| BackendError::Io {
                path: file.path().to_path_buf(),
                source,
            })?;
            for w in weights.iter_mut().filter(|w| packable(w)) {
                let src = &file.bytes()[w.start..w.start + w.len];
                w.x8 = Some(interleaved.pack(w.ggml_type, src, w.rows));
            }
            if layout == Layout::Measure && !interleaved.is_empty() {
                let mut mats = Vec::new();
                let mut bytes = 0;
                for w in weights.iter().filter(|w| w.x8.is_some()) {
                    if bytes >= tune::PASS_BYTES {
                        break;
                    }
                    bytes += w.len;
                    let file_mat = mat_of(
                        &file,
                        &interleaved,
                        &Weight {
                            x8: None,
                            ..(**w).clone()
                        },
                    );
                    mats.push((file_mat, mat_of(&file, &interleaved, w)));
                }
                let t = tune::measure(&tune::candidates(kernels, free_set), &mats, &pool);
                kernels = t.choice().kernels;
                if !t.choice().x8 {
                    interleaved = X8Arena::default();
                    for w in weights.iter_mut() {
                        w.x8 = None;
                    }
                }
                tuning = Some(t);
            }
            for w in weights.iter().filter(|w| w.x8.is_some()) {
                // (A tied embedding's lookups read its pages back a row at a time.)
                file.release(w.start, w.len);
            }
        }
        // The matrices read from the file layout are mapped in now, at load, as llama.cpp does,
        // not page by page inside the first forward pass (TTFT, and the first prefill's speed).
        // The embedding is not: a lookup reads only the rows of the tokens it sees.
        let matrices = layers.iter().flat_map(Layer::matrices).chain([&output]);
        for w in matrices.filter(|w| w.x8.is_none()) {
            file.populate(w.start, w.len);
        }
        let max_seq = max_seq_len.min(hp.n_ctx);
        Ok(LlamaModel {
            file,
            hp,
            kernels,
            pool,
            embd,
            layers,
            output_norm,
            output,
            tied,
            interleaved,
            tuning,
            max_seq,
        })
    }

    pub fn hparams(&self) -> &Hparams {
        &self.hp
    }
    pub fn kernels(&self) -> &'static Kernels {
        self.kernels
    }
    /// Threads computing matrix products.
    pub fn threads(&self) -> usize {
        self.pool.threads()
    }
    /// Positions each session's KV cache holds.
    pub fn max_seq_len(&self) -> usize {
        self.max_seq
    }
    /// Whether the output projection reuses `token_embd.weight`.
    pub fn tied_embeddings(&self) -> bool {
        self.tied
    }

    /// Whether any matrix was interleaved at load.
    pub fn interleaved(&self) -> bool {
        !self.interleaved.is_empty()
    }

    /// The load-time measurement behind the layout and kernel set, when [`Layout::Measure`]
    /// ran one (not for a model without Q4_0/Q5_0/Q8_0/Q4_K/Q6_K matrices).
    pub fn tuning(&self) -> Option<&Tuning> {
        self.tuning.as_ref()
    }

    pub(crate) fn mat(&self, w: &Weight) -> MatRef<'_> {
        mat_of(&self.file, &self.interleaved, w)
    }

    /// Shape facts for reports.
    pub fn info(&self) -> ModelInfo {
        let hp = &self.hp;
        let tensors = self.file.tensors();
        let mut by_type: BTreeMap<GgmlType, u64> = BTreeMap::new();
        for t in tensors {
            *by_type.entry(t.ggml_type).or_default() += t.len as u64;
        }
        let mut types: Vec<(GgmlType, u64)> = by_type.into_iter().collect();
        types.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
        let names: Vec<&str> = types.iter().map(|(t, _)| t.name()).collect();
        // A decode step reads every layer tensor, the final norm, the output matrix and one
        // embedding row (the whole embedding when it is also the output matrix).
        let embd_row = (self.embd.len / self.embd.rows.max(1)) as u64;
        let decode_bytes: u64 = tensors
            .iter()
            .map(|t| match t.name.as_str() {
                "token_embd.weight" if !self.tied => embd_row,
                "token_embd.weight" => t.len as u64 + embd_row,
                _ => t.len as u64,
            })
            .sum();
        ModelInfo {
            architecture: "llama".into(),
            vocab_size: hp.n_vocab,
            context_length: hp.n_ctx,
            embedding_length: hp.n_embd,
            block_count: hp.n_layer,
            head_count: hp.n_head,
            head_count_kv: hp.n_head_kv,
            feed_forward_length: hp.n_ff,
            weight_types: names.join("+"),
            parameter_count: tensors.iter().map(TensorInfo::n_elements).sum(),
            weight_bytes: Some(decode_bytes),
        }
    }
}

fn mat_of<'a>(file: &'a GgufFile, interleaved: &'a X8Arena, w: &Weight) -> MatRef<'a> {
    let (data, x8) = match &w.x8 {
        Some(r) => (interleaved.bytes(r.clone()), true),
        None => (&file.bytes()[w.start..w.start + w.len], false),
    };
    MatRef {
        ggml_type: w.ggml_type,
        rows: w.rows,
        cols: w.cols,
        data,
        x8,
    }
}

/// Huge-page size the arena aligns to (x86_64 and aarch64 with 4 KiB base pages).
const HUGE_PAGE_BYTES: usize = 2 << 20;
/// Alignment of each copy inside the arena (a cache line, so no two copies share one).
const COPY_ALIGN_BYTES: usize = 64;

/// All x8 copies in one anonymous map, 2 MiB-aligned and advised `MADV_HUGEPAGE` before the
/// first write, so the kernel can back it with huge pages: one map per matrix (most under 2 MiB
/// on small models) could never get them (README "Why the x8 layout was slower").
#[derive(Default)]
pub(crate) struct X8Arena {
    map: Option<memmap2::MmapMut>,
    /// Offset of the first 2 MiB boundary in `map`.
    base: usize,
    /// Bytes handed out so far (from `base`).
    used: usize,
}

impl X8Arena {
    /// An arena that holds copies of the given packed lengths, in that order.
    fn new(lens: impl Iterator<Item = usize>) -> std::io::Result<Self> {
        let total: usize = lens.map(|l| l.next_multiple_of(COPY_ALIGN_BYTES)).sum();
        if total == 0 {
            return Ok(Self::default());
        }
        // Over-allocate by one huge page and start at the first boundary: the pages before it
        // are never touched, so they cost address space, not memory.
        let map = memmap2::MmapOptions::new()
            .len(total + HUGE_PAGE_BYTES)
            .map_anon()?;
        #[cfg(target_os = "linux")]
        {
            // Advice only: a kernel without transparent huge pages keeps 4 KiB pages.
            let _ = map.advise(memmap2::Advice::HugePage);
        }
        let base = map.as_ptr().align_offset(HUGE_PAGE_BYTES);
        Ok(Self {
            map: Some(map),
            base,
            used: 0,
        })
    }

    /// Packs `src` (a `[rows, ..]` matrix of `ty`, [`quant::x8::supported`]) into the next
    /// free range of the arena and returns that range.
    fn pack(&mut self, ty: GgmlType, src: &[u8], rows: usize) -> std::ops::Range<usize> {
        let len = quant::x8::packed_len(ty, src.len());
        let start = self.base + self.used;
        let map = self.map.as_mut().expect("X8Arena::new sized the arena");
        quant::x8::pack_into(ty, src, rows, &mut map[start..start + len])
            .expect("the caller checked x8::supported");
        self.used += len.next_multiple_of(COPY_ALIGN_BYTES);
        start..start + len
    }

    fn bytes(&self, r: std::ops::Range<usize>) -> &[u8] {
        &self.map.as_ref().expect("a range was handed out")[r]
    }

    fn is_empty(&self) -> bool {
        self.used == 0
    }
}

struct Finder<'a> {
    file: &'a GgufFile,
}

impl Finder<'_> {
    fn bad(&self, r: String) -> BackendError {
        BackendError::invalid_model(self.file.path(), r)
    }

    fn get(&self, name: &str, want: &[u64]) -> Result<&TensorInfo, BackendError> {
        let t = self.file.tensor_info(name).ok_or_else(|| {
            self.bad(format!(
                "tensor `{name}` is missing; the file is not a complete llama model (re-convert or re-synthesize it)"
            ))
        })?;
        let mut dims: &[u64] = &t.dims;
        while dims.len() > want.len() && dims.last() == Some(&1) {
            dims = &dims[..dims.len() - 1];
        }
        if dims != want {
            return Err(self.bad(format!(
                "tensor `{name}` has shape {:?}, expected {want:?} (ggml order) from the `llama.*` metadata",
                t.dims
            )));
        }
        if !t.ggml_type.is_supported() {
            return Err(self.bad(format!(
                "tensor `{name}` has type {}, which the reference engine does not compute with; {SUPPORTED}",
                t.ggml_type
            )));
        }
        Ok(t)
    }

    fn matrix(&self, name: &str, rows: usize, cols: usize) -> Result<Weight, BackendError> {
        let t = self.get(name, &[cols as u64, rows as u64])?;
        Ok(Weight {
            ggml_type: t.ggml_type,
            rows,
            cols,
            start: t.start,
            len: t.len,
            x8: None,
        })
    }

    fn vector(&self, name: &str, n: usize) -> Result<Vec<f32>, BackendError> {
        let t = self.get(name, &[n as u64])?;
        let mut out = vec![0f32; n];
        let v = self.file.view(t);
        if !quant::dequantize(t.ggml_type, v.data, &mut out) {
            return Err(self.bad(format!(
                "tensor `{name}`: cannot read its {} data",
                t.ggml_type
            )));
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::synth::{self, Preset, SynthQuant};

    /// llama.cpp's Q4_K_M recipe falls back to Q5_0 for rows that are not a multiple of 256
    /// (most of smollm-135m's matrices), so its prefill speed hangs on those being interleaved.
    #[test]
    fn q4_k_m_files_interleave_their_q5_0_matrices() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("tiny-q4_k_m.gguf");
        synth::write_preset_gguf(Preset::Tiny, 7, SynthQuant::Q4KM, &path).unwrap();
        let m = LlamaModel::load(&path, 16, &crate::kernels::scalar::KERNELS, 1).unwrap();
        let q5: Vec<&Weight> = m
            .layers
            .iter()
            .flat_map(Layer::matrices)
            .filter(|w| w.ggml_type == GgmlType::Q5_0)
            .collect();
        assert!(
            q5.len() >= 4,
            "tiny q4_k_m has Q5_0 matrices ({})",
            q5.len()
        );
        for w in q5 {
            assert!(
                w.x8.is_some(),
                "a [{}, {}] Q5_0 matrix is interleaved",
                w.rows,
                w.cols
            );
        }
    }
}
