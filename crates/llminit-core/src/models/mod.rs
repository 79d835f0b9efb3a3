//! Recommendation models behind one contract, [`Recommender`] (STYLE.md §1): the training loss
//! with its gradient for a batch, and the final representations that score (user, item) pairs
//! and rank all items. One model per file.

pub mod layered;
pub mod lightgcn;
pub mod mf;
pub mod sgcl;
pub mod sgl;
pub mod simgcl;
pub mod xsimgcl;

use crate::sampler::Batch;
use crate::{Embeddings, Parallelism};

pub use lightgcn::LightGcn;
pub use mf::MfBpr;
pub use sgcl::Sgcl;
pub use sgl::{Sgl, SglParams};
pub use simgcl::SimGcl;
pub use xsimgcl::{NoisyParams, XSimGcl};

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

    /// Called by the training loop before the batches of `epoch` (1-based); SGL rebuilds its
    /// augmented views here. Nothing by default.
    fn start_epoch(&mut self, _epoch: usize, _par: Parallelism) {}
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

    /// Parameters drawn uniformly from [−1, 1), seeded.
    pub fn random_params(n_users: usize, n_items: usize, dim: usize, seed: u64) -> Embeddings {
        use rand::{Rng, SeedableRng};
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(seed);
        let mut p = Embeddings::zeros(n_users, n_items, dim);
        p.users
            .iter_mut()
            .chain(p.items.iter_mut())
            .for_each(|v| *v = rng.gen_range(-1.0..1.0));
        p
    }

    /// A random graph of `n_users` × `n_items` from `edges` uniform (user, item) draws (repeats
    /// kept), then d-dimensional parameters uniform in [−0.5, 0.5), all drawn from `rng` in that order.
    pub fn random_graph(
        rng: &mut rand_chacha::ChaCha8Rng,
        n_users: usize,
        n_items: usize,
        edges: usize,
        dim: usize,
    ) -> (std::sync::Arc<crate::graph::NormalizedGraph>, Embeddings) {
        use rand::Rng;
        let us: Vec<u32> = (0..edges)
            .map(|_| rng.gen_range(0..n_users as u32))
            .collect();
        let is: Vec<u32> = (0..edges)
            .map(|_| rng.gen_range(0..n_items as u32))
            .collect();
        let train = crate::UserItems::from_pairs(n_users, n_items, &us, &is).unwrap();
        let mut p = Embeddings::zeros(n_users, n_items, dim);
        p.users
            .iter_mut()
            .chain(p.items.iter_mut())
            .for_each(|v| *v = rng.gen_range(-0.5..0.5));
        (
            std::sync::Arc::new(crate::graph::normalized_adjacency(&train)),
            p,
        )
    }

    /// Four users, five items, seven edges; d = 3 random parameters.
    pub fn tiny_graph() -> (std::sync::Arc<crate::graph::NormalizedGraph>, Embeddings) {
        let train =
            crate::UserItems::from_pairs(4, 5, &[0, 0, 1, 1, 2, 3, 3], &[0, 1, 1, 2, 3, 4, 0])
                .unwrap();
        (
            std::sync::Arc::new(crate::graph::normalized_adjacency(&train)),
            random_params(4, 5, 3, 9),
        )
    }

    /// A batch with a repeated user and a positive that is also a negative elsewhere.
    pub fn small_batch() -> Batch {
        Batch {
            users: vec![0, 1, 0, 3],
            pos: vec![1, 2, 0, 4],
            neg: vec![3, 1, 4, 2],
        }
    }

    /// SimGCL/XSimGCL's loss written out in f64 from final tables: BPR (mean, −log(1e-10 + σ)),
    /// λ_reg/B times the Frobenius norms of F_u[u] and F_i[i⁺] (SELFRec's `l2_reg_loss`), and λ
    /// times the mean InfoNCE (cosine/τ) of `view1` against `view2` over the unique users and
    /// over the unique positive items.
    pub fn reference_loss(
        rec: &Embeddings,
        view1: &Embeddings,
        view2: &Embeddings,
        batch: &Batch,
        p: super::NoisyParams,
    ) -> f64 {
        let f64s = |x: &[f32]| x.iter().map(|&v| v as f64).collect::<Vec<f64>>();
        let dot = |a: &[f64], b: &[f64]| a.iter().zip(b).map(|(x, y)| x * y).sum::<f64>();
        let b = batch.len() as f64;
        let mut loss = 0.0;
        for k in 0..batch.len() {
            let u = f64s(rec.user(batch.users[k] as usize));
            let x = dot(&u, &f64s(rec.item(batch.pos[k] as usize)))
                - dot(&u, &f64s(rec.item(batch.neg[k] as usize)));
            loss -= (1e-10 + 1.0 / (1.0 + (-x).exp())).ln() / b;
        }
        let norm = |rows: &[u32], table: &dyn Fn(usize) -> Vec<f64>| {
            rows.iter()
                .map(|&r| table(r as usize).iter().map(|v| v * v).sum::<f64>())
                .sum::<f64>()
                .sqrt()
        };
        let fu = |r: usize| f64s(rec.user(r));
        let fi = |r: usize| f64s(rec.item(r));
        let norms = norm(&batch.users, &fu) + norm(&batch.pos, &fi);
        loss += p.reg_weight as f64 / b * norms;
        let unit = |x: Vec<f64>| {
            let n = dot(&x, &x).sqrt().max(1e-12);
            x.into_iter().map(|v| v / n).collect::<Vec<f64>>()
        };
        let nce = |ids: &[u32], v1: &dyn Fn(usize) -> Vec<f64>, v2: &dyn Fn(usize) -> Vec<f64>| {
            let mut ids = ids.to_vec();
            ids.sort();
            ids.dedup();
            let a: Vec<Vec<f64>> = ids.iter().map(|&r| unit(v1(r as usize))).collect();
            let c: Vec<Vec<f64>> = ids.iter().map(|&r| unit(v2(r as usize))).collect();
            let n = ids.len();
            (0..n)
                .map(|i| {
                    let z: f64 = (0..n)
                        .map(|j| (dot(&a[i], &c[j]) / p.tau as f64).exp())
                        .sum();
                    z.ln() - dot(&a[i], &c[i]) / p.tau as f64
                })
                .sum::<f64>()
                / n as f64
        };
        let cl = nce(&batch.users, &|r| f64s(view1.user(r)), &|r| {
            f64s(view2.user(r))
        }) + nce(&batch.pos, &|r| f64s(view1.item(r)), &|r| {
            f64s(view2.item(r))
        });
        loss + p.ssl_weight as f64 * cl
    }

    /// [`check`] for models whose loss changes from call to call (noise, views): every
    /// evaluation uses a fresh model from `make`, so all of them see the first step's noise.
    pub fn check_fresh(
        make: &mut (dyn FnMut() -> Box<dyn Recommender> + Send),
        params: &Embeddings,
        batch: &Batch,
        eps: f32,
        tol: f32,
    ) {
        struct Fresh<'a>(&'a mut (dyn FnMut() -> Box<dyn Recommender> + Send));
        impl Recommender for Fresh<'_> {
            fn name(&self) -> &'static str {
                "fresh"
            }
            fn forward(&mut self, p: &Embeddings, out: &mut Embeddings, par: Parallelism) {
                (self.0)().forward(p, out, par)
            }
            fn loss_and_grad(
                &mut self,
                p: &Embeddings,
                b: &Batch,
                g: &mut Embeddings,
                par: Parallelism,
            ) -> f64 {
                let mut m = (self.0)();
                m.start_epoch(1, par);
                m.loss_and_grad(p, b, g, par)
            }
        }
        check(&mut Fresh(make), params, batch, eps, tol);
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
