//! Final user and item representations, the value that propagation returns and evaluation takes.

/// Row-major `n_users × dim` and `n_items × dim` tables.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Embeddings {
    pub n_users: usize,
    pub n_items: usize,
    pub dim: usize,
    pub users: Vec<f32>,
    pub items: Vec<f32>,
}

impl Embeddings {
    pub fn zeros(n_users: usize, n_items: usize, dim: usize) -> Self {
        Embeddings {
            n_users,
            n_items,
            dim,
            users: vec![0.0; n_users * dim],
            items: vec![0.0; n_items * dim],
        }
    }

    #[inline]
    pub fn user(&self, u: usize) -> &[f32] {
        &self.users[u * self.dim..(u + 1) * self.dim]
    }

    #[inline]
    pub fn item(&self, i: usize) -> &[f32] {
        &self.items[i * self.dim..(i + 1) * self.dim]
    }
}
