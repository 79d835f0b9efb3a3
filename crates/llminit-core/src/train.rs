//! The training loop (DESIGN.md §2–3): epochs of shuffled BPR batches with dense Adam, a
//! full-ranking validation after every epoch, RecBole's early stopping on validation NDCG@10,
//! the best epoch's parameters restored, then the test evaluation.

use std::sync::Arc;
use std::time::Instant;

use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;

pub use crate::contrastive::{ContrastParams, ViewKind};
use crate::eval::rank_all;
use crate::graph::normalized_adjacency;
use crate::init::{random_tables, RandomInit};
use crate::metrics::{compute, compute_by_group, MetricTable};
use crate::models::{LightGcn, MfBpr, Recommender};
use crate::optim::{Adam, Optimizer};
use crate::sampler::{draw_negatives, shuffled_order, Batch, NegativePolicy};
use crate::{Embeddings, Error, Parallelism, Result, UserItems};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ModelKind {
    Mf,
    LightGcn,
    Sgl,
    Sgcl,
    SimGcl,
    XSimGcl,
}

impl ModelKind {
    pub fn parse(s: &str) -> Result<Self> {
        match s {
            "mf" | "bpr" => Ok(ModelKind::Mf),
            "lightgcn" => Ok(ModelKind::LightGcn),
            "sgl" => Ok(ModelKind::Sgl),
            "sgcl" => Ok(ModelKind::Sgcl),
            "simgcl" => Ok(ModelKind::SimGcl),
            "xsimgcl" => Ok(ModelKind::XSimGcl),
            other => Err(Error::param(
                "model",
                format!(
                    "unknown model `{other}` (expected mf, lightgcn, sgl, sgcl, simgcl or xsimgcl)"
                ),
            )),
        }
    }

    /// The reference code's regularization weight: 1e-5 (the LLMInit configs, RecBole's
    /// LightGCN and SGL), 1e-4 for SimGCL and XSimGCL (SELFRec's `reg.lambda`).
    pub fn default_reg_weight(self) -> f32 {
        match self {
            ModelKind::SimGcl | ModelKind::XSimGcl => 1e-4,
            ModelKind::Mf | ModelKind::LightGcn | ModelKind::Sgl | ModelKind::Sgcl => 1e-5,
        }
    }

    /// RecBole's random initializer for the model (DESIGN.md §1 `none`).
    pub fn random_init(self) -> RandomInit {
        match self {
            ModelKind::Mf => RandomInit::XavierNormal,
            ModelKind::LightGcn
            | ModelKind::Sgl
            | ModelKind::Sgcl
            | ModelKind::SimGcl
            | ModelKind::XSimGcl => RandomInit::XavierUniform,
        }
    }
}

/// Evaluation protocol (DESIGN.md §3); every report names it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Protocol {
    /// Training items masked at evaluation (and validation items at test); negatives are never
    /// training positives. Stock RecBole's behaviour, the default.
    Standard,
    /// The LLMInit reference code's setting: nothing masked, a negative only differs from its positive.
    Reference,
}

impl Protocol {
    pub fn parse(s: &str) -> Result<Self> {
        match s {
            "standard" => Ok(Protocol::Standard),
            "reference" => Ok(Protocol::Reference),
            other => Err(Error::param(
                "protocol",
                format!("unknown protocol `{other}` (expected standard or reference)"),
            )),
        }
    }

    /// Which negatives the protocol draws.
    pub fn negatives(self) -> NegativePolicy {
        match self {
            Protocol::Standard => NegativePolicy::RejectTrainPositives,
            Protocol::Reference => NegativePolicy::DifferFromPositive,
        }
    }
}

/// Hyper-parameters. Defaults are the paper's setting on RecBole 1.2 (LLMInit `config/*.yaml`:
/// embedding_size 128, n_layers 2, learning_rate 1e-3, train_batch_size 256, reg_weight 1e-5,
/// epochs 300, stopping_step 10, valid_metric NDCG@10, topk [10, 20, 50], seed 2020), for
/// LightGCN; [`TrainParams::for_model`] gives another model its own reg weight.
#[derive(Clone, Debug, PartialEq)]
pub struct TrainParams {
    pub model: ModelKind,
    pub dim: usize,
    pub layers: usize,
    pub lr: f32,
    pub batch_size: usize,
    pub epochs: usize,
    pub patience: usize,
    pub reg_weight: f32,
    pub seed: u64,
    pub protocol: Protocol,
    pub ks: Vec<usize>,
    /// The validation metric that early stopping watches, e.g. `"ndcg@10"`.
    pub valid_metric: String,
    /// Also evaluate the initial parameters (epoch 0) on validation and test.
    pub eval_initial: bool,
    /// The contrastive models' own settings (ignored by MF and LightGCN).
    pub contrast: ContrastParams,
}

