//! JS-facing types (`Js*`) and their conversions into the core's checked types. Defaults come
//! from the core (`TrainParams::default()`), in one place.

use llminit_core::metrics::MetricTable;
use llminit_core::train::{ContrastParams, ModelKind, Protocol, TrainParams, ViewKind};
use napi::bindgen_prelude::*;
use napi_derive::napi;

/// Turns a core error into a JS error whose message starts with `[CODE] `; the TypeScript
/// wrapper lifts that prefix into `error.code`.
pub fn to_js_error(err: llminit_core::Error) -> napi::Error {
    napi::Error::new(Status::GenericFailure, format!("[{}] {}", err.code(), err))
}

/// Training options; every field is optional and defaults to the paper's setting.
#[napi(object)]
#[derive(Default)]
pub struct JsTrainOptions {
    /// `mf`, `lightgcn`, `sgl`, `sgcl`, `simgcl` or `xsimgcl`.
    pub model: Option<String>,
    pub dim: Option<u32>,
    pub layers: Option<u32>,
    pub lr: Option<f64>,
    pub batch_size: Option<u32>,
    pub epochs: Option<u32>,
    pub patience: Option<u32>,
    pub reg_weight: Option<f64>,
    pub seed: Option<u32>,
    /// `standard` or `reference`.
    pub protocol: Option<String>,
    pub ks: Option<Vec<u32>>,
    pub valid_metric: Option<String>,
    pub eval_initial: Option<bool>,
    /// Worker threads (default: all cores). Results do not depend on it.
    pub threads: Option<u32>,
    /// Contrastive weight λ (default per model: sgl 0.05, simgcl 0.5, xsimgcl 0.2).
    pub ssl_weight: Option<f64>,
    /// Contrastive temperature τ (default per model: 0.2; xsimgcl 0.15).
    pub temperature: Option<f64>,
    /// SimGCL/XSimGCL noise magnitude ε (default simgcl 0.1, xsimgcl 0.2).
    pub noise_eps: Option<f64>,
    /// SGL dropout ratio ρ (default 0.1).
    pub drop_ratio: Option<f64>,
    /// SGL view: `edge` (default), `node` or `walk`.
    pub view: Option<String>,
    /// XSimGCL contrastive layer l* (default 1).
    pub cl_layer: Option<u32>,
}

impl TryFrom<&JsTrainOptions> for TrainParams {
    type Error = napi::Error;
    fn try_from(o: &JsTrainOptions) -> Result<Self> {
        let model = match &o.model {
            Some(m) => ModelKind::parse(m).map_err(to_js_error)?,
            None => TrainParams::default().model,
        };
        let d = TrainParams::for_model(model);
        Ok(TrainParams {
            model,
            dim: o.dim.map_or(d.dim, |v| v as usize),
            layers: o.layers.map_or(d.layers, |v| v as usize),
            lr: o.lr.map_or(d.lr, |v| v as f32),
            batch_size: o.batch_size.map_or(d.batch_size, |v| v as usize),
            epochs: o.epochs.map_or(d.epochs, |v| v as usize),
            patience: o.patience.map_or(d.patience, |v| v as usize),
            reg_weight: o.reg_weight.map_or(d.reg_weight, |v| v as f32),
            seed: o.seed.map_or(d.seed, u64::from),
            protocol: match &o.protocol {
                Some(p) => Protocol::parse(p).map_err(to_js_error)?,
                None => d.protocol,
            },
            ks: o
                .ks
                .as_ref()
                .map_or(d.ks, |ks| ks.iter().map(|&k| k as usize).collect()),
            valid_metric: o.valid_metric.clone().unwrap_or(d.valid_metric),
            eval_initial: o.eval_initial.unwrap_or(d.eval_initial),
            contrast: ContrastParams {
                ssl_weight: o.ssl_weight.map(|v| v as f32).or(d.contrast.ssl_weight),
                temperature: o.temperature.map(|v| v as f32).or(d.contrast.temperature),
                noise_eps: o.noise_eps.map(|v| v as f32).or(d.contrast.noise_eps),
                drop_ratio: o.drop_ratio.map_or(d.contrast.drop_ratio, |v| v as f32),
                view: match &o.view {
                    Some(v) => ViewKind::parse(v).map_err(to_js_error)?,
                    None => d.contrast.view,
                },
                cl_layer: o.cl_layer.map_or(d.contrast.cl_layer, |v| v as usize),
            },
        })
    }
}

/// Interactions with dense ids, as parallel typed arrays.
#[napi(object)]
pub struct JsTrainData {
    pub n_users: u32,
    pub n_items: u32,
    pub train_users: Uint32Array,
    pub train_items: Uint32Array,
    pub valid_users: Uint32Array,
    pub valid_items: Uint32Array,
    pub test_users: Uint32Array,
    pub test_items: Uint32Array,
    /// A group id per user (nUsers of them, e.g. activity buckets): the final validation and
    /// test metrics are then also reported per group.
    pub user_groups: Option<Uint8Array>,
}

/// Initial user and item tables (row-major, `dim` columns), e.g. LLM-selected vectors.
#[napi(object)]
pub struct JsInitTables {
    pub dim: u32,
    pub users: Float32Array,
    pub items: Float32Array,
}

#[napi(object)]
pub struct JsMetric {
    pub name: String,
    pub value: f64,
}

/// The final metrics of one user group.
#[napi(object)]
pub struct JsGroupMetrics {
    pub group: u32,
    /// Evaluated users in the group.
    pub users: u32,
    pub metrics: Vec<JsMetric>,
}

pub fn groups_to_js(groups: &[(u8, MetricTable)]) -> Vec<JsGroupMetrics> {
    groups
        .iter()
        .map(|(g, t)| JsGroupMetrics {
            group: u32::from(*g),
            users: t.n_users as u32,
            metrics: metrics_to_js(t),
        })
        .collect()
}

pub fn metrics_to_js(t: &MetricTable) -> Vec<JsMetric> {
    t.entries
        .iter()
        .map(|(name, value)| JsMetric {
            name: name.clone(),
            value: *value,
        })
        .collect()
}

#[napi(object)]
#[derive(Clone)]
pub struct JsEpoch {
    pub epoch: u32,
    pub loss: f64,
    pub valid_score: f64,
    pub train_seconds: f64,
    pub eval_seconds: f64,
    pub improved: bool,
}

/// A progress event: `kind` is `"batch"` (within an epoch) or `"epoch"` (after its validation).
#[napi(object)]
#[derive(Clone)]
pub struct JsProgress {
    pub kind: String,
    pub epoch: u32,
    pub batch: u32,
    pub n_batches: u32,
    pub record: Option<JsEpoch>,
}

#[napi(object)]
pub struct JsTrainResult {
    pub history: Vec<JsEpoch>,
    pub best_epoch: u32,
    pub stopped_early: bool,
    pub valid: Vec<JsMetric>,
    pub test: Vec<JsMetric>,
    pub initial_valid: Option<Vec<JsMetric>>,
    pub initial_test: Option<Vec<JsMetric>>,
    /// Final metrics per user group (ascending group id), when `userGroups` was given.
    pub valid_groups: Vec<JsGroupMetrics>,
    pub test_groups: Vec<JsGroupMetrics>,
    pub n_parameters: f64,
    pub seconds: f64,
    pub dim: u32,
    /// Final representations F of the best epoch (n_users × dim, n_items × dim).
    pub user_embeddings: Float32Array,
    pub item_embeddings: Float32Array,
}
