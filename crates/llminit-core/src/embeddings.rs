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

    /// Sets the listed user rows and item rows to zero (ids may repeat).
    pub fn zero_rows<'a>(
        &mut self,
        users: impl IntoIterator<Item = &'a u32>,
        items: impl IntoIterator<Item = &'a u32>,
    ) {
        let d = self.dim;
        for &u in users {
            self.users[u as usize * d..(u as usize + 1) * d].fill(0.0);
        }
        for &i in items {
            self.items[i as usize * d..(i as usize + 1) * d].fill(0.0);
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
