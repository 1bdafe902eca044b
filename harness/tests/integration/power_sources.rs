//! Power sources against fake sysfs trees: each layout, the detection order, and the error
//! messages when nothing (or something unreadable) is found.

use std::path::Path;

use edgebench::collect::power::{detect, PowerChoice, PowerSource, Reading};

fn put(root: &Path, rel: &str, text: &str) {
    let p = root.join(rel);
    std::fs::create_dir_all(p.parent().unwrap()).unwrap();
    std::fs::write(p, format!("{text}\n")).unwrap();
}

fn power_w(src: &mut dyn PowerSource) -> f64 {
    match src.read().unwrap() {
        Reading::PowerW(w) => w,
        other => panic!("expected power, got {other:?}"),
    }
}

fn hwmon_ina219(root: &Path, with_power: bool) {
    put(root, "sys/class/hwmon/hwmon0/name", "coretemp");
    let d = "sys/class/hwmon/hwmon3";
    put(root, &format!("{d}/name"), "ina219");
    put(root, &format!("{d}/in1_input"), "5000");
    put(root, &format!("{d}/curr1_input"), "420");
    put(root, &format!("{d}/shunt_resistor"), "100000");
    put(root, &format!("{d}/update_interval"), "2");
    if with_power {
        put(root, &format!("{d}/power1_input"), "2345000");
    }
}

fn ina3221_hwmon(root: &Path, labels: [&str; 3]) {
    let d = "sys/class/hwmon/hwmon1";
    put(root, &format!("{d}/name"), "ina3221");
    for (i, (label, ma)) in labels.iter().zip(["1000", "300", "200"]).enumerate() {
        let n = i + 1;
        put(root, &format!("{d}/in{n}_label"), label);
        put(root, &format!("{d}/in{n}_input"), "5000");
        put(root, &format!("{d}/curr{n}_input"), ma);
    }
}

fn rapl(root: &Path, pkg_uj: &str, dram_uj: &str) {
    put(root, "sys/class/powercap/intel-rapl:0/name", "package-0");
    put(root, "sys/class/powercap/intel-rapl:0/energy_uj", pkg_uj);
    put(
        root,
        "sys/class/powercap/intel-rapl:0/max_energy_range_uj",
        "1000000000",
    );
    put(root, "sys/class/powercap/intel-rapl:0:0/name", "core");
    put(root, "sys/class/powercap/intel-rapl:0:0/energy_uj", "7");
    put(root, "sys/class/powercap/intel-rapl:0:2/name", "dram");
    put(root, "sys/class/powercap/intel-rapl:0:2/energy_uj", dram_uj);
    put(
        root,
        "sys/class/powercap/intel-rapl:0:2/max_energy_range_uj",
        "1000000000",
    );
}

fn battery(root: &Path, status: &str) {
    put(root, "sys/class/power_supply/AC/type", "Mains");
    put(root, "sys/class/power_supply/BAT0/type", "Battery");
    put(root, "sys/class/power_supply/BAT0/status", status);
    put(root, "sys/class/power_supply/BAT0/current_now", "-500000");
    put(root, "sys/class/power_supply/BAT0/voltage_now", "12000000");
}

#[test]
fn hwmon_ina219_reads_power1_input_then_falls_back_to_volts_times_amps() {
    let dir = tempfile::tempdir().unwrap();
    hwmon_ina219(dir.path(), true);
    let mut s = detect(dir.path(), &PowerChoice::Ina219).unwrap();
    assert_eq!(s.name(), "hwmon-ina2xx");
    assert!((power_w(&mut *s) - 2.345).abs() < 1e-9);
    let d = s.describe();
    assert_eq!(d["shunt_resistor_uohm"], "100000");
    assert_eq!(d["update_interval_ms"], "2");
    assert_eq!(s.max_rate_hz(), Some(500.0));
    let dir = tempfile::tempdir().unwrap();
    hwmon_ina219(dir.path(), false);
    let mut s = detect(dir.path(), &PowerChoice::Ina219).unwrap();
    assert!((power_w(&mut *s) - 2.1).abs() < 1e-9);
}

#[test]
fn ina3221_uses_vdd_in_when_labelled_else_the_sum() {
    let dir = tempfile::tempdir().unwrap();
    ina3221_hwmon(dir.path(), ["VDD_IN", "VDD_CPU_GPU_CV", "VDD_SOC"]);
    let mut s = detect(dir.path(), &PowerChoice::Ina3221).unwrap();
    assert!((power_w(&mut *s) - 5.0).abs() < 1e-9);
    let d = s.describe();
    assert_eq!(d["method"], "input rail VDD_IN");
    assert!(d.contains_key("rail.VDD_SOC"));
    let dir = tempfile::tempdir().unwrap();
    ina3221_hwmon(dir.path(), ["VDD_GPU", "VDD_CPU", "VDD_SOC"]);
    let mut s = detect(dir.path(), &PowerChoice::Ina3221).unwrap();
    assert!((power_w(&mut *s) - 7.5).abs() < 1e-9);
}

