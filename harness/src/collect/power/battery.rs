//! A battery from `/sys/class/power_supply/*` with `type == Battery`: `power_now` (µW), or
//! `current_now` (µA) × `voltage_now` (µV). Only a discharging battery measures the load: while
//! charging the figure is the charge flow, so `auto` skips it and an explicit choice carries a
//! caveat into the report. Batteries update slowly (often every few seconds), hence the rate cap.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use super::{PowerError, PowerSource, Reading};
use crate::collect::sysfs::{at, entries_with_prefix, read_i64, read_opt};

/// One battery.
pub struct Battery {
    dir: PathBuf,
    has_power: bool,
}

impl Battery {
    /// The first battery; with `allow_charging == false` only a discharging one.
    pub fn find(root: &Path, allow_charging: bool) -> Result<Battery, String> {
        let class = at(root, "/sys/class/power_supply");
        let mut skipped = Vec::new();
        for dir in entries_with_prefix(&class, "") {
            if read_opt(&dir.join("type")).as_deref() != Some("Battery") {
                continue;
            }
            let has_power = dir.join("power_now").exists();
            let has_iv = dir.join("current_now").exists() && dir.join("voltage_now").exists();
            if !(has_power || has_iv) {
                skipped.push(format!(
                    "{} has no power_now or current_now + voltage_now",
                    dir.display()
                ));
                continue;
            }
            let bat = Battery { dir, has_power };
            match bat.status() {
                s if allow_charging || s == "Discharging" => return Ok(bat),
                s => skipped.push(format!("{} is `{s}`, not discharging: unplug the charger or choose `battery` explicitly", bat.dir.display())),
            }
        }
        if skipped.is_empty() {
            return Err(format!(
                "no power_supply of type Battery under {}",
                class.display()
            ));
        }
        Err(skipped.join("; "))
    }

    fn status(&self) -> String {
        read_opt(&self.dir.join("status")).unwrap_or_else(|| "Unknown".into())
    }
}

impl PowerSource for Battery {
    fn name(&self) -> &str {
        "battery"
    }

    fn describe(&self) -> BTreeMap<String, String> {
        let mut d = BTreeMap::new();
        d.insert("path".into(), self.dir.display().to_string());
        let method = if self.has_power {
            "power_now (uW)"
        } else {
            "current_now (uA) x voltage_now (uV)"
        };
        d.insert("method".into(), method.into());
        d.insert("status".into(), self.status());
        d
    }

    fn read(&mut self) -> Result<Reading, PowerError> {
        let w = if self.has_power {
            read_i64(&self.dir.join("power_now"))? as f64 * 1e-6
        } else {
            let ua = read_i64(&self.dir.join("current_now"))? as f64;
            let uv = read_i64(&self.dir.join("voltage_now"))? as f64;
            ua * 1e-6 * uv * 1e-6
        };
        Ok(Reading::PowerW(w.abs()))
    }

    fn max_rate_hz(&self) -> Option<f64> {
        Some(2.0)
    }

    fn caveat(&self) -> Option<String> {
        match self.status() {
            s if s == "Discharging" => None,
            s => Some(format!("battery {} status is `{s}`: power measured while not discharging is the charge flow, not the load's power; unplug the charger", self.dir.display())),
        }
    }
}
