//! Live statistics of the point that is running now: the recent decode-step latencies for the
//! chart, every measured step for p50/p99 "so far", TTFT, and the worker's RSS over time.
//! Warmup steps are drawn (they show the warm-up transient) but never enter the statistics.

use std::collections::VecDeque;

/// How many recent decode steps the chart shows.
pub const LATENCY_WINDOW: usize = 240;
/// How many RSS samples the memory sparkline keeps.
pub const RSS_WINDOW: usize = 120;

/// Order statistics of a latency sample in milliseconds.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct LiveSummary {
    pub n: usize,
    pub mean_ms: f64,
    pub p50_ms: f64,
    pub p99_ms: f64,
    pub max_ms: f64,
}

impl LiveSummary {
    /// Decode tokens per second implied by the mean step latency.
    pub fn tok_s(&self) -> Option<f64> {
        (self.mean_ms > 0.0).then(|| 1000.0 / self.mean_ms)
    }
}

/// Nearest-rank percentile of an ascending-sorted, non-empty slice (`q` in 0..=1).
pub fn percentile_sorted(sorted: &[f64], q: f64) -> f64 {
    let rank = (q.clamp(0.0, 1.0) * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1]
}

/// Summary of a sample; `None` when it is empty. NaNs are dropped.
pub fn summarize_ms(sample: &[f64]) -> Option<LiveSummary> {
    let mut sorted: Vec<f64> = sample.iter().copied().filter(|v| !v.is_nan()).collect();
    if sorted.is_empty() {
        return None;
    }
    sorted.sort_by(f64::total_cmp);
    Some(LiveSummary {
        n: sorted.len(),
        mean_ms: sorted.iter().sum::<f64>() / sorted.len() as f64,
        p50_ms: percentile_sorted(&sorted, 0.50),
        p99_ms: percentile_sorted(&sorted, 0.99),
        max_ms: sorted[sorted.len() - 1],
    })
}

/// What the live pane shows for one point.
#[derive(Debug, Clone, Default)]
pub struct LiveState {
    /// Index of the point these numbers belong to.
    pub index: usize,
    /// The last [`LATENCY_WINDOW`] decode steps (warmup included): (global step number, ms).
    pub recent_ms: VecDeque<(u64, f64)>,
    /// Decode steps seen so far (warmup included); the chart's x axis.
    pub steps_seen: u64,
    /// Every measured decode step, in ms.
    pub measured_ms: Vec<f64>,
    /// Time to first token of each measured run, in ms.
    pub ttft_ms: Vec<f64>,
    /// Time to first token of the latest run (warmup or measured), in ms.
    pub last_ttft_ms: Option<f64>,
    /// Load time reported by the worker, in ms.
    pub load_ms: Option<f64>,
    pub rss_recent: VecDeque<u64>,
    pub rss_now_bytes: Option<u64>,
    pub rss_peak_bytes: Option<u64>,
}

impl LiveState {
    pub fn new(index: usize) -> Self {
        LiveState {
            index,
            ..LiveState::default()
        }
    }

    pub fn push_step(&mut self, latency_ns: u64, measured: bool) {
        let ms = latency_ns as f64 / 1e6;
        if self.recent_ms.len() == LATENCY_WINDOW {
            self.recent_ms.pop_front();
        }
        self.recent_ms.push_back((self.steps_seen, ms));
        self.steps_seen += 1;
        if measured {
            self.measured_ms.push(ms);
        }
    }

    pub fn push_ttft(&mut self, latency_ns: u64, measured: bool) {
        let ms = latency_ns as f64 / 1e6;
        self.last_ttft_ms = Some(ms);
        if measured {
            self.ttft_ms.push(ms);
        }
    }

    pub fn push_rss(&mut self, rss_bytes: u64) {
        if self.rss_recent.len() == RSS_WINDOW {
            self.rss_recent.pop_front();
        }
        self.rss_recent.push_back(rss_bytes);
        self.rss_now_bytes = Some(rss_bytes);
        self.rss_peak_bytes = Some(self.rss_peak_bytes.map_or(rss_bytes, |p| p.max(rss_bytes)));
    }

    /// Statistics of the measured decode steps so far; before any measured step, of the recent
    /// (warmup) steps so the pane is not empty during a long warmup.
    pub fn decode_summary(&self) -> Option<LiveSummary> {
        if self.measured_ms.is_empty() {
            let recent: Vec<f64> = self.recent_ms.iter().map(|&(_, ms)| ms).collect();
            summarize_ms(&recent)
        } else {
            summarize_ms(&self.measured_ms)
        }
    }

    /// Median TTFT over measured runs, else the latest run's.
    pub fn ttft_summary_ms(&self) -> Option<f64> {
        summarize_ms(&self.ttft_ms)
            .map(|s| s.p50_ms)
            .or(self.last_ttft_ms)
    }

    /// Fraction of measured decode steps within `budget_ms`.
    pub fn within_budget(&self, budget_ms: f64) -> Option<f64> {
        if self.measured_ms.is_empty() {
            return None;
        }
        let ok = self
            .measured_ms
            .iter()
            .filter(|&&ms| ms <= budget_ms)
            .count();
        Some(ok as f64 / self.measured_ms.len() as f64)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentiles_use_nearest_rank() {
        let s: Vec<f64> = (1..=100).map(f64::from).collect();
        let sum = summarize_ms(&s).unwrap();
        assert_eq!(sum.p50_ms, 50.0);
        assert_eq!(sum.p99_ms, 99.0);
        assert_eq!(sum.max_ms, 100.0);
        assert_eq!(summarize_ms(&[7.0]).unwrap().p99_ms, 7.0);
        assert!(summarize_ms(&[]).is_none());
        assert!(summarize_ms(&[f64::NAN]).is_none());
    }

    #[test]
    fn window_keeps_recent_steps_and_stats_keep_measured_only() {
        let mut live = LiveState::new(0);
        for _ in 0..10 {
            live.push_step(50_000_000, false);
        }
        assert_eq!(live.decode_summary().unwrap().p50_ms, 50.0);
        for i in 0..(LATENCY_WINDOW as u64 + 5) {
            live.push_step(1_000_000 + i, true);
        }
        assert_eq!(live.recent_ms.len(), LATENCY_WINDOW);
        assert_eq!(live.measured_ms.len(), LATENCY_WINDOW + 5);
        let sum = live.decode_summary().unwrap();
        assert!(sum.max_ms < 2.0, "warmup steps leaked into stats: {sum:?}");
        assert!((sum.tok_s().unwrap() - 1000.0).abs() < 1.0);
        assert_eq!(live.within_budget(0.5), Some(0.0));
        assert_eq!(live.within_budget(5.0), Some(1.0));
    }

    #[test]
    fn rss_peak_tracks_maximum() {
        let mut live = LiveState::new(0);
        for b in [10, 30, 20] {
            live.push_rss(b);
        }
        assert_eq!(live.rss_now_bytes, Some(20));
        assert_eq!(live.rss_peak_bytes, Some(30));
    }
}
