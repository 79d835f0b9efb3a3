//! SGCL — Zhang et al., "SGCL: Unifying Self-Supervised and Supervised Learning for Graph
//! Recommendation", WSDM 2025; reference: github.com/DavidZWZ/SGCL (RecBole).
//!
//! LightGCN's propagation (F = mean of layers 0..L) and, instead of BPR, one supervised
//! contrastive loss on the batch's (user, positive) pairs: no negatives, no augmentation, no
//! regularizer (DESIGN.md §2). With ũ_b, ṽ_b the L2-normalized rows F_u[u_b], F_i[i⁺_b]:
//!   L = Σ_b [−⟨ũ_b, ṽ_b⟩/τ + log(Σ_c e^{⟨ũ_b, ũ_c⟩/τ} + Σ_c e^{⟨ṽ_b, ṽ_c⟩/τ})]
//! (`Reduction::Sum`, the diagonal c = b included, the positive pair not in the denominator).
//! Gradient, with P_bc = e^{⟨ũ_b, ũ_c⟩/τ − lse_b}, Q_bc = e^{⟨ṽ_b, ṽ_c⟩/τ − lse_b}:
//!   ∂L/∂Ũ = (P + Pᵀ) Ũ/τ − Ṽ/τ,  ∂L/∂Ṽ = (Q + Qᵀ) Ṽ/τ − Ũ/τ,
//! then through the normalization ([`crate::contrast::normalize_rows_backward`]) into the batch
//! rows of F, and through the propagation as in LightGCN.

use std::sync::Arc;

use super::layered::{fit, Layered};
use super::Recommender;
use crate::contrast::{gather, normalize_rows, normalize_rows_backward, scatter_add, sgemm, Mat};
use crate::graph::NormalizedGraph;
use crate::propagate::LayerMean;
use crate::sampler::Batch;
use crate::{Embeddings, Parallelism};

pub struct Sgcl {
    prop: Layered,
    tau: f32,
    f: Embeddings,
    g: Embeddings,
    scratch: Scratch,
}

#[derive(Default)]
struct Scratch {
    rows: [Vec<f32>; 2],
    unit: [Vec<f32>; 2],
    norms: [Vec<f32>; 2],
    gram: [Vec<f32>; 2],
    d_unit: [Vec<f32>; 2],
    d_rows: Vec<f32>,
}

impl Sgcl {
    pub fn new(graph: Arc<NormalizedGraph>, layers: usize, tau: f32) -> Self {
        Sgcl {
            prop: Layered::new(graph, layers, LayerMean::WithInput),
            tau,
            f: Embeddings::default(),
            g: Embeddings::default(),
            scratch: Scratch::default(),
        }
    }
}

/// The SGCL loss of normalized rows `u`, `v` (b × d each) and its gradient w.r.t. them.
fn supervised_contrast(
    u: &[f32],
    v: &[f32],
    b: usize,
    d: usize,
    tau: f32,
    gram: &mut [Vec<f32>; 2],
    [du, dv]: &mut [Vec<f32>; 2],
) -> f64 {
    let inv_tau = 1.0 / tau;
    for (gm, x) in gram.iter_mut().zip([u, v]) {
        gm.resize(b * b, 0.0);
        sgemm(
            gm,
            false,
            Mat::rows(x, d),
            Mat::transposed(x, d),
            (b, b, d),
            inv_tau,
        );
    }
    let mut total = 0f64;
    for r in 0..b {
        let row = r * b..(r + 1) * b;
        let mx = gram[0][row.clone()]
            .iter()
            .chain(&gram[1][row.clone()])
            .copied()
            .fold(f32::NEG_INFINITY, f32::max);
        let z: f64 = gram[0][row.clone()]
            .iter()
            .chain(&gram[1][row.clone()])
            .map(|&x| ((x - mx) as f64).exp())
            .sum();
        let lse = mx as f64 + z.ln();
        let pos = super::dot(&u[r * d..(r + 1) * d], &v[r * d..(r + 1) * d]) * inv_tau;
        total += lse - pos as f64;
        for gm in gram.iter_mut() {
            gm[row.clone()]
                .iter_mut()
                .for_each(|x| *x = ((*x as f64 - lse).exp()) as f32);
        }
    }
    // S = P + Pᵀ (symmetrized in place), then ∂/∂Ũ = S Ũ/τ − Ṽ/τ (and likewise for Ṽ).
    for (gm, (x, other, out)) in gram.iter_mut().zip([(u, v, du), (v, u, dv)]) {
        for r in 0..b {
            for c in r..b {
                let s = gm[r * b + c] + gm[c * b + r];
                gm[r * b + c] = s;
                gm[c * b + r] = s;
            }
        }
        out.resize(b * d, 0.0);
        sgemm(
            out,
            false,
            Mat::rows(gm, b),
            Mat::rows(x, d),
            (b, d, b),
            inv_tau,
        );
        out.iter_mut()
            .zip(other)
            .for_each(|(o, &y)| *o -= y * inv_tau);
    }
    total
}

