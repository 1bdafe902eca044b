//! Temperatures from `/sys/class/thermal/thermal_zone*/{type,temp}` (millidegrees → °C). The
//! sampler follows one zone, the CPU's when a zone's type says so (`cpu-thermal` on a Pi,
//! `x86_pkg_temp`, `CPU-therm` on Jetson), because the hottest zone can be a fixed fake (Jetson's
//! `PMIC-Die` reads 100 °C) or a peripheral.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use crate::collect::sysfs::{at, entries_with_prefix, read_i64, read_opt};

/// Readings outside this range are sensor errors, not temperatures.
const PLAUSIBLE_C: std::ops::RangeInclusive<f64> = -60.0..=200.0;

/// One zone's `temp` file, °C, when readable and plausible.
pub fn read_temp_c(temp_file: &Path) -> Option<f64> {
    let c = read_i64(temp_file).ok()? as f64 / 1000.0;
    PLAUSIBLE_C.contains(&c).then_some(c)
}

/// `(type, temp file)` of every zone, in zone order; duplicate types get `.N` (the zone number).
pub fn zones(root: &Path) -> Vec<(String, PathBuf)> {
    let dirs = entries_with_prefix(&at(root, "/sys/class/thermal"), "thermal_zone");
    let named: Vec<(String, PathBuf)> = dirs
        .iter()
        .map(|d| {
            let zone = d
                .file_name()
                .unwrap_or_default()
                .to_string_lossy()
                .into_owned();
            let kind = read_opt(&d.join("type")).unwrap_or_else(|| zone.clone());
            (kind, d.join("temp"))
        })
        .collect();
    named
        .iter()
        .map(|(kind, temp)| {
            if named.iter().filter(|(k, _)| k == kind).count() > 1 {
                let dir = temp
                    .parent()
                    .and_then(|p| p.file_name())
                    .unwrap_or_default();
                let n = dir
                    .to_string_lossy()
                    .trim_start_matches("thermal_zone")
                    .to_string();
                (format!("{kind}.{n}"), temp.clone())
            } else {
                (kind.clone(), temp.clone())
            }
        })
        .collect()
}

/// Every readable zone's temperature, °C, by zone type.
pub fn read_temperatures(root: &Path) -> BTreeMap<String, f64> {
    zones(root)
        .into_iter()
        .filter_map(|(name, file)| Some((name, read_temp_c(&file)?)))
        .collect()
}

/// The zone the sampler follows: the first readable CPU/SoC zone, else the hottest readable one.
pub fn cpu_zone(root: &Path) -> Option<(String, PathBuf)> {
    let readable: Vec<(String, PathBuf, f64)> = zones(root)
        .into_iter()
        .filter_map(|(n, f)| {
            let c = read_temp_c(&f)?;
            Some((n, f, c))
        })
        .collect();
    let is_cpu = |n: &str| {
        let n = n.to_ascii_lowercase();
        n.contains("cpu") || n.contains("x86_pkg") || n.contains("soc") || n.contains("k10temp")
    };
    let pick = readable
        .iter()
        .find(|(n, _, _)| is_cpu(n))
        .or_else(|| readable.iter().max_by(|a, b| a.2.total_cmp(&b.2)))?;
    Some((pick.0.clone(), pick.1.clone()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn zone(root: &Path, n: usize, kind: &str, temp: &str) {
        let d = at(root, &format!("/sys/class/thermal/thermal_zone{n}"));
        std::fs::create_dir_all(&d).unwrap();
        std::fs::write(d.join("type"), format!("{kind}\n")).unwrap();
        std::fs::write(d.join("temp"), format!("{temp}\n")).unwrap();
    }

    #[test]
    fn reads_zones_in_celsius_and_prefers_the_cpu_zone() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        zone(root, 0, "acpitz", "45000");
        zone(root, 1, "PMIC-Die", "100000");
        zone(root, 2, "cpu-thermal", "52312");
        zone(root, 3, "acpitz", "46000");
        zone(root, 4, "broken", "-274000");
        let t = read_temperatures(root);
        assert_eq!(t.get("cpu-thermal"), Some(&52.312));
        assert_eq!(t.get("acpitz.0"), Some(&45.0));
        assert_eq!(t.get("acpitz.3"), Some(&46.0));
        assert!(!t.contains_key("broken"));
        assert_eq!(cpu_zone(root).unwrap().0, "cpu-thermal");
        std::fs::remove_dir_all(at(root, "/sys/class/thermal/thermal_zone2")).unwrap();
        assert_eq!(cpu_zone(root).unwrap().0, "PMIC-Die");
        assert!(read_temperatures(Path::new("/nonexistent-root")).is_empty());
    }
}
