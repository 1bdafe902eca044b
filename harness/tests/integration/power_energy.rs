//! Energy integration on synthetic traces with known integrals (constant, ramp, a step on a
//! phase boundary, a wrapping counter), the report block built from them, and throttling
//! detection.

use edgebench::collect::energy::{self, EnergyCurve, PhaseSpan};
use edgebench::collect::sampler::{Sample, SampleSeries};
use edgebench::collect::throttle::{
    detect_throttling, parse_get_throttled, vcgencmd_reasons, ThrottleConfig,
};
use edgebench::results::PowerMetrics;

const S: u64 = 1_000_000_000;

fn within_1pct(got: f64, want: f64) {
    assert!(
        (got - want).abs() <= 0.01 * want.abs(),
        "got {got}, want {want}"
    );
}

/// `(t_ns, f(t_s))` every `step_ms` over `[0, secs]`.
fn trace(secs: f64, step_ms: u64, f: impl Fn(f64) -> f64) -> Vec<(u64, f64)> {
    let n = (secs * 1000.0 / step_ms as f64) as u64;
    (0..=n)
        .map(|i| (i * step_ms * 1_000_000, f((i * step_ms) as f64 / 1000.0)))
        .collect()
}

fn series(points: &[(u64, f64)]) -> SampleSeries {
    SampleSeries {
        source: Some("fake".into()),
        target_rate_hz: 100.0,
        started_ns: points[0].0,
        stopped_ns: points.last().unwrap().0,
        samples: points
            .iter()
            .map(|&(t_ns, w)| Sample {
                t_ns,
                power_w: Some(w),
                ..Default::default()
            })
            .collect(),
        ..Default::default()
    }
}

#[test]
fn constant_power_between_unaligned_boundaries() {
    let c = EnergyCurve::from_power(&trace(10.0, 10, |_| 2.0)).unwrap();
    within_1pct(c.energy_j(4_003_000_000, 9_997_000_000), 2.0 * 5.994);
    within_1pct(c.energy_j(0, 10 * S), 20.0);
}

#[test]
fn ramp_integrates_exactly() {
    let c = EnergyCurve::from_power(&trace(10.0, 10, |t| 1.0 + t)).unwrap();
    // ∫_{2.5}^{7.5} (1 + t) dt = 5 + (7.5² − 2.5²)/2 = 30 J
    within_1pct(c.energy_j(2_500_000_000, 7_500_000_000), 30.0);
    within_1pct(c.energy_j(2_505_000_000, 7_495_000_000), 29.94);
}

#[test]
fn step_exactly_at_a_phase_boundary() {
    let pts = trace(10.0, 10, |t| if t < 5.0 { 2.0 } else { 4.0 });
    let m = energy::summarize(
        &series(&pts),
        &[
            PhaseSpan::new("idle", 0, 5 * S),
            PhaseSpan::new("decode", 5 * S, 10 * S),
        ],
        Some(100),
        None,
    );
    let m = m.measured().unwrap();
    within_1pct(m.phases["idle"].energy_j, 10.0);
    within_1pct(m.phases["decode"].energy_j, 20.0);
    within_1pct(m.idle_power_w.unwrap(), 2.0);
    within_1pct(m.energy_per_token_j.unwrap(), 0.2);
    within_1pct(m.net_energy_per_token_j.unwrap(), 0.1);
}

#[test]
fn counter_is_differenced_across_wrap_around() {
    // 15 W into a counter that wraps at 100 J, sampled at 10 Hz for 20 s: three wraps.
    let pts = trace(20.0, 100, |t| (15.0 * t) % 100.0);
    let c = EnergyCurve::from_counter(&pts, Some(100.0)).unwrap();
    within_1pct(c.energy_j(3_050_000_000, 17_550_000_000), 15.0 * 14.5);
    within_1pct(c.energy_j(0, 20 * S), 300.0);
    assert_eq!(energy::wrapping_delta(99.0, 1.0, Some(100.0)), Some(2.0));
    assert_eq!(energy::wrapping_delta(99.0, 1.0, None), None);
}

