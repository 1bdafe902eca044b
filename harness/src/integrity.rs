//! Model integrity: a scenario model may pin its file's sha256 and may require a minisign
//! signature by one of the scenario's `trusted_keys`. The parent checks both when the point's
//! model file is prepared, before any worker loads it; a mismatch fails that point (with the
//! expected and actual digest, or the signature's problem) and the other points still run. The
//! point's model record then says what was verified ([`Verified`]).
//!
//! Signing and key generation for lab maintainers (`edgebench model keygen/sign/verify`) live
//! in [`minisig`]; scenario field docs: `docs/model-integrity.md`.

pub mod minisig;

use crate::plan::{ModelSource, PlanPoint};
use crate::results::ModelFile;
use crate::scenario::{LoadedScenario, ModelEntry};
use serde::{Deserialize, Serialize};
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

/// What was checked for a point's model file; recorded in the report's model record.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Verified {
    /// The scenario pinned a sha256 and the file matched it.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub sha256_pinned: bool,
    /// Key id (16 upper-case hex digits, as minisign prints it) of the trusted key whose
    /// signature over the file verified.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub signed_by: Option<String>,
    /// The signature file that was checked.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub signature: Option<String>,
}

impl Verified {
    pub fn is_empty(&self) -> bool {
        *self == Verified::default()
    }
}

/// The integrity requirement of a scenario model, or `None` when it asks for nothing. Errors
/// (a malformed digest or key, a signature without keys, a pin on a synthesized or mock model)
/// are meant for the scenario's validation: they name the field and the fix.
pub fn requirement(m: &ModelEntry, base_dir: &Path) -> Result<Option<Requirement>, String> {
    let keys = m.trusted_keys.clone().unwrap_or_default();
    if m.sha256.is_none() && m.signature.is_none() && m.trusted_keys.is_none() {
        return Ok(None);
    }
    let who = m.path.as_ref().map_or_else(
        || "a model".to_string(),
        |p| format!("model `{}`", p.display()),
    );
    let path = match &m.path {
        Some(p) if m.synth.is_none() && !p.to_string_lossy().starts_with("mock:") => p,
        _ => {
            return Err(format!(
                "{who}: `sha256`, `signature` and `trusted_keys` apply to model files given by `path` (not `synth` presets or mock models); move the pin to a `path` model"
            ))
        }
    };
    let sha256 = match &m.sha256 {
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
    let signature = (!keys.is_empty()).then(|| match &m.signature {
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

/// Check every model of a scenario's integrity fields (for validation at parse time).
pub fn validate(ls_models: &[ModelEntry], base_dir: &Path) -> Result<(), String> {
    ls_models
        .iter()
        .try_for_each(|m| requirement(m, base_dir).map(drop))
}

/// Give the points just expanded from scenario model `m` its requirement.
pub fn attach(points: &mut [PlanPoint], m: &ModelEntry, ls: &LoadedScenario) -> Result<(), String> {
    let req = requirement(m, &ls.base_dir())?;
    for p in points {
        if matches!(p.source, ModelSource::File { .. }) {
            p.integrity = req.clone();
        }
    }
    Ok(())
}

/// Check `file` against `req`. `sha256` is the file's digest when the caller already has it.
/// The error says what was expected, what was found, the file and the fix.
pub fn check(req: &Requirement, file: &Path, sha256: Option<&str>) -> Result<Verified, String> {
    let mut v = Verified::default();
    if let Some(want) = &req.sha256 {
        let have = match sha256 {
            Some(s) => s.to_ascii_lowercase(),
            None => {
                crate::models::sha256_file(file)
                    .map_err(|e| format!("{e:#}"))?
                    .0
            }
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

/// The runner's one hook: check the point's model file (already fingerprinted into `model`)
/// against the point's requirement and record what verified. `Err` fails the point.
pub fn check_point(point: &PlanPoint, path: &Path, model: &mut ModelFile) -> Result<(), String> {
    let Some(req) = &point.integrity else {
        return Ok(());
    };
    let v = check(req, path, model.sha256.as_deref())?;
    model.integrity = (!v.is_empty()).then_some(v);
    Ok(())
}

#[cfg(test)]
mod tests;
