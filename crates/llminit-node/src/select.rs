//! `selectInit`: LLMInit's selective initialization (the core's `select`) for the TypeScript
//! layer. Synchronous — a selection is one pass over an I × D matrix plus a gather, milliseconds
//! even at Amazon Beauty size. The typed arrays are read in place (no copy in); the results are
//! Rust-owned buffers handed to JS.

use llminit_core::llm_init::{llm_init, LlmInitParams};
use llminit_core::select::{InitScale, Strategy};
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
    /// How many of the `dim` columns (the last ones) come from `model`'s random init.
    pub random_columns: u32,
}

/// Selects `dim` of the `vectorDim` dimensions of `itemVectors` (nItems × vectorDim, row-major,
/// dense item-id order) by `strategy` (`rand`, `uni`, `var`, `full`) — or projects onto the top
/// `dim` principal directions (`pca`; `whiten` at unit variance) — and builds the item table and
/// the user table (mean of each user's distinct training items). `initScale` `random-norm`
/// (default `stored`) then rescales each table to the mean row norm of `model`'s random init
/// (default `lightgcn`: xavier_uniform; `mf`: xavier_normal). `var` ranks
/// items by their number of distinct training users and takes the top ⌈popularRatio · nItems⌉
/// (default 0.2); `rand` draws from `seed` (default: training's default seed). `full` ignores
/// `dim` and returns vectorDim columns. `randomShare` s in [0, 1) (default 0) replaces the last
/// round(s · dim) columns by `model`'s random init (the LLM part is built at the remaining
/// width). Errors: `[ERR_LLMINIT_INVALID_PARAM]` /
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
    random_share: Option<f64>,
) -> Result<JsSelectedInit> {
    let run = || -> std::result::Result<JsSelectedInit, CoreError> {
        let strategy = Strategy::parse(&strategy)?;
        let scale = init_scale
            .as_deref()
            .map_or(Ok(InitScale::default()), InitScale::parse)?;
        let model = model
            .as_deref()
            .map_or(Ok(ModelKind::LightGcn), ModelKind::parse)?;
        let train = UserItems::from_pairs(
            n_users as usize,
            n_items as usize,
            &train_users,
            &train_items,
        )?;
        let init = llm_init(
            &item_vectors,
            vector_dim as usize,
            &train,
            &LlmInitParams {
                strategy,
                dim: dim as usize,
                popular_ratio: popular_ratio.unwrap_or(0.2),
                seed: seed.map_or(TrainParams::default().seed, u64::from),
                scale,
                model,
                random_share: random_share.unwrap_or(0.0),
            },
        )?;
        Ok(JsSelectedInit {
            users: Float32Array::new(init.users),
            items: Float32Array::new(init.items),
            dim: init.dim as u32,
            indices: Uint32Array::new(init.report.indices.iter().map(|&j| j as u32).collect()),
            variances: Float32Array::new(init.report.variances.iter().map(|&v| v as f32).collect()),
            init_scale: scale.name().to_string(),
            item_scale: init.item_scale,
            user_scale: init.user_scale,
            item_target_norm: init.item_target_norm,
            user_target_norm: init.user_target_norm,
            item_effective_rank: init.item_effective_rank,
            random_columns: init.random_columns as u32,
        })
    };
    guard(run)
}
