//! Low-level entry points over the core's kernels, for callers who bring their own embeddings
//! (propagate them over a training graph, rank them) and for the benchmarks (one training step at
//! a time). Synchronous: the calling thread waits while a rayon pool of `threads` workers
//! (default: all cores) runs the kernel, so they block the event loop meanwhile — use them in
//! scripts and benchmarks, and `trainModel` for long work. As everywhere in the binding, shapes
//! are checked here (errors name the expected size), the numerics are the core's, and a panic
//! is caught and reported as `[ERR_LLMINIT_INTERNAL]`.

use std::sync::{Arc, Mutex};

use llminit_core::graph::{normalized_adjacency, NormalizedGraph};
use llminit_core::models::Recommender;
use llminit_core::optim::{Adam, Optimizer};
use llminit_core::propagate::{propagate_mean, PropagationBuffers};
use llminit_core::sampler::{draw_negatives, shuffled_order, Batch, NegativePolicy};
use llminit_core::train::{
    build_model, evaluate, initial_tables, negative_rng, shuffle_rng, Silent, TrainData,
    TrainParams,
};
use llminit_core::{Embeddings, Error as CoreError, Parallelism, UserItems};
use napi::bindgen_prelude::*;
use napi_derive::napi;
use rand_chacha::ChaCha8Rng;

use crate::convert::*;
use crate::sched::{guard, pool, run_guarded, threads_or_default};

/// Parallel `(user, item)` id arrays of equal length: targets or masked items.
#[napi(object)]
pub struct JsPairs {
    pub users: Uint32Array,
    pub items: Uint32Array,
}

/// A user table and an item table, row-major with `dim` columns.
#[napi(object)]
pub struct JsTables {
    pub users: Float32Array,
    pub items: Float32Array,
}

fn invalid(msg: String) -> napi::Error {
    to_js_error(CoreError::InvalidInput(msg))
}

/// Checks a `rows × dim` table's length; the message names the expected size.
fn check_table(op: &str, what: &str, got: usize, rows: usize, dim: usize) -> Result<()> {
    match rows.checked_mul(dim) {
        Some(want) if want == got => Ok(()),
        want => Err(invalid(format!(
            "{op}: {what} embeddings have {got} values, expected {rows} rows × dim {dim} = {}",
            want.map_or_else(|| "overflow".to_string(), |w| w.to_string())
        ))),
    }
}

fn check_dim(op: &str, dim: u32) -> Result<()> {
    if dim == 0 {
        return Err(to_js_error(CoreError::InvalidParam {
            name: "dim",
            reason: format!("{op}: must be at least 1"),
        }));
    }
    Ok(())
}

fn user_items(what: &str, n_users: usize, n_items: usize, p: &JsPairs) -> Result<UserItems> {
    UserItems::from_pairs(n_users, n_items, &p.users, &p.items).map_err(|e| match e {
        CoreError::InvalidInput(m) => invalid(format!("{what}: {m}")),
        other => to_js_error(other),
    })
}

/// The normalized training graph Â = D^{-1/2} A D^{-1/2} of LightGCN (DESIGN.md §2), built
/// once from `(user, item)` pairs; duplicate pairs count once.
#[napi]
pub struct Graph {
    graph: Arc<NormalizedGraph>,
    /// Layer buffers reused across `propagate` calls (a call allocates only its output).
    buffers: Mutex<PropagationBuffers>,
}

#[napi]
impl Graph {
    /// Errors with `[ERR_LLMINIT_INVALID_INPUT]` if the arrays differ in length or an id is out
    /// of range (the message names the interaction and the bound).
    #[napi(constructor)]
    pub fn new(n_users: u32, n_items: u32, users: Uint32Array, items: Uint32Array) -> Result<Self> {
        let graph = guard(|| {
            let train = UserItems::from_pairs(n_users as usize, n_items as usize, &users, &items)?;
            Ok(normalized_adjacency(&train))
        })?;
        Ok(Graph {
            graph: Arc::new(graph),
            buffers: Mutex::new(PropagationBuffers::default()),
        })
    }

    #[napi(getter)]
    pub fn n_users(&self) -> u32 {
        self.graph.n_users as u32
    }

    #[napi(getter)]
    pub fn n_items(&self) -> u32 {
        self.graph.n_items as u32
    }

    /// Distinct (user, item) edges. Â stores each twice (in R̃ and R̃ᵀ), as a u32 index and an
    /// f32 value, so one layer reads 2 · nnz · 8 bytes of graph.
    #[napi(getter)]
    pub fn nnz(&self) -> f64 {
        self.graph.r.nnz() as f64
    }

