//! The ARM board a result came from: which board and CPU cores, the SIMD features that pick
//! the reference engine's kernel set, and whether the run was emulated (QEMU user-mode on
//! another architecture), whose timings describe no board at all. Data only.

use serde::{Deserialize, Serialize};

/// Board facts (filled on aarch64; `None` elsewhere). Every field is what the machine told.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct BoardInfo {
    /// `/proc/device-tree/model`, e.g. `Raspberry Pi 5 Model B Rev 1.0`.
    #[serde(default)]
    pub model: Option<String>,
    /// CPU core types with their counts, from `/proc/cpuinfo` (`CPU implementer`/`CPU part`),
    /// e.g. `["Cortex-A76 ×4"]`, big cores last as the kernel lists them.
    #[serde(default)]
    pub cpu_parts: Vec<String>,
    /// The kernel-relevant CPU features this process detected, named as `/proc/cpuinfo`
    /// names them: `neon` (asimd), `asimddp` (dotprod: `sdot`), `i8mm`, `asimdhp`, `sve`, ...
    #[serde(default)]
    pub features: Vec<String>,
    /// `Some(true)`: this aarch64 binary ran under user-mode emulation on another
    /// architecture's kernel (timings are not representative of any board).
    #[serde(default)]
    pub emulated: Option<bool>,
    /// What showed the emulation, and what it means for the numbers.
    #[serde(default)]
    pub emulation_note: Option<String>,
}

impl BoardInfo {
    /// One line for reports: board, cores, features, and the emulation warning.
    pub fn summary(&self) -> String {
        let mut s = format!(
            "Board: {} · CPU {} · features {}",
            self.model.as_deref().unwrap_or("unknown"),
            if self.cpu_parts.is_empty() {
                "unknown".to_string()
            } else {
                self.cpu_parts.join(", ")
            },
            if self.features.is_empty() {
                "none detected".to_string()
            } else {
                self.features.join(", ")
            },
        );
        if self.emulated == Some(true) {
            s.push_str(" · **EMULATED: timings are not representative**");
        }
        s
    }
}
