//! Batches in a deterministic order: the token stream is cut into non-overlapping windows of
//! `seq_len + 1` tokens, shuffled once per epoch by the seeded generator.

use rand::seq::SliceRandom;
use rand_pcg::Pcg64;

/// Window starts, epoch after epoch.
#[derive(Debug)]
pub struct Batches {
    tokens: Vec<u32>,
    seq_len: usize,
    order: Vec<usize>,
    next: usize,
    pub epoch: usize,
}

impl Batches {
    pub fn new(tokens: Vec<u32>, seq_len: usize) -> Batches {
        let n = tokens.len().saturating_sub(1) / seq_len;
        Batches {
            tokens,
            seq_len,
            order: (0..n).map(|i| i * seq_len).collect(),
            next: usize::MAX,
            epoch: 0,
        }
    }

    /// Number of windows per epoch.
    pub fn windows(&self) -> usize {
        self.order.len()
    }

    /// `batch` windows: inputs and targets (shifted by one), each `batch·seq_len` ids.
    pub fn next_batch(&mut self, batch: usize, rng: &mut Pcg64) -> (Vec<u32>, Vec<u32>) {
        let (mut x, mut y) = (Vec::new(), Vec::new());
        for _ in 0..batch {
            if self.next >= self.order.len() {
                if self.next != usize::MAX {
                    self.epoch += 1;
                }
                self.order.shuffle(rng);
                self.next = 0;
            }
            let s = self.order[self.next];
            self.next += 1;
            x.extend_from_slice(&self.tokens[s..s + self.seq_len]);
            y.extend_from_slice(&self.tokens[s + 1..s + self.seq_len + 1]);
        }
        (x, y)
    }
}

/// The first `n` windows of a held-out stream, in order (validation needs no shuffle).
pub fn eval_windows(tokens: &[u32], seq_len: usize, n: usize) -> (Vec<u32>, Vec<u32>, usize) {
    let count = (tokens.len().saturating_sub(1) / seq_len).min(n);
    let (mut x, mut y) = (Vec::new(), Vec::new());
    for i in 0..count {
        let s = i * seq_len;
        x.extend_from_slice(&tokens[s..s + seq_len]);
        y.extend_from_slice(&tokens[s + 1..s + seq_len + 1]);
    }
    (x, y, count)
}
