//! SGL — Wu et al., "Self-supervised Graph Learning for Recommendation", SIGIR 2021; reference:
//! RecBole `general_recommender/sgl.py` (as the LLMInit code runs it).
//!
//! LightGCN's propagation (F = mean of layers 0..L) on three graphs per step: the training
//! graph for BPR, and two augmented views V′, V″ ([`crate::views`]: edge dropout by default,
//! node dropout, or random walk), rebuilt every epoch from the run's seed. Loss (DESIGN.md §2):
//!   L = Σ_b −log(1e-10 + σ(x_b))                      (BPR, `Reduction::Sum`, as RecBole's SGL)
//!     + (λ_reg/B)(‖E_u[u]‖_F + ‖E_i[i⁺]‖_F + ‖E_i[i⁻]‖_F)
//!     + λ_ssl (Σ_b ℓ(F′_u[u_b]; F″_u) + Σ_b ℓ(F′_i[i⁺_b]; F″_i)),
//! ℓ(a; C) = −log softmax_j(⟨â, ĉ_j⟩/τ)[own row], rows L2-normalized, the softmax over **all**
//! users (items) of the second view, summed over the batch ([`crate::contrast::info_nce`],
//! blocked B × 512 tiles, fused log-sum-exp).
//! Gradient: BPR's G on the batch rows goes back through the training graph on the restricted
//! rows ([`super::layered`]); the views' gradients go back through their own graphs: V′'s only
//! touches the batch rows, so for edge and node dropout V′ runs forward and backward on those
//! rows alone (as the training graph does); V″'s is dense
//! ([`crate::propagate::propagate_layers_transpose`]); the norms' as in LightGCN.

use std::sync::Arc;

use rand_chacha::ChaCha8Rng;

use super::layered::{batch_norms, fit, BprTerm, Layered};
use super::Recommender;
use crate::contrast::{
    gather, info_nce, normalize_rows, normalize_rows_backward, scatter_add, InfoNceScratch,
};
use crate::graph::NormalizedGraph;
use crate::loss::Reduction;
use crate::propagate::{
    elementwise, propagate_layers, propagate_layers_transpose, Accum, LayerMean, PropagationBuffers,
};
use crate::sampler::Batch;
use crate::views::{dropout_view, ViewKind};
use crate::{Embeddings, Parallelism, UserItems};

/// Hyper-parameters of SGL.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct SglParams {
    pub layers: usize,
    pub reg_weight: f32,
    /// λ_ssl, the contrastive term's weight.
    pub ssl_weight: f32,
    pub tau: f32,
    /// How the two views perturb the training graph.
    pub view: ViewKind,
    /// ρ, the share of edges (or nodes) each view drops.
    pub drop_ratio: f32,
}

pub struct Sgl {
    main: Layered,
    train: Arc<UserItems>,
    p: SglParams,
    rng: ChaCha8Rng,
    /// Per view, the graph of each layer (one shared graph unless a random walk).
    views: [Vec<Arc<NormalizedGraph>>; 2],
    /// V′ on the batch rows only (its graph replaced every epoch); unused for random walks,
    /// whose layers differ.
    v1: Layered,
    f: Embeddings,
    g: Embeddings,
    fv: [Embeddings; 2],
    gv: [Embeddings; 2],
    back: Embeddings,
    bufs: PropagationBuffers,
    bpr: BprTerm,
    s: Scratch,
}

#[derive(Default)]
struct Scratch {
    rows: Vec<f32>,
    unit_rows: Vec<f32>,
    norm_rows: Vec<f32>,
    unit_all: Vec<f32>,
    norm_all: Vec<f32>,
    d_rows: Vec<f32>,
    d_unit_rows: Vec<f32>,
    d_unit_all: Vec<f32>,
    nce: InfoNceScratch,
}

impl Sgl {
    pub fn new(
        graph: Arc<NormalizedGraph>,
        train: Arc<UserItems>,
        p: SglParams,
        rng: ChaCha8Rng,
    ) -> Self {
        Sgl {
            main: Layered::new(graph.clone(), p.layers, LayerMean::WithInput),
            v1: Layered::new(graph, p.layers, LayerMean::WithInput),
            train,
            p,
            rng,
            views: Default::default(),
            f: Embeddings::default(),
            g: Embeddings::default(),
            fv: Default::default(),
            gv: Default::default(),
            back: Embeddings::default(),
            bufs: PropagationBuffers::default(),
            bpr: BprTerm::default(),
            s: Scratch::default(),
        }
    }

    fn rebuild_views(&mut self) {
        let (layers, view, ratio) = (self.p.layers, self.p.view, self.p.drop_ratio);
        for v in 0..2 {
            self.views[v] = match view {
                ViewKind::RandomWalk => (0..layers)
                    .map(|_| Arc::new(dropout_view(&self.train, view, ratio, &mut self.rng)))
                    .collect(),
                _ => {
                    let g = Arc::new(dropout_view(&self.train, view, ratio, &mut self.rng));
                    vec![g; layers]
                }
            };
        }
        if let Some(g) = self.views[0].first() {
            self.v1.graph = g.clone();
        }
    }