impl Default for TrainParams {
    fn default() -> Self {
        TrainParams {
            model: ModelKind::LightGcn,
            dim: 128,
            layers: 2,
            lr: 1e-3,
            batch_size: 256,
            epochs: 300,
            patience: 10,
            reg_weight: 1e-5,
            seed: 2020,
            protocol: Protocol::Standard,
            ks: vec![10, 20, 50],
            valid_metric: "ndcg@10".into(),
            eval_initial: false,
            contrast: ContrastParams::default(),
        }
    }
}

impl TrainParams {
    /// [`TrainParams::default`] for `model`: the paper setting with the model's reference
    /// regularization weight ([`ModelKind::default_reg_weight`]).
    pub fn for_model(model: ModelKind) -> Self {
        TrainParams {
            model,
            reg_weight: model.default_reg_weight(),
            ..TrainParams::default()
        }
    }

    /// One error per bad field, before any work.
    pub fn validate(&self, n_items: usize) -> Result<()> {
        let bad = |name, reason: String| Err(Error::param(name, reason));
        if self.dim == 0 || self.dim > 65_536 {
            return bad("dim", format!("must be in 1..=65536, got {}", self.dim));
        }
        if self.layers > 16 {
            return bad("layers", format!("must be at most 16, got {}", self.layers));
        }
        if !(self.lr.is_finite() && self.lr > 0.0) {
            return bad("lr", format!("must be a positive number, got {}", self.lr));
        }
        if self.batch_size == 0 {
            return bad("batchSize", "must be at least 1".into());
        }
        if self.epochs == 0 {
            return bad("epochs", "must be at least 1".into());
        }
        if !(self.reg_weight.is_finite() && self.reg_weight >= 0.0) {
            return bad(
                "regWeight",
                format!("must be a non-negative number, got {}", self.reg_weight),
            );
        }
        self.contrast.validate(self.model, self.layers)?;
        if self.ks.is_empty() || self.ks.contains(&0) {
            return bad(
                "ks",
                format!("must be non-empty positive cut-offs, got {:?}", self.ks),
            );
        }
        let max_k = *self.ks.iter().max().unwrap();
        if max_k > n_items {
            return bad(
                "ks",
                format!("largest cut-off {max_k} exceeds the number of items {n_items}"),
            );
        }
        let metric_k = self
            .valid_metric
            .split('@')
            .nth(1)
            .and_then(|k| k.parse::<usize>().ok());
        match metric_k {
            Some(k) if self.ks.contains(&k) => Ok(()),
            _ => bad(
                "validMetric",
                format!(
                    "`{}` must be <metric>@<k> with k in {:?}",
                    self.valid_metric, self.ks
                ),
            ),
        }
    }
}

/// Training, validation and test interactions with dense ids.
#[derive(Clone, Debug)]
pub struct TrainData {
    pub n_users: usize,
    pub n_items: usize,
    /// Training interactions as given (parallel arrays; duplicates kept, as RecBole keeps them).
    pub train_users: Vec<u32>,
    pub train_items: Vec<u32>,
    pub train: UserItems,
    pub valid: UserItems,
    pub test: UserItems,
    /// A group id per user (e.g. an activity bucket); when set, the final validation and test
    /// metrics are also reported per group ([`TrainOutcome::valid_groups`]).
    pub user_groups: Option<Vec<u8>>,
}

impl TrainData {
    pub fn new(
        n_users: usize,
        n_items: usize,
        train: (&[u32], &[u32]),
        valid: (&[u32], &[u32]),
        test: (&[u32], &[u32]),
    ) -> Result<Self> {
        if train.0.is_empty() {
            return Err(Error::InvalidInput("the training set is empty".into()));
        }
        let train_lists = UserItems::from_pairs(n_users, n_items, train.0, train.1)?;
        for u in 0..n_users {
            if train_lists.degree(u) >= n_items {
                return Err(Error::InvalidInput(format!(
                    "user index {u} has interacted with every item, so no negative can be drawn"
                )));
            }
        }
        Ok(TrainData {
            n_users,
            n_items,
            train_users: train.0.to_vec(),
            train_items: train.1.to_vec(),
            train: train_lists,
            valid: UserItems::from_pairs(n_users, n_items, valid.0, valid.1)?,
            test: UserItems::from_pairs(n_users, n_items, test.0, test.1)?,
            user_groups: None,
        })
    }

