//! Power sources behind one small trait. A source yields either instantaneous power (INA219,
//! INA3221, battery) or a cumulative energy counter (RAPL); the sampler and the energy
//! integration handle both. [`detect`] is the explicit registry: it tries the sources in a fixed
//! priority order and, when nothing fits, says what it looked for instead of reporting 0 W.

mod battery;
mod choice;
mod hwmon_ina;
#[cfg(any(test, feature = "testing"))]
pub mod ina219_fake;
pub mod ina219_i2c;
mod ina3221;
mod rapl;

pub use battery::Battery;
pub use choice::{I2cOptions, PowerChoice};
pub use hwmon_ina::HwmonIna;
pub use ina3221::Ina3221;
pub use rapl::Rapl;

use std::collections::BTreeMap;
use std::path::Path;

use crate::collect::sysfs::SysfsError;

/// One reading of a source.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Reading {
    /// Instantaneous power, watts.
    PowerW(f64),
    /// A cumulative energy counter, joules. `wrap_j` is the range after which the counter wraps
    /// to 0 (`None`: the source already unwrapped it and it never decreases).
    CounterJ { counter_j: f64, wrap_j: Option<f64> },
}

/// A power sensor the sampler can poll.
pub trait PowerSource: Send {
    /// Short name written into reports: `hwmon-ina219`, `ina219-i2c`, `ina3221`, `rapl`, `battery`.
    fn name(&self) -> &str;
    /// Where it reads and how it is set up (paths, shunt, rails, update interval).
    fn describe(&self) -> BTreeMap<String, String>;
    /// Read once. Cheap enough to call at 100 Hz.
    fn read(&mut self) -> Result<Reading, PowerError>;
    /// The fastest rate that yields new values (e.g. 1000 / hwmon `update_interval` ms).
    fn max_rate_hz(&self) -> Option<f64> {
        None
    }
    /// Why its numbers may not be the load's power (e.g. a battery that is charging).
    fn caveat(&self) -> Option<String> {
        None
    }
}

/// A failed read (the sampler counts these and keeps the last message).
#[derive(Debug, thiserror::Error)]
pub enum PowerError {
    #[error(transparent)]
    Sysfs(#[from] SysfsError),
    #[error("{device}: I2C transfer to register {register:#04x} failed: {source}; check wiring, bus number and address (`i2cdetect -y <bus>`)")]
    I2c {
        device: String,
        register: u8,
        source: std::io::Error,
    },
    #[error("{device}: math overflow (OVF): current or power exceeds the calibrated range; raise `max_current_a`")]
    Overflow { device: String },
    #[error("{device}: conversion not ready (CNVR clear); sample skipped")]
    NotReady { device: String },
    #[error("{what}: {message}")]
    Invalid { what: String, message: String },
}

/// No power measurement: the reason goes into the report instead of a number.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("power unavailable: {reason}")]
pub struct Unavailable {
    pub reason: String,
}

impl Unavailable {
    pub fn new(reason: impl Into<String>) -> Self {
        Unavailable {
            reason: reason.into(),
        }
    }
}

/// The power source the scenario asked for, opened and read once.
///
/// `auto` tries, in order: hwmon INA219/INA226/INA230/INA231, INA3221 (hwmon, then the Jetson
/// iio layout), RAPL, a discharging battery. Raw I2C is never probed automatically (writing a
/// calibration register to an unknown chip at 0x40 could disturb it): ask for `ina219-i2c`.
pub fn detect(root: &Path, choice: &PowerChoice) -> Result<Box<dyn PowerSource>, Unavailable> {
    let opened: Result<Box<dyn PowerSource>, String> = match choice {
        PowerChoice::None => {
            return Err(Unavailable::new(
                "power measurement disabled by the scenario (power = \"none\")",
            ))
        }
        PowerChoice::Auto => return detect_auto(root),
        PowerChoice::Ina219 => HwmonIna::find(root).map(boxed),
        PowerChoice::Ina219I2c(opts) => ina219_i2c::open_linux(root, opts).map(boxed),
        PowerChoice::Ina3221 => Ina3221::find(root).map(boxed),
        PowerChoice::Rapl => Rapl::open(root).map(boxed),
        PowerChoice::Battery => Battery::find(root, true).map(boxed),
    };
    let mut source = opened.map_err(Unavailable::new)?;
    first_read(&mut *source).map_err(Unavailable::new)?;
    Ok(source)
}

/// Opens one kind of source under a root.
type Opener = fn(&Path) -> Result<Box<dyn PowerSource>, String>;

fn detect_auto(root: &Path) -> Result<Box<dyn PowerSource>, Unavailable> {
    let tries: [(&str, Opener); 4] = [
        ("hwmon ina2xx", |r| HwmonIna::find(r).map(boxed)),
        ("ina3221", |r| Ina3221::find(r).map(boxed)),
        ("RAPL", |r| Rapl::open(r).map(boxed)),
        ("battery", |r| Battery::find(r, false).map(boxed)),
    ];
    let mut why = Vec::new();
    for (label, open) in tries {
        match open(root).and_then(|mut s| first_read(&mut *s).map(|_| s)) {
            Ok(source) => return Ok(source),
            Err(e) => why.push(format!("{label}: {e}")),
        }
    }
    Err(Unavailable::new(format!(
        "no power sensor found under {} ({})",
        root.display(),
        why.join("; ")
    )))
}

fn boxed<S: PowerSource + 'static>(s: S) -> Box<dyn PowerSource> {
    Box::new(s)
}

fn first_read(source: &mut dyn PowerSource) -> Result<(), String> {
    match source.read() {
        Ok(_) | Err(PowerError::NotReady { .. }) => Ok(()),
        Err(e) => Err(format!("{} found but unreadable: {e}", source.name())),
    }
}
