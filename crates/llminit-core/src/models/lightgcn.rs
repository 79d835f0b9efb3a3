//! LightGCN — He et al., "LightGCN: Simplifying and Powering Graph Convolution Network for
//! Recommendation", SIGIR 2020; reference: RecBole `general_recommender/lightgcn.py`.
//!
//! F = (1/(L+1)) Σ_{l=0..L} Â^l E (see [`crate::propagate`]). Loss (DESIGN.md §2):
//!   L = −(1/B) Σ_b log(1e-10 + σ(x_b)) + (λ/B)(‖E_u[u]‖_F + ‖E_i[i⁺]‖_F + ‖E_i[i⁻]‖_F),
//! x_b = ⟨F_u, F_i⁺⟩ − ⟨F_u, F_i⁻⟩, the norms over the gathered B×d blocks of the *initial*
//! tables, not squared (RecBole `EmbLoss(require_pow=False)`), BPR averaged (`Reduction::Mean`).
//! Gradient: G = ∂L/∂F from BPR as in MF (row-sparse: batch rows only); Â being symmetric,
//!   ∂L/∂E = (1/(L+1)) Σ_l Â^l G  +  (λ/B) E[r]/‖E[block]‖_F for each gathered row r.

use std::sync::Arc;

use super::{add_bpr_gradient, clear_batch_rows, score_differences, Recommender};
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
            x: Vec::new(),
            dx: Vec::new(),
        }
    }
}

impl Recommender for LightGcn {
    fn name(&self) -> &'static str {
        "lightgcn"
    }

    fn forward(&mut self, params: &Embeddings, out: &mut Embeddings, par: Parallelism) {
        propagate_mean(out, &self.graph, params, self.layers, &mut self.bufs, par);
    }

    fn loss_and_grad(&mut self, params: &Embeddings, batch: &Batch, grad: &mut Embeddings, par: Parallelism) -> f64 {
        propagate_mean(&mut self.f, &self.graph, params, self.layers, &mut self.bufs, par);
        score_differences(&self.f, batch, &mut self.x);
        self.dx.resize(batch.len(), 0.0);
        let bpr_loss = bpr(&self.x, Reduction::Mean, &mut self.dx);

        if self.g.users.len() != params.users.len() || self.g.items.len() != params.items.len() {
            self.g = Embeddings::zeros(params.n_users, params.n_items, params.dim);
        }
        add_bpr_gradient(&self.f, batch, &self.dx, &mut self.g);
        propagate_mean(grad, &self.graph, &self.g, self.layers, &mut self.bufs, par);
        clear_batch_rows(&mut self.g, batch);

        let w = self.reg_weight / batch.len().max(1) as f32;
        let d = params.dim;
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
        let train = UserItems::from_pairs(4, 5, &[0, 0, 1, 1, 2, 3, 3], &[0, 1, 1, 2, 3, 4, 0]).unwrap();
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(9);
        let mut p = Embeddings::zeros(4, 5, 3);
        p.users.iter_mut().chain(p.items.iter_mut()).for_each(|v| *v = rng.gen_range(-1.0..1.0));
        (Arc::new(normalized_adjacency(&train)), p)
    }

    #[test]
    fn gradient_matches_finite_differences() {
        let (g, p) = tiny();
        let batch = Batch { users: vec![0, 1, 0], pos: vec![1, 2, 0], neg: vec![3, 1, 4] };
        // A large λ so the regularizer's share of the gradient is checked too.
        gradcheck::check(&mut LightGcn::new(g.clone(), 2, 0.3), &p, &batch, 1e-2, 2e-2);
        gradcheck::check(&mut LightGcn::new(g, 3, 0.0), &p, &batch, 1e-2, 2e-2);
    }

    /// With L = 0 LightGCN is MF plus the regularizer: one triple, d = 1, E_u = 1, E_i⁺ = 2,
    /// E_i⁻ = 0: BPR = 0.126928, reg = λ(1 + 2 + 0)/1 with λ = 0.5 → 1.5; total 1.626928.
    #[test]
    fn zero_layers_is_mf_plus_norms() {
        let train = UserItems::from_pairs(1, 2, &[0], &[0]).unwrap();
        let g = Arc::new(normalized_adjacency(&train));
        let p = Embeddings { n_users: 1, n_items: 2, dim: 1, users: vec![1.0], items: vec![2.0, 0.0] };
        let batch = Batch { users: vec![0], pos: vec![0], neg: vec![1] };
        let mut grad = Embeddings::default();
        let l = LightGcn::new(g, 0, 0.5).loss_and_grad(&p, &batch, &mut grad, Parallelism::Sequential);
        assert!((l - 1.626928).abs() < 1e-5, "{l}");
    }

    #[test]
    fn repeated_calls_do_not_leak_gradient_between_batches() {
        let (g, p) = tiny();
        let mut m = LightGcn::new(g, 2, 1e-5);
        let b1 = Batch { users: vec![0], pos: vec![1], neg: vec![3] };
        let b2 = Batch { users: vec![2], pos: vec![3], neg: vec![0] };
        let mut fresh = Embeddings::default();
        LightGcn::new(m.graph.clone(), 2, 1e-5).loss_and_grad(&p, &b2, &mut fresh, Parallelism::Sequential);
        let mut grad = Embeddings::default();
        m.loss_and_grad(&p, &b1, &mut grad, Parallelism::Sequential);
        m.loss_and_grad(&p, &b2, &mut grad, Parallelism::Sequential);
        assert_eq!(grad, fresh);
    }
}
