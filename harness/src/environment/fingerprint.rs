//! The device's identity for a lab: its name (`--device`, `$EDGEBENCH_DEVICE`, else the
//! hostname) and its [`DeviceFingerprint`], built from facts the environment already collected
//! plus the reference engine's kernel set. Old reports without one get it rebuilt from their
//! environment by [`of`].

use sha2::{Digest, Sha256};

use crate::results::{DeviceFingerprint, Environment};

/// The variable that names the device when `--device` is not given.
pub const DEVICE_ENV: &str = "EDGEBENCH_DEVICE";

/// `$EDGEBENCH_DEVICE` when set and not empty, else the hostname.
pub fn device_name(hostname: Option<&str>) -> Option<String> {
    std::env::var(DEVICE_ENV)
        .ok()
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty())
        .or_else(|| hostname.map(str::to_string))
}

/// The reference engine's kernel set on this machine (`EDGEBENCH_KERNELS` honoured).
pub fn kernel_set() -> Option<String> {
    edgebench_reference::kernels::select()
        .ok()
        .map(|k| k.name.to_string())
}

/// The fingerprint of an environment; `kernel_set` from this process, or from the report
/// (an old report's points name it in `backend_info.kernels`).
pub fn of(env: &Environment, kernel_set: Option<String>) -> DeviceFingerprint {
    let mut f = DeviceFingerprint {
        board_model: env
            .board
            .as_ref()
            .and_then(|b| b.model.clone())
            .or_else(|| env.board_model.clone()),
        cpu_model: env.cpu_model.clone(),
        logical_cores: env.logical_cores,
        kernel_set,
        mem_total_bytes: env.mem_total_bytes,
        kernel: env.kernel.clone(),
        governor: env.governor.clone(),
        arch: env.arch.clone(),
        id: String::new(),
    };
    f.id = id(&f);
    f
}

/// First 12 hex digits of the sha256 over the identifying fields.
pub fn id(f: &DeviceFingerprint) -> String {
    let mut h = Sha256::new();
    for (k, v) in f.fields() {
        h.update(format!("{k}={v}\n"));
    }
    hex::encode(h.finalize())[..12].to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_facts_same_id_and_differences_are_named() {
        let env = Environment {
            arch: "aarch64".into(),
            cpu_model: Some("Cortex-A76".into()),
            logical_cores: 4,
            board_model: Some("Raspberry Pi 5".into()),
            ..Default::default()
        };
        let a = of(&env, Some("neon-dotprod".into()));
        let b = of(&env, Some("neon-dotprod".into()));
        assert_eq!(a.id, b.id);
        assert_eq!(a.id.len(), 12);
        let c = of(&env, Some("neon".into()));
        assert_ne!(a.id, c.id);
        assert_eq!(
            a.differences(&c),
            vec![("kernel set", "neon-dotprod".into(), "neon".into())]
        );
    }
}
