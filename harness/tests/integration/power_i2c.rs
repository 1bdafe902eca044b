//! The raw-I2C INA219 driver against the in-memory register file: calibration value written,
//! register conversion, sign of reverse current, overflow and not-ready flags, wrong chip/mode.

use edgebench::collect::power::ina219_fake::FakeIna219;
use edgebench::collect::power::ina219_i2c::{reg, Calibration, I2cRegisters, Ina219};
use edgebench::collect::power::{PowerError, PowerSource};

#[test]
fn ina219_i2c_writes_calibration_and_converts_registers() {
    let cal = Calibration::new(0.1, 3.2).unwrap();
    assert_eq!(cal.cal, 4194); // trunc(0.04096 / (3.2/32768 * 0.1)) = trunc(4194.304)
    assert_eq!(Calibration::new(0.1, 2.0).unwrap().cal, 6710);
    assert!(Calibration::new(0.1, 0.01)
        .unwrap_err()
        .contains("outside 2..=65534"));
    let mut ina = Ina219::new(FakeIna219::with_load(5.0, 0.42, 0.1), "fake", 0.1, 3.2).unwrap();
    assert_eq!(ina.transport_mut().writes, [(reg::CALIBRATION, 4194)]);
    let r = ina.read_all().unwrap();
    assert!((r.bus_v - 5.0).abs() < 0.004 && (r.shunt_v - 0.042).abs() < 1e-5);
    assert!((r.current_a - 0.42).abs() < 0.001, "{r:?}");
    assert!((r.power_w - 2.1).abs() / 2.1 < 0.01, "{r:?}");
    assert!((ina.conversion_time_us() - 1064.0).abs() < 1e-9);
    assert!((ina.max_rate_hz().unwrap() - 1e6 / 1064.0).abs() < 1e-6);
}

#[test]
fn ina219_i2c_reverse_current_overflow_and_not_ready() {
    let mut ina = Ina219::new(FakeIna219::with_load(12.0, -0.3, 0.1), "fake", 0.1, 3.2).unwrap();
    let r = ina.read_all().unwrap();
    assert!(
        r.shunt_v < 0.0 && (r.current_a + 0.3).abs() < 0.001,
        "{r:?}"
    );
    assert!((r.power_w - 3.6).abs() / 3.6 < 0.01, "{r:?}");
    ina.transport_mut().overflow = true;
    assert!(matches!(ina.read(), Err(PowerError::Overflow { .. })));
    let msg = ina.read().unwrap_err().to_string();
    assert!(msg.contains("raise `max_current_a`"), "{msg}");
    ina.transport_mut().overflow = false;
    ina.transport_mut().ready = false;
    assert!(matches!(ina.read(), Err(PowerError::NotReady { .. })));
    ina.transport_mut().fail = Some(std::io::ErrorKind::TimedOut);
    let msg = ina.read().unwrap_err().to_string();
    assert!(
        msg.contains("register 0x02") && msg.contains("i2cdetect"),
        "{msg}"
    );
}

/// A device that ignores writes: not an INA219.
struct Deaf(FakeIna219);
impl I2cRegisters for Deaf {
    fn read_u16(&mut self, r: u8) -> std::io::Result<u16> {
        self.0.read_u16(r)
    }
    fn write_u16(&mut self, _: u8, _: u16) -> std::io::Result<()> {
        Ok(())
    }
}

#[test]
fn ina219_i2c_rejects_wrong_mode_and_wrong_chip() {
    let fake = FakeIna219 {
        config: 0x3998,
        ..Default::default()
    };
    let msg = Ina219::new(fake, "fake", 0.1, 3.2)
        .err()
        .unwrap()
        .to_string();
    assert!(
        msg.contains("continuous") && msg.contains("0x399F"),
        "{msg}"
    );
    let msg = Ina219::new(Deaf(FakeIna219::default()), "fake", 0.1, 3.2)
        .err()
        .unwrap()
        .to_string();
    assert!(msg.contains("reads back 0x0000"), "{msg}");
    let slow = FakeIna219 {
        config: 0x3FFF,
        ..Default::default()
    };
    let ina = Ina219::new(slow, "fake", 0.1, 3.2).unwrap();
    assert!((ina.conversion_time_us() - 2.0 * 68096.0).abs() < 1e-6);
}
