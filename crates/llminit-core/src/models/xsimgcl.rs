//! XSimGCL — Yu et al., "XSimGCL: Towards Extremely Simple Graph Contrastive Learning for
//! Recommendation", TKDE 2023; reference: SELFRec `model/graph/XSimGCL.py` (the authors' code).
//!
//! One perturbed pass per step (DESIGN.md §2): H_0 = E, H_l = Â H_{l−1} + sign(·) ⊙ noise_l · ε
//! ([`crate::noise`]), F = (1/L) Σ_{l=1..L} H_l; the contrastive view is H_{l*}. Loss:
//!   L = BPR_mean(F) + (λ_reg/B)(‖F_u[u]‖_F + ‖F_i[i⁺]‖_F)
//!     + λ (InfoNCE(F_u, H_{l*,u}) over the batch's unique users + the same over its unique
//!          positive items),
//! InfoNCE at temperature τ on L2-normalized rows, averaged ([`crate::contrast::contrast_rows`]).
//! The norms are SELFRec's `l2_reg_loss` on the propagated batch rows (Frobenius, not squared).
//! Gradient: noise has zero derivative, so with G = ∂L/∂F and G* = ∂L/∂H_{l*} (both on batch
//! rows), ∂L/∂E = Σ_{l=1..L} Â^l G/L + Â^{l*} G*. Evaluation uses the noiseless F.
//! Defaults (SELFRec `conf/XSimGCL.yaml`): λ = 0.2, ε = 0.2, τ = 0.15, l* = 1.

use std::sync::Arc;

use super::layered::{batch_norms, fit, BprTerm, Layered, Perturb};
use super::Recommender;
use crate::contrast::{contrast_rows, RowsScratch};
use crate::frontier::LevelGrad;
use crate::graph::NormalizedGraph;
use crate::loss::Reduction;
use crate::propagate::LayerMean;
use crate::sampler::Batch;
use crate::{Embeddings, Parallelism};

/// Hyper-parameters of XSimGCL and SimGCL.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct NoisyParams {
    pub layers: usize,
    pub reg_weight: f32,
    /// λ, the contrastive term's weight.
    pub ssl_weight: f32,
    pub tau: f32,
    pub eps: f32,
    /// XSimGCL's contrastive layer l* (1-based); unused by SimGCL.
    pub cl_layer: usize,
    /// The run's seed, for the noise.
    pub seed: u64,
}

pub struct XSimGcl {
    prop: Layered,
    p: NoisyParams,
    step: u64,
    f: Embeddings,
    f_cl: Embeddings,
    g: Embeddings,
    g_cl: Embeddings,
    bpr: BprTerm,
    scratch: RowsScratch,
}

impl XSimGcl {
    pub fn new(graph: Arc<NormalizedGraph>, p: NoisyParams) -> Self {
        XSimGcl {
            prop: Layered::new(graph, p.layers, LayerMean::WithoutInput),
            p,
            step: 0,
            f: Embeddings::default(),
            f_cl: Embeddings::default(),
            g: Embeddings::default(),
            g_cl: Embeddings::default(),
            bpr: BprTerm::default(),
            scratch: RowsScratch::default(),
        }
    }
}

impl Recommender for XSimGcl {
    fn name(&self) -> &'static str {
        "xsimgcl"
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
        fit(&mut self.g_cl, params);
        let rows = self.prop.rows(&batch.users, &[&batch.pos, &batch.neg]);
        let cl_rows = self.prop.rows(&batch.users, &[&batch.pos]);
        let noise = Perturb {
            eps: p.eps,
            seed: p.seed,
            step: self.step,
            pass: 0,
        };
        self.step += 1;
        self.prop.forward_rows(
            params,
            &rows,
            &mut self.f,
            Some(noise),
            Some((p.cl_layer, &mut self.f_cl)),
            par,
        );

        let mut loss = self.bpr.add(&self.f, batch, Reduction::Mean, &mut self.g)
            + batch_norms(&self.f, batch, false, p.reg_weight, &mut self.g);
        let cl = contrast_rows(
            &self.f,
            &self.f_cl,
            &cl_rows,
            p.tau,
            p.ssl_weight,
            &mut self.g,
            Some(&mut self.g_cl),
            &mut self.scratch,
            par,
        );
        loss += p.ssl_weight as f64 * cl;

        let at_cl_layer = LevelGrad {
            level: p.cl_layer,
            weight: 1.0,
            g: &self.g_cl,
            rows: &cl_rows,
        };
        self.prop
            .backward(grad, &self.g, &rows, &[at_cl_layer], par);
        self.g.zero_rows(&rows.users, &rows.items);
        self.g_cl.zero_rows(&cl_rows.users, &cl_rows.items);
        loss
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::models::gradcheck;

    pub(crate) fn params(layers: usize, cl_layer: usize) -> NoisyParams {
        NoisyParams {
            layers,
            reg_weight: 0.3,
            ssl_weight: 0.7,
            tau: 0.3,
            eps: 0.2,
            cl_layer,
            seed: 5,
        }
    }

    #[test]
    fn gradient_matches_finite_differences() {
        let (g, p) = gradcheck::tiny_graph();
        let batch = gradcheck::small_batch();
        for (layers, cl) in [(1usize, 1usize), (2, 1), (3, 2)] {
            gradcheck::check_fresh(
                &mut || Box::new(XSimGcl::new(g.clone(), params(layers, cl))),
                &p,
                &batch,
                1e-2,
                2e-2,
            );
        }
    }

    /// With ε = 0 the step is a deterministic function of E: BPR, norms and InfoNCE computed
    /// here from the full noiseless propagation, independently of the restricted step.
    #[test]
    fn loss_without_noise_matches_the_formula() {
        let (g, p) = gradcheck::tiny_graph();
        let batch = gradcheck::small_batch();
        let mut np = params(2, 1);
        np.eps = 0.0;
        let mut m = XSimGcl::new(g.clone(), np);
        let mut f = Embeddings::default();
        m.forward(&p, &mut f, Parallelism::Sequential);
        // H_1 = Â E, computed as the full mean of one layer without the input.
        let mut h1 = Embeddings::default();
        Layered::new(g, 1, LayerMean::WithoutInput).full(&p, &mut h1, Parallelism::Sequential);
        let want = gradcheck::reference_loss(&f, &f, &h1, &batch, np);
        let mut grad = Embeddings::default();
        let got = m.loss_and_grad(&p, &batch, &mut grad, Parallelism::Sequential);
        assert!((got - want).abs() < 1e-5, "{got} vs {want}");
    }
}