impl Recommender for Sgcl {
    fn name(&self) -> &'static str {
        "sgcl"
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
        let (b, d) = (batch.len(), params.dim);
        fit(&mut self.g, params);
        let rows = self.prop.rows(&batch.users, &[&batch.pos]);
        self.prop
            .forward_rows(params, &rows, &mut self.f, None, None, par);
        let s = &mut self.scratch;
        let (f, g) = (&self.f, &mut self.g);
        for (k, (table, ids)) in [(&f.users, &batch.users), (&f.items, &batch.pos)]
            .into_iter()
            .enumerate()
        {
            gather(table, ids, d, &mut s.rows[k]);
            normalize_rows(&s.rows[k], d, &mut s.unit[k], &mut s.norms[k], par);
        }
        let loss = supervised_contrast(
            &s.unit[0],
            &s.unit[1],
            b,
            d,
            self.tau,
            &mut s.gram,
            &mut s.d_unit,
        );
        for (k, (table, ids)) in [(&mut g.users, &batch.users), (&mut g.items, &batch.pos)]
            .into_iter()
            .enumerate()
        {
            s.d_rows.resize(b * d, 0.0);
            normalize_rows_backward(&s.unit[k], &s.norms[k], &s.d_unit[k], d, &mut s.d_rows, par);
            scatter_add(table, ids, &s.d_rows, d);
        }
        self.prop.backward(grad, &self.g, &rows, &[], par);
        self.g.zero_rows(&rows.users, &rows.items);
        loss
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::graph::normalized_adjacency;
    use crate::models::gradcheck;
    use crate::UserItems;

    fn tiny() -> (Arc<NormalizedGraph>, Embeddings) {
        let train =
            UserItems::from_pairs(4, 5, &[0, 0, 1, 1, 2, 3, 3], &[0, 1, 1, 2, 3, 4, 0]).unwrap();
        (
            Arc::new(normalized_adjacency(&train)),
            gradcheck::random_params(4, 5, 3, 9),
        )
    }

    #[test]
    fn gradient_matches_finite_differences() {
        let (g, p) = tiny();
        // User 0 twice: repeated rows accumulate.
        let batch = Batch {
            users: vec![0, 1, 0, 3],
            pos: vec![1, 2, 0, 4],
            neg: vec![3, 1, 4, 2],
        };
        for layers in [0usize, 2] {
            gradcheck::check(
                &mut Sgcl::new(g.clone(), layers, 0.2),
                &p,
                &batch,
                1e-2,
                2e-2,
            );
        }
    }

    /// L = 0 (F = E), d = 2, two pairs: u = [(1,0), (0,2)] → ũ = [(1,0), (0,1)];
    /// v = [(3,0), (1,1)] → ṽ = [(1,0), (1/√2,1/√2)]; τ = 0.5. Written out in f64 by the test:
    /// row b: −⟨ũ_b,ṽ_b⟩/τ + log(Σ_c e^{⟨ũ_b,ũ_c⟩/τ} + Σ_c e^{⟨ṽ_b,ṽ_c⟩/τ}).
    #[test]
    fn loss_on_a_fixed_example() {
        let train = UserItems::from_pairs(2, 2, &[0, 1], &[0, 1]).unwrap();
        let p = Embeddings {
            n_users: 2,
            n_items: 2,
            dim: 2,
            users: vec![1.0, 0.0, 0.0, 2.0],
            items: vec![3.0, 0.0, 1.0, 1.0],
        };
        let batch = Batch {
            users: vec![0, 1],
            pos: vec![0, 1],
            neg: vec![1, 0],
        };
        let h = std::f64::consts::FRAC_1_SQRT_2;
        let u = [[1.0, 0.0], [0.0, 1.0]];
        let v = [[1.0, 0.0], [h, h]];
        let dot = |a: [f64; 2], b: [f64; 2]| a[0] * b[0] + a[1] * b[1];
        let tau = 0.5;
        let want: f64 = (0..2)
            .map(|b| {
                let z: f64 = (0..2)
                    .map(|c| (dot(u[b], u[c]) / tau).exp() + (dot(v[b], v[c]) / tau).exp())
                    .sum();
                -dot(u[b], v[b]) / tau + z.ln()
            })
            .sum();
        let mut grad = Embeddings::default();
        let got = Sgcl::new(Arc::new(normalized_adjacency(&train)), 0, 0.5).loss_and_grad(
            &p,
            &batch,
            &mut grad,
            Parallelism::Sequential,
        );
        assert!((got - want).abs() < 1e-5, "{got} vs {want}");
    }
}
