//! Collectors that run in the parent process beside a worker: power (INA219/INA226 over hwmon or
//! raw I2C, INA3221 on Jetson, Intel RAPL, battery), temperature and CPU frequency. Every file is
//! read relative to a sysfs root ([`sysfs_root`]) so tests and `scripts/fake-ina219.sh` can point
//! the collectors at a fake tree, and every timestamp is [`crate::clock::mono_ns`], so samples
//! line up with worker events.

pub mod cpufreq;
pub mod csv;
pub mod energy;
pub mod phases;
pub mod power;
pub mod sampler;
pub mod sysfs;
pub mod thermal;
pub mod throttle;

pub use csv::write_power_csv;
pub use sysfs::sysfs_root;
