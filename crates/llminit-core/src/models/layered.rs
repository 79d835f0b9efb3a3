//! The propagation step SGCL, SimGCL and XSimGCL share: a layer mean F computed on the batch
//! rows only ([`crate::frontier::forward_levels`]), optionally with SimGCL's noise after every
//! layer, and the backward of a row-sparse ∂L/∂F ([`crate::frontier::backward_levels`]).
//!
//! With H_0 = E and H_l = Â H_{l−1} (+ noise), F = mean of H_0..H_L ([`LayerMean::WithInput`],
//! LightGCN) or of H_1..H_L ([`LayerMean::WithoutInput`], SELFRec's SimGCL/XSimGCL). The noise's
//! derivative is zero, so every pass has the same Jacobian and ∂L/∂E = Σ_l w Â^l G, w = 1/(L+1)
//! or 1/L, over the levels the mean includes — plus any gradient that enters at a single layer
//! (XSimGCL's contrastive view).

use std::sync::Arc;

use super::{add_bpr_gradient, score_differences};
use crate::frontier::{backward_levels, forward_levels, Frontier, LevelGrad, RowSet};
use crate::graph::NormalizedGraph;
use crate::loss::{bpr, gathered_norm, Reduction};
use crate::noise::{noise_key, perturb_rows};
use crate::propagate::{propagate_layers, LayerMean, PropagationBuffers};
use crate::sampler::Batch;
use crate::{Embeddings, Parallelism};

/// SimGCL's perturbation of one forward pass: `eps` and the key parts that make its noise.
#[derive(Clone, Copy, Debug)]
pub struct Perturb {
    pub eps: f32,
    pub seed: u64,
    pub step: u64,
    pub pass: u64,
}

pub struct Layered {
    pub graph: Arc<NormalizedGraph>,
    pub layers: usize,
    pub mean: LayerMean,
    frontier: Frontier,
    bufs: PropagationBuffers,
    marks: (Vec<u8>, Vec<u8>),
}

/// The BPR part of a step: BPR of `batch` on the final rows `f` with its gradient added into
/// `g` (`reduction` as the model's reference code has it).
#[derive(Default)]
pub struct BprTerm {
    x: Vec<f32>,
    dx: Vec<f32>,
}

impl BprTerm {
    pub fn add(
        &mut self,
        f: &Embeddings,
        batch: &Batch,
        reduction: Reduction,
        g: &mut Embeddings,
    ) -> f64 {
        score_differences(f, batch, &mut self.x);
        self.dx.resize(batch.len(), 0.0);
        let loss = bpr(&self.x, reduction, &mut self.dx);
        add_bpr_gradient(f, batch, &self.dx, g);
        loss
    }
}

/// (λ/B)(‖t_u[u]‖_F + ‖t_i[i⁺]‖_F [+ ‖t_i[i⁻]‖_F]), non-squared norms of the gathered batch
/// blocks of `table` (RecBole's `EmbLoss` on the initial rows, SELFRec's `l2_reg_loss` on the
/// propagated ones), with its gradient added into `g`.
pub fn batch_norms(
    table: &Embeddings,
    batch: &Batch,
    with_negatives: bool,
    reg_weight: f32,
    g: &mut Embeddings,
) -> f64 {
    let (d, w) = (table.dim, reg_weight / batch.len().max(1) as f32);
    let mut norms = gathered_norm(&table.users, &batch.users, d, w, &mut g.users)
        + gathered_norm(&table.items, &batch.pos, d, w, &mut g.items);
    if with_negatives {
        norms += gathered_norm(&table.items, &batch.neg, d, w, &mut g.items);
    }
    w as f64 * norms
}

/// Resizes `buf` to the shape of `like` (zeros) when it differs.
pub fn fit(buf: &mut Embeddings, like: &Embeddings) {
    if buf.users.len() != like.users.len() || buf.items.len() != like.items.len() {
        *buf = Embeddings::zeros(like.n_users, like.n_items, like.dim);
    }
}

impl Layered {
    pub fn new(graph: Arc<NormalizedGraph>, layers: usize, mean: LayerMean) -> Self {
        Layered {
            graph,
            layers,
            mean,
            frontier: Frontier::default(),
            bufs: PropagationBuffers::default(),
            marks: (Vec::new(), Vec::new()),
        }
    }

    /// The distinct rows of a batch's users and item lists.
    pub fn rows(&mut self, users: &[u32], items: &[&[u32]]) -> RowSet {
        let g = &*self.graph;
        self.frontier.unique(g.n_users, g.n_items, users, items)
    }

    /// The full, noiseless forward, for evaluation.
    pub fn full(&mut self, params: &Embeddings, out: &mut Embeddings, par: Parallelism) {
        let graphs = vec![&*self.graph; self.layers];
        propagate_layers(out, &graphs, params, self.mean, &mut self.bufs, par);
    }

