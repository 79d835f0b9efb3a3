//! LightGCN — He et al., "LightGCN: Simplifying and Powering Graph Convolution Network for
//! Recommendation", SIGIR 2020; reference: RecBole `general_recommender/lightgcn.py`.
//!
//! F = (1/(L+1)) Σ_{l=0..L} Â^l E (see [`crate::propagate`]). Loss (DESIGN.md §2):
//!   L = −(1/B) Σ_b log(1e-10 + σ(x_b)) + (λ/B)(‖E_u[u]‖_F + ‖E_i[i⁺]‖_F + ‖E_i[i⁻]‖_F),
//! x_b = ⟨F_u, F_i⁺⟩ − ⟨F_u, F_i⁻⟩, the norms over the gathered B×d blocks of the *initial*
//! tables, not squared (RecBole `EmbLoss(require_pow=False)`), BPR averaged (`Reduction::Mean`).
//! Gradient: G = ∂L/∂F from BPR as in MF (row-sparse: batch rows only); Â being symmetric,
//!   ∂L/∂E = (1/(L+1)) Σ_l Â^l G  +  (λ/B) E[r]/‖E[block]‖_F for each gathered row r.
//!
//! A step computes F on the batch rows only and pushes G outward from them (see
//! [`crate::frontier`]); [`Recommender::forward`] runs the full propagation for evaluation.

use std::sync::Arc;

use super::{add_bpr_gradient, clear_batch_rows, score_differences, Recommender};
use crate::frontier::{final_layer, forward_levels, scatter_rows, Frontier, RowSet, SparseLevels};
use crate::graph::NormalizedGraph;
use crate::loss::{bpr, gathered_norm, Reduction};
use crate::propagate::{propagate_mean, PropagationBuffers};
use crate::sampler::Batch;
use crate::{Embeddings, Parallelism};

pub struct LightGcn {
    graph: Arc<NormalizedGraph>,
    layers: usize,
    reg_weight: f32,
    f: Embeddings,
    g: Embeddings,
    bufs: PropagationBuffers,
    /// Per level l = 0..L−1, 0/1 marks of the user and item rows where K_l is non-zero.
    marks: Vec<(Vec<u8>, Vec<u8>)>,
    frontier: Frontier,
    x: Vec<f32>,
    dx: Vec<f32>,
}

impl LightGcn {
    pub fn new(graph: Arc<NormalizedGraph>, layers: usize, reg_weight: f32) -> Self {
        LightGcn {
            graph,
            layers,
            reg_weight,
            f: Embeddings::default(),
            g: Embeddings::default(),
            bufs: PropagationBuffers::default(),
            marks: Vec::new(),
            frontier: Frontier::default(),
            x: Vec::new(),
            dx: Vec::new(),
        }
    }
}

/// Sets the (user, item) marks of `rows` to `value`.
fn set_marks(marks: &mut (Vec<u8>, Vec<u8>), rows: &RowSet, value: u8) {
    rows.users.iter().for_each(|&u| marks.0[u as usize] = value);
    rows.items.iter().for_each(|&i| marks.1[i as usize] = value);
}