#[test]
fn summary_json_has_phases_tokens_and_a_bounded_timeline() {
    let pts = trace(60.0, 10, |t| match t {
        t if t < 2.0 => 2.0,
        t if t < 3.0 => 3.0,
        t if t < 3.5 => 5.0,
        _ => 4.0,
    });
    let phases = [
        PhaseSpan::new("idle", 0, 2 * S),
        PhaseSpan::new("load", 2 * S, 3 * S),
        PhaseSpan::new("prefill", 3 * S, 3_500_000_000),
        PhaseSpan::new("decode", 3_500_000_000, 30 * S),
        PhaseSpan::new("decode", 30 * S, 60 * S),
    ];
    let m = energy::summarize(&series(&pts), &phases, Some(1130), Some(2.0));
    let json = serde_json::to_value(&m).unwrap();
    assert_eq!(json["available"], true);
    assert_eq!(json["source"], "fake");
    within_1pct(
        json["phases"]["decode"]["energy_j"].as_f64().unwrap(),
        4.0 * 56.5,
    );
    // The 3 W → 5 W step at 3.0 s smears over one 10 ms interval: +0.01 J in `load`.
    within_1pct(
        json["phases"]["load"]["net_energy_j"].as_f64().unwrap(),
        1.01,
    );
    within_1pct(json["energy_per_token_j"].as_f64().unwrap(), 0.2);
    within_1pct(json["net_energy_per_token_j"].as_f64().unwrap(), 0.1);
    within_1pct(
        json["avg_power_w"].as_f64().unwrap(),
        (3.0 + 2.5 + 226.0) / 58.0,
    );
    assert!(json["timeline"].as_array().unwrap().len() <= energy::TIMELINE_MAX_POINTS);
    let back: PowerMetrics = serde_json::from_value(json).unwrap();
    assert_eq!(back, m);
}

#[test]
fn unavailable_power_is_a_reason_never_zero() {
    let s = SampleSeries {
        unavailable: Some("no power sensor found under / (...)".into()),
        ..Default::default()
    };
    let m = energy::summarize(&s, &[], None, None);
    let json = serde_json::to_value(&m).unwrap();
    assert_eq!(
        json,
        serde_json::json!({"available": false, "reason": "no power sensor found under / (...)"})
    );
    let back: PowerMetrics = serde_json::from_value(json).unwrap();
    assert_eq!(back.reason(), Some("no power sensor found under / (...)"));
    let failing = SampleSeries {
        source: Some("rapl".into()),
        read_errors: 3,
        last_error: Some("boom".into()),
        ..Default::default()
    };
    let reason = energy::summarize(&failing, &[], None, None)
        .reason()
        .unwrap()
        .to_string();
    assert!(
        reason.contains("no usable samples (3 read errors; last: boom)"),
        "{reason}"
    );
}

fn freq_trace(f: impl Fn(f64) -> f64) -> Vec<Sample> {
    trace(10.0, 100, f)
        .into_iter()
        .map(|(t_ns, mhz)| Sample {
            t_ns,
            cpu_freq_mhz: Some(mhz),
            temp_c: Some(60.0),
            ..Default::default()
        })
        .collect()
}

#[test]
fn throttling_needs_a_sustained_drop_or_heat_or_firmware_flags() {
    let cfg = ThrottleConfig::default();
    let sustained = freq_trace(|t| {
        if (4.0..6.5).contains(&t) {
            1200.0
        } else {
            1800.0
        }
    });
    let reasons = detect_throttling(&sustained, &cfg);
    assert_eq!(reasons.len(), 1, "{reasons:?}");
    assert!(
        reasons[0].contains(
            "below 90% of the highest seen (1800 MHz) for 2.5 s from +4.0 s (lowest 1200 MHz)"
        ),
        "{reasons:?}"
    );
    let blip = freq_trace(|t| {
        if (4.0..4.5).contains(&t) {
            1200.0
        } else {
            1800.0
        }
    });
    assert!(detect_throttling(&blip, &cfg).is_empty());
    let mut hot = freq_trace(|_| 1800.0);
    hot[50].temp_c = Some(82.5);
    assert_eq!(
        detect_throttling(&hot, &cfg),
        ["temperature reached 82.5 °C (limit 80 °C)"]
    );
    assert_eq!(parse_get_throttled("throttled=0x50005\n"), Some(0x50005));
    assert_eq!(parse_get_throttled("error"), None);
    let r = vcgencmd_reasons(Some(0x50000), 0x50005);
    assert_eq!(
        r.len(),
        2,
        "sticky bits already set at start are not news: {r:?}"
    );
    assert!(r[0].contains("under-voltage detected") && r[1].contains("currently throttled"));
    let r = vcgencmd_reasons(None, 0x80000);
    assert_eq!(
        r,
        ["vcgencmd get_throttled=0x80000: soft temperature limit has occurred since boot"]
    );
}