    /// F on `rows` into `f` (other rows untouched), perturbed if asked; with `keep = (l, out)`
    /// also copies H_l on `rows` into `out`. Same operation order as [`propagate_layers`], so a
    /// noiseless F is bit-identical to the full forward's rows.
    pub fn forward_rows(
        &mut self,
        params: &Embeddings,
        rows: &RowSet,
        f: &mut Embeddings,
        perturb: Option<Perturb>,
        keep: Option<(usize, &mut Embeddings)>,
        par: Parallelism,
    ) {
        let (layers, d) = (self.layers, params.dim);
        fit(f, params);
        let levels = &mut self.bufs.tables(layers.max(2), params)[..layers];
        forward_levels(
            &mut self.frontier,
            &self.graph,
            params,
            levels,
            rows,
            par,
            &mut |l, need, table| {
                if let Some(p) = perturb {
                    let key = |side| noise_key(&[p.seed, p.step, p.pass, l as u64, side]);
                    perturb_rows(&mut table.users, &need.users, d, p.eps, key(0), par);
                    perturb_rows(&mut table.items, &need.items, d, p.eps, key(1), par);
                }
            },
        );
        let scale = match self.mean {
            LayerMean::WithInput => 1.0 / (layers as f32 + 1.0),
            LayerMean::WithoutInput => 1.0 / layers as f32,
        };
        let with_input = self.mean == LayerMean::WithInput;
        let mean_rows =
            |list: &[u32], e: &[f32], f: &mut [f32], side: fn(&Embeddings) -> &[f32]| {
                for &r in list {
                    let span = r as usize * d..(r as usize + 1) * d;
                    if with_input {
                        f[span.clone()].copy_from_slice(&e[span.clone()]);
                    } else {
                        f[span.clone()].fill(0.0);
                    }
                    for (l, level) in levels.iter().enumerate() {
                        let s = if l + 1 == layers { scale } else { 1.0 };
                        for (fv, &hv) in f[span.clone()].iter_mut().zip(&side(level)[span.clone()])
                        {
                            *fv = (*fv + hv) * s;
                        }
                    }
                }
            };
        mean_rows(&rows.users, &params.users, &mut f.users, |e| &e.users);
        mean_rows(&rows.items, &params.items, &mut f.items, |e| &e.items);
        if let Some((l, out)) = keep {
            fit(out, params);
            let h = if l == 0 { params } else { &levels[l - 1] };
            for &u in &rows.users {
                let span = u as usize * d..(u as usize + 1) * d;
                out.users[span.clone()].copy_from_slice(&h.users[span]);
            }
            for &i in &rows.items {
                let span = i as usize * d..(i as usize + 1) * d;
                out.items[span.clone()].copy_from_slice(&h.items[span]);
            }
        }
    }

    /// `grad = ∂L/∂E` for ∂L/∂F = `g` on `rows` (zero elsewhere), plus `extra` gradients that
    /// enter at single layers. Overwrites every row of `grad`.
    pub fn backward(
        &mut self,
        grad: &mut Embeddings,
        g: &Embeddings,
        rows: &RowSet,
        extra: &[LevelGrad],
        par: Parallelism,
    ) {
        fit(grad, g);
        let (first, weight) = match self.mean {
            LayerMean::WithInput => (0, 1.0 / (self.layers as f32 + 1.0)),
            LayerMean::WithoutInput => (1, 1.0 / self.layers as f32),
        };
        let mut terms: Vec<LevelGrad> = (first..=self.layers)
            .map(|level| LevelGrad {
                level,
                weight,
                g,
                rows,
            })
            .collect();
        terms.extend_from_slice(extra);
        let tables = self.bufs.tables(self.layers.max(2), g);
        backward_levels(
            grad,
            &mut self.frontier,
            &self.graph,
            &terms,
            tables,
            &mut self.marks,
            par,
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::{Rng, SeedableRng};

    /// The restricted forward and the Horner backward against the full propagation: F on the
    /// rows is bit-identical; ∂L/∂E = full propagation of G (Â symmetric) for both means.
    #[test]
    fn restricted_matches_full_propagation() {
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(4);
        let (nu, ni) = (50usize, 30usize);
        let (g, p) = crate::models::gradcheck::random_graph(&mut rng, nu, ni, 200, 8);
        for mean in [LayerMean::WithInput, LayerMean::WithoutInput] {
            for layers in [1usize, 2, 3] {
                let mut m = Layered::new(g.clone(), layers, mean);
                let rows = m.rows(&[3, 7, 3, 40], &[&[1, 2, 9], &[29]]);
                let mut full = Embeddings::default();
                m.full(&p, &mut full, Parallelism::Sequential);
                let mut f = Embeddings::default();
                m.forward_rows(&p, &rows, &mut f, None, None, Parallelism::Rayon);
                for &u in &rows.users {
                    assert_eq!(f.user(u as usize), full.user(u as usize));
                }
                for &i in &rows.items {
                    assert_eq!(f.item(i as usize), full.item(i as usize));
                }
                // G: random on the rows, zero elsewhere.
                let mut gf = Embeddings::zeros(nu, ni, 8);
                for &u in &rows.users {
                    for v in &mut gf.users[u as usize * 8..(u as usize + 1) * 8] {
                        *v = rng.gen_range(-1.0..1.0);
                    }
                }
                for &i in &rows.items {
                    for v in &mut gf.items[i as usize * 8..(i as usize + 1) * 8] {
                        *v = rng.gen_range(-1.0..1.0);
                    }
                }
                let mut want = Embeddings::default();
                m.full(&gf, &mut want, Parallelism::Sequential);
                let mut grad = Embeddings::default();
                m.backward(&mut grad, &gf, &rows, &[], Parallelism::Rayon);
                for (a, b) in grad
                    .users
                    .iter()
                    .chain(&grad.items)
                    .zip(want.users.iter().chain(&want.items))
                {
                    assert!((a - b).abs() < 1e-6, "{mean:?} L = {layers}: {a} vs {b}");
                }
            }
        }
    }
}
