//! INA3221 three-channel monitor (Jetson boards). Two layouts: hwmon `name == ina3221` with
//! `in{N}_input` (mV), `curr{N}_input` (mA), `in{N}_label`; and the older iio driver
//! `/sys/bus/i2c/drivers/ina3221x/*/iio:device*/in_power{N}_input` (mW) with `rail_name_{N}`.
//! Board power is the input rail (`VDD_IN`, `POM_5V_IN`) when one is labelled, else the sum of
//! all rails (which may miss rails the monitor does not see; `describe` says which was used).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use super::{PowerError, PowerSource, Reading};
use crate::collect::sysfs::{at, entries_with_prefix, read_i64, read_opt};

/// Rail labels that carry the whole board's input power.
const INPUT_RAILS: [&str; 3] = ["VDD_IN", "POM_5V_IN", "VIN_SYS_5V0"];

/// How one rail is read.
#[derive(Debug, Clone)]
enum RailFiles {
    /// hwmon: bus voltage (mV) and current (mA).
    Hwmon { volt: PathBuf, curr: PathBuf },
    /// iio: power (mW).
    Iio { power: PathBuf },
}

#[derive(Debug, Clone)]
struct Rail {
    label: String,
    files: RailFiles,
}

impl Rail {
    fn read_w(&self) -> Result<f64, PowerError> {
        Ok(match &self.files {
            RailFiles::Hwmon { volt, curr } => {
                read_i64(volt)? as f64 * 1e-3 * (read_i64(curr)? as f64 * 1e-3).abs()
            }
            RailFiles::Iio { power } => read_i64(power)? as f64 * 1e-3,
        })
    }
}

/// Every readable INA3221 rail; reads the input rail or the sum.
pub struct Ina3221 {
    layout: &'static str,
    rails: Vec<Rail>,
    /// Index of the input rail when one is labelled.
    input: Option<usize>,
}

impl Ina3221 {
    /// hwmon devices first, then the iio layout.
    pub fn find(root: &Path) -> Result<Ina3221, String> {
        let hwmon = at(root, "/sys/class/hwmon");
        let iio = at(root, "/sys/bus/i2c/drivers/ina3221x");
        let (layout, rails) = match hwmon_rails(&hwmon) {
            r if !r.is_empty() => ("hwmon", r),
            _ => ("iio", iio_rails(&iio)),
        };
        if rails.is_empty() {
            return Err(format!(
                "no readable ina3221 channel under {} (hwmon name ina3221) or {}/*/iio:device*",
                hwmon.display(),
                iio.display()
            ));
        }
        let input = rails
            .iter()
            .position(|r| INPUT_RAILS.iter().any(|l| r.label.eq_ignore_ascii_case(l)));
        Ok(Ina3221 {
            layout,
            rails,
            input,
        })
    }
}

fn hwmon_rails(class: &Path) -> Vec<Rail> {
    let mut rails = Vec::new();
    for dir in entries_with_prefix(class, "hwmon") {
        if read_opt(&dir.join("name")).as_deref() != Some("ina3221") {
            continue;
        }
        for n in 1..=3 {
            let rail = Rail {
                label: read_opt(&dir.join(format!("in{n}_label")))
                    .unwrap_or_else(|| format!("{}:ch{n}", dir_name(&dir))),
                files: RailFiles::Hwmon {
                    volt: dir.join(format!("in{n}_input")),
                    curr: dir.join(format!("curr{n}_input")),
                },
            };
            // A disabled channel fails to read (ENODATA); skip it.
            if rail.read_w().is_ok() {
                rails.push(rail);
            }
        }
    }
    rails
}

fn iio_rails(driver: &Path) -> Vec<Rail> {
    let mut rails = Vec::new();
    let Ok(rd) = std::fs::read_dir(driver) else {
        return rails;
    };
    let mut devs: Vec<PathBuf> = rd.filter_map(|e| e.ok()).map(|e| e.path()).collect();
    devs.sort();
    for dev in devs {
        for iio in entries_with_prefix(&dev, "iio:device") {
            for n in 0..3 {
                let rail = Rail {
                    label: read_opt(&iio.join(format!("rail_name_{n}")))
                        .unwrap_or_else(|| format!("{}:ch{n}", dir_name(&iio))),
                    files: RailFiles::Iio {
                        power: iio.join(format!("in_power{n}_input")),
                    },
                };
                if rail.read_w().is_ok() {
                    rails.push(rail);
                }
            }
        }
    }
    rails
}

fn dir_name(p: &Path) -> String {
    p.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default()
}

impl PowerSource for Ina3221 {
    fn name(&self) -> &str {
        "ina3221"
    }

    fn describe(&self) -> BTreeMap<String, String> {
        let mut d = BTreeMap::new();
        d.insert("layout".into(), self.layout.into());
        let method = match self.input {
            Some(i) => format!("input rail {}", self.rails[i].label),
            None => "sum of all rails (no VDD_IN/POM_5V_IN label)".to_string(),
        };
        d.insert("method".into(), method);
        for r in &self.rails {
            let path = match &r.files {
                RailFiles::Hwmon { curr, .. } => curr,
                RailFiles::Iio { power } => power,
            };
            d.insert(format!("rail.{}", r.label), path.display().to_string());
        }
        d
    }

    fn read(&mut self) -> Result<Reading, PowerError> {
        match self.input {
            Some(i) => self.rails[i].read_w().map(Reading::PowerW),
            None => {
                let mut sum = 0.0;
                for r in &self.rails {
                    sum += r.read_w()?;
                }
                Ok(Reading::PowerW(sum))
            }
        }
    }
}
