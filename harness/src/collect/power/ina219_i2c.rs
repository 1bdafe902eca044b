//! INA219 over raw I2C (`/dev/i2c-N`) for boards where no kernel driver is bound. The driver is
//! generic over [`I2cRegisters`] so tests run it against [`super::ina219_fake::FakeIna219`];
//! [`LinuxI2c`] is the real transport (the `I2C_SLAVE` ioctl through `libc`, no extra crate).
//! Registers are big-endian 16-bit.

use std::collections::BTreeMap;
use std::fs::File;
use std::io::{self, Read, Write};
use std::path::Path;

use super::{I2cOptions, PowerError, PowerSource, Reading};
use crate::collect::sysfs::at;

/// Register addresses (datasheet SBOS448 section 8.6).
pub mod reg {
    pub const CONFIG: u8 = 0x00;
    pub const SHUNT_VOLTAGE: u8 = 0x01;
    pub const BUS_VOLTAGE: u8 = 0x02;
    pub const POWER: u8 = 0x03;
    pub const CURRENT: u8 = 0x04;
    pub const CALIBRATION: u8 = 0x05;
}

/// Bus-voltage register flags: conversion ready and math overflow.
pub const BUS_CNVR: u16 = 1 << 1;
pub const BUS_OVF: u16 = 1 << 0;

/// Reading and writing 16-bit registers of one I2C device.
pub trait I2cRegisters: Send {
    fn read_u16(&mut self, reg: u8) -> io::Result<u16>;
    fn write_u16(&mut self, reg: u8, value: u16) -> io::Result<()>;
}

/// The calibration register value and the LSBs it implies.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Calibration {
    pub cal: u16,
    /// Amperes per count of the current register (from the written `cal`, so truncation is exact).
    pub current_lsb_a: f64,
    /// Watts per count of the power register (20 × current LSB).
    pub power_lsb_w: f64,
}

impl Calibration {
    /// Current_LSB = max_current / 32768, Cal = trunc(0.04096 / (Current_LSB × R_shunt)).
    pub fn new(shunt_ohm: f64, max_current_a: f64) -> Result<Calibration, String> {
        if !(shunt_ohm > 0.0 && max_current_a > 0.0) {
            return Err(format!(
                "shunt_ohm ({shunt_ohm}) and max_current_a ({max_current_a}) must be > 0"
            ));
        }
        let lsb = max_current_a / 32768.0;
        let cal = (0.04096 / (lsb * shunt_ohm)).trunc();
        if !(2.0..=65534.0).contains(&cal) {
            return Err(format!("calibration {cal} for shunt_ohm={shunt_ohm}, max_current_a={max_current_a} is outside 2..=65534; pick a max_current_a that fits the shunt"));
        }
        let cal = cal as u16 & !1; // bit 0 is read-only zero on the chip
        let current_lsb_a = 0.04096 / (cal as f64 * shunt_ohm);
        Ok(Calibration {
            cal,
            current_lsb_a,
            power_lsb_w: 20.0 * current_lsb_a,
        })
    }
}

/// ADC conversion time in µs for a 4-bit BADC/SADC field.
pub fn adc_time_us(field: u16) -> f64 {
    match field & 0xF {
        f if f & 0b1000 == 0 => [84.0, 148.0, 276.0, 532.0][(f & 0b11) as usize],
        f => 532.0 * (1u32 << (f & 0b111)) as f64,
    }
}

/// One complete measurement.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Ina219Reading {
    pub bus_v: f64,
    pub shunt_v: f64,
    pub current_a: f64,
    pub power_w: f64,
}

/// An INA219 with its calibration written.
pub struct Ina219<T: I2cRegisters> {
    dev: T,
    device: String,
    config: u16,
    shunt_ohm: f64,
    max_current_a: f64,
    cal: Calibration,
}

impl<T: I2cRegisters> Ina219<T> {
    /// Read the config, write and verify the calibration register. `device` names it in errors.
    pub fn new(
        mut dev: T,
        device: &str,
        shunt_ohm: f64,
        max_current_a: f64,
    ) -> Result<Self, PowerError> {
        let invalid = |message: String| PowerError::Invalid {
            what: device.to_string(),
            message,
        };
        let io_err = |register: u8| {
            move |source| PowerError::I2c {
                device: device.to_string(),
                register,
                source,
            }
        };
        let cal = Calibration::new(shunt_ohm, max_current_a).map_err(invalid)?;
        let config = dev.read_u16(reg::CONFIG).map_err(io_err(reg::CONFIG))?;
        if config & 0b111 != 0b111 {
            return Err(invalid(format!("config {config:#06x} is not in continuous shunt+bus mode (MODE=111); write the power-on default 0x399F to register 0x00")));
        }
        dev.write_u16(reg::CALIBRATION, cal.cal)
            .map_err(io_err(reg::CALIBRATION))?;
        let back = dev
            .read_u16(reg::CALIBRATION)
            .map_err(io_err(reg::CALIBRATION))?;
        if back != cal.cal {
            return Err(invalid(format!("calibration register reads back {back:#06x} after writing {:#06x}; is this an INA219?", cal.cal)));
        }
        Ok(Ina219 {
            dev,
            device: device.to_string(),
            config,
            shunt_ohm,
            max_current_a,
            cal,
        })
    }

