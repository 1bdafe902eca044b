//! Intel/AMD RAPL through powercap: `/sys/class/powercap/intel-rapl:N` (`package-N`) plus their
//! `dram` sub-domains `intel-rapl:N:M`. Each `energy_uj` counter wraps at `max_energy_range_uj`;
//! the source unwraps every domain itself and reports their sum as one counter that never
//! decreases, so domains with different ranges can be added. Core/uncore sub-domains are inside
//! the package figure and are not added.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use super::{PowerError, PowerSource, Reading};
use crate::collect::energy::wrapping_delta;
use crate::collect::sysfs::{at, entries_with_prefix, read_i64, read_opt};

struct Domain {
    name: String,
    energy: PathBuf,
    range_uj: Option<f64>,
    last_uj: f64,
}

/// Summed package + dram energy counters.
pub struct Rapl {
    domains: Vec<Domain>,
    total_uj: f64,
}

impl Rapl {
    /// Every readable `package-*` and `dram` domain; a permission error names the file and the fix.
    pub fn open(root: &Path) -> Result<Rapl, String> {
        let class = at(root, "/sys/class/powercap");
        let mut domains = Vec::new();
        for dir in entries_with_prefix(&class, "intel-rapl:") {
            let Some(name) = read_opt(&dir.join("name")) else {
                continue;
            };
            if !(name.starts_with("package") || name == "dram") {
                continue;
            }
            let energy = dir.join("energy_uj");
            let last_uj = read_i64(&energy).map_err(|e| format!("unavailable: {e}"))? as f64;
            let range_uj = read_i64(&dir.join("max_energy_range_uj"))
                .ok()
                .map(|r| r as f64);
            let label = dir.file_name().unwrap_or_default().to_string_lossy();
            domains.push(Domain {
                name: format!("{label} ({name})"),
                energy,
                range_uj,
                last_uj,
            });
        }
        if domains.is_empty() {
            return Err(format!(
                "no intel-rapl:* package or dram domain under {}",
                class.display()
            ));
        }
        Ok(Rapl {
            domains,
            total_uj: 0.0,
        })
    }
}

impl PowerSource for Rapl {
    fn name(&self) -> &str {
        "rapl"
    }

    fn describe(&self) -> BTreeMap<String, String> {
        let mut d = BTreeMap::new();
        let names: Vec<&str> = self.domains.iter().map(|d| d.name.as_str()).collect();
        d.insert("domains".into(), names.join(", "));
        d.insert(
            "method".into(),
            "sum of energy_uj counters, unwrapped".into(),
        );
        if let Some(first) = self.domains.first() {
            d.insert("path".into(), first.energy.display().to_string());
        }
        d
    }

    fn read(&mut self) -> Result<Reading, PowerError> {
        for d in &mut self.domains {
            let now = read_i64(&d.energy)? as f64;
            self.total_uj += wrapping_delta(d.last_uj, now, d.range_uj).unwrap_or(0.0);
            d.last_uj = now;
        }
        Ok(Reading::CounterJ {
            counter_j: self.total_uj * 1e-6,
            wrap_j: None,
        })
    }
}
