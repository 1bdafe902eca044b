//! [`ReferenceBackend`]: the engine behind edgebench's `Backend` → `Model` → `Session` contract.

use crate::kernels;
use crate::model::{Layout, LlamaModel, LlamaSession};
use crate::quant::x8;
use edgebench_backend::{
    Backend, BackendError, LoadOptions, Logits, Model, ModelFormat, ModelInfo, ModelSpec, Session,
};
use std::collections::BTreeMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;

/// Upper bound on `LoadOptions::threads` (a typo like 1000 should not spawn 1000 threads).
const MAX_THREADS: usize = 256;

/// Compute threads of the most recently loaded model, for `describe()` (which has no model).
static LAST_THREADS: AtomicUsize = AtomicUsize::new(1);

/// The reference engine: GGUF llama models on runtime-dispatched SIMD kernels and a
/// persistent thread pool (`LoadOptions::threads`).
#[derive(Debug, Default, Clone, Copy)]
pub struct ReferenceBackend;

const NAME: &str = "reference";

fn kernels() -> Result<&'static kernels::Kernels, BackendError> {
    kernels::select().map_err(|e| BackendError::Unavailable {
        backend: NAME.into(),
        reason: e.to_string(),
        fix: format!(
            "unset {} or set it to `auto` or one of: {}",
            kernels::ENV_VAR,
            kernels::available().join(", ")
        ),
    })
}

/// Environment variable that forces the weight layout: `auto` (default: measured at load,
/// [`Layout::Measure`]), `on`/`1` (row-interleaved Q4_0/Q5_0/Q8_0/Q4_K/Q6_K), `off`/`0` (file
/// layout).
pub const INTERLEAVE_ENV: &str = "EDGEBENCH_INTERLEAVE";

fn layout() -> Result<Layout, BackendError> {
    match std::env::var(INTERLEAVE_ENV).ok().as_deref().map(str::trim) {
        None | Some("") | Some("auto") => Ok(Layout::Measure),
        Some("1") | Some("on") => Ok(Layout::X8),
        Some("0") | Some("off") => Ok(Layout::File),
        Some(other) => Err(BackendError::Unavailable {
            backend: NAME.into(),
            reason: format!("{INTERLEAVE_ENV}=`{other}` is not a valid setting"),
            fix: format!(
                "set {INTERLEAVE_ENV} to `auto` (the default: measured at load), `on` or `off`, or unset it"
            ),
        }),
    }
}

/// Whether `EDGEBENCH_KERNELS` leaves the kernel set to the loader (unset or `auto`).
fn set_is_free() -> bool {
    matches!(
        std::env::var(kernels::ENV_VAR)
            .ok()
            .as_deref()
            .map(str::trim),
        None | Some("") | Some("auto")
    )
}

/// What the most recent load chose (`describe()` has no model): kernel set, layout, tuning.
static LAST_CHOICE: Mutex<Option<[String; 3]>> = Mutex::new(None);

impl Backend for ReferenceBackend {
    fn name(&self) -> &'static str {
        NAME
    }

    fn formats(&self) -> &'static [ModelFormat] {
        &[ModelFormat::Gguf]
    }

    fn check(&self) -> Result<(), BackendError> {
        kernels()?;
        layout().map(|_| ())
    }

    fn load(&self, spec: &ModelSpec, opts: &LoadOptions) -> Result<Box<dyn Model>, BackendError> {
        if spec.format != ModelFormat::Gguf {
            return Err(BackendError::Unsupported {
                backend: NAME.into(),
                what: format!(
                    "{} files ({}); it loads GGUF",
                    spec.format.as_str(),
                    spec.path.display()
                ),
            });
        }
        let model = LlamaModel::load_with(
            &spec.path,
            opts.max_seq_len,
            kernels()?,
            opts.threads.clamp(1, MAX_THREADS),
            layout()?,
            set_is_free(),
        )?;
        LAST_THREADS.store(model.threads(), Ordering::Relaxed);
        let used = if model.interleaved() {
            format!("{} rows interleaved by 8 at load (x8)", x8::TYPES)
        } else {
            "file layout".to_string()
        };
        let how = match (model.tuning(), layout()?) {
            (Some(t), _) => format!("measured at load: {t}"),
            (None, Layout::Measure) => {
                format!("nothing to measure (no {} matrix)", x8::TYPES)
            }
            (None, _) => format!("forced by {INTERLEAVE_ENV}"),
        };
        let choice = [model.kernels().name.to_string(), used, how];
        *LAST_CHOICE.lock().unwrap_or_else(|e| e.into_inner()) = Some(choice);
        Ok(Box::new(ReferenceModel { model }))
    }

    fn describe(&self) -> BTreeMap<String, String> {
        let last = LAST_CHOICE
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone();
        // Before any load: what the environment asks for.
        let [kernels, layout, tuning] = last.unwrap_or_else(|| {
            [
                match kernels::select() {
                    Ok(k) => k.name.to_string(),
                    Err(e) => format!("invalid: {e}"),
                },
                match layout() {
                    Ok(Layout::Measure) => "chosen at load by measurement".into(),
                    Ok(Layout::X8) => {
                        format!("{} rows interleaved by 8 ({INTERLEAVE_ENV}=on)", x8::TYPES)
                    }
                    Ok(Layout::File) => format!("file layout ({INTERLEAVE_ENV}=off)"),
                    Err(e) => format!("invalid: {e}"),
                },
                "no model loaded yet".into(),
            ]
        });
        BTreeMap::from([
            ("version".into(), env!("CARGO_PKG_VERSION").into()),
            ("kernels".into(), kernels),
            // Threads of the most recently loaded model (1 before any load).
            (
                "threads".into(),
                LAST_THREADS.load(Ordering::Relaxed).to_string(),
            ),
            ("kv_cache".into(), "f32".into()),
            ("weight_layout".into(), layout),
            ("tuning".into(), tuning),
        ])
    }
}

/// A loaded model (it owns its compute threads).
struct ReferenceModel {
    model: LlamaModel,
}

impl Model for ReferenceModel {
    fn info(&self) -> ModelInfo {
        self.model.info()
    }

    fn session(&self) -> Result<Box<dyn Session + '_>, BackendError> {
        Ok(Box::new(ReferenceSession(LlamaSession::new(&self.model))))
    }
}

struct ReferenceSession<'m>(LlamaSession<'m>);

impl Session for ReferenceSession<'_> {
    fn prefill(&mut self, tokens: &[u32]) -> Result<Logits, BackendError> {
        self.0.forward(tokens)
    }

    fn position(&self) -> usize {
        self.0.position()
    }
}
