//! INA219/INA220/INA226/INA230/INA231/INA260 through the kernel's hwmon `ina2xx` driver: power
//! from `power1_input` (µW) when present, else bus voltage `in1_input` (mV) × `curr1_input` (mA).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use super::{PowerError, PowerSource, Reading};
use crate::collect::sysfs::{at, entries_with_prefix, read_i64, read_opt};

/// hwmon `name` values served by the `ina2xx` driver.
pub const INA2XX_NAMES: [&str; 6] = ["ina219", "ina220", "ina226", "ina230", "ina231", "ina260"];

/// One hwmon ina2xx device.
pub struct HwmonIna {
    dir: PathBuf,
    chip: String,
    has_power: bool,
    update_interval_ms: Option<i64>,
    shunt_resistor_uohm: Option<i64>,
}

impl HwmonIna {
    /// The first `/sys/class/hwmon/hwmon*` whose `name` is an ina2xx chip.
    pub fn find(root: &Path) -> Result<HwmonIna, String> {
        let class = at(root, "/sys/class/hwmon");
        for dir in entries_with_prefix(&class, "hwmon") {
            let Some(chip) = read_opt(&dir.join("name")) else {
                continue;
            };
            if INA2XX_NAMES.contains(&chip.as_str()) {
                return Self::open(dir, chip);
            }
        }
        Err(format!(
            "no hwmon device named {} under {}",
            INA2XX_NAMES.join("/"),
            class.display()
        ))
    }

    fn open(dir: PathBuf, chip: String) -> Result<HwmonIna, String> {
        let has_power = dir.join("power1_input").exists();
        let has_vi = dir.join("in1_input").exists() && dir.join("curr1_input").exists();
        if !(has_power || has_vi) {
            return Err(format!(
                "{} ({chip}) has neither power1_input nor in1_input + curr1_input",
                dir.display()
            ));
        }
        Ok(HwmonIna {
            update_interval_ms: read_i64(&dir.join("update_interval")).ok(),
            shunt_resistor_uohm: read_i64(&dir.join("shunt_resistor")).ok(),
            dir,
            chip,
            has_power,
        })
    }
}

impl PowerSource for HwmonIna {
    fn name(&self) -> &str {
        "hwmon-ina2xx"
    }

    fn describe(&self) -> BTreeMap<String, String> {
        let mut d = BTreeMap::new();
        d.insert("chip".into(), self.chip.clone());
        d.insert("path".into(), self.dir.display().to_string());
        let method = if self.has_power {
            "power1_input (uW)"
        } else {
            "in1_input (mV) x curr1_input (mA)"
        };
        d.insert("method".into(), method.into());
        if let Some(r) = self.shunt_resistor_uohm {
            d.insert("shunt_resistor_uohm".into(), r.to_string());
        }
        if let Some(ms) = self.update_interval_ms {
            d.insert("update_interval_ms".into(), ms.to_string());
        }
        if let Some(label) = read_opt(&self.dir.join("power1_label")) {
            d.insert("label".into(), label);
        }
        d
    }

    fn read(&mut self) -> Result<Reading, PowerError> {
        if self.has_power {
            let uw = read_i64(&self.dir.join("power1_input"))?;
            return Ok(Reading::PowerW(uw as f64 * 1e-6));
        }
        let mv = read_i64(&self.dir.join("in1_input"))?;
        let ma = read_i64(&self.dir.join("curr1_input"))?;
        Ok(Reading::PowerW(
            (mv as f64 * 1e-3) * (ma as f64 * 1e-3).abs(),
        ))
    }

    fn max_rate_hz(&self) -> Option<f64> {
        self.update_interval_ms
            .filter(|&ms| ms > 0)
            .map(|ms| 1000.0 / ms as f64)
    }
}
