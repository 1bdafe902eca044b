//! Board facts on aarch64 ([`BoardInfo`]): the device-tree model, CPU core names decoded from
//! `/proc/cpuinfo`'s implementer and part codes, the SIMD features this process detects (the
//! ones that pick the reference engine's kernel set), and whether it runs emulated.
//!
//! Emulation is read from what the host kernel still reveals to an emulated process, never
//! guessed from names: QEMU user-mode translates the instructions but the kernel underneath is
//! the host's. So an aarch64 process runs emulated when the kernel says it is another
//! architecture (`/proc/sys/kernel/arch`), when `/proc/cpuinfo` describes a CPU of another
//! architecture (x86's `vendor_id`/`flags` instead of arm64's `CPU implementer`), or when a
//! `qemu-aarch64` binfmt_misc handler is enabled on a kernel without arm64's per-CPU
//! `regs/identification/midr_el1` in sysfs. Each finding is quoted in the note.

use std::collections::BTreeMap;
use std::path::Path;

use crate::results::BoardInfo;

/// Board facts of this machine on aarch64; `None` on other architectures.
pub fn collect() -> Option<BoardInfo> {
    if !cfg!(target_arch = "aarch64") {
        return None;
    }
    let qemu_cpu = std::env::var("QEMU_CPU").ok();
    Some(detect(
        Path::new("/"),
        detected_features(),
        qemu_cpu.as_deref(),
    ))
}

/// [`collect`] against a root directory (a fake tree in tests): `features` are the detected
/// CPU features, `qemu_cpu` the `QEMU_CPU` variable (named in the note when emulated).
pub fn detect(root: &Path, features: Vec<String>, qemu_cpu: Option<&str>) -> BoardInfo {
    let cpuinfo = std::fs::read_to_string(root.join("proc/cpuinfo")).unwrap_or_default();
    let mut evidence = Vec::new();
    if let Some(arch) = super::read_trim(root.join("proc/sys/kernel/arch")) {
        if arch != "aarch64" && arch != "arm64" {
            evidence.push(format!("the kernel is {arch} (/proc/sys/kernel/arch)"));
        }
    }
    let field = |name: &str| {
        cpuinfo.lines().find_map(|l| {
            let (k, v) = l.split_once(':')?;
            (k.trim() == name).then(|| v.trim().to_string())
        })
    };
    if field("CPU implementer").is_none() {
        if let Some(x86) = field("vendor_id").or_else(|| field("flags").map(|_| "x86".into())) {
            let model = field("model name").unwrap_or_default();
            evidence.push(format!(
                "/proc/cpuinfo describes the host CPU ({x86} {model})"
            ));
        }
    }
    let handler = root.join("proc/sys/fs/binfmt_misc/qemu-aarch64");
    let midr_sysfs = root.join("sys/devices/system/cpu/cpu0/regs/identification/midr_el1");
    if let Ok(h) = std::fs::read_to_string(&handler) {
        if h.lines().next() == Some("enabled") && !midr_sysfs.exists() {
            let interp = h
                .lines()
                .find_map(|l| l.strip_prefix("interpreter "))
                .unwrap_or("?");
            evidence.push(format!(
                "a qemu-aarch64 binfmt_misc handler is enabled ({interp}) on a kernel without arm64 CPU registers in sysfs"
            ));
        }
    }
    let emulated = !evidence.is_empty();
    BoardInfo {
        model: super::read_trim(root.join("proc/device-tree/model")),
        // Under emulation /proc/cpuinfo is the host's: no arm64 cores to name.
        cpu_parts: cpu_parts(&cpuinfo),
        features,
        emulated: Some(emulated),
        emulation_note: emulated.then(|| {
            let cpu = qemu_cpu.map_or_else(String::new, |c| format!(", emulating QEMU_CPU={c}"));
            format!(
                "user-mode emulation (QEMU{cpu}): {}. Timings measure the emulator on the host, not any board, and are not representative; tokens, logits and agreement are valid.",
                evidence.join("; ")
            )
        }),
    }
}

/// `["Cortex-A55 ×4", "Cortex-A78 ×4"]`: one entry per distinct (implementer, part), in the
/// order the kernel lists the cores.
fn cpu_parts(cpuinfo: &str) -> Vec<String> {
    let hex = |v: &str| u32::from_str_radix(v.trim().trim_start_matches("0x"), 16).ok();
    let mut order = Vec::new();
    let mut count: BTreeMap<(u32, u32), usize> = BTreeMap::new();
    let mut implementer = None;
    for line in cpuinfo.lines() {
        let Some((k, v)) = line.split_once(':') else {
            continue;
        };
        match k.trim() {
            "CPU implementer" => implementer = hex(v),
            "CPU part" => {
                if let (Some(i), Some(p)) = (implementer, hex(v)) {
                    let n = count.entry((i, p)).or_insert(0);
                    if *n == 0 {
                        order.push((i, p));
                    }
                    *n += 1;
                }
            }
            _ => {}
        }
    }
    order
        .into_iter()
        .map(|key| format!("{} ×{}", part_name(key.0, key.1), count[&key]))
        .collect()
}