    /// Whether V′ can run on the batch rows alone (one graph for every layer).
    fn restricted_v1(&self) -> bool {
        self.p.view != ViewKind::RandomWalk
    }
}

/// One side (users or items) of SGL's contrast: rows `ids` of view 1 against every row of
/// view 2. Adds `weight ·` the gradient into `g1` (rows `ids`) and writes it into `g2` (all rows).
#[allow(clippy::too_many_arguments)]
fn contrast_all(
    v1: &[f32],
    v2: &[f32],
    ids: &[u32],
    d: usize,
    tau: f32,
    weight: f32,
    g1: &mut [f32],
    g2: &mut [f32],
    s: &mut Scratch,
    par: Parallelism,
) -> f64 {
    gather(v1, ids, d, &mut s.rows);
    normalize_rows(&s.rows, d, &mut s.unit_rows, &mut s.norm_rows, par);
    normalize_rows(v2, d, &mut s.unit_all, &mut s.norm_all, par);
    s.d_unit_rows.clear();
    s.d_unit_rows.resize(s.rows.len(), 0.0);
    // info_nce writes every row of the all-rows gradient, so it is never zeroed first.
    s.d_unit_all.resize(v2.len(), 0.0);
    let loss = info_nce(
        &s.unit_rows,
        &s.unit_all,
        ids,
        d,
        tau,
        Reduction::Sum,
        weight,
        &mut s.d_unit_rows,
        &mut s.d_unit_all,
        Accum::Replace,
        &mut s.nce,
        par,
    );
    s.d_rows.resize(s.rows.len(), 0.0);
    normalize_rows_backward(
        &s.unit_rows,
        &s.norm_rows,
        &s.d_unit_rows,
        d,
        &mut s.d_rows,
        par,
    );
    scatter_add(g1, ids, &s.d_rows, d);
    normalize_rows_backward(&s.unit_all, &s.norm_all, &s.d_unit_all, d, g2, par);
    loss
}

