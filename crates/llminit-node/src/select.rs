//! `selectInit`: LLMInit's selective initialization (the core's `select`) for the TypeScript
//! layer. Synchronous — a selection is one pass over an I × D matrix plus a gather, milliseconds
//! even at Amazon Beauty size. The typed arrays are read in place (no copy in); the results are
//! Rust-owned buffers handed to JS.

use llminit_core::select::{item_init, select, selection_rng, user_mean_init, Strategy};
use llminit_core::train::TrainParams;
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
    /// items otherwise.
    pub variances: Float32Array,
}

/// Selects `dim` of the `vectorDim` dimensions of `itemVectors` (nItems × vectorDim, row-major,
/// dense item-id order) by `strategy` (`rand`, `uni`, `var`, `full`), and builds the item table
/// (the gather) and the user table (mean of each user's distinct training items). `var` ranks
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
) -> Result<JsSelectedInit> {
    let run = || -> std::result::Result<JsSelectedInit, CoreError> {
        let strategy = Strategy::parse(&strategy)?;
        let (n_users, n_items, big_d) = (n_users as usize, n_items as usize, vector_dim as usize);
        let train = UserItems::from_pairs(n_users, n_items, &train_users, &train_items)?;
        let degrees = train.item_degrees();
        let mut rng = selection_rng(seed.map_or(TrainParams::default().seed, u64::from));
        let report = select(
            &item_vectors,
            big_d,
            dim as usize,
            strategy,
            &degrees,
            popular_ratio.unwrap_or(0.2),
            &mut rng,
        )?;
        let d = report.indices.len();
        let items = item_init(&item_vectors, big_d, &report.indices);
        let users = user_mean_init(&train, &items, d);
        Ok(JsSelectedInit {
            users: Float32Array::new(users),
            items: Float32Array::new(items),
            dim: d as u32,
            indices: Uint32Array::new(report.indices.iter().map(|&j| j as u32).collect()),
            variances: Float32Array::new(report.variances.iter().map(|&v| v as f32).collect()),
        })
    };
    guard(run)
}