#[test]
fn ina3221_iio_layout_reads_milliwatts() {
    let dir = tempfile::tempdir().unwrap();
    let d = "sys/bus/i2c/drivers/ina3221x/6-0040/iio:device0";
    for (n, (rail, mw)) in [
        ("POM_5V_IN", "4200"),
        ("POM_5V_GPU", "900"),
        ("POM_5V_CPU", "1100"),
    ]
    .iter()
    .enumerate()
    {
        put(dir.path(), &format!("{d}/rail_name_{n}"), rail);
        put(dir.path(), &format!("{d}/in_power{n}_input"), mw);
    }
    let mut s = detect(dir.path(), &PowerChoice::Auto).unwrap();
    assert_eq!(s.name(), "ina3221");
    assert_eq!(s.describe()["layout"], "iio");
    assert!((power_w(&mut *s) - 4.2).abs() < 1e-9);
}

#[test]
fn rapl_sums_package_and_dram_and_unwraps_each_counter() {
    let dir = tempfile::tempdir().unwrap();
    rapl(dir.path(), "999000000", "5000000");
    let mut s = detect(dir.path(), &PowerChoice::Rapl).unwrap();
    assert!(s.describe()["domains"].contains("dram"));
    // detect() did the first read; the package counter wraps at 1000 J.
    rapl(dir.path(), "1000000", "5500000");
    let Reading::CounterJ { counter_j, wrap_j } = s.read().unwrap() else {
        panic!()
    };
    assert_eq!(wrap_j, None);
    assert!((counter_j - 2.5).abs() < 1e-9, "{counter_j}");
}

#[test]
fn rapl_permission_denied_says_how_to_fix() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    rapl(dir.path(), "1", "1");
    let f = dir.path().join("sys/class/powercap/intel-rapl:0/energy_uj");
    std::fs::set_permissions(&f, std::fs::Permissions::from_mode(0o000)).unwrap();
    if std::fs::read(&f).is_ok() {
        eprintln!("running as root: chmod has no effect; the message is unit-tested in sysfs.rs");
        return;
    }
    let reason = detect(dir.path(), &PowerChoice::Rapl).err().unwrap().reason;
    assert!(
        reason.contains("not readable (permission denied)") && reason.contains("sudo chmod o+r"),
        "{reason}"
    );
}

#[test]
fn battery_current_times_voltage_and_charging_caveat() {
    let dir = tempfile::tempdir().unwrap();
    battery(dir.path(), "Discharging");
    let mut s = detect(dir.path(), &PowerChoice::Auto).unwrap();
    assert_eq!(s.name(), "battery");
    assert!((power_w(&mut *s) - 6.0).abs() < 1e-9);
    assert_eq!(s.caveat(), None);
    put(
        dir.path(),
        "sys/class/power_supply/BAT0/power_now",
        "7500000",
    );
    let mut s = detect(dir.path(), &PowerChoice::Battery).unwrap();
    assert!((power_w(&mut *s) - 7.5).abs() < 1e-9);
    battery(dir.path(), "Charging");
    let reason = detect(dir.path(), &PowerChoice::Auto).err().unwrap().reason;
    assert!(reason.contains("`Charging`, not discharging"), "{reason}");
    let s = detect(dir.path(), &PowerChoice::Battery).unwrap();
    assert!(s.caveat().unwrap().contains("not the load's power"));
}

#[test]
fn auto_detection_follows_the_priority_order() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    let reason = detect(root, &PowerChoice::Auto).err().unwrap().reason;
    for looked_for in [
        "no power sensor found",
        "ina219/ina220",
        "ina3221",
        "intel-rapl",
        "Battery",
    ] {
        assert!(
            reason.contains(looked_for),
            "{looked_for} missing in: {reason}"
        );
    }
    battery(root, "Discharging");
    assert_eq!(detect(root, &PowerChoice::Auto).unwrap().name(), "battery");
    rapl(root, "10", "10");
    assert_eq!(detect(root, &PowerChoice::Auto).unwrap().name(), "rapl");
    ina3221_hwmon(root, ["VDD_IN", "VDD_CPU_GPU_CV", "VDD_SOC"]);
    assert_eq!(detect(root, &PowerChoice::Auto).unwrap().name(), "ina3221");
    hwmon_ina219(root, true);
    assert_eq!(
        detect(root, &PowerChoice::Auto).unwrap().name(),
        "hwmon-ina2xx"
    );
    let none = detect(root, &PowerChoice::None).err().unwrap().reason;
    assert!(none.contains("disabled by the scenario"));
}

#[test]
fn explicit_choice_explains_what_is_missing() {
    let dir = tempfile::tempdir().unwrap();
    let reason = detect(dir.path(), &PowerChoice::Rapl).err().unwrap().reason;
    assert!(
        reason.contains("no intel-rapl:* package or dram domain"),
        "{reason}"
    );
    let reason = detect(dir.path(), &"ina219-i2c:bus=7".parse().unwrap())
        .err()
        .unwrap()
        .reason;
    assert!(
        reason.contains("dev/i2c-7@0x40") && reason.contains("enable I2C"),
        "{reason}"
    );
}
