//! The initial tables of LLMInit (DESIGN.md §1 steps 2–3), assembled: the item table from the
//! LLM vectors ([`crate::select::initial_items`]: a selection of columns or a projection), its
//! scale ([`InitScale`]), the user table as each user's mean of its items' rows, and — the
//! mixing candidate — a share of the columns taken from the model's own random init instead.
//!
//! With `random_share` s > 0 the tables have d_llm = d − round(s·d) LLM columns followed by
//! round(s·d) random ones: the LLM part is built exactly as without mixing at width d_llm
//! (selection, scale, user means); the random part is the last columns of the model's random
//! init at the full width d (so each entry has the distribution the `none` init gives it), drawn
//! from the run's seed on a stream of its own, for users and items alike.

use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;

use crate::init::random_tables;
use crate::rank::effective_rank;
use crate::select::{
    expected_random_row_norm, initial_items, rescale_to_mean_norm, selection_rng, user_mean_init,
    InitScale, SelectionReport, Strategy,
};
use crate::train::ModelKind;
use crate::{Error, Result, UserItems};

/// What to build.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct LlmInitParams {
    pub strategy: Strategy,
    /// Columns of the tables (`full`: ignored, the vectors' width).
    pub dim: usize,
    /// Share of items ranked by popularity that `var` measures variance on.
    pub popular_ratio: f64,
    pub seed: u64,
    pub scale: InitScale,
    /// Whose random init `random-norm` and the random columns follow.
    pub model: ModelKind,
    /// Share of the columns drawn from the random init, in [0, 1).
    pub random_share: f64,
}

/// The tables and what went into them.
#[derive(Clone, Debug)]
pub struct LlmInit {
    /// n_users × dim, row-major.
    pub users: Vec<f32>,
    /// n_items × dim, row-major.
    pub items: Vec<f32>,
    pub dim: usize,
    /// The selection (or projection) of the LLM columns.
    pub report: SelectionReport,
    /// Factors the LLM parts of the item and user tables were multiplied by (1 when stored).
    pub item_scale: f64,
    pub user_scale: f64,
    /// With `random-norm`, the target mean row norms of the LLM parts; 0 when stored.
    pub item_target_norm: f64,
    pub user_target_norm: f64,
    /// Effective rank (Roy & Vetterli) of the item table as returned.
    pub item_effective_rank: f64,
    /// How many of the `dim` columns (the last ones) come from the random init.
    pub random_columns: usize,
}

/// The stream of the random columns' generator (the selection's `rand` uses its own).
const RANDOM_COLUMNS_STREAM: u64 = 11;

/// Builds the initial tables from `x` (n_items × `big_d`, row-major, dense item order) and the
/// training pairs in `train`.
///
/// # Errors
/// `InvalidParam` naming `initMix` outside [0, 1), leaving no LLM column, or given with
/// `full`; and every error of
/// [`initial_items`] and [`rescale_to_mean_norm`].
pub fn llm_init(x: &[f32], big_d: usize, train: &UserItems, p: &LlmInitParams) -> Result<LlmInit> {
    if !(p.random_share.is_finite() && (0.0..1.0).contains(&p.random_share)) {
        return Err(Error::param(
            "initMix",
            format!("must be in [0, 1), got {}", p.random_share),
        ));
    }
    if p.strategy == Strategy::Full && p.random_share > 0.0 {
        return Err(Error::param(
            "initMix",
            "full keeps every column of the vectors, so there is none to replace; use a width d",
        ));
    }
    let width = if p.strategy == Strategy::Full {
        big_d
    } else {
        p.dim
    };
    let random_columns = (p.random_share * width as f64).round() as usize;
    if random_columns > 0 && random_columns >= width {
        return Err(Error::param(
            "initMix",
            format!(
                "{} of {width} columns leaves no LLM column; use a smaller share",
                p.random_share
            ),
        ));
    }
    let llm_width = width - random_columns;
    let degrees = train.item_degrees();
    let mut rng = selection_rng(p.seed);
    let (report, mut items) = initial_items(
        x,
        big_d,
        llm_width,
        p.strategy,
        &degrees,
        p.popular_ratio,
        &mut rng,
    )?;
    let d_llm = report.indices.len();
    let (n_users, n_items) = (train.n_users, train.n_items);
    let (mut item_scale, mut user_scale, mut item_target, mut user_target) = (1.0, 1.0, 0.0, 0.0);
    let kind = p.model.random_init();
    if p.scale == InitScale::RandomNorm {
        item_target = expected_random_row_norm(n_items, d_llm, kind);
        item_scale = rescale_to_mean_norm(&mut items, d_llm, item_target, "item")?;
    }
    let mut users = user_mean_init(train, &items, d_llm);
    if p.scale == InitScale::RandomNorm {
        user_target = expected_random_row_norm(n_users, d_llm, kind);
        user_scale = rescale_to_mean_norm(&mut users, d_llm, user_target, "user")?;
    }
    let dim = d_llm + random_columns;
    if random_columns > 0 {
        let mut rng = ChaCha8Rng::seed_from_u64(p.seed);
        rng.set_stream(RANDOM_COLUMNS_STREAM);
        let random = random_tables(n_users, n_items, dim, kind, &mut rng);
        users = append_columns(&users, d_llm, &random.users, dim);
        items = append_columns(&items, d_llm, &random.items, dim);
    }
    let item_effective_rank = effective_rank(&items, dim);
    Ok(LlmInit {
        users,
        items,
        dim,
        report,
        item_scale,
        user_scale,
        item_target_norm: item_target,
        user_target_norm: user_target,
        item_effective_rank,
        random_columns,
    })
}

