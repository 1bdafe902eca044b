//! A synthetic benchmark under the live TUI, for trying the UI and for tmux tests before the CLI
//! wires the real runner in: `cargo run -p edgebench --example tui_demo [-- --exit --fast --panic]`.
//! Four points stream tokens; one fails at load; `s`, `p` and `q` act as they will on a real run.

use std::time::Duration;

use edgebench::events::{
    mono_ns, Control, HarnessEvent, LogLevel, Observer, PointLabel, RunKind, WorkerEvent,
};
use edgebench::results::{
    LatencyStats, LatencySummary, MemoryMetrics, PointError, PointResult, PointStatus,
};
use edgebench::tui::{run_with_tui, TuiOptions};

fn label(index: usize, backend: &str, quant: &str, threads: usize) -> PointLabel {
    PointLabel {
        index,
        backend: backend.into(),
        model: "stories15m".into(),
        quant: quant.into(),
        threads,
        prompt_tokens: 32,
        gen_tokens: 48,
    }
}

fn stats(sample_ms: &mut [f64]) -> LatencyStats {
    sample_ms.sort_by(f64::total_cmp);
    let n = sample_ms.len().max(1);
    let at = |q: f64| {
        sample_ms
            .get(((q * n as f64).ceil() as usize).clamp(1, n) - 1)
            .copied()
            .unwrap_or(0.0)
            * 1e6
    };
    LatencyStats {
        n: sample_ms.len(),
        mean_ns: sample_ms.iter().sum::<f64>() / n as f64 * 1e6,
        stddev_ns: 0.0,
        min_ns: at(0.0) as u64,
        p50_ns: at(0.5),
        p90_ns: at(0.9),
        p99_ns: at(0.99),
        max_ns: at(1.0) as u64,
    }
}

/// Streams one point; returns its result, or `None` when the UI asked to abort.
fn run_point(
    obs: &mut dyn Observer,
    l: &PointLabel,
    step_ms: f64,
    fast: bool,
) -> Option<PointResult> {
    let index = l.index;
    let send = |obs: &mut dyn Observer, event| obs.on_event(&HarnessEvent::Worker { index, event });
    obs.on_event(&HarnessEvent::PointStarted {
        index,
        pid: 40_000 + index as u32,
    });
    send(obs, WorkerEvent::LoadStarted { t_ns: mono_ns() });
    if l.backend == "ort" {
        let error = PointError {
            kind: "unavailable".into(),
            message: "backend `ort` is not compiled into this build; rebuild with `--features ort`"
                .into(),
        };
        return Some(PointResult::without_measurements(
            l.clone(),
            PointStatus::Failed,
            error,
        ));
    }
    let (mut decode, mut ttft, mut rss) = (Vec::new(), Vec::new(), 40u64 << 20);
    for run in 0..4 {
        let kind = if run == 0 {
            RunKind::Warmup
        } else {
            RunKind::Measured
        };
        send(
            obs,
            WorkerEvent::RunStarted {
                t_ns: mono_ns(),
                run,
                kind,
            },
        );
        let prefill_ms = step_ms * 6.0;
        send(
            obs,
            WorkerEvent::Prefill {
                t_ns: mono_ns(),
                run,
                prompt_tokens: 32,
                latency_ns: (prefill_ms * 1e6) as u64,
                token: 1,
            },
        );
        if kind == RunKind::Measured {
            ttft.push(prefill_ms);
        }
        for i in 0..l.gen_tokens - 1 {
            let ms = step_ms * (1.0 + 0.15 * ((i * 7 + run * 3) % 11) as f64 / 10.0)
                + if i % 17 == 16 { step_ms } else { 0.0 };
            std::thread::sleep(Duration::from_micros(if fast {
                300
            } else {
                (ms * 1000.0) as u64
            }));
            send(
                obs,
                WorkerEvent::Token {
                    t_ns: mono_ns(),
                    run,
                    index: i,
                    token: 7,
                    latency_ns: (ms * 1e6) as u64,
                },
            );
            if kind == RunKind::Measured {
                decode.push(ms);
            }
            rss = (rss + 64 * 1024).min(96 << 20);
            obs.on_event(&HarnessEvent::Rss {
                index,
                t_ns: mono_ns(),
                rss_bytes: rss,
            });
            let power = (l.backend == "reference").then_some(3.0 + (i % 5) as f64 * 0.1);
            obs.on_event(&HarnessEvent::Sensors {
                t_ns: mono_ns(),
                power_w: power,
                temperature_c: power.map(|_| 52.0),
                cpu_freq_mhz: Some(1800.0),
            });
            match obs.control() {
                Control::Abort => return None,
                Control::SkipCurrent => {
                    let error = PointError {
                        kind: "skipped".into(),
                        message: "skipped from the TUI".into(),
                    };
                    return Some(PointResult::without_measurements(
                        l.clone(),
                        PointStatus::Skipped,
                        error,
                    ));
                }
                _ => {}
            }
        }
        send(
            obs,
            WorkerEvent::RunFinished {
                t_ns: mono_ns(),
                run,
                kind,
                tokens: vec![],
            },
        );
    }
    send(obs, WorkerEvent::Finished { t_ns: mono_ns() });
    let mean = decode.iter().sum::<f64>() / decode.len() as f64;
    Some(PointResult {
        label: l.clone(),
        status: PointStatus::Ok,
        error: None,
        model: None,
        backend_info: Default::default(),
        load: None,
        runs: Vec::new(),
        latency: Some(LatencySummary {
            ttft: stats(&mut ttft),
            decode: Some(stats(&mut decode)),
            prefill_tok_s: 32.0 / (step_ms * 6.0 / 1000.0),
            decode_tok_s: Some(1000.0 / mean),
            decode_tok_s_ci95: None,
            within_budget_fraction: None,
            runs_agree: true,
        }),
        memory: MemoryMetrics {
            peak_rss_load_bytes: Some(40 << 20),
            peak_rss_steady_bytes: Some(rss),
            ..Default::default()
        },
        wall_ns: 0,
    })
}

fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().collect();
    let exit_when_done = args.iter().any(|a| a == "--exit");
    let fast = args.iter().any(|a| a == "--fast");
    let panic_after_first = args.iter().any(|a| a == "--panic");
    let options = TuiOptions {
        exit_when_done,
        ..TuiOptions::default()
    };
    let finished = run_with_tui(options, move |obs: &mut dyn Observer| {
        let points = vec![
            label(0, "reference", "q8_0", 1),
            label(1, "reference", "q4_0", 4),
            label(2, "ort", "int8", 4),
            label(3, "candle", "q8_0", 4),
        ];
        let out_dir = std::env::temp_dir().join("edgebench-tui-demo");
        obs.on_event(&HarnessEvent::PlanStarted {
            scenario: "demo".into(),
            points: points.clone(),
            out_dir: out_dir.clone(),
            latency_budget_ms_per_token: Some(12.0),
        });
        obs.on_event(&HarnessEvent::Log {
            level: LogLevel::Warn,
            message: "power unavailable for candle: synthetic demo".into(),
        });
        let mut done = 0;
        for (l, step_ms) in points.iter().zip([9.0, 6.0, 5.0, 11.0]) {
            let Some(result) = run_point(obs, l, step_ms, fast) else {
                anyhow::bail!("aborted from the TUI after {done} points");
            };
            obs.on_event(&HarnessEvent::PointFinished {
                index: l.index,
                result: Box::new(result),
            });
            done += 1;
            assert!(
                !panic_after_first,
                "--panic: demo panics after the first point"
            );
            if obs.control() == Control::Stop {
                break;
            }
        }
        obs.on_event(&HarnessEvent::PlanFinished { out_dir });
        Ok(done)
    })?;
    println!("tui demo finished {finished} points");
    Ok(())
}