impl Recommender for Sgl {
    fn name(&self) -> &'static str {
        "sgl"
    }

    fn forward(&mut self, params: &Embeddings, out: &mut Embeddings, par: Parallelism) {
        self.main.full(params, out, par);
    }

    fn start_epoch(&mut self, _epoch: usize, _par: Parallelism) {
        self.rebuild_views();
    }

    fn loss_and_grad(
        &mut self,
        params: &Embeddings,
        batch: &Batch,
        grad: &mut Embeddings,
        par: Parallelism,
    ) -> f64 {
        if self.views[0].len() != self.p.layers {
            self.rebuild_views();
        }
        let (d, p) = (params.dim, self.p);
        fit(&mut self.g, params);
        let rows = self.main.rows(&batch.users, &[&batch.pos, &batch.neg]);
        self.main
            .forward_rows(params, &rows, &mut self.f, None, None, par);
        let mut loss = self.bpr.add(&self.f, batch, Reduction::Sum, &mut self.g);

        let restricted = self.restricted_v1();
        let rows1 = restricted.then(|| self.v1.rows(&batch.users, &[&batch.pos]));
        if let Some(rows1) = &rows1 {
            self.v1
                .forward_rows(params, rows1, &mut self.fv[0], None, None, par);
        }
        for (v, f) in self.fv.iter_mut().enumerate().skip(restricted as usize) {
            let graphs: Vec<&NormalizedGraph> = self.views[v].iter().map(|g| &**g).collect();
            propagate_layers(
                f,
                &graphs,
                params,
                LayerMean::WithInput,
                &mut self.bufs,
                par,
            );
        }
        let [g1, g2] = &mut self.gv;
        fit(g1, params);
        fit(g2, params);
        let [f1, f2] = &self.fv;
        let ssl = contrast_all(
            &f1.users,
            &f2.users,
            &batch.users,
            d,
            p.tau,
            p.ssl_weight,
            &mut g1.users,
            &mut g2.users,
            &mut self.s,
            par,
        ) + contrast_all(
            &f1.items,
            &f2.items,
            &batch.pos,
            d,
            p.tau,
            p.ssl_weight,
            &mut g1.items,
            &mut g2.items,
            &mut self.s,
            par,
        );
        loss += p.ssl_weight as f64 * ssl;

        self.main.backward(grad, &self.g, &rows, &[], par);
        self.g.zero_rows(&rows.users, &rows.items);
        for v in 0..2 {
            if let (0, Some(rows1)) = (v, &rows1) {
                self.v1
                    .backward(&mut self.back, &self.gv[0], rows1, &[], par);
                elementwise(&mut grad.users, &self.back.users, par, |o, v| *o += v);
                elementwise(&mut grad.items, &self.back.items, par, |o, v| *o += v);
            } else {
                let graphs: Vec<&NormalizedGraph> = self.views[v].iter().map(|g| &**g).collect();
                propagate_layers_transpose(
                    grad,
                    Accum::Add,
                    &graphs,
                    &self.gv[v],
                    LayerMean::WithInput,
                    &mut self.bufs,
                    par,
                );
            }
        }
        self.gv[0].zero_rows(&batch.users, &batch.pos);

        loss + batch_norms(params, batch, true, p.reg_weight, grad)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::models::gradcheck;
    use rand::SeedableRng;

    fn params(layers: usize, view: ViewKind, drop_ratio: f32) -> SglParams {
        SglParams {
            layers,
            reg_weight: 0.3,
            ssl_weight: 0.7,
            tau: 0.3,
            view,
            drop_ratio,
        }
    }

    fn sgl(view: ViewKind, layers: usize) -> Box<dyn Recommender> {
        let (g, _) = gradcheck::tiny_graph();
        let train =
            UserItems::from_pairs(4, 5, &[0, 0, 1, 1, 2, 3, 3], &[0, 1, 1, 2, 3, 4, 0]).unwrap();
        Box::new(Sgl::new(
            g,
            Arc::new(train),
            params(layers, view, 0.3),
            ChaCha8Rng::seed_from_u64(3),
        ))
    }

    #[test]
    fn gradient_matches_finite_differences() {
        let (_, p) = gradcheck::tiny_graph();
        let batch = gradcheck::small_batch();
        for (view, layers) in [
            (ViewKind::Edge, 2usize),
            (ViewKind::Node, 1),
            (ViewKind::RandomWalk, 2),
            (ViewKind::Edge, 0),
        ] {
            gradcheck::check_fresh(&mut || sgl(view, layers), &p, &batch, 1e-2, 2e-2);
        }
    }

    /// With ρ = 0 both views are the training graph: the loss written out in f64 from the full
    /// propagation — BPR summed, the norms of E's rows, and λ_ssl times InfoNCE of each batch
    /// user (positive item) against all users (items), summed.
    #[test]
    fn loss_with_unperturbed_views_matches_the_formula() {
        let (g, p) = gradcheck::tiny_graph();
        let train =
            UserItems::from_pairs(4, 5, &[0, 0, 1, 1, 2, 3, 3], &[0, 1, 1, 2, 3, 4, 0]).unwrap();
        let batch = gradcheck::small_batch();
        let np = params(2, ViewKind::Edge, 0.0);
        let mut m = Sgl::new(g, Arc::new(train), np, ChaCha8Rng::seed_from_u64(3));
        let mut f = Embeddings::default();
        m.forward(&p, &mut f, Parallelism::Sequential);
        let f64s = |x: &[f32]| x.iter().map(|&v| v as f64).collect::<Vec<f64>>();
        let dot = |a: &[f64], b: &[f64]| a.iter().zip(b).map(|(x, y)| x * y).sum::<f64>();
        let unit = |x: Vec<f64>| {
            let n = dot(&x, &x).sqrt();
            x.into_iter().map(|v| v / n).collect::<Vec<f64>>()
        };
        let mut want = 0.0;
        for k in 0..batch.len() {
            let u = f64s(f.user(batch.users[k] as usize));
            let x = dot(&u, &f64s(f.item(batch.pos[k] as usize)))
                - dot(&u, &f64s(f.item(batch.neg[k] as usize)));
            want -= (1e-10 + 1.0 / (1.0 + (-x).exp())).ln();
        }
        let norm = |t: &[f32], rows: &[u32]| {
            rows.iter()
                .map(|&r| {
                    t[r as usize * 3..(r as usize + 1) * 3]
                        .iter()
                        .map(|&v| (v as f64).powi(2))
                        .sum::<f64>()
                })
                .sum::<f64>()
                .sqrt()
        };
        want += np.reg_weight as f64 / 4.0
            * (norm(&p.users, &batch.users)
                + norm(&p.items, &batch.pos)
                + norm(&p.items, &batch.neg));
        let nce = |rows: &[u32], n: usize, row: &dyn Fn(usize) -> Vec<f64>| {
            rows.iter()
                .map(|&r| {
                    let a = unit(row(r as usize));
                    let z: f64 = (0..n)
                        .map(|j| (dot(&a, &unit(row(j))) / np.tau as f64).exp())
                        .sum();
                    z.ln() - dot(&a, &a) / np.tau as f64
                })
                .sum::<f64>()
        };
        want += np.ssl_weight as f64
            * (nce(&batch.users, 4, &|r| f64s(f.user(r)))
                + nce(&batch.pos, 5, &|r| f64s(f.item(r))));
        let mut grad = Embeddings::default();
        let got = m.loss_and_grad(&p, &batch, &mut grad, Parallelism::Sequential);
        assert!((got - want).abs() < 1e-5, "{got} vs {want}");
    }
}
