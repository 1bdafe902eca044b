//! `edgebench model keygen | sign | verify`: minisign keys and signatures for model files, for
//! lab maintainers who publish models that scenarios pin with `signature`/`trusted_keys`.

use anyhow::{anyhow, Result};
use std::path::Path;

use crate::cli::ModelCommand;
use crate::integrity::minisig;

pub fn run(cmd: ModelCommand) -> Result<i32> {
    match cmd {
        ModelCommand::Keygen { out, unencrypted } => {
            let (pk, id) = minisig::keygen(&out, unencrypted).map_err(|e| anyhow!(e))?;
            println!(
                "secret key {} (keep it private)\npublic key {} (key id {id}):\n{pk}\nput it in a scenario's `trusted_keys = [\"{pk}\"]`",
                out.with_extension("key").display(),
                out.with_extension("pub").display()
            );
            Ok(0)
        }
        ModelCommand::Sign { key, file, out } => {
            let (sig, id) = minisig::sign(&key, &file, out.as_deref()).map_err(|e| anyhow!(e))?;
            println!(
                "{}: signed by key {id} into {}",
                file.display(),
                sig.display()
            );
            Ok(0)
        }
        ModelCommand::Verify {
            pubkey,
            file,
            signature,
        } => {
            let key = if Path::new(&pubkey).is_file() {
                std::fs::read_to_string(&pubkey)
                    .map_err(|e| anyhow!("reading public key {pubkey}: {e}"))?
            } else {
                pubkey
            };
            let sig = signature.unwrap_or_else(|| minisig::default_signature_path(&file));
            match minisig::verify_file(&file, &sig, &[key]) {
                Ok(id) => {
                    println!(
                        "{}: signature {} by key {id} is valid",
                        file.display(),
                        sig.display()
                    );
                    Ok(0)
                }
                Err(e) => {
                    eprintln!("error: {e}");
                    Ok(1)
                }
            }
        }
        _ => unreachable!("model_sign::run is called for keygen, sign and verify only"),
    }
}
