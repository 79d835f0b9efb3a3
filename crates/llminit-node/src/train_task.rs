//! `trainModel`: training as an `AsyncTask` on the libuv pool, inside a rayon pool of the
//! requested size; progress through a non-blocking threadsafe function; cancellation through an
//! atomic flag that the core polls before every batch.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use llminit_core::train::{train, EpochRecord, Observer, TrainData, TrainOutcome, TrainParams};
use llminit_core::{Embeddings, Error as CoreError, Parallelism};
use napi::bindgen_prelude::*;
use napi::threadsafe_function::{ThreadsafeFunction, ThreadsafeFunctionCallMode};
use napi_derive::napi;

use crate::convert::*;
use crate::sched::{guard, threads_or_default};

/// A cancellation flag shared with running work; `cancel()` makes it stop at the next batch.
#[napi]
#[derive(Default)]
pub struct CancelToken {
    flag: Arc<AtomicBool>,
}

#[napi]
impl CancelToken {
    #[napi(constructor)]
    pub fn new() -> Self {
        Self::default()
    }

    #[napi]
    pub fn cancel(&self) {
        self.flag.store(true, Ordering::SeqCst);
    }

    #[napi(getter)]
    pub fn cancelled(&self) -> bool {
        self.flag.load(Ordering::SeqCst)
    }
}

type ProgressFn = ThreadsafeFunction<JsProgress, (), JsProgress, Status, false>;

struct Relay {
    progress: Option<Arc<ProgressFn>>,
    cancel: Arc<AtomicBool>,
}

fn epoch_to_js(r: &EpochRecord) -> JsEpoch {
    JsEpoch {
        epoch: r.epoch as u32,
        loss: r.loss,
        valid_score: r.valid_score,
        train_seconds: r.train_seconds,
        eval_seconds: r.eval_seconds,
        improved: r.improved,
    }
}

impl Observer for Relay {
    fn on_epoch(&self, r: &EpochRecord) {
        if let Some(f) = &self.progress {
            let ev = JsProgress {
                kind: "epoch".into(),
                epoch: r.epoch as u32,
                batch: 0,
                n_batches: 0,
                record: Some(epoch_to_js(r)),
            };
            f.call(ev, ThreadsafeFunctionCallMode::NonBlocking);
        }
    }

    fn on_batch(&self, epoch: usize, batch: usize, n_batches: usize) {
        // About fifty updates per epoch: enough for a progress bar, cheap for the event loop.
        let every = (n_batches / 50).max(1);
        if batch.is_multiple_of(every) {
            if let Some(f) = &self.progress {
                let ev = JsProgress {
                    kind: "batch".into(),
                    epoch: epoch as u32,
                    batch: batch as u32,
                    n_batches: n_batches as u32,
                    record: None,
                };
                f.call(ev, ThreadsafeFunctionCallMode::NonBlocking);
            }
        }
    }

    fn should_stop(&self) -> bool {
        self.cancel.load(Ordering::Relaxed)
    }
}

pub struct TrainTask {
    data: Option<TrainData>,
    params: TrainParams,
    init: Option<Embeddings>,
    threads: usize,
    relay: Arc<Relay>,
}

impl Task for TrainTask {
    type Output = TrainOutcome;
    type JsValue = JsTrainResult;

    fn compute(&mut self) -> Result<Self::Output> {
        let data = self
            .data
            .take()
            .ok_or_else(|| Error::from_reason("trainModel: task ran twice"))?;
        let (params, init, relay, threads) = (
            &self.params,
            self.init.take(),
            self.relay.clone(),
            self.threads,
        );
        let run = move || train(&data, params, init, Parallelism::Rayon, relay.as_ref());
        // A fresh pool per run: training is long, and its size is the caller's `threads`.
        guard(move || {
            let pool = rayon::ThreadPoolBuilder::new()
                .num_threads(threads)
                .build()
                .map_err(|e| {
                    CoreError::InvalidInput(format!("cannot start {threads} worker threads: {e}"))
                })?;
            pool.install(run)
        })
    }

    fn resolve(&mut self, _env: Env, o: Self::Output) -> Result<Self::JsValue> {
        Ok(JsTrainResult {
            history: o.history.iter().map(epoch_to_js).collect(),
            best_epoch: o.best_epoch as u32,
            stopped_early: o.stopped_early,
            valid: metrics_to_js(&o.valid),
            test: metrics_to_js(&o.test),
            initial_valid: o.initial_valid.as_ref().map(metrics_to_js),
            initial_test: o.initial_test.as_ref().map(metrics_to_js),
            valid_groups: groups_to_js(&o.valid_groups),
            test_groups: groups_to_js(&o.test_groups),
            n_parameters: o.n_parameters as f64,
            seconds: o.seconds,
            dim: o.final_embeddings.dim as u32,
            user_embeddings: Float32Array::new(o.final_embeddings.users),
            item_embeddings: Float32Array::new(o.final_embeddings.items),
        })
    }
}

/// Trains a model off the event loop. Typed arrays are copied once into Rust-owned memory
/// (the work runs on another thread); `onProgress` receives batch and epoch events;
/// `cancel.cancel()` stops at the next batch and the promise rejects with `[ABORT_ERR]`.
#[napi(ts_return_type = "Promise<JsTrainResult>")]
pub fn train_model(
    data: JsTrainData,
    options: JsTrainOptions,
    init: Option<JsInitTables>,
    on_progress: Option<ThreadsafeFunction<JsProgress, (), JsProgress, Status, false>>,
    cancel: Option<&CancelToken>,
) -> Result<AsyncTask<TrainTask>> {
    let params = TrainParams::try_from(&options)?;
    let pair = |u: &Uint32Array, i: &Uint32Array| (u.to_vec(), i.to_vec());
    let (tu, ti) = pair(&data.train_users, &data.train_items);
    let (vu, vi) = pair(&data.valid_users, &data.valid_items);
    let (su, si) = pair(&data.test_users, &data.test_items);
    let (n_users, n_items) = (data.n_users as usize, data.n_items as usize);
    let mut train_data = TrainData::new(n_users, n_items, (&tu, &ti), (&vu, &vi), (&su, &si))
        .map_err(to_js_error)?;
    if let Some(groups) = &data.user_groups {
        train_data = train_data
            .with_user_groups(groups.to_vec())
            .map_err(to_js_error)?;
    }
    let init = init.map(|t| {
        let dim = t.dim as usize;
        Embeddings {
            n_users,
            n_items,
            dim,
            users: t.users.to_vec(),
            items: t.items.to_vec(),
        }
    });
    let threads = threads_or_default(options.threads)?;
    let flag = cancel.map_or_else(|| Arc::new(AtomicBool::new(false)), |c| c.flag.clone());
    let relay = Arc::new(Relay {
        progress: on_progress.map(Arc::new),
        cancel: flag,
    });
    Ok(AsyncTask::new(TrainTask {
        data: Some(train_data),
        params,
        init,
        threads,
        relay,
    }))
}