impl Recommender for LightGcn {
    fn name(&self) -> &'static str {
        "lightgcn"
    }

    fn forward(&mut self, params: &Embeddings, out: &mut Embeddings, par: Parallelism) {
        propagate_mean(out, &self.graph, params, self.layers, &mut self.bufs, par);
    }

    fn loss_and_grad(
        &mut self,
        params: &Embeddings,
        batch: &Batch,
        grad: &mut Embeddings,
        par: Parallelism,
    ) -> f64 {
        let (nu, ni, d, layers) = (params.n_users, params.n_items, params.dim, self.layers);
        let fresh = |e: &Embeddings| {
            e.users.len() != params.users.len() || e.items.len() != params.items.len()
        };
        for buf in [&mut self.f, &mut self.g, &mut *grad] {
            if fresh(buf) {
                *buf = Embeddings::zeros(nu, ni, d);
            }
        }
        // One set of layer tables serves the full propagation (evaluation), the restricted
        // forward (Â^l E on the rows a step needs) and the backward (K_l = Â^l G, l < L).
        let levels = self.bufs.tables(layers, params);
        let g = &*self.graph;
        let batch_rows = self
            .frontier
            .unique(nu, ni, &batch.users, &[&batch.pos, &batch.neg]);

        // Forward on the rows that reach the batch: need[L] = S, need[l] = S ∪ N(need[l+1]).
        forward_levels(
            &mut self.frontier,
            g,
            params,
            levels,
            &batch_rows,
            par,
            &mut |_, _, _| {},
        );
        // F_S with the same operation order as `propagate_mean`: ((E + H1) + H2)·1/(L+1).
        let scale = 1.0 / (layers as f32 + 1.0);
        let f = &mut self.f;
        let layer_mean =
            |rows: &[u32], e: &[f32], f: &mut [f32], pick: &dyn Fn(&Embeddings) -> &[f32]| {
                for &r in rows {
                    let span = r as usize * d..(r as usize + 1) * d;
                    f[span.clone()].copy_from_slice(&e[span.clone()]);
                    for (l, level) in levels.iter().enumerate() {
                        let s = if l + 1 == layers { scale } else { 1.0 };
                        for (fv, &hv) in f[span.clone()].iter_mut().zip(&pick(level)[span.clone()])
                        {
                            *fv = (*fv + hv) * s;
                        }
                    }
                }
            };
        layer_mean(&batch_rows.users, &params.users, &mut f.users, &|e| {
            &e.users
        });
        layer_mean(&batch_rows.items, &params.items, &mut f.items, &|e| {
            &e.items
        });

        score_differences(&self.f, batch, &mut self.x);
        self.dx.resize(batch.len(), 0.0);
        let bpr_loss = bpr(&self.x, Reduction::Mean, &mut self.dx);
        add_bpr_gradient(&self.f, batch, &self.dx, &mut self.g);

        // Backward: K_0 = G on S, K_l = Â K_{l−1} on nz_l = N(nz_{l−1}) for l < L, scattered from
        // the few non-zero rows; the last layer is gathered for every row, fused with the mean.
        if layers == 0 {
            grad.clone_from(&self.g);
        } else {
            if self.marks.len() != layers
                || self
                    .marks
                    .iter()
                    .any(|(mu, mi)| mu.len() != nu || mi.len() != ni)
            {
                self.marks = (0..layers)
                    .map(|_| (vec![0u8; nu], vec![0u8; ni]))
                    .collect();
            }
            let mut nz = vec![batch_rows];
            for l in 1..layers {
                let next = self.frontier.expand(g, &RowSet::default(), &nz[l - 1]);
                let (done, rest) = levels.split_at_mut(l - 1);
                let src = if l == 1 { &self.g } else { &done[l - 2] };
                // The table still holds the forward's values: clear the rows K_l will occupy.
                rest[0].zero_rows(&next.users, &next.items);
                scatter_rows(
                    &mut rest[0].items,
                    &nz[l - 1].users,
                    &g.r,
                    &src.users,
                    d,
                    par,
                );
                scatter_rows(
                    &mut rest[0].users,
                    &nz[l - 1].items,
                    &g.rt,
                    &src.items,
                    d,
                    par,
                );
                nz.push(next);
            }
            for (l, rows) in nz.iter().enumerate() {
                set_marks(&mut self.marks[l], rows, 1);
            }
            let levels: Vec<&Embeddings> = std::iter::once(&self.g)
                .chain(levels[..layers - 1].iter())
                .collect();
            let side = |users: bool| SparseLevels {
                values: levels
                    .iter()
                    .map(|e| if users { &e.users[..] } else { &e.items[..] })
                    .collect(),
                marks: self
                    .marks
                    .iter()
                    .map(|(mu, mi)| if users { &mu[..] } else { &mi[..] })
                    .collect(),
            };
            let (last, (last_mu, last_mi)) = (levels[layers - 1], &self.marks[layers - 1]);
            final_layer(
                &mut grad.users,
                &side(true),
                &g.r,
                &last.items,
                last_mi,
                scale,
                d,
                par,
            );
            final_layer(
                &mut grad.items,
                &side(false),
                &g.rt,
                &last.users,
                last_mu,
                scale,
                d,
                par,
            );
            // Restore the invariant: the marks are zero between steps.
            for (l, rows) in nz.iter().enumerate() {
                set_marks(&mut self.marks[l], rows, 0);
            }
        }
        clear_batch_rows(&mut self.g, batch);

        let w = self.reg_weight / batch.len().max(1) as f32;
        let reg = gathered_norm(&params.users, &batch.users, d, w, &mut grad.users)
            + gathered_norm(&params.items, &batch.pos, d, w, &mut grad.items)
            + gathered_norm(&params.items, &batch.neg, d, w, &mut grad.items);
        bpr_loss + w as f64 * reg
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::graph::normalized_adjacency;
    use crate::models::gradcheck;
    use crate::UserItems;
    use rand::{Rng, SeedableRng};

    fn tiny() -> (Arc<NormalizedGraph>, Embeddings) {
        let train =
            UserItems::from_pairs(4, 5, &[0, 0, 1, 1, 2, 3, 3], &[0, 1, 1, 2, 3, 4, 0]).unwrap();
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(9);
        let mut p = Embeddings::zeros(4, 5, 3);
        p.users
            .iter_mut()
            .chain(p.items.iter_mut())
            .for_each(|v| *v = rng.gen_range(-1.0..1.0));
        (Arc::new(normalized_adjacency(&train)), p)
    }

    #[test]
    fn gradient_matches_finite_differences() {
        let (g, p) = tiny();
        let batch = Batch {
            users: vec![0, 1, 0],
            pos: vec![1, 2, 0],
            neg: vec![3, 1, 4],
        };
        // A large λ so the regularizer's share of the gradient is checked too.
        gradcheck::check(
            &mut LightGcn::new(g.clone(), 2, 0.3),
            &p,
            &batch,
            1e-2,
            2e-2,
        );
        gradcheck::check(&mut LightGcn::new(g, 3, 0.0), &p, &batch, 1e-2, 2e-2);
    }

    /// With L = 0 LightGCN is MF plus the regularizer: one triple, d = 1, E_u = 1, E_i⁺ = 2,
    /// E_i⁻ = 0: BPR = 0.126928, reg = λ(1 + 2 + 0)/1 with λ = 0.5 → 1.5; total 1.626928.
    #[test]
    fn zero_layers_is_mf_plus_norms() {
        let train = UserItems::from_pairs(1, 2, &[0], &[0]).unwrap();
        let g = Arc::new(normalized_adjacency(&train));
        let (p, batch) = gradcheck::one_triple();
        let mut grad = Embeddings::default();
        let l =
            LightGcn::new(g, 0, 0.5).loss_and_grad(&p, &batch, &mut grad, Parallelism::Sequential);
        assert!((l - 1.626928).abs() < 1e-5, "{l}");
    }

    /// The restricted step must agree with the plain formula: F from the full propagation,
    /// ∂L/∂E = propagate_mean(G) + the regularizer's term.
    #[test]
    fn restricted_step_matches_full_propagation() {
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(4);
        let (nu, ni) = (50usize, 30usize);
        let (g, p) = crate::models::gradcheck::random_graph(&mut rng, nu, ni, 200, 8);
        let batch = Batch {
            users: vec![3, 7, 3, 40],
            pos: vec![1, 2, 9, 29],
            neg: vec![0, 9, 5, 11],
        };
        for layers in [1usize, 2, 3] {
            let mut full_f = Embeddings::default();
            let mut bufs = PropagationBuffers::default();
            propagate_mean(
                &mut full_f,
                &g,
                &p,
                layers,
                &mut bufs,
                Parallelism::Sequential,
            );
            let mut x = Vec::new();
            score_differences(&full_f, &batch, &mut x);
            let mut dx = vec![0.0; 4];
            let want_loss = bpr(&x, Reduction::Mean, &mut dx);
            let mut gf = Embeddings::zeros(nu, ni, 8);
            add_bpr_gradient(&full_f, &batch, &dx, &mut gf);
            let mut want = Embeddings::default();
            propagate_mean(
                &mut want,
                &g,
                &gf,
                layers,
                &mut bufs,
                Parallelism::Sequential,
            );

            let mut m = LightGcn::new(g.clone(), layers, 0.0);
            let mut grad = Embeddings::default();
            let loss = m.loss_and_grad(&p, &batch, &mut grad, Parallelism::Rayon);
            assert_eq!(
                loss, want_loss,
                "F on the batch rows is bit-identical to the full pass (L = {layers})"
            );
            for (a, b) in grad
                .users
                .iter()
                .chain(&grad.items)
                .zip(want.users.iter().chain(&want.items))
            {
                assert!((a - b).abs() < 1e-6, "L = {layers}: {a} vs {b}");
            }
        }
    }

    #[test]
    fn repeated_calls_do_not_leak_gradient_between_batches() {
        let (g, p) = tiny();
        let mut m = LightGcn::new(g, 2, 1e-5);
        let b1 = Batch {
            users: vec![0],
            pos: vec![1],
            neg: vec![3],
        };
        let b2 = Batch {
            users: vec![2],
            pos: vec![3],
            neg: vec![0],
        };
        let mut fresh = Embeddings::default();
        LightGcn::new(m.graph.clone(), 2, 1e-5).loss_and_grad(
            &p,
            &b2,
            &mut fresh,
            Parallelism::Sequential,
        );
        let mut grad = Embeddings::default();
        m.loss_and_grad(&p, &b1, &mut grad, Parallelism::Sequential);
        m.loss_and_grad(&p, &b2, &mut grad, Parallelism::Sequential);
        assert_eq!(grad, fresh);
    }
}
