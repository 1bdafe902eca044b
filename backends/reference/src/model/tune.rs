//! The load-time choice of kernel set by measurement: each candidate (row-interleaved weights
//! with the kernel set, and with its prefetching twin; the file layout is timed too, for the
//! record) runs decode-shaped products (one activation row, the model's thread pool) over the
//! model's own matrices, candidates alternated round by round, and the eligible one with the
//! fastest pass is kept (interference from other work only adds time, so the fastest of the
//! alternated passes is the least disturbed estimate; medians are reported too). The choice and every timing go into `describe()`.
//!
//! Only candidates that compute the same bits are eligible: a set and its prefetching twin
//! are bit-identical, but the file layout sums each row's block products in another order
//! (8 float lanes, not one), which moves logits in the last ulps and, on random-weight models,
//! can change a greedy token after a few steps (stories15m Q4_0: step 10). A run's output must
//! not depend on timing noise, so the file layout stays a forced choice (`EDGEBENCH_INTERLEAVE=off`).

use crate::kernels::{self, Kernels, MatRef, MatmulScratch, Task, ThreadPool};
use std::time::Instant;

/// Where the weight layout comes from (`EDGEBENCH_INTERLEAVE`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Layout {
    /// The file's own layout, no copy.
    File,
    /// Every Q4_0/Q5_0/Q8_0/Q4_K/Q6_K matrix with a multiple of 8 rows interleaved
    /// ([`crate::quant::x8`]).
    X8,
    /// Whichever of the two (and, when the kernel set is free, of the set and its
    /// [`kernels::prefetch_twin`]) measures fastest on this model at load.
    Measure,
}

/// One configuration the loader can run.
#[derive(Debug, Clone, Copy)]
pub struct Candidate {
    pub x8: bool,
    pub kernels: &'static Kernels,
    /// Whether it may be chosen (it computes what the default computes, bit for bit).
    pub eligible: bool,
}

impl Candidate {
    /// `file/avx2`, `x8/avx512vnni-pf`, ... (`(timed only)` when not eligible).
    pub fn label(&self) -> String {
        format!(
            "{}/{}{}",
            if self.x8 { "x8" } else { "file" },
            self.kernels.name,
            if self.eligible { "" } else { " (timed only)" }
        )
    }
}

/// The candidates for `kernels`: interleaved, interleaved with the prefetching twin when
/// `free_set` (the set was not named by `EDGEBENCH_KERNELS`), and the file layout (timed only).
pub fn candidates(kernels: &'static Kernels, free_set: bool) -> Vec<Candidate> {
    let mut c = vec![Candidate {
        x8: true,
        kernels,
        eligible: true,
    }];
    if free_set {
        if let Some(twin) = kernels::prefetch_twin(kernels) {
            c.push(Candidate {
                x8: true,
                kernels: twin,
                eligible: true,
            });
        }
    }
    c.push(Candidate {
        x8: false,
        kernels,
        eligible: false,
    });
    c
}

/// What was measured and chosen.
#[derive(Debug, Clone)]
pub struct Tuning {
    /// Index into `timings` of the chosen candidate.
    pub chosen: usize,
    /// Each candidate and its fastest pass (ms): the figure the choice compares, since a shared
    /// machine's interference only ever adds time.
    pub timings: Vec<(Candidate, f64)>,
    /// Each candidate's median pass (ms), for the record.
    pub medians: Vec<f64>,
    /// Weight bytes one pass reads (per layout).
    pub bytes: usize,
    /// Alternated rounds after the warm-up.
    pub rounds: usize,
}

impl Tuning {
    pub fn choice(&self) -> Candidate {
        self.timings[self.chosen].0
    }
}

