//! minisign signatures of model files: verification with `minisign-verify` (streamed, so a
//! multi-gigabyte model is never held in memory), key generation and signing with `minisign`
//! for `edgebench model keygen/sign/verify`. Files are minisign's own formats, so the minisign
//! CLI can sign and verify them too.

use ct_codecs::{Base64, Decoder};
use minisign_verify::{PublicKey, Signature};
use std::io::Read;
use std::path::{Path, PathBuf};

/// Environment variable holding the password of an encrypted secret key (else it is asked for).
pub const PASSWORD_ENV: &str = "EDGEBENCH_SIGN_PASSWORD";

/// A minisign key id as minisign prints it: the 8 id bytes as a little-endian u64 in hex.
fn id_hex(id: &[u8]) -> String {
    let mut b = [0u8; 8];
    b.copy_from_slice(id);
    format!("{:016X}", u64::from_le_bytes(b))
}

/// The key id of a minisign public key given as base64 (`RW...`) or as a `.pub` file's text.
pub fn key_id(key: &str) -> Result<String, String> {
    let b64 = public_key_base64(key);
    PublicKey::from_base64(b64).map_err(|e| {
        format!("not a minisign public key ({e}); expected the base64 line of a minisign .pub file, `RW...`")
    })?;
    let bin = Base64::decode_to_vec(b64, None).map_err(|e| e.to_string())?;
    Ok(id_hex(&bin[2..10]))
}

/// The base64 line of a public key given either bare or as a whole `.pub` file.
fn public_key_base64(key: &str) -> &str {
    let key = key.trim();
    key.lines()
        .map(str::trim)
        .find(|l| !l.is_empty() && !l.starts_with("untrusted comment:"))
        .unwrap_or(key)
}

/// Key id of the key that made a signature (from the signature file's text).
fn signature_key_id(text: &str) -> Option<String> {
    let line = text.lines().nth(1)?;
    let bin = Base64::decode_to_vec(line.trim(), None).ok()?;
    (bin.len() == 74).then(|| id_hex(&bin[2..10]))
}

/// Verify `sig_path`, a minisign signature of `file`, against the trusted keys. Returns the
/// verifying key's id; the error names the file, the signature, what is wrong and the fix.
pub fn verify_file(file: &Path, sig_path: &Path, trusted: &[String]) -> Result<String, String> {
    let text = std::fs::read_to_string(sig_path).map_err(|e| {
        format!(
            "model file {}: cannot read its signature {}: {e}; sign it with `edgebench model sign --key SECRET_KEY {}` or fix `signature` in the scenario",
            file.display(),
            sig_path.display(),
            file.display()
        )
    })?;
    let bad = |what: String| {
        format!(
            "model file {}: signature {} {what}",
            file.display(),
            sig_path.display()
        )
    };
    let sig = Signature::decode(&text).map_err(|e| {
        bad(format!(
            "is not a minisign signature ({e}); re-sign the file with `edgebench model sign`"
        ))
    })?;
    let signer = signature_key_id(&text).unwrap_or_else(|| "?".into());
    let mut ids = Vec::new();
    let mut key = None;
    for k in trusted {
        let id =
            key_id(k).map_err(|e| bad(format!("cannot be checked: trusted key `{k}`: {e}")))?;
        if id == signer {
            key = Some(
                PublicKey::from_base64(public_key_base64(k))
                    .map_err(|e| bad(format!("cannot be checked: {e}")))?,
            );
        }
        ids.push(id);
    }
    let Some(key) = key else {
        return Err(bad(format!(
            "was made by key {signer}, which is not among the trusted keys ({}); add that key's public key to `trusted_keys` only if you trust it, or re-sign with a trusted key",
            ids.join(", ")
        )));
    };
    let mut verifier = key.verify_stream(&sig).map_err(|e| {
        bad(format!(
            "cannot be checked ({e}): only pre-hashed signatures (minisign 0.8+, `edgebench model sign`) are accepted; re-sign the file"
        ))
    })?;
    let mut f = std::fs::File::open(file)
        .map_err(|e| format!("opening model file {}: {e}", file.display()))?;
    let mut buf = vec![0u8; 1 << 20];
    loop {
        let n = f
            .read(&mut buf)
            .map_err(|e| format!("reading model file {}: {e}", file.display()))?;
        if n == 0 {
            break;
        }
        verifier.update(&buf[..n]);
    }
    verifier.finalize().map_err(|_| {
        bad(format!(
            "by key {signer} does not match the file: the file changed after it was signed, or the signature belongs to another file; re-download the model (or re-sign it if you changed it on purpose)"
        ))
    })?;
    Ok(signer)
}