    /// Sets a group id per user (one per user, `n_users` of them) for per-group final metrics.
    ///
    /// # Errors
    /// [`Error::InvalidInput`] if `groups.len() != n_users`.
    pub fn with_user_groups(mut self, groups: Vec<u8>) -> Result<Self> {
        if groups.len() != self.n_users {
            return Err(Error::InvalidInput(format!(
                "user groups: {} group ids for {} users",
                groups.len(),
                self.n_users
            )));
        }
        self.user_groups = Some(groups);
        Ok(self)
    }
}

/// What happened in one epoch, as reported to the observer and kept in the history.
#[derive(Clone, Debug, PartialEq)]
pub struct EpochRecord {
    pub epoch: usize,
    /// Mean training loss over the epoch's batches.
    pub loss: f64,
    pub valid_score: f64,
    pub train_seconds: f64,
    pub eval_seconds: f64,
    pub improved: bool,
}

/// Progress and cancellation. `should_stop` is polled before every batch and between
/// evaluation blocks; returning true ends training with [`Error::Aborted`].
pub trait Observer: Sync {
    fn on_epoch(&self, _record: &EpochRecord) {}
    fn on_batch(&self, _epoch: usize, _batch: usize, _n_batches: usize) {}
    fn should_stop(&self) -> bool {
        false
    }
}

/// An observer that ignores everything.
pub struct Silent;
impl Observer for Silent {}

#[derive(Clone, Debug)]
pub struct TrainOutcome {
    pub history: Vec<EpochRecord>,
    pub best_epoch: usize,
    pub stopped_early: bool,
    pub valid: MetricTable,
    pub test: MetricTable,
    /// Metrics of the initial parameters (epoch 0), when `eval_initial` was set.
    pub initial_valid: Option<MetricTable>,
    pub initial_test: Option<MetricTable>,
    /// The best epoch's metrics per user group (ascending group id, groups without an evaluated
    /// user left out), when [`TrainData::user_groups`] is set; empty otherwise.
    pub valid_groups: Vec<(u8, MetricTable)>,
    pub test_groups: Vec<(u8, MetricTable)>,
    /// The best epoch's trainable tables and the final representations computed from them.
    pub params: Embeddings,
    pub final_embeddings: Embeddings,
    pub n_parameters: usize,
    pub seconds: f64,
}

/// Initial tables for `params`: `init` if given (e.g. LLM-selected vectors), else RecBole's
/// random initialization for the model, seeded.
pub fn initial_tables(
    data: &TrainData,
    params: &TrainParams,
    init: Option<Embeddings>,
) -> Result<Embeddings> {
    match init {
        Some(e) => {
            if e.n_users != data.n_users || e.n_items != data.n_items || e.dim != params.dim {
                return Err(Error::InvalidInput(format!(
                    "initial tables are {}×{} users and {}×{} items, expected {}×{} and {}×{}",
                    e.n_users,
                    e.dim,
                    e.n_items,
                    e.dim,
                    data.n_users,
                    params.dim,
                    data.n_items,
                    params.dim
                )));
            }
            if e.users.len() != e.n_users * e.dim || e.items.len() != e.n_items * e.dim {
                return Err(Error::InvalidInput(
                    "initial tables have the wrong number of values".into(),
                ));
            }
            if let Some(k) = e.users.iter().chain(&e.items).position(|v| !v.is_finite()) {
                return Err(Error::InvalidInput(format!(
                    "initial tables hold a non-finite value at flat index {k}"
                )));
            }
            Ok(e)
        }
        None => {
            let mut rng = ChaCha8Rng::seed_from_u64(params.seed);
            rng.set_stream(1);
            Ok(random_tables(
                data.n_users,
                data.n_items,
                params.dim,
                params.model.random_init(),
                &mut rng,
            ))
        }
    }
}

/// The model `params.model` names, over the training graph of `data`.
pub fn build_model(data: &TrainData, params: &TrainParams) -> Box<dyn Recommender> {
    match params.model {
        ModelKind::Mf => Box::new(MfBpr::new()),
        ModelKind::LightGcn => {
            let graph = Arc::new(normalized_adjacency(&data.train));
            Box::new(LightGcn::new(graph, params.layers, params.reg_weight))
        }
        kind => crate::contrastive::build(kind, data, params),
    }
}

