//! [`DeviceFingerprint`]: which machine a run measured, as stable facts (board, CPU, cores,
//! kernel set, memory, kernel, governor) and a short id over them. Compare and history key on
//! it and warn when two runs come from different machines. Data only.

use serde::{Deserialize, Serialize};

/// The facts that identify a device; each `None` is something the machine would not tell.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeviceFingerprint {
    /// `/proc/device-tree/model`, else DMI `product_name`.
    #[serde(default)]
    pub board_model: Option<String>,
    #[serde(default)]
    pub cpu_model: Option<String>,
    #[serde(default)]
    pub logical_cores: usize,
    /// The reference engine's kernel set this machine runs (`avx2`, `neon-dotprod`, ...).
    #[serde(default)]
    pub kernel_set: Option<String>,
    #[serde(default)]
    pub mem_total_bytes: Option<u64>,
    /// Kernel release (`uname -r`).
    #[serde(default)]
    pub kernel: Option<String>,
    #[serde(default)]
    pub governor: Option<String>,
    #[serde(default)]
    pub arch: String,
    /// First 12 hex digits of the sha256 of the fields above, one per line.
    #[serde(default)]
    pub id: String,
}

impl DeviceFingerprint {
    /// `(field, self's value, other's value)` for every field that differs (the id excluded).
    pub fn differences(&self, other: &DeviceFingerprint) -> Vec<(&'static str, String, String)> {
        let a = self.fields();
        let b = other.fields();
        a.into_iter()
            .zip(b)
            .filter(|(x, y)| x.1 != y.1)
            .map(|(x, y)| (x.0, x.1, y.1))
            .collect()
    }

    /// The identifying fields as `(name, value)`; the id hashes their values.
    pub fn fields(&self) -> Vec<(&'static str, String)> {
        let o = |v: &Option<String>| v.clone().unwrap_or_else(|| "unknown".into());
        vec![
            ("board", o(&self.board_model)),
            ("cpu", o(&self.cpu_model)),
            ("cores", self.logical_cores.to_string()),
            ("kernel set", o(&self.kernel_set)),
            (
                "memory",
                self.mem_total_bytes
                    .map_or_else(|| "unknown".into(), |b| format!("{} MiB", b >> 20)),
            ),
            ("kernel", o(&self.kernel)),
            ("governor", o(&self.governor)),
            ("arch", self.arch.clone()),
        ]
    }
}
