//! Try the power, thermal and frequency collectors on this machine (or a fake root):
//! `cargo run -p edgebench --example power_probe -- [auto|ina219|rapl|...] [seconds]`.
//! Prints what `detect` found, a live line twice a second, then the report blocks as JSON.

use std::time::Duration;

use edgebench::clock::mono_ns;
use edgebench::collect::energy::{summarize, PhaseSpan};
use edgebench::collect::power::{detect, PowerChoice};
use edgebench::collect::sampler::{Sampler, SamplerConfig};
use edgebench::collect::throttle::{thermal_metrics, ThrottleConfig};
use edgebench::collect::{sysfs_root, thermal};

fn main() -> anyhow::Result<()> {
    let mut args = std::env::args().skip(1);
    let choice: PowerChoice = args.next().as_deref().unwrap_or("auto").parse()?;
    let secs: f64 = args.next().as_deref().unwrap_or("3").parse()?;
    let root = sysfs_root();
    println!(
        "root {} temperatures {:?}",
        root.display(),
        thermal::read_temperatures(&root)
    );
    let source = detect(&root, &choice);
    match &source {
        Ok(s) => println!("power source {}: {:?}", s.name(), s.describe()),
        Err(u) => println!("{u}"),
    }
    let mut n = 0u64;
    let live = Box::new(move |s: &edgebench::collect::sampler::Sample| {
        n += 1;
        if n % 50 == 1 {
            println!(
                "  t_ns={} power_w={:?} temp_c={:?} freq_mhz={:?}",
                s.t_ns, s.power_w, s.temp_c, s.cpu_freq_mhz
            );
        }
    });
    let sampler = Sampler::start(source, SamplerConfig::default(), live)?;
    let t0 = mono_ns();
    std::thread::sleep(Duration::from_secs_f64(secs));
    let (series, _) = sampler.stop();
    let phases = [PhaseSpan::new("decode", t0, mono_ns())];
    let mut power = serde_json::to_value(summarize(&series, &phases, Some(100), None))?;
    if let Some(t) = power.get_mut("timeline").and_then(|t| t.as_array_mut()) {
        t.truncate(3);
    }
    println!("power {}", serde_json::to_string_pretty(&power)?);
    let thermal = thermal_metrics(&series, None, &ThrottleConfig::default());
    println!("thermal {}", serde_json::to_string_pretty(&thermal)?);
    Ok(())
}