/// The generator of each epoch's visiting order: the run's seed, its own stream.
pub fn shuffle_rng(seed: u64) -> ChaCha8Rng {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    rng.set_stream(2);
    rng
}

/// The generator of training negatives: the run's seed, its own stream.
pub fn negative_rng(seed: u64) -> ChaCha8Rng {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    rng.set_stream(3);
    rng
}

/// Evaluates final representations on `targets`, masking `masks`.
pub fn evaluate(
    f: &Embeddings,
    targets: &UserItems,
    masks: &[&UserItems],
    ks: &[usize],
    par: Parallelism,
    observer: &dyn Observer,
) -> Result<MetricTable> {
    evaluate_grouped(f, targets, masks, ks, None, par, observer).map(|(all, _)| all)
}

/// [`evaluate`], plus the metrics per group of `groups` (by user id) from the same ranking.
pub fn evaluate_grouped(
    f: &Embeddings,
    targets: &UserItems,
    masks: &[&UserItems],
    ks: &[usize],
    groups: Option<&[u8]>,
    par: Parallelism,
    observer: &dyn Observer,
) -> Result<(MetricTable, Vec<(u8, MetricTable)>)> {
    let max_k = *ks.iter().max().expect("validated: ks non-empty");
    let hits = rank_all(f, targets, masks, max_k, par, &|| observer.should_stop())?;
    let by_group = match groups {
        Some(g) => compute_by_group(&hits, ks, g)?,
        None => Vec::new(),
    };
    Ok((compute(&hits, ks, None)?, by_group))
}