/// The signature file next to `file`: `FILE.minisig`.
pub fn default_signature_path(file: &Path) -> PathBuf {
    let mut s = file.as_os_str().to_owned();
    s.push(".minisig");
    PathBuf::from(s)
}

/// Write a new key pair, `<stem>.key` (secret) and `<stem>.pub`. Unless `unencrypted`, the
/// secret key is encrypted with a password from [`PASSWORD_ENV`] or asked for on the terminal.
/// Returns the public key's base64 line and key id.
pub fn keygen(stem: &Path, unencrypted: bool) -> Result<(String, String), String> {
    let sk_path = stem.with_extension("key");
    let pk_path = stem.with_extension("pub");
    for p in [&sk_path, &pk_path] {
        if p.exists() {
            return Err(format!(
                "{} already exists; refusing to overwrite a key (move it away or choose another --out)",
                p.display()
            ));
        }
    }
    let kp = if unencrypted {
        minisign::KeyPair::generate_unencrypted_keypair()
    } else {
        minisign::KeyPair::generate_encrypted_keypair(std::env::var(PASSWORD_ENV).ok())
    }
    .map_err(|e| format!("generating a key pair: {e}"))?;
    let sk_box = kp
        .sk
        .to_box(Some("edgebench model signing key"))
        .map_err(|e| format!("encoding the secret key: {e}"))?;
    let pk_box = kp
        .pk
        .to_box()
        .map_err(|e| format!("encoding the public key: {e}"))?;
    write_new(&sk_path, sk_box.to_string().as_bytes())?;
    write_new(&pk_path, pk_box.to_string().as_bytes())?;
    let b64 = kp.pk.to_base64();
    let id = key_id(&b64)?;
    Ok((b64, id))
}

/// Create `path` (never overwriting), owner-only on Unix.
fn write_new(path: &Path, bytes: &[u8]) -> Result<(), String> {
    use std::io::Write;
    let mut o = std::fs::OpenOptions::new();
    o.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut o, 0o600);
    o.open(path)
        .and_then(|mut f| f.write_all(bytes))
        .map_err(|e| format!("writing {}: {e}", path.display()))
}

/// Sign `file` with the secret key in `key_file`; writes `FILE.minisig` (or `out`) and returns
/// its path and the key id.
pub fn sign(key_file: &Path, file: &Path, out: Option<&Path>) -> Result<(PathBuf, String), String> {
    let text = std::fs::read_to_string(key_file)
        .map_err(|e| format!("reading secret key {}: {e}", key_file.display()))?;
    let parse = || {
        minisign::SecretKeyBox::from_string(&text)
            .map_err(|e| format!("{} is not a minisign secret key: {e}", key_file.display()))
    };
    let sk = match minisign::SecretKey::from_unencrypted_box(parse()?) {
        Ok(sk) if !sk.is_encrypted() => sk,
        _ => minisign::SecretKey::from_box(parse()?, std::env::var(PASSWORD_ENV).ok()).map_err(
            |e| {
                format!(
                    "decrypting secret key {}: {e} (the password comes from ${PASSWORD_ENV} or the terminal)",
                    key_file.display()
                )
            },
        )?,
    };
    let pk = minisign::PublicKey::from_secret_key(&sk)
        .map_err(|e| format!("secret key {}: {e}", key_file.display()))?;
    let data = std::fs::File::open(file).map_err(|e| format!("opening {}: {e}", file.display()))?;
    let name = file
        .file_name()
        .map_or_else(String::new, |n| n.to_string_lossy().into_owned());
    let trusted = format!("file:{name}");
    let sig = minisign::sign(
        Some(&pk),
        &sk,
        std::io::BufReader::new(data),
        Some(&trusted),
        None,
    )
    .map_err(|e| format!("signing {}: {e}", file.display()))?;
    let out = out.map_or_else(|| default_signature_path(file), Path::to_path_buf);
    let tmp = out.with_extension("minisig.tmp");
    std::fs::write(&tmp, sig.to_string())
        .and_then(|()| std::fs::rename(&tmp, &out))
        .map_err(|e| format!("writing {}: {e}", out.display()))?;
    Ok((out, key_id(&pk.to_base64())?))
}
