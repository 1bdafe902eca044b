//! The ONNX Runtime release the `ort` backend fetches on first need: its version and, per CPU
//! architecture, the PyPI wheel (file name, size, sha256) it comes from. This is the only copy
//! of these values: `scripts/setup-onnxruntime.sh` runs this crate's code, not its own.
//!
//! The wheel is fetched for a fixed platform tag and Python version (not the local Python's),
//! so the file, and so its sha256, is the same on every machine. The shared library inside
//! does not depend on the Python version. To move to another release, download both wheels
//! and pin what `sha256sum` and `stat -c %s` say:
//!
//! ```sh
//! for a in x86_64 aarch64; do python3 -m pip download --no-deps --only-binary=:all: \
//!   --platform manylinux_2_28_$a --python-version 3.11 --implementation cp \
//!   --dest /tmp/ort-$a onnxruntime==1.32.0; done
//! ```

/// The pinned ONNX Runtime version.
pub const VERSION: &str = "1.32.0";

/// `pip download --python-version`: picks the cp311 wheel whatever Python runs pip.
pub const PYTHON_VERSION: &str = "3.11";

/// One pinned wheel.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Wheel {
    /// `std::env::consts::ARCH` of the machines it is for.
    pub arch: &'static str,
    /// `pip download --platform`.
    pub platform: &'static str,
    pub file_name: &'static str,
    pub size_bytes: u64,
    pub sha256: &'static str,
}

/// The wheels, one per supported architecture (checked against PyPI on 2026-11-29).
pub const WHEELS: &[Wheel] = &[
    Wheel {
        arch: "x86_64",
        platform: "manylinux_2_28_x86_64",
        file_name: "onnxruntime-1.32.0-cp311-cp311-manylinux_2_28_x86_64.whl",
        size_bytes: 27_773_237,
        sha256: "5a34fc4dfeb5a7b4a74c95dcba1e773d722abda720b474edf1b0c419dc6d163d",
    },
    Wheel {
        arch: "aarch64",
        platform: "manylinux_2_28_aarch64",
        file_name: "onnxruntime-1.32.0-cp311-cp311-manylinux_2_28_aarch64.whl",
        size_bytes: 23_195_070,
        sha256: "2303372a85299b6757b0e11e1cbf13e410ddf7e10c37f4b37e99d1c90e7daf7c",
    },
];

/// Where this file is, for error messages about a pin.
pub const PINS_FILE: &str = "backends/ort/src/pins.rs";

/// What to fetch on one architecture: the version and its wheel.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pin {
    pub version: String,
    pub python_version: String,
    pub arch: String,
    pub platform: String,
    pub file_name: String,
    pub size_bytes: u64,
    pub sha256: String,
}

impl Pin {
    /// The pin for `arch` (`std::env::consts::ARCH`), if there is one.
    pub fn for_arch(arch: &str) -> Option<Pin> {
        WHEELS.iter().find(|w| w.arch == arch).map(|w| Pin {
            version: VERSION.into(),
            python_version: PYTHON_VERSION.into(),
            arch: w.arch.into(),
            platform: w.platform.into(),
            file_name: w.file_name.into(),
            size_bytes: w.size_bytes,
            sha256: w.sha256.into(),
        })
    }

    /// The library's file name, as the wheel holds it: `libonnxruntime.so.1.32.0`.
    pub fn library_name(&self) -> String {
        format!("libonnxruntime.so.{}", self.version)
    }

    /// The cache directory's name: `1.32.0-x86_64`.
    pub fn dir_name(&self) -> String {
        format!("{}-{}", self.version, self.arch)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_pin_is_well_formed() {
        for w in WHEELS {
            assert_eq!(w.sha256.len(), 64, "{w:?}");
            assert!(w
                .sha256
                .bytes()
                .all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase()));
            assert!(
                w.file_name.starts_with(&format!("onnxruntime-{VERSION}-")),
                "{w:?}"
            );
            assert!(
                w.file_name.ends_with(&format!("{}.whl", w.platform)),
                "{w:?}"
            );
            assert!(w.size_bytes > 1_000_000, "{w:?}");
        }
        let p = Pin::for_arch("x86_64").unwrap();
        assert_eq!(p.library_name(), format!("libonnxruntime.so.{VERSION}"));
        assert_eq!(p.dir_name(), format!("{VERSION}-x86_64"));
        assert!(Pin::for_arch("aarch64").is_some());
        assert!(Pin::for_arch("riscv64").is_none());
    }
}