/// A core's name from its implementer and part codes (Linux's `cputype.h`,
/// util-linux's `lscpu-arm.c`); unknown codes stay as hex.
fn part_name(implementer: u32, part: u32) -> String {
    let name = match (implementer, part) {
        (0x41, 0xd02) => "Cortex-A34",
        (0x41, 0xd03) => "Cortex-A53",
        (0x41, 0xd04) => "Cortex-A35",
        (0x41, 0xd05) => "Cortex-A55",
        (0x41, 0xd06) => "Cortex-A65",
        (0x41, 0xd07) => "Cortex-A57",
        (0x41, 0xd08) => "Cortex-A72",
        (0x41, 0xd09) => "Cortex-A73",
        (0x41, 0xd0a) => "Cortex-A75",
        (0x41, 0xd0b) => "Cortex-A76",
        (0x41, 0xd0c) => "Neoverse-N1",
        (0x41, 0xd0d) => "Cortex-A77",
        (0x41, 0xd0e) => "Cortex-A76AE",
        (0x41, 0xd40) => "Neoverse-V1",
        (0x41, 0xd41) => "Cortex-A78",
        (0x41, 0xd42) => "Cortex-A78AE",
        (0x41, 0xd43) => "Cortex-A65AE",
        (0x41, 0xd44) => "Cortex-X1",
        (0x41, 0xd46) => "Cortex-A510",
        (0x41, 0xd47) => "Cortex-A710",
        (0x41, 0xd48) => "Cortex-X2",
        (0x41, 0xd49) => "Neoverse-N2",
        (0x41, 0xd4a) => "Neoverse-E1",
        (0x41, 0xd4b) => "Cortex-A78C",
        (0x41, 0xd4c) => "Cortex-X1C",
        (0x41, 0xd4d) => "Cortex-A715",
        (0x41, 0xd4e) => "Cortex-X3",
        (0x41, 0xd4f) => "Neoverse-V2",
        (0x41, 0xd80) => "Cortex-A520",
        (0x41, 0xd81) => "Cortex-A720",
        (0x41, 0xd82) => "Cortex-X4",
        (0x41, 0xd84) => "Neoverse-V3",
        (0x41, 0xd85) => "Cortex-X925",
        (0x41, 0xd87) => "Cortex-A725",
        (0x4e, 0x000) => "NVIDIA Denver",
        (0x4e, 0x003) => "NVIDIA Denver 2",
        (0x4e, 0x004) => "NVIDIA Carmel",
        (0x51, 0x800) => "Kryo 2xx Gold",
        (0x51, 0x801) => "Kryo 2xx Silver",
        (0x51, 0x802) => "Kryo 3xx Gold",
        (0x51, 0x803) => "Kryo 3xx Silver",
        (0x51, 0x804) => "Kryo 4xx Gold",
        (0x51, 0x805) => "Kryo 4xx Silver",
        (0x51, 0xc00) => "Qualcomm Falkor",
        _ => return format!("implementer {implementer:#04x} part {part:#05x}"),
    };
    name.to_string()
}

/// The kernel-relevant features, as `/proc/cpuinfo` names them, that this process detects
/// (under QEMU: those of the emulated CPU, e.g. none of dotprod/i8mm with `QEMU_CPU=cortex-a72`).
#[cfg(target_arch = "aarch64")]
fn detected_features() -> Vec<String> {
    use std::arch::is_aarch64_feature_detected as has;
    [
        ("neon", has!("neon")),
        ("asimdhp", has!("fp16")),
        ("asimddp", has!("dotprod")),
        ("i8mm", has!("i8mm")),
        ("bf16", has!("bf16")),
        ("sve", has!("sve")),
        ("sve2", has!("sve2")),
    ]
    .into_iter()
    .filter(|(_, on)| *on)
    .map(|(name, _)| name.to_string())
    .collect()
}