    pub fn calibration(&self) -> Calibration {
        self.cal
    }

    /// Bus + shunt conversion time from the config register, µs.
    pub fn conversion_time_us(&self) -> f64 {
        adc_time_us(self.config >> 7) + adc_time_us(self.config >> 3)
    }

    pub fn transport_mut(&mut self) -> &mut T {
        &mut self.dev
    }

    fn reg(&mut self, register: u8) -> Result<u16, PowerError> {
        self.dev
            .read_u16(register)
            .map_err(|source| PowerError::I2c {
                device: self.device.clone(),
                register,
                source,
            })
    }

    /// Bus voltage first: OVF → error, CNVR clear → not ready; then power (which clears CNVR),
    /// current and shunt voltage.
    pub fn read_all(&mut self) -> Result<Ina219Reading, PowerError> {
        let bus = self.reg(reg::BUS_VOLTAGE)?;
        if bus & BUS_OVF != 0 {
            return Err(PowerError::Overflow {
                device: self.device.clone(),
            });
        }
        if bus & BUS_CNVR == 0 {
            return Err(PowerError::NotReady {
                device: self.device.clone(),
            });
        }
        let power = self.reg(reg::POWER)?;
        let current = self.reg(reg::CURRENT)? as i16;
        let shunt = self.reg(reg::SHUNT_VOLTAGE)? as i16;
        Ok(Ina219Reading {
            bus_v: (bus >> 3) as f64 * 0.004,
            shunt_v: shunt as f64 * 10e-6,
            current_a: current as f64 * self.cal.current_lsb_a,
            power_w: power as f64 * self.cal.power_lsb_w,
        })
    }
}

impl<T: I2cRegisters> PowerSource for Ina219<T> {
    fn name(&self) -> &str {
        "ina219-i2c"
    }

    fn describe(&self) -> BTreeMap<String, String> {
        let c = self.cal;
        [
            ("device", self.device.clone()),
            ("config", format!("{:#06x}", self.config)),
            ("shunt_ohm", self.shunt_ohm.to_string()),
            ("max_current_a", self.max_current_a.to_string()),
            ("calibration", c.cal.to_string()),
            ("current_lsb_a", format!("{:.6e}", c.current_lsb_a)),
            ("conversion_time_us", self.conversion_time_us().to_string()),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_string(), v))
        .collect()
    }

    fn read(&mut self) -> Result<Reading, PowerError> {
        self.read_all().map(|r| Reading::PowerW(r.power_w))
    }

    fn max_rate_hz(&self) -> Option<f64> {
        Some(1e6 / self.conversion_time_us())
    }
}

/// `/dev/i2c-N` with the slave address set.
pub struct LinuxI2c {
    file: File,
}

impl LinuxI2c {
    pub fn open(path: &Path, address: u16) -> io::Result<LinuxI2c> {
        let file = File::options().read(true).write(true).open(path)?;
        crate::sys::i2c_set_slave(&file, address)?;
        Ok(LinuxI2c { file })
    }
}

impl I2cRegisters for LinuxI2c {
    fn read_u16(&mut self, reg: u8) -> io::Result<u16> {
        self.file.write_all(&[reg])?;
        let mut b = [0u8; 2];
        self.file.read_exact(&mut b)?;
        Ok(u16::from_be_bytes(b))
    }

    fn write_u16(&mut self, reg: u8, value: u16) -> io::Result<()> {
        let [hi, lo] = value.to_be_bytes();
        self.file.write_all(&[reg, hi, lo])
    }
}

/// Open the INA219 at `opts` on `<root>/dev/i2c-<bus>`.
pub fn open_linux(root: &Path, opts: &I2cOptions) -> Result<Ina219<LinuxI2c>, String> {
    let path = at(root, &format!("/dev/i2c-{}", opts.bus));
    let device = format!("{}@{:#04x}", path.display(), opts.address);
    let dev = LinuxI2c::open(&path, opts.address).map_err(|e| {
        format!("opening {device}: {e}; enable I2C (raspi-config), check the bus number and that you may open it (group i2c)")
    })?;
    Ina219::new(dev, &device, opts.shunt_ohm, opts.max_current_a).map_err(|e| e.to_string())
}
