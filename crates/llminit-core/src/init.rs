//! Random initial tables, as RecBole initializes its embeddings (DESIGN.md §1 `none`):
//! `xavier_uniform_` for LightGCN (and the graph models after it), `xavier_normal_` for MF-BPR.
//! For an embedding weight of shape (rows, d), PyTorch's fan_in = d and fan_out = rows.

use rand::Rng;
use rand_distr::{Distribution, Normal, Uniform};

use crate::Embeddings;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RandomInit {
    /// U(−b, b) with b = √(6 / (rows + d)), per table.
    XavierUniform,
    /// N(0, σ²) with σ = √(2 / (rows + d)), per table.
    XavierNormal,
}

fn fill(table: &mut [f32], rows: usize, dim: usize, kind: RandomInit, rng: &mut impl Rng) {
    let fans = (rows + dim) as f64;
    match kind {
        RandomInit::XavierUniform => {
            let b = (6.0 / fans).sqrt() as f32;
            let dist = Uniform::new(-b, b);
            table.iter_mut().for_each(|v| *v = dist.sample(rng));
        }
        RandomInit::XavierNormal => {
            let dist = Normal::new(0.0, (2.0 / fans).sqrt() as f32).expect("finite std");
            table.iter_mut().for_each(|v| *v = dist.sample(rng));
        }
    }
}

/// Fresh user and item tables (users first, then items, from one generator).
pub fn random_tables(
    n_users: usize,
    n_items: usize,
    dim: usize,
    kind: RandomInit,
    rng: &mut impl Rng,
) -> Embeddings {
    let mut e = Embeddings::zeros(n_users, n_items, dim);
    fill(&mut e.users, n_users, dim, kind, rng);
    fill(&mut e.items, n_items, dim, kind, rng);
    e
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;

    #[test]
    fn xavier_bounds_and_spread() {
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(0);
        let e = random_tables(1000, 200, 64, RandomInit::XavierUniform, &mut rng);
        let bu = (6.0f32 / 1064.0).sqrt();
        assert!(e.users.iter().all(|v| v.abs() <= bu));
        let var: f32 = e.users.iter().map(|v| v * v).sum::<f32>() / e.users.len() as f32;
        assert!(
            (var - bu * bu / 3.0).abs() < 0.05 * bu * bu / 3.0,
            "uniform variance b²/3"
        );
        let e = random_tables(1000, 200, 64, RandomInit::XavierNormal, &mut rng);
        let var: f32 = e.items.iter().map(|v| v * v).sum::<f32>() / e.items.len() as f32;
        assert!((var - 2.0 / 264.0).abs() < 0.05 * 2.0 / 264.0);
    }
}
