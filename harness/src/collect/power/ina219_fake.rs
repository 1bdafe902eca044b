//! An in-memory INA219 register file for tests: it computes the current and power registers
//! from the written calibration the way the chip does (datasheet equations 4 and 5), and lets a
//! test set the conversion-ready and overflow flags or make transfers fail.

use std::io;

use super::ina219_i2c::{reg, I2cRegisters, BUS_CNVR, BUS_OVF};

/// A simulated INA219.
#[derive(Debug, Clone)]
pub struct FakeIna219 {
    pub config: u16,
    pub calibration: u16,
    /// Bus voltage, volts, and shunt voltage, volts (signed).
    pub bus_v: f64,
    pub shunt_v: f64,
    pub ready: bool,
    pub overflow: bool,
    /// Every transfer fails with this error kind when set.
    pub fail: Option<io::ErrorKind>,
    /// Every register write, in order.
    pub writes: Vec<(u8, u16)>,
}

impl Default for FakeIna219 {
    fn default() -> Self {
        FakeIna219 {
            config: 0x399F,
            calibration: 0,
            bus_v: 5.0,
            shunt_v: 0.0,
            ready: true,
            overflow: false,
            fail: None,
            writes: Vec::new(),
        }
    }
}

impl FakeIna219 {
    /// A chip with `bus_v` on the bus and `current_a` through `shunt_ohm`.
    pub fn with_load(bus_v: f64, current_a: f64, shunt_ohm: f64) -> Self {
        FakeIna219 {
            bus_v,
            shunt_v: current_a * shunt_ohm,
            ..Default::default()
        }
    }

    fn shunt_raw(&self) -> i16 {
        (self.shunt_v / 10e-6).round().clamp(-32000.0, 32000.0) as i16
    }

    fn bus_raw(&self) -> u16 {
        (self.bus_v / 0.004).round().clamp(0.0, 8191.0) as u16
    }

    /// Current register = shunt × cal / 4096 (0 until calibrated, like the chip).
    fn current_raw(&self) -> i16 {
        (self.shunt_raw() as i64 * self.calibration as i64 / 4096) as i16
    }
}

impl I2cRegisters for FakeIna219 {
    fn read_u16(&mut self, r: u8) -> io::Result<u16> {
        if let Some(kind) = self.fail {
            return Err(kind.into());
        }
        Ok(match r {
            reg::CONFIG => self.config,
            reg::SHUNT_VOLTAGE => self.shunt_raw() as u16,
            reg::BUS_VOLTAGE => {
                let flags =
                    if self.ready { BUS_CNVR } else { 0 } | if self.overflow { BUS_OVF } else { 0 };
                self.bus_raw() << 3 | flags
            }
            reg::POWER => {
                (self.current_raw().unsigned_abs() as u32 * self.bus_raw() as u32 / 5000) as u16
            }
            reg::CURRENT => self.current_raw() as u16,
            reg::CALIBRATION => self.calibration,
            _ => {
                return Err(io::Error::new(
                    io::ErrorKind::InvalidInput,
                    "no such register",
                ))
            }
        })
    }

    fn write_u16(&mut self, r: u8, value: u16) -> io::Result<()> {
        if let Some(kind) = self.fail {
            return Err(kind.into());
        }
        self.writes.push((r, value));
        match r {
            reg::CONFIG if value & 0x8000 != 0 => {
                *self = FakeIna219 {
                    writes: std::mem::take(&mut self.writes),
                    ..Default::default()
                }
            }
            reg::CONFIG => self.config = value,
            reg::CALIBRATION => self.calibration = value & !1,
            _ => {
                return Err(io::Error::new(
                    io::ErrorKind::PermissionDenied,
                    "read-only register",
                ))
            }
        }
        Ok(())
    }
}