    /// The LightGCN layer mean F = (1/(L+1)) Σ_{l=0..L} Â^l E of the tables `users`
    /// (nUsers × dim) and `items` (nItems × dim); `layers = 0` copies them. Returns new arrays.
    /// Bit-identical for any `threads`.
    #[napi]
    pub fn propagate(
        &self,
        users: Float32Array,
        items: Float32Array,
        dim: u32,
        layers: u32,
        threads: Option<u32>,
    ) -> Result<JsTables> {
        check_dim("propagate", dim)?;
        let dim = dim as usize;
        let g = &self.graph;
        check_table("propagate", "user", users.len(), g.n_users, dim)?;
        check_table("propagate", "item", items.len(), g.n_items, dim)?;
        let threads = threads_or_default(threads)?;
        // The core's propagation takes owned tables: one copy of the input here.
        let e = Embeddings {
            n_users: g.n_users,
            n_items: g.n_items,
            dim,
            users: users.to_vec(),
            items: items.to_vec(),
        };
        let graph = &self.graph;
        let buffers = &self.buffers;
        let out = run_guarded(threads, move || {
            let mut bufs = buffers.lock().unwrap_or_else(|p| p.into_inner());
            let mut out = Embeddings::default();
            propagate_mean(
                &mut out,
                graph,
                &e,
                layers as usize,
                &mut bufs,
                Parallelism::Rayon,
            );
            Ok(out)
        })?;
        Ok(JsTables {
            users: Float32Array::new(out.users),
            items: Float32Array::new(out.items),
        })
    }
}

/// Full-ranking evaluation of given final representations (DESIGN.md §3): for every user with
/// at least one target, all items are scored by ⟨user, item⟩, the items in any of `masks` are
/// excluded, and the top max(ks) are kept (ties: lower item id first). Returns the metrics
/// (recall, ndcg, mrr, hit, precision, map at each k) averaged over the evaluated users.
#[napi]
#[allow(clippy::too_many_arguments)]
pub fn evaluate_ranking(
    user_emb: Float32Array,
    item_emb: Float32Array,
    dim: u32,
    n_users: u32,
    n_items: u32,
    targets: JsPairs,
    masks: Vec<JsPairs>,
    ks: Vec<u32>,
    threads: Option<u32>,
) -> Result<Vec<JsMetric>> {
    check_dim("evaluateRanking", dim)?;
    let (dim, n_users, n_items) = (dim as usize, n_users as usize, n_items as usize);
    check_table("evaluateRanking", "user", user_emb.len(), n_users, dim)?;
    check_table("evaluateRanking", "item", item_emb.len(), n_items, dim)?;
    if ks.is_empty() {
        return Err(to_js_error(CoreError::InvalidParam {
            name: "ks",
            reason: "must hold at least one cut-off".into(),
        }));
    }
    if let Some(&bad) = ks.iter().find(|&&k| k == 0 || k as usize > n_items) {
        return Err(to_js_error(CoreError::InvalidParam {
            name: "ks",
            reason: format!("each cut-off must be in 1..={n_items} (nItems), got {bad}"),
        }));
    }
    let threads = threads_or_default(threads)?;
    let targets = user_items("targets", n_users, n_items, &targets)?;
    let masks = masks
        .iter()
        .enumerate()
        .map(|(m, p)| user_items(&format!("mask {m}"), n_users, n_items, p))
        .collect::<Result<Vec<_>>>()?;
    let ks: Vec<usize> = ks.iter().map(|&k| k as usize).collect();
    // `rank_all` takes owned tables: one copy of the input here.
    let emb = Embeddings {
        n_users,
        n_items,
        dim,
        users: user_emb.to_vec(),
        items: item_emb.to_vec(),
    };
    let table = run_guarded(threads, move || {
        let mask_refs: Vec<&UserItems> = masks.iter().collect();
        evaluate(&emb, &targets, &mask_refs, &ks, Parallelism::Rayon, &Silent)
    })?;
    Ok(metrics_to_js(&table))
}

/// The state of [`StepBench`] between steps.
struct StepState {
    data: TrainData,
    model: Box<dyn Recommender>,
    tables: Embeddings,
    grad: Embeddings,
    adam: Adam,
    batch: Batch,
    negatives: NegativePolicy,
    negative_rng: ChaCha8Rng,
    shuffle_rng: ChaCha8Rng,
    batch_size: usize,
    /// A pass's visiting order of the training pairs, reshuffled when a batch would run past its
    /// end: like training, a batch holds pairs of many users (the input is sorted by user, and
    /// consecutive pairs would touch far fewer rows than a training step does).
    order: Vec<u32>,
    /// Position of the next batch in `order`.
    cursor: usize,
    steps: u32,
    pool: Arc<rayon::ThreadPool>,
}

