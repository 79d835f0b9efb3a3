//! MF-BPR — Rendle et al., "BPR: Bayesian Personalized Ranking from Implicit Feedback", UAI 2009;
//! reference: RecBole `general_recommender/bpr.py`.
//!
//! F = E (no propagation). Loss, averaged over the batch (RecBole's `BPRLoss`, no regularizer):
//!   L = −(1/B) Σ_b log(1e-10 + σ(x_b)),  x_b = ⟨E_u, E_i⁺⟩ − ⟨E_u, E_i⁻⟩.
//! Gradient, with δ_b = ∂L/∂x_b = −σ(x_b)(1−σ(x_b)) / ((1e-10 + σ(x_b)) B):
//!   ∂L/∂E_u += δ_b (E_i⁺ − E_i⁻),  ∂L/∂E_i⁺ += δ_b E_u,  ∂L/∂E_i⁻ −= δ_b E_u.

use super::{add_bpr_gradient, score_differences, Recommender};
use crate::loss::{bpr, Reduction};
use crate::sampler::Batch;
use crate::{Embeddings, Parallelism};

#[derive(Default)]
pub struct MfBpr {
    x: Vec<f32>,
    dx: Vec<f32>,
}

impl MfBpr {
    pub fn new() -> Self {
        Self::default()
    }
}

impl Recommender for MfBpr {
    fn name(&self) -> &'static str {
        "mf"
    }

    fn forward(&mut self, params: &Embeddings, out: &mut Embeddings, _par: Parallelism) {
        out.clone_from(params);
    }

    fn loss_and_grad(
        &mut self,
        params: &Embeddings,
        batch: &Batch,
        grad: &mut Embeddings,
        _par: Parallelism,
    ) -> f64 {
        if grad.users.len() != params.users.len() || grad.items.len() != params.items.len() {
            *grad = Embeddings::zeros(params.n_users, params.n_items, params.dim);
        } else {
            grad.users.fill(0.0);
            grad.items.fill(0.0);
        }
        score_differences(params, batch, &mut self.x);
        self.dx.resize(batch.len(), 0.0);
        let loss = bpr(&self.x, Reduction::Mean, &mut self.dx);
        add_bpr_gradient(params, batch, &self.dx, grad);
        loss
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::models::gradcheck;
    use rand::{Rng, SeedableRng};

    #[test]
    fn gradient_matches_finite_differences() {
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(3);
        let mut p = Embeddings::zeros(4, 5, 3);
        p.users
            .iter_mut()
            .chain(p.items.iter_mut())
            .for_each(|v| *v = rng.gen_range(-1.0..1.0));
        // User 1 twice and item 2 both as a positive and a negative, so accumulation is exercised.
        let batch = Batch {
            users: vec![1, 1, 3],
            pos: vec![2, 0, 4],
            neg: vec![3, 2, 1],
        };
        gradcheck::check(&mut MfBpr::new(), &p, &batch, 1e-2, 2e-2);
    }

    /// One triple, d = 1: E_u = 1, E_i⁺ = 2, E_i⁻ = 0 → x = 2, L = −log σ(2) = 0.126928.
    #[test]
    fn loss_on_a_hand_computed_triple() {
        let (p, batch) = gradcheck::one_triple();
        let mut g = Embeddings::default();
        let l = MfBpr::new().loss_and_grad(&p, &batch, &mut g, Parallelism::Sequential);
        assert!((l - 0.126928).abs() < 1e-5);
        // δ = −(1 − σ(2)) = −0.119203; ∂/∂E_u = δ·(2 − 0)
        assert!((g.users[0] + 0.238406).abs() < 1e-5);
    }
}