impl std::fmt::Display for Tuning {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let t: Vec<String> = self
            .timings
            .iter()
            .zip(&self.medians)
            .map(|((c, ms), med)| format!("{} {ms:.3} (median {med:.3})", c.label()))
            .collect();
        write!(
            f,
            "chose {}; fastest ms per pass over {:.1} MB of the model's matrices (1 activation row, {} alternated rounds): {}",
            self.choice().label(),
            self.bytes as f64 / 1e6,
            self.rounds,
            t.join(", ")
        )
    }
}

/// Weight bytes a tuning pass reads at most: well past any core's L2, a few ms of DRAM time.
pub const PASS_BYTES: usize = 64 << 20;
/// Alternated rounds after one warm-up round.
pub const ROUNDS: usize = 5;

/// Times every candidate on `mats` (each matrix in file layout and interleaved, in model
/// order; the caller trims them to about [`PASS_BYTES`]) and returns the fastest by median.
pub fn measure(
    cands: &[Candidate],
    mats: &[(MatRef<'_>, MatRef<'_>)],
    pool: &ThreadPool,
) -> Tuning {
    let cols = mats.iter().map(|m| m.0.cols).max().unwrap_or(0);
    let rows = mats.iter().map(|m| m.0.rows).max().unwrap_or(0);
    let x: Vec<f32> = (0..cols)
        .map(|i| ((i * 37 % 101) as f32 - 50.0) / 50.0)
        .collect();
    let mut out = vec![0f32; rows];
    let mut scratch = MatmulScratch::default();
    let mut ms = vec![Vec::with_capacity(ROUNDS); cands.len()];
    for round in 0..=ROUNDS {
        for (c, times) in cands.iter().zip(ms.iter_mut()) {
            let t = Instant::now();
            for (file, x8) in mats {
                let w = if c.x8 { *x8 } else { *file };
                let task = Task {
                    w,
                    out: &mut out[..w.rows],
                };
                kernels::matmul_many(
                    c.kernels,
                    Some(pool),
                    &x[..w.cols],
                    1,
                    &mut [task],
                    &mut scratch,
                );
            }
            if round > 0 {
                times.push(t.elapsed().as_secs_f64() * 1e3);
            }
        }
    }
    let fastest = |t: &Vec<f64>| t.iter().copied().fold(f64::INFINITY, f64::min);
    let timings: Vec<(Candidate, f64)> =
        cands.iter().copied().zip(ms.iter().map(fastest)).collect();
    let chosen = (0..timings.len())
        .filter(|&i| timings[i].0.eligible)
        .min_by(|&a, &b| timings[a].1.total_cmp(&timings[b].1))
        .unwrap_or(0);
    Tuning {
        chosen,
        timings,
        medians: ms.iter().map(|t| median(t)).collect(),
        bytes: mats.iter().map(|m| m.0.data.len()).sum(),
        rounds: ROUNDS,
    }
}

fn median(v: &[f64]) -> f64 {
    let mut s = v.to_vec();
    s.sort_by(f64::total_cmp);
    match s.len() {
        0 => f64::NAN,
        n if n % 2 == 1 => s[n / 2],
        n => (s[n / 2 - 1] + s[n / 2]) / 2.0,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn median_of_odd_and_even() {
        assert_eq!(median(&[3.0, 1.0, 2.0]), 2.0);
        assert_eq!(median(&[4.0, 1.0, 3.0, 2.0]), 2.5);
        assert!(median(&[]).is_nan());
    }

    #[test]
    fn candidates_offer_the_twin_only_when_the_set_is_free() {
        let k = kernels::select_auto();
        let free = candidates(k, true);
        let named = candidates(k, false);
        assert_eq!(named.len(), 2);
        assert!(named[0].x8 && named[0].eligible);
        assert!(
            !named[1].x8 && !named[1].eligible,
            "the file layout is timed only"
        );
        assert_eq!(
            free.len(),
            2 + usize::from(kernels::prefetch_twin(k).is_some())
        );
        for c in &free {
            assert!(c.kernels.supported(), "{}", c.label());
            assert_eq!(c.eligible, c.x8, "{}", c.label());
        }
    }
}