/// Trains `params.model` from `init` (or a random init) and returns the best epoch's results.
pub fn train(
    data: &TrainData,
    params: &TrainParams,
    init: Option<Embeddings>,
    par: Parallelism,
    observer: &dyn Observer,
) -> Result<TrainOutcome> {
    let started = Instant::now();
    params.validate(data.n_items)?;
    let mut tables = initial_tables(data, params, init)?;
    let mut model = build_model(data, params);
    let n_parameters = tables.users.len() + tables.items.len();

    let empty = UserItems::empty(data.n_users, data.n_items);
    let (valid_masks, test_masks): (Vec<&UserItems>, Vec<&UserItems>) = match params.protocol {
        Protocol::Standard => (vec![&data.train], vec![&data.train, &data.valid]),
        Protocol::Reference => (vec![&empty], vec![&empty]),
    };
    let has_valid = data.valid.nnz() > 0;

    let mut f = Embeddings::default();
    let (mut initial_valid, mut initial_test) = (None, None);
    if params.eval_initial {
        model.forward(&tables, &mut f, par);
        if has_valid {
            initial_valid = Some(evaluate(
                &f,
                &data.valid,
                &valid_masks,
                &params.ks,
                par,
                observer,
            )?);
        }
        initial_test = Some(evaluate(
            &f,
            &data.test,
            &test_masks,
            &params.ks,
            par,
            observer,
        )?);
    }

    let mut shuffle_rng = shuffle_rng(params.seed);
    let mut negative_rng = negative_rng(params.seed);

    let mut adam = Adam::new(params.lr);
    let mut grad = Embeddings::zeros(data.n_users, data.n_items, params.dim);
    let mut order = Vec::new();
    let mut batch = Batch::default();
    let n = data.train_users.len();
    let n_batches = n.div_ceil(params.batch_size);

    let mut history = Vec::new();
    let mut best_score = f64::NEG_INFINITY;
    let mut best_epoch = 0;
    let mut best_tables = tables.clone();
    let mut since_best = 0;
    let mut stopped_early = false;

    for epoch in 1..=params.epochs {
        let t0 = Instant::now();
        model.start_epoch(epoch, par);
        shuffled_order(&mut shuffle_rng, n, &mut order);
        let mut loss_sum = 0.0;
        for (b, chunk) in order.chunks(params.batch_size).enumerate() {
            if observer.should_stop() {
                return Err(Error::Aborted);
            }
            observer.on_batch(epoch, b, n_batches);
            batch.users.clear();
            batch.pos.clear();
            batch
                .users
                .extend(chunk.iter().map(|&k| data.train_users[k as usize]));
            batch
                .pos
                .extend(chunk.iter().map(|&k| data.train_items[k as usize]));
            draw_negatives(
                &mut negative_rng,
                &data.train,
                &batch.users,
                &batch.pos,
                params.protocol.negatives(),
                &mut batch.neg,
            );
            let loss = model.loss_and_grad(&tables, &batch, &mut grad, par);
            if !loss.is_finite() {
                return Err(Error::Diverged(format!(
                    "loss is {loss} at epoch {epoch}, batch {b}"
                )));
            }
            loss_sum += loss;
            adam.step(
                &mut [&mut tables.users, &mut tables.items],
                &[&grad.users, &grad.items],
                par,
            );
        }
        let train_seconds = t0.elapsed().as_secs_f64();

        let t1 = Instant::now();
        let score = if has_valid {
            model.forward(&tables, &mut f, par);
            let m = evaluate(&f, &data.valid, &valid_masks, &params.ks, par, observer)?;
            m.get(&params.valid_metric).unwrap_or(0.0)
        } else {
            -loss_sum / n_batches as f64
        };
        let improved = score >= best_score;
        if improved {
            best_score = score;
            best_epoch = epoch;
            best_tables.clone_from(&tables);
            since_best = 0;
        } else {
            since_best += 1;
        }
        let record = EpochRecord {
            epoch,
            loss: loss_sum / n_batches as f64,
            valid_score: score,
            train_seconds,
            eval_seconds: t1.elapsed().as_secs_f64(),
            improved,
        };
        observer.on_epoch(&record);
        history.push(record);
        // RecBole: stop once `stopping_step` evaluations in a row failed to match the best.
        if since_best > params.patience {
            stopped_early = true;
            break;
        }
    }

    model.forward(&best_tables, &mut f, par);
    let groups = data.user_groups.as_deref();
    let (valid, valid_groups) = if has_valid {
        evaluate_grouped(
            &f,
            &data.valid,
            &valid_masks,
            &params.ks,
            groups,
            par,
            observer,
        )?
    } else {
        let empty = MetricTable {
            entries: Vec::new(),
            n_users: 0,
        };
        (empty, Vec::new())
    };
    let (test, test_groups) = evaluate_grouped(
        &f,
        &data.test,
        &test_masks,
        &params.ks,
        groups,
        par,
        observer,
    )?;
    Ok(TrainOutcome {
        history,
        best_epoch,
        stopped_early,
        valid,
        test,
        initial_valid,
        initial_test,
        valid_groups,
        test_groups,
        params: best_tables,
        final_embeddings: f,
        n_parameters,
        seconds: started.elapsed().as_secs_f64(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// 6 users × 8 items, 3-4 items each; one epoch of MF. Grouping the users by parity splits
    /// the final metrics into two tables whose user counts add up, and one group holding every
    /// user reproduces the ungrouped metrics exactly.
    #[test]
    fn final_metrics_per_user_group() {
        let (mut tu, mut ti) = (vec![], vec![]);
        for u in 0..6u32 {
            for j in 0..3 {
                tu.push(u);
                ti.push((u + 2 * j) % 8);
            }
        }
        let (vu, vi): (Vec<u32>, Vec<u32>) = (0..6).map(|u| (u, (u + 7) % 8)).unzip();
        let (su, si): (Vec<u32>, Vec<u32>) = (0..6).map(|u| (u, (u + 1) % 8)).unzip();
        let data = TrainData::new(6, 8, (&tu, &ti), (&vu, &vi), (&su, &si)).unwrap();
        let params = TrainParams {
            model: ModelKind::Mf,
            dim: 4,
            epochs: 1,
            ks: vec![2, 5],
            valid_metric: "ndcg@2".into(),
            ..TrainParams::default()
        };
        let run = |groups: Vec<u8>| {
            let d = data.clone().with_user_groups(groups).unwrap();
            train(&d, &params, None, Parallelism::Sequential, &Silent).unwrap()
        };
        let parity = run((0..6).map(|u| (u % 2) as u8).collect());
        assert_eq!(parity.test_groups.len(), 2);
        assert_eq!(
            parity.test_groups[0].1.n_users + parity.test_groups[1].1.n_users,
            6
        );
        let one = run(vec![3; 6]);
        assert_eq!(one.test_groups, vec![(3, one.test.clone())]);
        assert_eq!(one.valid_groups, vec![(3, one.valid.clone())]);
        assert!(data.clone().with_user_groups(vec![0; 5]).is_err());
    }
}
