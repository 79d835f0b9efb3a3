//! `selectInit`: LLMInit's selective initialization (the core's `select`) for the TypeScript
//! layer. Synchronous — a selection is one pass over an I × D matrix plus a gather, milliseconds
//! even at Amazon Beauty size. The typed arrays are read in place (no copy in); the results are
//! Rust-owned buffers handed to JS.

use llminit_core::rank::effective_rank;
use llminit_core::select::{
    expected_random_row_norm, initial_items, rescale_to_mean_norm, selection_rng, user_mean_init,
    InitScale, Strategy,
};
use llminit_core::train::{ModelKind, TrainParams};
use llminit_core::{Error as CoreError, UserItems};
use napi::bindgen_prelude::*;
use napi_derive::napi;

use crate::sched::guard;

/// Initial tables chosen from LLM item vectors, with what was chosen.
#[napi(object)]
pub struct JsSelectedInit {
    /// n_users × dim, row-major: each user's mean of its training items' rows of `items`.
    pub users: Float32Array,
    /// n_items × dim, row-major: the selected columns of the item vectors.
    pub items: Float32Array,
    pub dim: u32,
    /// The selected dimensions of the D-dimensional vectors (draw order for `rand`, ascending
    /// otherwise).
    pub indices: Uint32Array,
    /// Unbiased variance of each selected dimension: over the popular items for `var`, over all
    /// items otherwise; for `pca` / `whiten` the eigenvalue of each component.
    pub variances: Float32Array,
    /// `stored` or `random-norm`.
    pub init_scale: String,
    /// The factors the item and user tables were multiplied by (1 for `stored`).
    pub item_scale: f64,
    pub user_scale: f64,
    /// With `random-norm`, the target mean row norms (the random init's expected row norm, per
    /// table); 0 for `stored`.
    pub item_target_norm: f64,
    pub user_target_norm: f64,
    /// Effective rank (Roy & Vetterli) of the item table as returned: between 1 and `dim`.
    pub item_effective_rank: f64,
}

/// Selects `dim` of the `vectorDim` dimensions of `itemVectors` (nItems × vectorDim, row-major,
/// dense item-id order) by `strategy` (`rand`, `uni`, `var`, `full`) — or projects onto the top
/// `dim` principal directions (`pca`; `whiten` at unit variance) — and builds the item table and
/// the user table (mean of each user's distinct training items). `initScale` `random-norm`
/// (default `stored`) then rescales each table to the mean row norm of `model`'s random init
/// (default `lightgcn`: xavier_uniform; `mf`: xavier_normal). `var` ranks
/// items by their number of distinct training users and takes the top ⌈popularRatio · nItems⌉
/// (default 0.2); `rand` draws from `seed` (default: training's default seed). `full` ignores
/// `dim` and returns vectorDim columns. Errors: `[ERR_LLMINIT_INVALID_PARAM]` /
/// `[ERR_LLMINIT_INVALID_INPUT]` naming the value at fault.
#[napi]
#[allow(clippy::too_many_arguments)]
pub fn select_init(
    item_vectors: Float32Array,
    n_items: u32,
    vector_dim: u32,
    strategy: String,
    dim: u32,
    train_users: Uint32Array,
    train_items: Uint32Array,
    n_users: u32,
    popular_ratio: Option<f64>,
    seed: Option<u32>,
    init_scale: Option<String>,
    model: Option<String>,
) -> Result<JsSelectedInit> {
    let run = || -> std::result::Result<JsSelectedInit, CoreError> {
        let strategy = Strategy::parse(&strategy)?;
        let scale = init_scale
            .as_deref()
            .map_or(Ok(InitScale::default()), InitScale::parse)?;
        let model = model
            .as_deref()
            .map_or(Ok(ModelKind::LightGcn), ModelKind::parse)?;
        let (n_users, n_items, big_d) = (n_users as usize, n_items as usize, vector_dim as usize);
        let train = UserItems::from_pairs(n_users, n_items, &train_users, &train_items)?;
        let degrees = train.item_degrees();
        let mut rng = selection_rng(seed.map_or(TrainParams::default().seed, u64::from));
        let (report, mut items) = initial_items(
            &item_vectors,
            big_d,
            dim as usize,
            strategy,
            &degrees,
            popular_ratio.unwrap_or(0.2),
            &mut rng,
        )?;
        let d = report.indices.len();
        let (mut item_scale, mut user_scale, mut item_target, mut user_target) =
            (1.0, 1.0, 0.0, 0.0);
        if scale == InitScale::RandomNorm {
            item_target = expected_random_row_norm(n_items, d, model.random_init());
            item_scale = rescale_to_mean_norm(&mut items, d, item_target, "item")?;
        }
        let item_effective_rank = effective_rank(&items, d);
        let mut users = user_mean_init(&train, &items, d);
        if scale == InitScale::RandomNorm {
            user_target = expected_random_row_norm(n_users, d, model.random_init());
            user_scale = rescale_to_mean_norm(&mut users, d, user_target, "user")?;
        }
        Ok(JsSelectedInit {
            users: Float32Array::new(users),
            items: Float32Array::new(items),
            dim: d as u32,
            indices: Uint32Array::new(report.indices.iter().map(|&j| j as u32).collect()),
            variances: Float32Array::new(report.variances.iter().map(|&v| v as f32).collect()),
            init_scale: scale.name().to_string(),
            item_scale,
            user_scale,
            item_target_norm: item_target,
            user_target_norm: user_target,
            item_effective_rank,
        })
    };
    guard(run)
}
