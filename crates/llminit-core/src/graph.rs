//! The symmetric-normalized bipartite adjacency of LightGCN (DESIGN.md §2):
//! Â = D^{-1/2} A D^{-1/2} with A = [[0, R], [Rᵀ, 0]] and D the node degrees (+1e-7, as RecBole).
//!
//! Â is stored as its two off-diagonal halves, R̃ (users × items) and R̃ᵀ (items × users), so a
//! propagation layer is two row-parallel SpMMs and never touches the zero blocks. Built once, in the
//! data layer, and handed to every graph model.

use crate::UserItems;

/// Compressed sparse rows with `u32` column indices.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Csr {
    pub n_rows: usize,
    pub n_cols: usize,
    pub indptr: Vec<usize>,
    pub indices: Vec<u32>,
    pub values: Vec<f32>,
}

impl Csr {
    #[inline]
    pub fn row(&self, r: usize) -> (&[u32], &[f32]) {
        let (a, b) = (self.indptr[r], self.indptr[r + 1]);
        (&self.indices[a..b], &self.values[a..b])
    }

    pub fn nnz(&self) -> usize {
        self.indices.len()
    }

    /// The transpose, rows sorted by column index (deterministic).
    pub fn transpose(&self) -> Csr {
        let mut counts = vec![0usize; self.n_cols + 1];
        for &c in &self.indices {
            counts[c as usize + 1] += 1;
        }
        for c in 0..self.n_cols {
            counts[c + 1] += counts[c];
        }
        let mut next = counts.clone();
        let mut indices = vec![0u32; self.nnz()];
        let mut values = vec![0f32; self.nnz()];
        for r in 0..self.n_rows {
            let (cols, vals) = self.row(r);
            for (&c, &v) in cols.iter().zip(vals) {
                let slot = &mut next[c as usize];
                indices[*slot] = r as u32;
                values[*slot] = v;
                *slot += 1;
            }
        }
        Csr {
            n_rows: self.n_cols,
            n_cols: self.n_rows,
            indptr: counts,
            indices,
            values,
        }
    }
}

/// Â as its two halves. `r` is R̃ = D_u^{-1/2} R D_i^{-1/2}; `rt` its transpose.
#[derive(Clone, Debug, PartialEq)]
pub struct NormalizedGraph {
    pub n_users: usize,
    pub n_items: usize,
    pub r: Csr,
    pub rt: Csr,
}

impl NormalizedGraph {
    pub fn n_nodes(&self) -> usize {
        self.n_users + self.n_items
    }
}

/// Builds Â from the training interactions. Each value is 1/√((deg_u+1e-7)(deg_i+1e-7)),
/// computed in f64 and rounded once, as RecBole's scipy construction does.
pub fn normalized_adjacency(train: &UserItems) -> NormalizedGraph {
    let item_deg = train.item_degrees();
    let inv_sqrt = |d: usize| 1.0 / (d as f64 + 1e-7).sqrt();
    let item_scale: Vec<f64> = item_deg.iter().map(|&d| inv_sqrt(d as usize)).collect();
    let mut values = Vec::with_capacity(train.nnz());
    for u in 0..train.n_users {
        let su = inv_sqrt(train.degree(u));
        values.extend(
            train
                .of(u)
                .iter()
                .map(|&i| (su * item_scale[i as usize]) as f32),
        );
    }
    let r = Csr {
        n_rows: train.n_users,
        n_cols: train.n_items,
        indptr: train.indptr.clone(),
        indices: train.items.clone(),
        values,
    };
    let rt = r.transpose();
    NormalizedGraph {
        n_users: train.n_users,
        n_items: train.n_items,
        r,
        rt,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Users {0,1}, items {0,1,2}; edges u0-i0, u0-i1, u1-i1, u1-i2.
    /// deg(u0)=deg(u1)=2, deg(i0)=1, deg(i1)=2, deg(i2)=1, so R̃ has
    /// u0: i0 → 1/√2, i1 → 1/2;  u1: i1 → 1/2, i2 → 1/√2.
    #[test]
    fn normalizes_a_hand_computed_graph() {
        let train = UserItems::from_pairs(2, 3, &[0, 0, 1, 1], &[0, 1, 1, 2]).unwrap();
        let g = normalized_adjacency(&train);
        let h = std::f32::consts::FRAC_1_SQRT_2;
        assert_eq!(g.r.indptr, vec![0, 2, 4]);
        assert_eq!(g.r.indices, vec![0, 1, 1, 2]);
        for (got, want) in g.r.values.iter().zip([h, 0.5, 0.5, h]) {
            assert!((got - want).abs() < 1e-6, "{got} vs {want}");
        }
        assert_eq!(g.rt.indptr, vec![0, 1, 3, 4]);
        assert_eq!(g.rt.indices, vec![0, 0, 1, 1]);
        for (got, want) in g.rt.values.iter().zip([h, 0.5, 0.5, h]) {
            assert!((got - want).abs() < 1e-6);
        }
    }

    #[test]
    fn isolated_nodes_get_empty_rows() {
        let train = UserItems::from_pairs(3, 3, &[0], &[2]).unwrap();
        let g = normalized_adjacency(&train);
        assert_eq!(g.r.row(1).0.len(), 0);
        assert_eq!(g.rt.row(0).0.len(), 0);
        assert!((g.r.values[0] - 1.0).abs() < 1e-6);
    }
}
