//! `edgebench env`: the machine facts every report records, as a short human summary (or the
//! report's `environment` JSON with `--json`), including a freshly measured memory bandwidth.

use anyhow::Result;
use std::fmt::Write;

use crate::results::Environment;

pub fn env(json: bool) -> Result<i32> {
    let mut env = crate::environment::collect();
    env.memory_bandwidth = Some(crate::bandwidth::measure());
    if json {
        println!("{}", serde_json::to_string_pretty(&env)?);
    } else {
        print!("{}", render(&env));
    }
    Ok(0)
}

fn or_unknown(v: Option<&str>) -> &str {
    v.unwrap_or("unknown")
}

/// The summary `edgebench env` prints.
pub fn render(e: &Environment) -> String {
    let mut s = String::new();
    let gib = |b: u64| format!("{:.1} GiB", b as f64 / (1u64 << 30) as f64);
    let _ = writeln!(s, "host        {}", or_unknown(e.hostname.as_deref()));
    let _ = writeln!(
        s,
        "system      {} · {} · kernel {}",
        or_unknown(e.os.as_deref()),
        e.arch,
        or_unknown(e.kernel.as_deref())
    );
    let _ = writeln!(
        s,
        "cpu         {} · {} logical cores",
        or_unknown(e.cpu_model.as_deref()),
        e.logical_cores
    );
    let _ = writeln!(
        s,
        "features    {}",
        if e.cpu_features.is_empty() {
            "none of interest detected".to_string()
        } else {
            e.cpu_features.join(" ")
        }
    );
    let _ = writeln!(
        s,
        "kernel sets {} (best: {})",
        edgebench_reference::kernels::available().join(", "),
        edgebench_reference::kernels::select_auto().name
    );
    let _ = writeln!(
        s,
        "frequency   governor {} · max {}",
        or_unknown(e.governor.as_deref()),
        e.cpu_freq_max_mhz
            .map_or_else(|| "unknown".to_string(), |m| format!("{m:.0} MHz"))
    );
    if let Some(b) = &e.board {
        let _ = writeln!(s, "board       {}", b.summary());
    } else if let Some(m) = &e.board_model {
        let _ = writeln!(s, "board       {m}");
    }
    let _ = writeln!(
        s,
        "memory      {}",
        e.mem_total_bytes.map_or_else(|| "unknown".to_string(), gib)
    );
    let _ = writeln!(s, "rustc       {}", or_unknown(e.rustc.as_deref()));
    let temps = if e.temperatures_c_start.is_empty() {
        "no thermal zones".to_string()
    } else {
        e.temperatures_c_start
            .iter()
            .map(|(k, v)| format!("{k} {v:.1} °C"))
            .collect::<Vec<_>>()
            .join(", ")
    };
    let _ = writeln!(s, "temperature {temps}");
    match &e.memory_bandwidth {
        Some(b) => {
            let _ = writeln!(
                s,
                "bandwidth   read {:.1} GB/s on 1 thread, {:.1} GB/s on {} threads",
                b.read_1t_bytes_per_s / 1e9,
                b.read_all_bytes_per_s / 1e9,
                b.threads_all
            );
            if !b.curve.is_empty() {
                let _ = writeln!(s, "\nread bandwidth by buffer size (the roofline's curve):");
                s.push_str(&crate::bandwidth::render_curve(b));
            }
        }
        None => {
            let _ = writeln!(s, "bandwidth   not measured");
        }
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn summary_names_what_is_known_and_says_unknown_otherwise() {
        let e = Environment {
            arch: "x86_64".into(),
            cpu_model: Some("Test CPU".into()),
            logical_cores: 2,
            cpu_features: vec!["avx2".into()],
            mem_total_bytes: Some(24 << 30),
            ..Default::default()
        };
        let s = render(&e);
        assert!(s.contains("cpu         Test CPU · 2 logical cores"), "{s}");
        assert!(s.contains("memory      24.0 GiB"), "{s}");
        assert!(s.contains("governor unknown"), "{s}");
        assert!(s.contains("bandwidth   not measured"), "{s}");
        assert!(s.contains("kernel sets scalar"), "{s}");
    }
}