/// Rows of `left` (width `dl`) followed by the last `dim − dl` columns of `full` (width `dim`).
fn append_columns(left: &[f32], dl: usize, full: &[f32], dim: usize) -> Vec<f32> {
    let mut out = Vec::with_capacity(full.len());
    for (l, f) in left.chunks_exact(dl).zip(full.chunks_exact(dim)) {
        out.extend_from_slice(l);
        out.extend_from_slice(&f[dl..]);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::init::RandomInit;
    use rand::Rng;

    fn case() -> (Vec<f32>, usize, UserItems) {
        let mut rng = ChaCha8Rng::seed_from_u64(1);
        let (n_items, big_d) = (30usize, 12usize);
        let x: Vec<f32> = (0..n_items * big_d)
            .map(|_| rng.gen_range(-1.0..1.0))
            .collect();
        let (mut u, mut i) = (Vec::new(), Vec::new());
        for user in 0..20u32 {
            for k in 0..4u32 {
                u.push(user);
                i.push((user * 7 + k * 5) % n_items as u32);
            }
        }
        let train = UserItems::from_pairs(20, n_items, &u, &i).unwrap();
        (x, big_d, train)
    }

    fn params(strategy: Strategy, share: f64) -> LlmInitParams {
        LlmInitParams {
            strategy,
            dim: 8,
            popular_ratio: 0.5,
            seed: 7,
            scale: InitScale::Stored,
            model: ModelKind::LightGcn,
            random_share: share,
        }
    }

    #[test]
    fn no_mixing_is_selection_then_user_means() {
        let (x, big_d, train) = case();
        let got = llm_init(&x, big_d, &train, &params(Strategy::Var, 0.0)).unwrap();
        let (report, items) = initial_items(
            &x,
            big_d,
            8,
            Strategy::Var,
            &train.item_degrees(),
            0.5,
            &mut selection_rng(7),
        )
        .unwrap();
        assert_eq!(got.items, items);
        assert_eq!(got.report.indices, report.indices);
        assert_eq!(got.users, user_mean_init(&train, &items, 8));
        assert_eq!((got.dim, got.random_columns), (8, 0));
    }

    /// Share 0.25 of d = 8: the first 6 columns are the pca init built at width 6 (items and user
    /// means), the last 2 are the last columns of lightgcn's random init at width 8 — xavier
    /// bounds √(6/(rows + 8)) — and the same seed gives the same tables.
    #[test]
    fn mixing_appends_random_columns_to_the_llm_part() {
        let (x, big_d, train) = case();
        let got = llm_init(&x, big_d, &train, &params(Strategy::Pca, 0.25)).unwrap();
        let llm6 = llm_init(
            &x,
            big_d,
            &train,
            &LlmInitParams {
                dim: 6,
                ..params(Strategy::Pca, 0.0)
            },
        )
        .unwrap();
        assert_eq!((got.dim, got.random_columns), (8, 2));
        for (table, part, rows) in [
            (&got.items, &llm6.items, 30usize),
            (&got.users, &llm6.users, 20),
        ] {
            let bound = (6.0f32 / (rows + 8) as f32).sqrt();
            for (row, want) in table.chunks_exact(8).zip(part.chunks_exact(6)) {
                assert_eq!(&row[..6], want);
                assert!(row[6..].iter().all(|v| v.abs() <= bound && *v != 0.0));
            }
        }
        let mut rng = ChaCha8Rng::seed_from_u64(7);
        rng.set_stream(RANDOM_COLUMNS_STREAM);
        let random = random_tables(20, 30, 8, RandomInit::XavierUniform, &mut rng);
        for (table, random) in [(&got.items, &random.items), (&got.users, &random.users)] {
            for (row, want) in table.chunks_exact(8).zip(random.chunks_exact(8)) {
                assert_eq!(row[6..], want[6..]);
            }
        }
        let again = llm_init(&x, big_d, &train, &params(Strategy::Pca, 0.25)).unwrap();
        assert_eq!(again.items, got.items);
        assert_eq!(again.users, got.users);
    }

    #[test]
    fn a_share_outside_the_range_is_an_error_naming_it() {
        let (x, big_d, train) = case();
        for share in [-0.1, 1.0, f64::NAN, 0.97] {
            let err = llm_init(&x, big_d, &train, &params(Strategy::Uni, share)).unwrap_err();
            assert!(err.to_string().contains("initMix"), "{err}");
        }
        let err = llm_init(&x, big_d, &train, &params(Strategy::Full, 0.5)).unwrap_err();
        assert!(err.to_string().contains("full keeps every column"), "{err}");
    }
}
