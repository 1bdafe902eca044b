//! What machine a result came from: CPU, cores, governor, frequencies, board, kernel, memory,
//! compiler and temperatures, and the device's name and fingerprint for a lab
//! ([`fingerprint`]). Anything the machine does not tell stays `None`.

use std::collections::BTreeMap;
use std::path::Path;

use crate::results::Environment;

mod board;
pub mod fingerprint;

fn read_trim(path: impl AsRef<Path>) -> Option<String> {
    std::fs::read_to_string(path)
        .ok()
        .map(|s| {
            s.trim_matches(|c: char| c.is_whitespace() || c == '\0')
                .to_string()
        })
        .filter(|s| !s.is_empty())
}

pub fn hostname() -> Option<String> {
    read_trim("/proc/sys/kernel/hostname")
}

/// CPU features that matter to the kernels we and the peers pick.
const INTERESTING_FLAGS: &[&str] = &[
    "avx",
    "avx2",
    "fma",
    "f16c",
    "avx512f",
    "avx512bw",
    "avx512vl",
    "avx512vnni",
    // Linux's /proc/cpuinfo spelling of AVX-512 VNNI, and AMX (llama.cpp's path on Xeons).
    "avx512_vnni",
    "avx512_bf16",
    "amx_int8",
    "amx_tile",
    "avx_vnni",
    "sse4_2",
    "asimd",
    "asimddp",
    "fphp",
    "asimdhp",
    "i8mm",
    "sve",
];

fn cpuinfo() -> (Option<String>, Vec<String>) {
    let text = std::fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
    let field = |names: &[&str]| {
        text.lines().find_map(|l| {
            let (k, v) = l.split_once(':')?;
            names.contains(&k.trim()).then(|| v.trim().to_string())
        })
    };
    let model = field(&["model name", "Hardware", "Model", "cpu model"]);
    let flags = field(&["flags", "Features"]).unwrap_or_default();
    let mut found: Vec<String> = flags
        .split_whitespace()
        .filter(|f| INTERESTING_FLAGS.contains(f))
        .map(str::to_string)
        .collect();
    found.sort();
    found.dedup();
    (model, found)
}

/// Every thermal zone's temperature in °C, keyed by zone type (honours `EDGEBENCH_SYSFS_ROOT`).
pub fn temperatures() -> BTreeMap<String, f64> {
    crate::collect::thermal::read_temperatures(&crate::collect::sysfs_root())
}

fn uname() -> (Option<String>, Option<String>) {
    crate::sys::uname().map_or((None, None), |(os, kernel)| (Some(os), Some(kernel)))
}

pub fn collect() -> Environment {
    let (cpu_model, cpu_features) = cpuinfo();
    let (os, kernel) = uname();
    let mem_total_bytes =
        crate::rss::read_status_kib(Path::new("/proc/meminfo"), "MemTotal:").map(|k| k * 1024);
    let cpu0 = Path::new("/sys/devices/system/cpu/cpu0/cpufreq");
    let mut env = Environment {
        hostname: hostname(),
        os: read_trim("/etc/os-release")
            .and_then(|t| {
                t.lines().find_map(|l| {
                    l.strip_prefix("PRETTY_NAME=")
                        .map(|v| v.trim_matches('"').to_string())
                })
            })
            .or(os),
        kernel,
        arch: std::env::consts::ARCH.to_string(),
        cpu_model,
        cpu_features,
        logical_cores: std::thread::available_parallelism().map_or(1, |n| n.get()),
        governor: read_trim(cpu0.join("scaling_governor")),
        cpu_freq_max_mhz: read_trim(cpu0.join("cpuinfo_max_freq"))
            .and_then(|k| k.parse::<f64>().ok())
            .map(|k| k / 1000.0),
        board_model: read_trim("/proc/device-tree/model")
            .or_else(|| read_trim("/sys/class/dmi/id/product_name")),
        mem_total_bytes,
        rustc: option_env!("EDGEBENCH_RUSTC").map(str::to_string),
        temperatures_c_start: temperatures(),
        temperatures_c_end: BTreeMap::new(),
        memory_bandwidth: None,
        board: board::collect(),
        device_name: None,
        fingerprint: None,
    };
    env.device_name = fingerprint::device_name(env.hostname.as_deref());
    env.fingerprint = Some(fingerprint::of(&env, fingerprint::kernel_set()));
    env
}

#[cfg(test)]
mod tests {
    #[test]
    fn collects_this_machine() {
        let e = super::collect();
        assert!(e.logical_cores >= 1);
        assert!(!e.arch.is_empty());
        assert!(e.mem_total_bytes.unwrap_or(1) > 0);
    }
}
