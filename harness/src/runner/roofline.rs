//! A point's roofline: its decode speed against the ceiling the bandwidth curve sets at its
//! working set (the weight bytes a decode step reads) and thread count, and the suspect flag
//! when it is above.

/// A decode result above this fraction of its ceiling is flagged as suspect. No margin: the
/// ceiling is already the best of several passes of a pure read loop (as wide as the engines'
/// loads) over a buffer of the point's working set, taken from the curve's upper envelope,
/// while decode tok/s is a median of runs that also read activations and the KV cache. Noise
/// therefore raises the ceiling rather than the point; a point above it did not read its
/// weights, or the curve was measured while something else held the memory bus (the flag
/// says how to remeasure).
const ROOFLINE_SUSPECT_FRACTION: f64 = 1.0;

/// Set the point's roofline: bandwidth at its working set (the weight bytes a decode step
/// reads) and thread count, from the run's curve, ÷ that working set.
pub(super) fn apply_roofline(
    result: &mut crate::results::PointResult,
    bw: &crate::results::Bandwidth,
) {
    let weight_bytes = result
        .model
        .as_ref()
        .and_then(|m| m.info.as_ref())
        .and_then(|i| i.weight_bytes);
    let tok_s = result.latency.as_ref().and_then(|l| l.decode_tok_s);
    let (Some(bytes), Some(tok_s)) = (weight_bytes, tok_s) else {
        return;
    };
    let threads = result.label.threads;
    let bandwidth = bw
        .at(bytes, threads)
        .unwrap_or_else(|| bw.for_threads(threads));
    let Some(ceiling) = crate::results::decode_ceiling_tok_s(bandwidth, bytes) else {
        return;
    };
    let fraction = tok_s / ceiling;
    if fraction > ROOFLINE_SUSPECT_FRACTION {
        let when = bw
            .measured_utc
            .as_deref()
            .map_or_else(String::new, |t| format!(" measured {t}"));
        result.flags.push(format!(
            "suspect: decode {tok_s:.1} tok/s is {:.0}% of its ceiling {ceiling:.1} tok/s (read bandwidth {:.1} GB/s at its working set of {:.1} MB per token, {threads} thread{}); was the model really read? If the machine was busy when the bandwidth curve was{when}, measure it again: {}=remeasure",
            fraction * 100.0,
            bandwidth / 1e9,
            bytes as f64 / 1e6,
            if threads == 1 { "" } else { "s" },
            crate::bandwidth::ENV_VAR,
        ));
    }
    result.roofline = Some(crate::results::Roofline {
        bandwidth_bytes_per_s: bandwidth,
        weight_bytes_per_token: bytes,
        ceiling_tok_s: ceiling,
        fraction,
        cache_resident: false,
    });
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::results::{
        Bandwidth, BandwidthPoint, ErrorKind, LatencyStats, LatencySummary, ModelFile, PointError,
        PointLabel, PointResult, PointStatus,
    };

    const MB: u64 = 1 << 20;

    /// 1 MiB at 100 GB/s, 64 MiB at 10 GB/s, one thread; 20 GB/s DRAM on two.
    fn curve() -> Bandwidth {
        let p = |bytes, threads, gb_s: f64| BandwidthPoint {
            bytes,
            threads,
            read_bytes_per_s: gb_s * 1e9,
        };
        Bandwidth {
            read_1t_bytes_per_s: 10e9,
            read_all_bytes_per_s: 20e9,
            threads_all: 2,
            buffer_bytes: 64 << 20,
            last_level_cache_bytes: Some(32 * MB),
            curve: vec![p(MB, 1, 100.0), p(64 * MB, 1, 10.0), p(64 * MB, 2, 20.0)],
            measured_utc: Some("2026-05-02T08:00:00Z".into()),
            measure_s: Some(1.0),
            cached: true,
            cache_note: None,
            kernel: Some("avx512".into()),
        }
    }

    fn point(threads: usize, weight_bytes: u64, decode_tok_s: f64) -> PointResult {
        let label = PointLabel {
            index: 0,
            backend: "reference".into(),
            model: "m".into(),
            quant: "q8_0".into(),
            threads,
            prompt_tokens: 4,
            gen_tokens: 4,
        };
        let error = PointError {
            kind: ErrorKind::Runtime,
            message: String::new(),
        };
        let mut r = PointResult::without_measurements(label, PointStatus::Ok, error);
        r.error = None;
        r.model = Some(ModelFile {
            path: "m.gguf".into(),
            format: "gguf".into(),
            sha256: None,
            file_bytes: None,
            origin: "test".into(),
            info: Some(edgebench_backend::ModelInfo {
                weight_bytes: Some(weight_bytes),
                ..Default::default()
            }),
            integrity: None,
        });
        let stats = LatencyStats {
            n: 1,
            mean_ns: 1.0,
            stddev_ns: 0.0,
            min_ns: 1,
            p50_ns: 1.0,
            p90_ns: 1.0,
            p99_ns: 1.0,
            max_ns: 1,
        };
        r.latency = Some(LatencySummary {
            ttft: stats.clone(),
            decode: Some(stats),
            prefill_tok_s: 1.0,
            decode_tok_s: Some(decode_tok_s),
            decode_tok_s_ci95: None,
            within_budget_fraction: None,
            runs_agree: true,
            harness_gap_p50_ns: None,
        });
        r
    }

    #[test]
    fn ceiling_is_the_bandwidth_at_the_working_set() {
        // 1 MiB reads at 100 GB/s: the ceiling is 100e9 / 2^20 tok/s.
        let mut r = point(1, MB, 50_000.0);
        apply_roofline(&mut r, &curve());
        let roof = r.roofline.unwrap();
        assert_eq!(roof.bandwidth_bytes_per_s, 100e9);
        assert!((roof.ceiling_tok_s - 100e9 / MB as f64).abs() < 1e-6);
        assert!(!roof.cache_resident);
        // A 64 MiB model on two threads: the 2-thread curve.
        let mut r = point(2, 64 * MB, 100.0);
        apply_roofline(&mut r, &curve());
        assert_eq!(r.roofline.unwrap().bandwidth_bytes_per_s, 20e9);
    }

    #[test]
    fn below_the_ceiling_is_not_flagged_above_is() {
        let ceiling = 10e9 / (64 * MB) as f64;
        let mut ok = point(1, 64 * MB, 0.9 * ceiling);
        apply_roofline(&mut ok, &curve());
        assert!(ok.flags.is_empty(), "{:?}", ok.flags);
        assert!((ok.roofline.unwrap().fraction - 0.9).abs() < 1e-9);

        let mut over = point(1, 64 * MB, 1.1 * ceiling);
        apply_roofline(&mut over, &curve());
        assert_eq!(over.flags.len(), 1);
        let flag = &over.flags[0];
        assert!(flag.starts_with("suspect: decode"), "{flag}");
        for part in [
            "110%",
            "10.0 GB/s",
            "67.1 MB per token",
            "1 thread)",
            "2026-05-02T08:00:00Z",
            "EDGEBENCH_BANDWIDTH=remeasure",
        ] {
            assert!(flag.contains(part), "{part} not in {flag}");
        }
    }

    #[test]
    fn no_weight_bytes_or_no_decode_no_roofline() {
        let mut r = point(1, MB, 10.0);
        r.latency.as_mut().unwrap().decode_tok_s = None;
        apply_roofline(&mut r, &curve());
        assert!(r.roofline.is_none() && r.flags.is_empty());
    }

    #[test]
    fn a_report_without_a_curve_uses_its_dram_figure() {
        let mut bw = curve();
        bw.curve.clear();
        let mut r = point(1, MB, 10.0);
        apply_roofline(&mut r, &bw);
        assert_eq!(r.roofline.unwrap().bandwidth_bytes_per_s, 10e9);
    }
}
