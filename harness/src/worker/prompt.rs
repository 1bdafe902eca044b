//! Deterministic prompt token ids: the same seed, length and vocabulary give the same prompt on
//! every backend and machine.

use rand::{Rng, SeedableRng};

/// `n` ids in `[first, vocab)`, where `first` skips the conventional special tokens
/// (<unk>, <s>, </s>) when the vocabulary is large enough.
pub fn prompt_ids(seed: u64, n: usize, vocab: usize) -> Vec<u32> {
    let first = if vocab > 8 { 3 } else { 0 };
    let mut rng = rand_pcg::Pcg64Mcg::seed_from_u64(seed ^ 0x005E_ED0F_7E57);
    (0..n)
        .map(|_| rng.random_range(first..vocab.max(first + 1)) as u32)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::prompt_ids;

    #[test]
    fn deterministic_and_in_range() {
        let a = prompt_ids(42, 100, 32000);
        assert_eq!(a, prompt_ids(42, 100, 32000));
        assert_ne!(a, prompt_ids(43, 100, 32000));
        assert!(a.iter().all(|&t| (3..32000).contains(&t)));
        assert!(prompt_ids(1, 5, 2).iter().all(|&t| t < 2));
    }
}
