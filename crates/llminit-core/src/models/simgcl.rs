//! SimGCL — Yu et al., "Are Graph Augmentations Necessary? Simple Graph Contrastive Learning
//! for Recommendation", SIGIR 2022; reference: SELFRec `model/graph/SimGCL.py` (the authors' code).
//!
//! Three passes per step (DESIGN.md §2): a clean one, F = (1/L) Σ_{l=1..L} Â^l E, for BPR, and two
//! perturbed ones F', F'' (noise sign(·) ⊙ n · ε after every layer, [`crate::noise`], drawn
//! independently) for the contrast. Loss:
//!   L = BPR_mean(F) + (λ_reg/B)(‖F_u[u]‖_F + ‖F_i[i⁺]‖_F)   (no negatives, as `SimGCL.py` l. 31)
//!     + λ (InfoNCE(F'_u, F''_u) over the batch's unique users + the same over its unique
//!          positive items),
//! InfoNCE at temperature τ on L2-normalized rows, averaged ([`crate::contrast::contrast_rows`]).
//! Gradient: the noise has zero derivative, so the three passes share one Jacobian and
//! ∂L/∂E = Σ_{l=1..L} Â^l (G + G' + G'')/L — one backward for all three.
//! Defaults (SELFRec `conf/SimGCL.yaml`): λ = 0.5, ε = 0.1, τ = 0.2, λ_reg = 1e-4.

use std::sync::Arc;

use super::layered::{batch_norms, fit, BprTerm, Layered, Perturb};
use super::xsimgcl::NoisyParams;
use super::Recommender;
use crate::contrast::{contrast_rows, RowsScratch};
use crate::graph::NormalizedGraph;
use crate::loss::Reduction;
use crate::propagate::LayerMean;
use crate::sampler::Batch;
use crate::{Embeddings, Parallelism};

pub struct SimGcl {
    prop: Layered,
    p: NoisyParams,
    step: u64,
    /// F (clean), F', F''.
    f: [Embeddings; 3],
    g: Embeddings,
    bpr: BprTerm,
    scratch: RowsScratch,
}

impl SimGcl {
    pub fn new(graph: Arc<NormalizedGraph>, p: NoisyParams) -> Self {
        SimGcl {
            prop: Layered::new(graph, p.layers, LayerMean::WithoutInput),
            p,
            step: 0,
            f: Default::default(),
            g: Embeddings::default(),
            bpr: BprTerm::default(),
            scratch: RowsScratch::default(),
        }
    }
}

impl Recommender for SimGcl {
    fn name(&self) -> &'static str {
        "simgcl"
    }

    fn forward(&mut self, params: &Embeddings, out: &mut Embeddings, par: Parallelism) {
        self.prop.full(params, out, par);
    }

    fn loss_and_grad(
        &mut self,
        params: &Embeddings,
        batch: &Batch,
        grad: &mut Embeddings,
        par: Parallelism,
    ) -> f64 {
        let p = self.p;
        fit(&mut self.g, params);
        let rows = self.prop.rows(&batch.users, &[&batch.pos, &batch.neg]);
        let cl_rows = self.prop.rows(&batch.users, &[&batch.pos]);
        for (pass, f) in self.f.iter_mut().enumerate() {
            let noise = (pass > 0).then_some(Perturb {
                eps: p.eps,
                seed: p.seed,
                step: self.step,
                pass: pass as u64,
            });
            // The perturbed views only need the contrasted rows.
            let need = if pass == 0 { &rows } else { &cl_rows };
            self.prop.forward_rows(params, need, f, noise, None, par);
        }
        self.step += 1;

        let [f, f1, f2] = &self.f;
        let mut loss = self.bpr.add(f, batch, Reduction::Mean, &mut self.g)
            + batch_norms(f, batch, false, p.reg_weight, &mut self.g);
        let cl = contrast_rows(
            f1,
            f2,
            &cl_rows,
            p.tau,
            p.ssl_weight,
            &mut self.g,
            None,
            &mut self.scratch,
            par,
        );
        loss += p.ssl_weight as f64 * cl;

        self.prop.backward(grad, &self.g, &rows, &[], par);
        self.g.zero_rows(&rows.users, &rows.items);
        loss
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::models::gradcheck;
    use crate::models::xsimgcl::tests::params;

    #[test]
    fn gradient_matches_finite_differences() {
        let (g, p) = gradcheck::tiny_graph();
        let batch = gradcheck::small_batch();
        for layers in [1usize, 2, 3] {
            gradcheck::check_fresh(
                &mut || Box::new(SimGcl::new(g.clone(), params(layers, 1))),
                &p,
                &batch,
                1e-2,
                2e-2,
            );
        }
    }

    /// With ε = 0 all three passes are the noiseless F: BPR, norms (users and positives) and
    /// InfoNCE of F against itself, computed in f64 from the full propagation.
    #[test]
    fn loss_without_noise_matches_the_formula() {
        let (g, p) = gradcheck::tiny_graph();
        let batch = gradcheck::small_batch();
        let mut np = params(2, 1);
        np.eps = 0.0;
        let mut m = SimGcl::new(g, np);
        let mut f = Embeddings::default();
        m.forward(&p, &mut f, Parallelism::Sequential);
        let want = gradcheck::reference_loss(&f, &f, &f, &batch, np);
        let mut grad = Embeddings::default();
        let got = m.loss_and_grad(&p, &batch, &mut grad, Parallelism::Sequential);
        assert!((got - want).abs() < 1e-5, "{got} vs {want}");
    }
}
