//! Model integrity: a scenario model may pin its file's sha256 and may require a minisign
//! signature by one of the scenario's `trusted_keys`. The parent checks both when the point's
//! model file is prepared, before any worker loads it; a mismatch fails that point (with the
//! expected and actual digest, or the signature's problem) and the other points still run. The
//! point's model record then says what was verified ([`Verified`]).
//!
//! Signing and key generation for lab maintainers (`edgebench model keygen/sign/verify`) live
//! in [`minisig`]; scenario field docs: `docs/model-integrity.md`.

pub mod minisig;

use crate::results::ModelFile;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::io::Read;
use std::path::{Path, PathBuf};

/// What a scenario model demands of its file, with paths resolved.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Requirement {
    /// Expected sha256, lower-case hex.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sha256: Option<String>,
    /// The minisign signature file to check (set whenever `trusted_keys` is).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub signature: Option<PathBuf>,
    /// minisign public keys (base64, `RW...`) one of which must have made `signature`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub trusted_keys: Vec<String>,
}

/// What was checked for a point's model file (the report's model record keeps it).
pub use crate::results::ModelIntegrity as Verified;

/// The integrity fields of a scenario model as written (the scenario's `ModelEntry`).
#[derive(Debug, Clone, Copy, Default)]
pub struct Declared<'a> {
    /// The model's `path`, when it has one.
    pub path: Option<&'a Path>,
    /// Whether the model is a `synth` preset.
    pub synth: bool,
    pub sha256: Option<&'a str>,
    pub signature: Option<&'a Path>,
    pub trusted_keys: Option<&'a [String]>,
}

/// The integrity requirement of a scenario model, or `None` when it asks for nothing. Errors
/// (a malformed digest or key, a signature without keys, a pin on a synthesized or mock model)
/// are meant for the scenario's validation: they name the field and the fix.
pub fn requirement(m: Declared<'_>, base_dir: &Path) -> Result<Option<Requirement>, String> {
    let keys = m.trusted_keys.map(<[String]>::to_vec).unwrap_or_default();
    if m.sha256.is_none() && m.signature.is_none() && m.trusted_keys.is_none() {
        return Ok(None);
    }
    let who = m.path.as_ref().map_or_else(
        || "a model".to_string(),
        |p| format!("model `{}`", p.display()),
    );
    let path = match m.path {
        Some(p) if !m.synth && !p.to_string_lossy().starts_with("mock:") => p,
        _ => {
            return Err(format!(
                "{who}: `sha256`, `signature` and `trusted_keys` apply to model files given by `path` (not `synth` presets or mock models); move the pin to a `path` model"
            ))
        }
    };
    let sha256 = match m.sha256 {
        None => None,
        Some(s) => {
            let s = s.trim().to_ascii_lowercase();
            if s.len() != 64 || !s.bytes().all(|b| b.is_ascii_hexdigit()) {
                return Err(format!(
                    "{who}: `sha256 = \"{s}\"` is not 64 hex digits; paste the digest `sha256sum FILE` or `edgebench model inspect FILE` prints"
                ));
            }
            Some(s)
        }
    };
    if m.signature.is_some() && keys.is_empty() {
        return Err(format!(
            "{who}: `signature` is set but `trusted_keys` is empty or missing; list the minisign public key(s) (`RW...`) allowed to sign this model"
        ));
    }
    if m.trusted_keys.is_some() && keys.is_empty() {
        return Err(format!(
            "{who}: `trusted_keys = []` trusts no key; list at least one minisign public key (`RW...`) or remove the field"
        ));
    }
    for k in &keys {
        minisig::key_id(k).map_err(|e| format!("{who}: trusted key `{k}`: {e}"))?;
    }
    let resolve = |p: &Path| {
        if p.is_absolute() {
            p.to_path_buf()
        } else {
            base_dir.join(p)
        }
    };
    let signature = (!keys.is_empty()).then(|| match m.signature {
        Some(s) => resolve(s),
        None => {
            let mut s = resolve(path).into_os_string();
            s.push(".minisig");
            PathBuf::from(s)
        }
    });
    Ok(Some(Requirement {
        sha256,
        signature,
        trusted_keys: keys,
    }))
}

/// Check `file` against `req`. `sha256` is the file's digest when the caller already has it.
/// The error says what was expected, what was found, the file and the fix.
pub fn check(req: &Requirement, file: &Path, sha256: Option<&str>) -> Result<Verified, String> {
    let mut v = Verified::default();
    if let Some(want) = &req.sha256 {
        let have = match sha256 {
            Some(s) => s.to_ascii_lowercase(),
            None => sha256_hex(file)?,
        };
        if &have != want {
            return Err(format!(
                "model file {} does not match its pinned sha256: expected {want}, actual {have}; the file changed (re-download it) or the pin in the scenario is out of date",
                file.display()
            ));
        }
        v.sha256_pinned = true;
    }
    if let Some(sig) = &req.signature {
        let key = minisig::verify_file(file, sig, &req.trusted_keys)?;
        v.signed_by = Some(key);
        v.signature = Some(sig.display().to_string());
    }
    Ok(v)
}

/// The runner's one hook: check the point's model file (fingerprinted into `model` when the
/// runner already hashed it) against the point's requirement and record what verified. `Err`
/// fails the point.
pub fn check_point(
    req: Option<&Requirement>,
    path: &Path,
    model: &mut ModelFile,
) -> Result<(), String> {
    let Some(req) = req else {
        return Ok(());
    };
    let v = check(req, path, model.sha256.as_deref())?;
    model.integrity = (!v.is_empty()).then_some(v);
    Ok(())
}

/// sha256 of a file, for a pin checked where the runner had not hashed the file yet.
fn sha256_hex(file: &Path) -> Result<String, String> {
    let err = |e: std::io::Error| format!("reading model file {}: {e}", file.display());
    let mut f = std::fs::File::open(file).map_err(err)?;
    let mut h = Sha256::new();
    let mut buf = vec![0u8; 1 << 20];
    loop {
        match f.read(&mut buf).map_err(err)? {
            0 => return Ok(hex::encode(h.finalize())),
            n => h.update(&buf[..n]),
        }
    }
}

#[cfg(test)]
mod tests;