#[cfg(not(target_arch = "aarch64"))]
fn detected_features() -> Vec<String> {
    Vec::new()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tree(files: &[(&str, &str)]) -> tempfile::TempDir {
        let dir = tempfile::tempdir().unwrap();
        for (path, text) in files {
            let p = dir.path().join(path);
            std::fs::create_dir_all(p.parent().unwrap()).unwrap();
            std::fs::write(p, text).unwrap();
        }
        dir
    }

    fn arm_cpuinfo(parts: &[u32]) -> String {
        parts
            .iter()
            .enumerate()
            .map(|(i, p)| {
                format!(
                    "processor\t: {i}\nBogoMIPS\t: 108.00\nFeatures\t: fp asimd evtstrm aes pmull sha1 sha2 crc32 atomics fphp asimdhp cpuid asimdrdm lrcpc dcpop asimddp\nCPU implementer\t: 0x41\nCPU architecture: 8\nCPU variant\t: 0x4\nCPU part\t: {p:#05x}\nCPU revision\t: 1\n\n"
                )
            })
            .collect()
    }

    const REAL: &str = "sys/devices/system/cpu/cpu0/regs/identification/midr_el1";

    #[test]
    fn raspberry_pi_5() {
        let cpuinfo = arm_cpuinfo(&[0xd0b; 4]);
        let t = tree(&[
            ("proc/device-tree/model", "Raspberry Pi 5 Model B Rev 1.0\0"),
            ("proc/cpuinfo", &cpuinfo),
            ("proc/sys/kernel/arch", "aarch64\n"),
            (REAL, "0x00000000414fd0b1\n"),
        ]);
        let b = detect(t.path(), vec!["neon".into(), "asimddp".into()], None);
        assert_eq!(b.model.as_deref(), Some("Raspberry Pi 5 Model B Rev 1.0"));
        assert_eq!(b.cpu_parts, ["Cortex-A76 ×4"]);
        assert_eq!(b.features, ["neon", "asimddp"]);
        assert_eq!(b.emulated, Some(false));
        assert_eq!(b.emulation_note, None);
        assert!(!b.summary().contains("EMULATED"), "{}", b.summary());
    }

    #[test]
    fn big_little_phone_and_orin_and_unknown_parts() {
        let t = tree(&[(
            "proc/cpuinfo",
            &arm_cpuinfo(&[0xd05, 0xd05, 0xd05, 0xd05, 0xd41, 0xd41, 0xd41, 0xd44]),
        )]);
        let b = detect(t.path(), vec![], None);
        assert_eq!(
            b.cpu_parts,
            ["Cortex-A55 ×4", "Cortex-A78 ×3", "Cortex-X1 ×1"]
        );
        assert_eq!(b.model, None);
        assert_eq!(b.emulated, Some(false));
        let t = tree(&[("proc/cpuinfo", &arm_cpuinfo(&[0xd42; 6]))]);
        assert_eq!(
            detect(t.path(), vec![], None).cpu_parts,
            ["Cortex-A78AE ×6"]
        );
        let t = tree(&[("proc/cpuinfo", &arm_cpuinfo(&[0xd99]))]);
        assert_eq!(
            detect(t.path(), vec![], None).cpu_parts,
            ["implementer 0x41 part 0xd99 ×1"]
        );
    }

    #[test]
    fn qemu_user_mode_on_an_x86_host() {
        let t = tree(&[
            (
                "proc/cpuinfo",
                "processor\t: 0\nvendor_id\t: GenuineIntel\nmodel name\t: Intel(R) Xeon(R) Platinum\nflags\t\t: fpu avx2 avx512vnni\n\n",
            ),
            ("proc/sys/kernel/arch", "x86_64\n"),
            (
                "proc/sys/fs/binfmt_misc/qemu-aarch64",
                "enabled\ninterpreter /usr/libexec/qemu-binfmt/aarch64-binfmt-P\nflags: POF\noffset 0\n",
            ),
        ]);
        let b = detect(t.path(), vec!["neon".into()], Some("cortex-a72"));
        assert_eq!(b.emulated, Some(true));
        assert!(b.cpu_parts.is_empty(), "{:?}", b.cpu_parts);
        let note = b.emulation_note.as_deref().unwrap();
        for want in [
            "QEMU_CPU=cortex-a72",
            "the kernel is x86_64",
            "GenuineIntel",
            "qemu-aarch64 binfmt_misc handler",
            "not representative",
        ] {
            assert!(note.contains(want), "{want}: {note}");
        }
        assert!(b.summary().contains("EMULATED"), "{}", b.summary());
    }

    #[test]
    fn qemu_that_fakes_cpuinfo_is_still_seen_through_its_handler() {
        // A newer QEMU emulates /proc/cpuinfo and an older kernel has no kernel/arch: the
        // enabled handler on a kernel without arm64 sysfs registers gives it away.
        let t = tree(&[
            ("proc/cpuinfo", &arm_cpuinfo(&[0xd0c])),
            (
                "proc/sys/fs/binfmt_misc/qemu-aarch64",
                "enabled\ninterpreter /usr/bin/qemu-aarch64-static\n",
            ),
        ]);
        let b = detect(t.path(), vec![], None);
        assert_eq!(b.emulated, Some(true));
        assert_eq!(b.cpu_parts, ["Neoverse-N1 ×1"]);
        // The same handler registered but disabled, or on a real arm64 kernel: not emulated.
        let t = tree(&[
            ("proc/cpuinfo", &arm_cpuinfo(&[0xd0c])),
            ("proc/sys/fs/binfmt_misc/qemu-aarch64", "disabled\n"),
        ]);
        assert_eq!(detect(t.path(), vec![], None).emulated, Some(false));
        let t = tree(&[
            ("proc/cpuinfo", &arm_cpuinfo(&[0xd0c])),
            ("proc/sys/fs/binfmt_misc/qemu-aarch64", "enabled\n"),
            (REAL, "0x00000000413fd0c1\n"),
        ]);
        assert_eq!(detect(t.path(), vec![], None).emulated, Some(false));
    }

    #[test]
    fn only_aarch64_reports_a_board() {
        assert_eq!(collect().is_some(), cfg!(target_arch = "aarch64"));
    }
}
