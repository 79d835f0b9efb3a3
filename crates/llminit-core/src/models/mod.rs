//! Recommendation models behind one contract, [`Recommender`] (STYLE.md §1): the training loss
//! with its gradient for a batch, and the final representations that score (user, item) pairs
//! and rank all items. One model per file.

pub mod lightgcn;
pub mod mf;

use crate::sampler::Batch;
use crate::{Embeddings, Parallelism};

pub use lightgcn::LightGcn;
pub use mf::MfBpr;

pub trait Recommender: Send {
    /// Short name used in reports (`"mf"`, `"lightgcn"`).
    fn name(&self) -> &'static str;

    /// Writes the final representations F used for scoring into `out` (resized as needed):
    /// `out.users` is n_users × d, `out.items` n_items × d; s(u, i) = ⟨F_u, F_i⟩.
    fn forward(&mut self, params: &Embeddings, out: &mut Embeddings, par: Parallelism);

    /// The training loss of `batch` (B triples) at `params`, and its gradient: `grad` (same shape
    /// as `params`) is overwritten with ∂loss/∂params, zero on rows the loss does not reach.
    fn loss_and_grad(
        &mut self,
        params: &Embeddings,
        batch: &Batch,
        grad: &mut Embeddings,
        par: Parallelism,
    ) -> f64;
}

/// ⟨a, b⟩ summed in a fixed order (deterministic, vectorizable: eight partial sums).
#[inline]
pub fn dot(a: &[f32], b: &[f32]) -> f32 {
    let mut acc = [0f32; 8];
    let (ca, cb) = (a.chunks_exact(8), b.chunks_exact(8));
    let (ra, rb) = (ca.remainder(), cb.remainder());
    for (x, y) in ca.zip(cb) {
        for k in 0..8 {
            acc[k] += x[k] * y[k];
        }
    }
    let mut tail = 0f32;
    for (x, y) in ra.iter().zip(rb) {
        tail += x * y;
    }
    (acc[0] + acc[4]) + (acc[1] + acc[5]) + (acc[2] + acc[6]) + (acc[3] + acc[7]) + tail
}

/// Scores of given (user, item) pairs from final representations.
pub fn score_pairs(f: &Embeddings, users: &[u32], items: &[u32]) -> Vec<f32> {
    users
        .iter()
        .zip(items)
        .map(|(&u, &i)| dot(f.user(u as usize), f.item(i as usize)))
        .collect()
}

/// BPR score differences x_b = ⟨F_u, F_i⁺⟩ − ⟨F_u, F_i⁻⟩ for a batch.
pub(crate) fn score_differences(f: &Embeddings, batch: &Batch, x: &mut Vec<f32>) {
    x.clear();
    for b in 0..batch.len() {
        let fu = f.user(batch.users[b] as usize);
        x.push(dot(fu, f.item(batch.pos[b] as usize)) - dot(fu, f.item(batch.neg[b] as usize)));
    }
}

/// Adds the BPR gradient w.r.t. the final representations, given ∂loss/∂x_b:
/// ∂/∂F_u = dx (F_i⁺ − F_i⁻), ∂/∂F_i⁺ = dx F_u, ∂/∂F_i⁻ = −dx F_u. Sequential over the batch,
/// so repeated rows accumulate in a fixed order.
pub(crate) fn add_bpr_gradient(f: &Embeddings, batch: &Batch, dx: &[f32], g: &mut Embeddings) {
    let d = f.dim;
    for (b, &w) in dx.iter().enumerate().take(batch.len()) {
        let (u, p, n) = (
            batch.users[b] as usize,
            batch.pos[b] as usize,
            batch.neg[b] as usize,
        );
        let (fu, fp, fn_) = (f.user(u), f.item(p), f.item(n));
        for ((o, &a), &c) in g.users[u * d..(u + 1) * d].iter_mut().zip(fp).zip(fn_) {
            *o += w * (a - c);
        }
        for (o, &a) in g.items[p * d..(p + 1) * d].iter_mut().zip(fu) {
            *o += w * a;
        }
        for (o, &a) in g.items[n * d..(n + 1) * d].iter_mut().zip(fu) {
            *o -= w * a;
        }
    }
}

/// Zeroes the rows a batch touched, so a row-sparse gradient buffer is clean for the next batch.
pub(crate) fn clear_batch_rows(g: &mut Embeddings, batch: &Batch) {
    g.zero_rows(&batch.users, batch.pos.iter().chain(&batch.neg));
}

#[cfg(test)]
pub(crate) mod gradcheck {
    //! Central finite differences against a model's hand-written gradient, and a shared fixture.
    use super::*;

    /// One user, two items, d = 1: E_u = 1, E_i⁺ = 2, E_i⁻ = 0, and the batch (0, 0, 1).
    pub fn one_triple() -> (Embeddings, Batch) {
        let p = Embeddings {
            n_users: 1,
            n_items: 2,
            dim: 1,
            users: vec![1.0],
            items: vec![2.0, 0.0],
        };
        (
            p,
            Batch {
                users: vec![0],
                pos: vec![0],
                neg: vec![1],
            },
        )
    }

    pub fn check(
        model: &mut dyn Recommender,
        params: &Embeddings,
        batch: &Batch,
        eps: f32,
        tol: f32,
    ) {
        let mut grad = Embeddings::zeros(params.n_users, params.n_items, params.dim);
        let mut scratch = grad.clone();
        model.loss_and_grad(params, batch, &mut grad, Parallelism::Sequential);
        let mut p = params.clone();
        let mut worst = 0f32;
        for table in 0..2 {
            let len = if table == 0 {
                p.users.len()
            } else {
                p.items.len()
            };
            for k in 0..len {
                fn get(p: &mut Embeddings, table: usize, k: usize) -> &mut f32 {
                    if table == 0 {
                        &mut p.users[k]
                    } else {
                        &mut p.items[k]
                    }
                }
                let orig = *get(&mut p, table, k);
                *get(&mut p, table, k) = orig + eps;
                let up = model.loss_and_grad(&p, batch, &mut scratch, Parallelism::Sequential);
                *get(&mut p, table, k) = orig - eps;
                let down = model.loss_and_grad(&p, batch, &mut scratch, Parallelism::Sequential);
                *get(&mut p, table, k) = orig;
                let numeric = ((up - down) / (2.0 * eps as f64)) as f32;
                let analytic = if table == 0 {
                    grad.users[k]
                } else {
                    grad.items[k]
                };
                let err = (numeric - analytic).abs() / (1e-3 + analytic.abs().max(numeric.abs()));
                worst = worst.max(err);
                assert!(
                    err < tol,
                    "table {table} entry {k}: numeric {numeric} vs analytic {analytic}"
                );
            }
        }
        assert!(worst.is_finite());
    }
}
