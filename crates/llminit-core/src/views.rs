//! SGL's augmented graphs (Wu et al., SIGIR 2021; RecBole `SGL.create_adjust_matrix`): node
//! dropout drops ⌊ρ·n⌋ users and ⌊ρ·n⌋ items with all their edges; edge dropout keeps
//! ⌊(1−ρ)·E⌋ training edges chosen uniformly without replacement; a random walk draws a fresh
//! edge-dropout graph per layer. Each view is renormalized like the full graph
//! ([`crate::graph::normalized_adjacency`]). Built in O(E) from the training lists.

use rand::Rng;

use crate::graph::{normalized_adjacency, NormalizedGraph};
use crate::{Error, Result, UserItems};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ViewKind {
    /// "ND"
    Node,
    /// "ED", the default.
    Edge,
    /// "RW": one edge-dropout graph per layer.
    RandomWalk,
}

impl ViewKind {
    pub fn parse(s: &str) -> Result<Self> {
        match s {
            "node" | "nd" => Ok(ViewKind::Node),
            "edge" | "ed" => Ok(ViewKind::Edge),
            "walk" | "rw" => Ok(ViewKind::RandomWalk),
            other => Err(Error::param(
                "view",
                format!("unknown view `{other}` (expected node, edge or walk)"),
            )),
        }
    }
}

/// Marks `k` of `n` positions, uniformly without replacement (a partial Fisher–Yates shuffle).
fn choose(n: usize, k: usize, rng: &mut impl Rng) -> Vec<bool> {
    let mut idx: Vec<u32> = (0..n as u32).collect();
    let mut marked = vec![false; n];
    for j in 0..k.min(n) {
        let pick = rng.gen_range(j..n);
        idx.swap(j, pick);
        marked[idx[j] as usize] = true;
    }
    marked
}

/// One augmented graph of `train` (for a random walk, one layer's graph).
pub fn dropout_view(
    train: &UserItems,
    kind: ViewKind,
    ratio: f32,
    rng: &mut impl Rng,
) -> NormalizedGraph {
    let e = train.nnz();
    // The ratio as the decimal the user wrote (0.1, not 0.10000000149), so counts match
    // RecBole's int(E * (1 - 0.1)).
    let ratio: f64 = ratio.to_string().parse().unwrap_or(ratio as f64);
    let mut sub = UserItems {
        n_users: train.n_users,
        n_items: train.n_items,
        indptr: Vec::with_capacity(train.n_users + 1),
        items: Vec::with_capacity(e),
    };
    sub.indptr.push(0);
    match kind {
        ViewKind::Node => {
            let drop = |n: usize, rng: &mut _| choose(n, (n as f64 * ratio) as usize, rng);
            let (users, items) = (drop(train.n_users, rng), drop(train.n_items, rng));
            for (u, &dropped) in users.iter().enumerate() {
                if !dropped {
                    sub.items
                        .extend(train.of(u).iter().filter(|&&i| !items[i as usize]));
                }
                sub.indptr.push(sub.items.len());
            }
        }
        ViewKind::Edge | ViewKind::RandomWalk => {
            let keep = choose(e, (e as f64 * (1.0 - ratio)) as usize, rng);
            for u in 0..train.n_users {
                let span = train.indptr[u]..train.indptr[u + 1];
                sub.items.extend(
                    train.items[span.clone()]
                        .iter()
                        .zip(&keep[span])
                        .filter(|(_, &k)| k)
                        .map(|(&i, _)| i),
                );
                sub.indptr.push(sub.items.len());
            }
        }
    }
    normalized_adjacency(&sub)
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;

    #[test]
    fn dropout_keeps_the_expected_counts() {
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(1);
        let us: Vec<u32> = (0..2000).map(|k| k % 50).collect();
        let is: Vec<u32> = (0..2000).map(|k| (k * 7 + k / 50) % 80).collect();
        let train = UserItems::from_pairs(50, 80, &us, &is).unwrap();
        let e = train.nnz();
        let g = dropout_view(&train, ViewKind::Edge, 0.1, &mut rng);
        assert_eq!(g.r.nnz(), (e as f64 * 0.9) as usize);
        // Every kept edge is a training edge, and values are renormalized on the view's degrees.
        for u in 0..50 {
            let (cols, vals) = g.r.row(u);
            for (&i, &v) in cols.iter().zip(vals) {
                assert!(train.contains(u, i));
                let di = g.rt.row(i as usize).0.len() as f64;
                let want = 1.0 / ((cols.len() as f64 + 1e-7) * (di + 1e-7)).sqrt();
                assert!((v as f64 - want).abs() < 1e-6);
            }
        }
        let g = dropout_view(&train, ViewKind::Node, 0.2, &mut rng);
        let empty_users = (0..50).filter(|&u| g.r.row(u).0.is_empty()).count();
        let empty_items = (0..80).filter(|&i| g.rt.row(i).0.is_empty()).count();
        assert!(empty_users >= 10 && empty_items >= 16);
        assert_eq!(ViewKind::parse("rw").unwrap(), ViewKind::RandomWalk);
        assert!(ViewKind::parse("x").is_err());
    }
}
