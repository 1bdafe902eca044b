//! What `Backend::describe` reports: candle's version, the CPU kernels candle picks on this
//! machine and the thread count. candle 0.11.1 chooses kernels at run time: on x86_64 its
//! quantized dot products use AVX2 when the CPU has AVX2+FMA (else the generic
//! `vec_dot_unopt` loops), and q4_k/q6_k (and q8_0 with VNNI) weights are repacked into
//! tiles for an AVX512-VNNI, AVX-VNNI or AVX2 tier; on aarch64 it uses NEON, with the
//! dotprod/i8mm variants when present. f32 matmuls go through the `gemm` crate.

use std::collections::BTreeMap;

pub(crate) fn describe() -> BTreeMap<String, String> {
    let (threads, source) = crate::threads::current();
    BTreeMap::from([
        ("version".to_string(), crate::CANDLE_VERSION.to_string()),
        (
            "crate".to_string(),
            format!("edgebench-candle {}", env!("CARGO_PKG_VERSION")),
        ),
        ("device".to_string(), "cpu".to_string()),
        (
            "model".to_string(),
            "candle_transformers::models::quantized_llama 0.11.1 (vendored verbatim: src/quantized_llama.rs)"
                .to_string(),
        ),
        ("threads".to_string(), threads.to_string()),
        ("threads_source".to_string(), source.to_string()),
        ("cpu_features".to_string(), cpu_features()),
        ("kernels".to_string(), kernels()),
        (
            "weights".to_string(),
            "quantized matmul weights kept as in the file; f32/f16/bf16 matmul weights, norms \
             and the embedding table held as f32"
                .to_string(),
        ),
    ])
}

/// The candle-visible CPU features, as candle's own `utils::with_*` report them.
fn cpu_features() -> String {
    use candle_core::utils;
    let mut f = Vec::new();
    if utils::with_avx() {
        f.push("avx2");
    }
    if utils::with_f16c() {
        f.push("f16c");
    }
    if utils::with_neon() {
        f.push("neon");
    }
    if utils::with_simd128() {
        f.push("simd128");
    }
    extra_features(&mut f);
    if f.is_empty() {
        "none".to_string()
    } else {
        f.join(",")
    }
}

#[cfg(target_arch = "x86_64")]
fn extra_features(f: &mut Vec<&'static str>) {
    if std::is_x86_feature_detected!("fma") {
        f.push("fma");
    }
    if std::is_x86_feature_detected!("avx512f") && std::is_x86_feature_detected!("avx512vnni") {
        f.push("avx512vnni");
    }
    if std::is_x86_feature_detected!("avxvnni") {
        f.push("avxvnni");
    }
}

#[cfg(target_arch = "aarch64")]
fn extra_features(f: &mut Vec<&'static str>) {
    if std::arch::is_aarch64_feature_detected!("dotprod") {
        f.push("dotprod");
    }
    if std::arch::is_aarch64_feature_detected!("i8mm") {
        f.push("i8mm");
    }
}

#[cfg(not(any(target_arch = "x86_64", target_arch = "aarch64")))]
fn extra_features(_: &mut Vec<&'static str>) {}

/// The kernel path candle takes, mirroring its own dispatch (see the module docs).
#[cfg(target_arch = "x86_64")]
fn kernels() -> String {
    let avx2_fma = std::is_x86_feature_detected!("avx2") && std::is_x86_feature_detected!("fma");
    let vec_dot = if avx2_fma { "avx2" } else { "generic" };
    // candle's repack tier (quantized/repack_x86.rs `level()`), including its env overrides.
    let force_avx2 = std::env::var("MISTRALRS_FORCE_AVX2").as_deref() == Ok("1");
    let force_vnni = std::env::var("MISTRALRS_FORCE_AVXVNNI").as_deref() == Ok("1");
    let tier = if !force_avx2
        && !force_vnni
        && std::is_x86_feature_detected!("avx512f")
        && std::is_x86_feature_detected!("avx512vnni")
    {
        "avx512vnni (q4_k, q6_k, q8_0)"
    } else if !force_avx2
        && (force_vnni || std::is_x86_feature_detected!("avxvnni"))
        && std::is_x86_feature_detected!("avx2")
    {
        "avxvnni (q4_k, q6_k, q8_0)"
    } else if avx2_fma {
        "avx2 (q4_k, q6_k)"
    } else {
        "none"
    };
    format!("x86_64: quantized vec_dot {vec_dot}; repacked tiles {tier}; f32 matmul gemm")
}

#[cfg(target_arch = "aarch64")]
fn kernels() -> String {
    let dot = std::arch::is_aarch64_feature_detected!("dotprod");
    let i8mm = std::arch::is_aarch64_feature_detected!("i8mm");
    format!(
        "aarch64: quantized vec_dot neon (dotprod {}, i8mm {}); f32 matmul gemm",
        if dot { "yes" } else { "no" },
        if i8mm { "yes" } else { "no" }
    )
}

#[cfg(not(any(target_arch = "x86_64", target_arch = "aarch64")))]
fn kernels() -> String {
    if candle_core::utils::with_simd128() {
        "quantized vec_dot simd128; f32 matmul gemm".to_string()
    } else {
        "quantized vec_dot generic (vec_dot_unopt); f32 matmul gemm".to_string()
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn describe_names_version_threads_and_kernels() {
        let d = super::describe();
        assert_eq!(d["version"], "0.11.1");
        assert!(d["threads"].parse::<usize>().unwrap() >= 1);
        assert!(!d["kernels"].is_empty());
    }

    #[test]
    fn pinned_version_matches_the_lockfile() {
        let lock = include_str!("../../../Cargo.lock");
        let pinned = format!(
            "name = \"candle-core\"\nversion = \"{}\"",
            crate::CANDLE_VERSION
        );
        assert!(lock.contains(&pinned), "Cargo.lock does not pin {pinned}");
    }
}
