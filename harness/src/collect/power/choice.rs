//! `PowerChoice`: the scenario's `power = "..."` string. Unknown values are an error that lists
//! the valid ones; `ina219-i2c` takes optional `key=value` settings after a colon.

use std::fmt;
use std::str::FromStr;

/// Which power source to use.
#[derive(Debug, Clone, PartialEq)]
pub enum PowerChoice {
    Auto,
    None,
    /// INA219/INA226/INA230/INA231 through the kernel's hwmon `ina2xx` driver.
    Ina219,
    /// INA219 over raw `/dev/i2c-N` when no driver is bound.
    Ina219I2c(I2cOptions),
    /// INA3221 (Jetson), hwmon or the older iio `ina3221x` layout.
    Ina3221,
    /// Intel/AMD RAPL energy counters.
    Rapl,
    /// A laptop battery (`power_now` or `current_now` × `voltage_now`).
    Battery,
}

/// Where the raw-I2C INA219 sits and how its shunt is built.
#[derive(Debug, Clone, PartialEq)]
pub struct I2cOptions {
    /// `N` in `/dev/i2c-N`; 1 on a Raspberry Pi's header.
    pub bus: u32,
    /// 7-bit address; 0x40 with A0 = A1 = GND.
    pub address: u16,
    /// Shunt resistance, ohms (0.1 on the common breakout boards).
    pub shunt_ohm: f64,
    /// Largest current expected, amperes; sets the current LSB (max / 32768).
    pub max_current_a: f64,
}

impl Default for I2cOptions {
    fn default() -> Self {
        I2cOptions {
            bus: 1,
            address: 0x40,
            shunt_ohm: 0.1,
            max_current_a: 3.2,
        }
    }
}

const VALID: &str = "auto, none, ina219, ina219-i2c[:bus=1,addr=0x40,shunt_ohm=0.1,max_current_a=3.2], ina3221, rapl, battery";

/// A `power` value that is not one of the valid ones.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown power source `{value}`: {why}; valid values: {VALID}")]
pub struct ParseChoiceError {
    value: String,
    why: String,
}

impl FromStr for PowerChoice {
    type Err = ParseChoiceError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let err = |why: String| ParseChoiceError {
            value: s.to_string(),
            why,
        };
        let (head, args) = match s.trim().split_once(':') {
            Some((h, a)) => (h, Some(a)),
            None => (s.trim(), None),
        };
        let choice = match head.to_ascii_lowercase().as_str() {
            "auto" => PowerChoice::Auto,
            "none" | "off" => PowerChoice::None,
            "ina219" | "ina226" | "hwmon" => PowerChoice::Ina219,
            "ina219-i2c" => PowerChoice::Ina219I2c(parse_i2c(args.unwrap_or("")).map_err(err)?),
            "ina3221" => PowerChoice::Ina3221,
            "rapl" => PowerChoice::Rapl,
            "battery" => PowerChoice::Battery,
            other => return Err(err(format!("`{other}` is not a known source"))),
        };
        match (args, &choice) {
            (Some(_), c) if !matches!(c, PowerChoice::Ina219I2c(_)) => {
                Err(err("only `ina219-i2c` takes settings after `:`".into()))
            }
            _ => Ok(choice),
        }
    }
}

fn parse_i2c(args: &str) -> Result<I2cOptions, String> {
    let mut o = I2cOptions::default();
    for kv in args.split(',').map(str::trim).filter(|s| !s.is_empty()) {
        let (k, v) = kv
            .split_once('=')
            .ok_or_else(|| format!("`{kv}` is not key=value"))?;
        let bad = || format!("`{kv}`: `{v}` is not a valid number");
        match k.trim() {
            "bus" => o.bus = v.parse().map_err(|_| bad())?,
            "addr" | "address" => {
                o.address = match v.strip_prefix("0x").or_else(|| v.strip_prefix("0X")) {
                    Some(hex) => u16::from_str_radix(hex, 16).map_err(|_| bad())?,
                    None => v.parse().map_err(|_| bad())?,
                }
            }
            "shunt_ohm" => o.shunt_ohm = v.parse().map_err(|_| bad())?,
            "max_current_a" => o.max_current_a = v.parse().map_err(|_| bad())?,
            other => return Err(format!("unknown ina219-i2c setting `{other}`")),
        }
    }
    Ok(o)
}

impl fmt::Display for PowerChoice {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PowerChoice::Auto => f.write_str("auto"),
            PowerChoice::None => f.write_str("none"),
            PowerChoice::Ina219 => f.write_str("ina219"),
            PowerChoice::Ina219I2c(o) => write!(
                f,
                "ina219-i2c:bus={},addr={:#04x},shunt_ohm={},max_current_a={}",
                o.bus, o.address, o.shunt_ohm, o.max_current_a
            ),
            PowerChoice::Ina3221 => f.write_str("ina3221"),
            PowerChoice::Rapl => f.write_str("rapl"),
            PowerChoice::Battery => f.write_str("battery"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_every_valid_value_and_round_trips() {
        for s in ["auto", "none", "ina219", "ina3221", "rapl", "battery"] {
            let c: PowerChoice = s.parse().unwrap();
            assert_eq!(c.to_string(), s);
        }
        let c: PowerChoice = "ina219-i2c:bus=3,addr=0x41,shunt_ohm=0.01,max_current_a=8"
            .parse()
            .unwrap();
        let want = I2cOptions {
            bus: 3,
            address: 0x41,
            shunt_ohm: 0.01,
            max_current_a: 8.0,
        };
        assert_eq!(c, PowerChoice::Ina219I2c(want));
        assert_eq!(c.to_string().parse::<PowerChoice>().unwrap(), c);
        assert_eq!(
            "ina219-i2c".parse::<PowerChoice>().unwrap(),
            PowerChoice::Ina219I2c(I2cOptions::default())
        );
    }

    #[test]
    fn unknown_values_list_the_valid_ones() {
        let e = "ina999".parse::<PowerChoice>().unwrap_err().to_string();
        assert!(
            e.contains("unknown power source `ina999`") && e.contains("rapl, battery"),
            "{e}"
        );
        let e = "rapl:x=1".parse::<PowerChoice>().unwrap_err().to_string();
        assert!(e.contains("only `ina219-i2c` takes settings"), "{e}");
        let e = "ina219-i2c:addr=zz"
            .parse::<PowerChoice>()
            .unwrap_err()
            .to_string();
        assert!(e.contains("`zz` is not a valid number"), "{e}");
    }
}
