//! CPU frequencies from `/sys/devices/system/cpu/cpu*/cpufreq/{scaling_cur_freq,
//! scaling_max_freq,scaling_governor}` (kHz → MHz). The sampler records the highest current
//! frequency over all CPUs: on a board with one clock it is that clock, on x86 it is the busy
//! core's, so a drop means a cap, not an idle core.

use std::path::{Path, PathBuf};

use crate::collect::sysfs::{at, entries_with_prefix, read_i64, read_opt};

/// One CPU's frequency state.
#[derive(Debug, Clone, PartialEq)]
pub struct CpuFreq {
    pub cpu: usize,
    pub cur_mhz: Option<f64>,
    pub max_mhz: Option<f64>,
    pub governor: Option<String>,
}

/// `cpufreq` directories of `cpu0`, `cpu1`, ... (not `cpufreq`/`cpuidle`).
fn cpufreq_dirs(root: &Path) -> Vec<(usize, PathBuf)> {
    entries_with_prefix(&at(root, "/sys/devices/system/cpu"), "cpu")
        .into_iter()
        .filter_map(|d| {
            let name = d.file_name()?.to_string_lossy().into_owned();
            let n = name.strip_prefix("cpu")?.parse().ok()?;
            Some((n, d.join("cpufreq")))
        })
        .filter(|(_, d)| d.is_dir())
        .collect()
}

fn khz_to_mhz(file: &Path) -> Option<f64> {
    read_i64(file)
        .ok()
        .filter(|&k| k > 0)
        .map(|k| k as f64 / 1000.0)
}

/// Every CPU that has cpufreq.
pub fn read_cpu_freqs(root: &Path) -> Vec<CpuFreq> {
    cpufreq_dirs(root)
        .into_iter()
        .map(|(cpu, d)| CpuFreq {
            cpu,
            cur_mhz: khz_to_mhz(&d.join("scaling_cur_freq")),
            max_mhz: khz_to_mhz(&d.join("scaling_max_freq")),
            governor: read_opt(&d.join("scaling_governor")),
        })
        .collect()
}

/// Highest `scaling_max_freq` over all CPUs, MHz.
pub fn scaling_max_mhz(freqs: &[CpuFreq]) -> Option<f64> {
    freqs.iter().filter_map(|f| f.max_mhz).reduce(f64::max)
}

/// The governor when all CPUs agree, else `mixed: a, b`.
pub fn governor(freqs: &[CpuFreq]) -> Option<String> {
    let mut g: Vec<&str> = freqs.iter().filter_map(|f| f.governor.as_deref()).collect();
    g.sort_unstable();
    g.dedup();
    match g.as_slice() {
        [] => None,
        [one] => Some(one.to_string()),
        many => Some(format!("mixed: {}", many.join(", "))),
    }
}

/// The `scaling_cur_freq` files, found once, read at every slow tick of the sampler.
#[derive(Debug, Clone)]
pub struct FreqReader {
    files: Vec<PathBuf>,
}

impl FreqReader {
    pub fn new(root: &Path) -> FreqReader {
        let files = cpufreq_dirs(root)
            .into_iter()
            .map(|(_, d)| d.join("scaling_cur_freq"))
            .collect();
        FreqReader { files }
    }

    /// Highest current frequency over all CPUs, MHz; `None` without cpufreq.
    pub fn max_cur_mhz(&self) -> Option<f64> {
        self.files
            .iter()
            .filter_map(|f| khz_to_mhz(f))
            .reduce(f64::max)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_khz_as_mhz_and_skips_non_cpu_dirs() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        for (cpu, cur, gov) in [
            (0, "600000", "ondemand"),
            (1, "1500000", "ondemand"),
            (10, "1200000", "performance"),
        ] {
            let d = at(root, &format!("/sys/devices/system/cpu/cpu{cpu}/cpufreq"));
            std::fs::create_dir_all(&d).unwrap();
            std::fs::write(d.join("scaling_cur_freq"), cur).unwrap();
            std::fs::write(d.join("scaling_max_freq"), "1800000\n").unwrap();
            std::fs::write(d.join("scaling_governor"), gov).unwrap();
        }
        std::fs::create_dir_all(at(root, "/sys/devices/system/cpu/cpufreq/policy0")).unwrap();
        let f = read_cpu_freqs(root);
        assert_eq!(f.iter().map(|c| c.cpu).collect::<Vec<_>>(), [0, 1, 10]);
        assert_eq!(f[0].cur_mhz, Some(600.0));
        assert_eq!(scaling_max_mhz(&f), Some(1800.0));
        assert_eq!(governor(&f).unwrap(), "mixed: ondemand, performance");
        assert_eq!(FreqReader::new(root).max_cur_mhz(), Some(1500.0));
        assert_eq!(
            FreqReader::new(Path::new("/nonexistent")).max_cur_mhz(),
            None
        );
    }
}