impl StepState {
    fn step(&mut self) -> std::result::Result<f64, CoreError> {
        let n = self.data.train_users.len();
        if self.order.is_empty() || self.cursor + self.batch_size > n {
            shuffled_order(&mut self.shuffle_rng, n, &mut self.order);
            self.cursor = 0;
        }
        self.batch.users.clear();
        self.batch.pos.clear();
        let end = (self.cursor + self.batch_size).min(n);
        for &j in &self.order[self.cursor..end] {
            self.batch.users.push(self.data.train_users[j as usize]);
            self.batch.pos.push(self.data.train_items[j as usize]);
        }
        self.cursor = end;
        draw_negatives(
            &mut self.negative_rng,
            &self.data.train,
            &self.batch.users,
            &self.batch.pos,
            self.negatives,
            &mut self.batch.neg,
        );
        let Self {
            model,
            tables,
            grad,
            adam,
            batch,
            pool,
            ..
        } = self;
        let loss = pool.install(|| {
            let loss = model.loss_and_grad(tables, batch, grad, Parallelism::Rayon);
            adam.step(
                &mut [&mut tables.users, &mut tables.items],
                &[&grad.users, &grad.items],
                Parallelism::Rayon,
            );
            loss
        });
        self.steps += 1;
        if !loss.is_finite() {
            return Err(CoreError::Diverged(format!(
                "loss is {loss} at step {}",
                self.steps
            )));
        }
        Ok(loss)
    }
}

/// A benchmark and diagnostic handle: one model (LightGCN or MF-BPR per `options.model`), its
/// seeded random initialization, Adam and the negative sampler, advanced one optimizer step at a
/// time with `step()`. Batches take `batchSize` training pairs from a seeded permutation, as an
/// epoch does (a fresh one when the next batch would pass its end); negatives follow
/// `options.protocol`. Not a training API — no evaluation or early stopping; use `trainModel`
/// for that. `close()` frees its memory early.
#[napi]
pub struct StepBench {
    state: Option<StepState>,
}

#[napi]
impl StepBench {
    #[napi(constructor)]
    pub fn new(data: JsTrainData, options: JsTrainOptions) -> Result<Self> {
        let params = TrainParams::try_from(&options)?;
        let threads = threads_or_default(options.threads)?;
        let state = guard(|| {
            let data = TrainData::new(
                data.n_users as usize,
                data.n_items as usize,
                (&data.train_users, &data.train_items),
                (&data.valid_users, &data.valid_items),
                (&data.test_users, &data.test_items),
            )?;
            params.validate(data.n_items)?;
            let pool = pool(threads)?;
            let tables = initial_tables(&data, &params, None)?;
            let model = build_model(&data, &params);
            let negative_rng = negative_rng(params.seed);
            Ok(StepState {
                grad: Embeddings::zeros(data.n_users, data.n_items, params.dim),
                data,
                model,
                tables,
                adam: Adam::new(params.lr),
                batch: Batch::default(),
                negatives: params.protocol.negatives(),
                negative_rng,
                shuffle_rng: shuffle_rng(params.seed),
                batch_size: params.batch_size,
                order: Vec::new(),
                cursor: 0,
                steps: 0,
                pool,
            })
        })?;
        Ok(StepBench { state: Some(state) })
    }

    /// Runs one training step (batch, negatives, loss and gradient, Adam) and returns the
    /// batch's loss. Errors with `[ERR_LLMINIT_DIVERGED]` on a non-finite loss.
    #[napi]
    pub fn step(&mut self) -> Result<f64> {
        let state = self
            .state
            .as_mut()
            .ok_or_else(|| invalid("StepBench.step: the handle is closed".into()))?;
        guard(|| state.step())
    }

    /// Steps taken so far.
    #[napi(getter)]
    pub fn steps(&self) -> u32 {
        self.state.as_ref().map_or(0, |s| s.steps)
    }

    /// Trainable parameters (user and item tables).
    #[napi(getter)]
    pub fn n_parameters(&self) -> f64 {
        self.state.as_ref().map_or(0.0, |s| {
            (s.tables.users.len() + s.tables.items.len()) as f64
        })
    }

    /// Frees the model, optimizer state and graph now instead of at garbage collection.
    #[napi]
    pub fn close(&mut self) {
        self.state = None;
    }
}
