//! BPR training batches: the training interactions in a seeded random order each epoch, each
//! with one uniformly drawn negative item.

use rand::seq::SliceRandom;
use rand::Rng;

use crate::UserItems;

/// Which items a negative may be (DESIGN.md §3).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NegativePolicy {
    /// Standard protocol: redraw while the item is one of the user's training positives.
    RejectTrainPositives,
    /// Reference protocol (RecBole `repeatable: True`, as the LLMInit code runs): redraw only
    /// while the item equals this interaction's own positive.
    DifferFromPositive,
}

/// One batch of (user, positive, negative) triples, parallel arrays.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Batch {
    pub users: Vec<u32>,
    pub pos: Vec<u32>,
    pub neg: Vec<u32>,
}

impl Batch {
    pub fn len(&self) -> usize {
        self.users.len()
    }

    pub fn is_empty(&self) -> bool {
        self.users.is_empty()
    }
}

/// Draws one negative per (user, positive). The caller guarantees no user owns every item
/// (checked when training starts), so the rejection loop ends.
pub fn draw_negatives(
    rng: &mut impl Rng,
    train: &UserItems,
    users: &[u32],
    pos: &[u32],
    policy: NegativePolicy,
    out: &mut Vec<u32>,
) {
    let n_items = train.n_items as u32;
    out.clear();
    for (&u, &p) in users.iter().zip(pos) {
        let neg = loop {
            let j = rng.gen_range(0..n_items);
            let rejected = match policy {
                NegativePolicy::RejectTrainPositives => train.contains(u as usize, j),
                NegativePolicy::DifferFromPositive => j == p,
            };
            if !rejected {
                break j;
            }
        };
        out.push(neg);
    }
}

/// The epoch's visiting order of the training interactions (a fresh permutation).
pub fn shuffled_order(rng: &mut impl Rng, n: usize, order: &mut Vec<u32>) {
    order.clear();
    order.extend(0..n as u32);
    order.shuffle(rng);
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;

    #[test]
    fn standard_negatives_avoid_all_training_positives() {
        let train = UserItems::from_pairs(2, 5, &[0, 0, 0, 1], &[0, 1, 2, 4]).unwrap();
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(1);
        let mut out = Vec::new();
        let users = vec![0u32; 500];
        let pos = vec![0u32; 500];
        draw_negatives(
            &mut rng,
            &train,
            &users,
            &pos,
            NegativePolicy::RejectTrainPositives,
            &mut out,
        );
        assert!(out.iter().all(|&j| j == 3 || j == 4));
        assert!(out.contains(&3) && out.contains(&4));
    }

    #[test]
    fn reference_negatives_only_differ_from_their_positive() {
        let train = UserItems::from_pairs(1, 3, &[0, 0], &[0, 1]).unwrap();
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(2);
        let mut out = Vec::new();
        draw_negatives(
            &mut rng,
            &train,
            &[0; 300],
            &[0; 300],
            NegativePolicy::DifferFromPositive,
            &mut out,
        );
        assert!(out.iter().all(|&j| j != 0));
        assert!(
            out.contains(&1),
            "another training positive may be drawn under the reference protocol"
        );
    }

    #[test]
    fn same_seed_same_order() {
        let mut a = Vec::new();
        let mut b = Vec::new();
        shuffled_order(&mut rand_chacha::ChaCha8Rng::seed_from_u64(5), 100, &mut a);
        shuffled_order(&mut rand_chacha::ChaCha8Rng::seed_from_u64(5), 100, &mut b);
        assert_eq!(a, b);
        let mut sorted = a.clone();
        sorted.sort();
        assert_eq!(sorted, (0..100).collect::<Vec<u32>>());
    }
}
