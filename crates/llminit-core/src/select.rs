//! Selective initialization, the heart of LLMInit (DESIGN.md §1; Zhang et al., EMNLP 2025 Industry
//! Track, reference code github.com/DavidZWZ/LLMInit).
//!
//! Given LLM item vectors X ∈ ℝ^{I×D} (row i = the text embedding of dense item i), pick d of the
//! D dimensions, idx = (j₁ … j_d), and start the CF model from
//!
//! - items: E_i⁰ = X[:, idx]  (an I × d gather, [`item_init`]);
//! - users: E_u⁰ = (R · E_i⁰) / deg(u), the mean of the user's training items' vectors
//!   ([`user_mean_init`]); a user without training items starts at zero.
//!
//! The strategies ([`Strategy`]):
//!
//! - `rand`: j_k ~ U{0, …, D−1} independently, **with replacement**, as the reference draws them
//!   (so an index may repeat, and d may exceed D). Returned in draw order.
//! - `uni`: the stride s = ⌊D/d⌋ and idx = (0, s, 2s, …, (d−1)s). Needs d ≤ D.
//! - `var`: let P be the ⌈ratio · I⌉ items of highest training degree (ties: lower item id
//!   first). For each dimension j, the unbiased variance over P,
//!   σ²_j = Σ_{i∈P} (X_ij − μ_j)² / (|P| − 1), μ_j = Σ_{i∈P} X_ij / |P|;
//!   keep the d dimensions of highest σ²_j (ties: lower index first), returned sorted ascending.
//!   Needs d ≤ D and |P| ≥ 2.
//! - `full`: idx = (0, 1, …, D−1); `d` is ignored (the caller sets its embedding size to D). The
//!   paper's "embedding collapse" case.
//! - `pca` / `whiten` (not in the paper): not a choice of coordinates but a projection onto the
//!   d principal directions of X over all items ([`crate::pca`]); `whiten` also scales each to
//!   unit variance. [`initial_items`] builds the table for every strategy.
//!
//! The random baseline (`none`) is not a selection: it is `init::random_tables`.
//!
//! **Scale** ([`InitScale`]): `stored` keeps the values as they are; `random-norm` multiplies
//! the item table, and then the user table, by one scalar each so that the table's mean row
//! norm equals the expected row norm of the random init the model would otherwise start from
//! ([`expected_random_row_norm`]). Directions, and so every cosine, are unchanged.
//!
//! ```
//! use llminit_core::select::{select_dimensions, item_init, Strategy};
//! use rand::SeedableRng;
//! // 3 items × 4 dims; every item is popular (ratio 1): dims 1 and 3 vary most.
//! let x = [0.0, 1.0, 5.0, -1.0,
//!          0.0, 3.0, 5.0,  2.0,
//!          0.1, 5.0, 5.0,  5.0f32];
//! let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(0);
//! let idx = select_dimensions(&x, 4, 2, Strategy::Var, &[1, 1, 1], 1.0, &mut rng).unwrap();
//! assert_eq!(idx, vec![1, 3]);
//! assert_eq!(item_init(&x, 4, &idx), vec![1.0, -1.0, 3.0, 2.0, 5.0, 5.0]);
//! ```

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

use crate::init::RandomInit;
use crate::pca::{principal_components, project};
use crate::{Error, Result, UserItems};

/// The generator `rand` selection draws from for a run's `seed`: ChaCha8 on stream 4 (the
/// training loop uses streams 1–3 of the same seed, so the draws never overlap).
pub fn selection_rng(seed: u64) -> ChaCha8Rng {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    rng.set_stream(4);
    rng
}

/// How the d dimensions are chosen (module docs give the formulas).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Strategy {
    Rand,
    Uni,
    Var,
    Full,
    Pca,
    Whiten,
}

impl Strategy {
    pub fn parse(s: &str) -> Result<Self> {
        match s {
            "rand" => Ok(Strategy::Rand),
            "uni" => Ok(Strategy::Uni),
            "var" => Ok(Strategy::Var),
            "full" => Ok(Strategy::Full),
            "pca" => Ok(Strategy::Pca),
            "whiten" => Ok(Strategy::Whiten),
            other => Err(Error::param(
                "strategy",
                format!(
                    "unknown selection strategy `{other}` (expected rand, uni, var, full, pca or \
                     whiten; \
                     `none` is the random initialization and selects nothing)"
                ),
            )),
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Strategy::Rand => "rand",
            Strategy::Uni => "uni",
            Strategy::Var => "var",
            Strategy::Full => "full",
            Strategy::Pca => "pca",
            Strategy::Whiten => "whiten",
        }
    }

    /// Whether the table is a projection onto principal directions rather than a gather.
    pub fn is_projection(self) -> bool {
        matches!(self, Strategy::Pca | Strategy::Whiten)
    }
}

/// The chosen dimensions and, for each, its unbiased variance — over the popular items for
/// `var` (the quantity it ranked by), over all items otherwise. For `pca` / `whiten` the
/// "dimensions" are the components 0 … d−1 and the variances their eigenvalues λ_k (the
/// variance of `pca`'s column k; `whiten`'s columns have variance 1).
#[derive(Clone, Debug, PartialEq)]
pub struct SelectionReport {
    pub indices: Vec<usize>,
    pub variances: Vec<f64>,
    /// How many items the variances were computed over.
    pub n_rows: usize,
}

/// Validated inputs of a selection: `n_items = item_degrees.len()` rows of `big_d` values each.
fn check(
    x: &[f32],
    big_d: usize,
    d: usize,
    strategy: Strategy,
    item_degrees: &[u32],
    popular_ratio: f64,
) -> Result<()> {
    if big_d == 0 {
        return Err(Error::param("vectorDim", "must be at least 1, got 0"));
    }
    if d == 0 && strategy != Strategy::Full {
        return Err(Error::param("dim", "must be at least 1, got 0"));
    }
    let n_items = item_degrees.len();
    if x.len() != n_items * big_d {
        return Err(Error::InvalidInput(format!(
            "item vectors hold {} values, expected n_items × D = {n_items} × {big_d} = {}",
            x.len(),
            n_items * big_d
        )));
    }
    if !(popular_ratio > 0.0 && popular_ratio <= 1.0) {
        return Err(Error::param(
            "popularRatio",
            format!("must be in (0, 1], got {popular_ratio}"),
        ));
    }
    if matches!(
        strategy,
        Strategy::Uni | Strategy::Var | Strategy::Pca | Strategy::Whiten
    ) && d > big_d
    {
        return Err(Error::param(
            "dim",
            format!(
                "`{}` keeps d distinct dimensions or directions of D, so d ≤ D; got d = {d} > D = {big_d}",
                strategy.name()
            ),
        ));
    }
    crate::pca::check_finite(x, big_d)?;
    Ok(())
}

/// The ⌈ratio · n⌉ items of highest degree, ties broken by lower item id, in that order.
pub fn popular_items(item_degrees: &[u32], popular_ratio: f64) -> Vec<usize> {
    let n = item_degrees.len();
    let k = ((popular_ratio * n as f64).ceil() as usize).min(n);
    let mut order: Vec<usize> = (0..n).collect();
    order.sort_by(|&a, &b| item_degrees[b].cmp(&item_degrees[a]).then(a.cmp(&b)));
    order.truncate(k);
    order
}

/// Unbiased variance of each of the `big_d` columns over the given rows (two passes in f64:
/// the mean, then the squared deviations). NaN for fewer than two rows.
pub fn column_variances(x: &[f32], big_d: usize, rows: &[usize]) -> Vec<f64> {
    let n = rows.len() as f64;
    let mut mean = vec![0.0f64; big_d];
    for &r in rows {
        for (m, &v) in mean.iter_mut().zip(&x[r * big_d..(r + 1) * big_d]) {
            *m += f64::from(v);
        }
    }
    mean.iter_mut().for_each(|m| *m /= n);
    let mut ss = vec![0.0f64; big_d];
    for &r in rows {
        for ((s, &m), &v) in ss.iter_mut().zip(&mean).zip(&x[r * big_d..(r + 1) * big_d]) {
            let dev = f64::from(v) - m;
            *s += dev * dev;
        }
    }
    ss.into_iter().map(|s| s / (n - 1.0)).collect()
}

/// The `var` choice: the d highest of `variances` (ties: lower index), sorted ascending.
fn select_by_variance(variances: &[f64], d: usize) -> Vec<usize> {
    let mut order: Vec<usize> = (0..variances.len()).collect();
    order.sort_by(|&a, &b| variances[b].total_cmp(&variances[a]).then(a.cmp(&b)));
    order.truncate(d);
    order.sort_unstable();
    order
}

/// Chooses `d` of the `big_d` columns of `x` (`item_degrees.len()` × `big_d`, row-major, rows in
/// dense item-id order) by `strategy`. `item_degrees` are training degrees (only `var` reads
/// them, but every strategy takes them so that the number of items is known and checked);
/// `popular_ratio` ∈ (0, 1] is the share of items `var` treats as popular (0.2 in the paper);
/// `rng` is only drawn from by `rand`.
///
/// # Errors
/// `InvalidParam` for d = 0, d > D with `uni`/`var`, a ratio outside (0, 1], or `var` with
/// fewer than 2 popular items; `InvalidInput` when `x` is not n_items × D or holds NaN/±∞.
pub fn select_dimensions(
    x: &[f32],
    big_d: usize,
    d: usize,
    strategy: Strategy,
    item_degrees: &[u32],
    popular_ratio: f64,
    rng: &mut impl Rng,
) -> Result<Vec<usize>> {
    Ok(select(x, big_d, d, strategy, item_degrees, popular_ratio, rng)?.indices)
}

/// [`select_dimensions`] with the variances of the chosen dimensions (see [`SelectionReport`]).
pub fn select(
    x: &[f32],
    big_d: usize,
    d: usize,
    strategy: Strategy,
    item_degrees: &[u32],
    popular_ratio: f64,
    rng: &mut impl Rng,
) -> Result<SelectionReport> {
    check(x, big_d, d, strategy, item_degrees, popular_ratio)?;
    let n_items = item_degrees.len();
    if strategy.is_projection() {
        return Ok(projection_report(
            &principal_components(x, big_d, d)?.eigenvalues,
            n_items,
        ));
    }
    let all: Vec<usize> = (0..n_items).collect();
    let (indices, rows) = match strategy {
        Strategy::Pca | Strategy::Whiten => unreachable!("handled above"),
        Strategy::Rand => ((0..d).map(|_| rng.gen_range(0..big_d)).collect(), all),
        Strategy::Uni => {
            let stride = big_d / d;
            ((0..d).map(|k| k * stride).collect(), all)
        }
        Strategy::Full => ((0..big_d).collect(), all),
        Strategy::Var => {
            let popular = popular_items(item_degrees, popular_ratio);
            if popular.len() < 2 {
                return Err(Error::param(
                    "popularRatio",
                    format!(
                        "`var` needs at least 2 popular items to compute a variance; \
                         ⌈{popular_ratio} × {n_items}⌉ = {}",
                        popular.len()
                    ),
                ));
            }
            let variances = column_variances(x, big_d, &popular);
            (select_by_variance(&variances, d), popular)
        }
    };
    let per_column = column_variances(x, big_d, &rows);
    Ok(SelectionReport {
        variances: indices.iter().map(|&j| per_column[j]).collect(),
        indices,
        n_rows: rows.len(),
    })
}

fn projection_report(eigenvalues: &[f64], n_items: usize) -> SelectionReport {
    SelectionReport {
        indices: (0..eigenvalues.len()).collect(),
        variances: eigenvalues.to_vec(),
        n_rows: n_items,
    }
}

/// The item table E_i⁰ (n_items × d, row-major) for any strategy, with its report: the gather
/// [`item_init`] of the [`select`]ed columns, or for `pca` / `whiten` the projection
/// [`crate::pca::project`]. Arguments and errors as [`select`], plus `whiten`'s eigenvalue floor.
pub fn initial_items(
    x: &[f32],
    big_d: usize,
    d: usize,
    strategy: Strategy,
    item_degrees: &[u32],
    popular_ratio: f64,
    rng: &mut impl Rng,
) -> Result<(SelectionReport, Vec<f32>)> {
    if strategy.is_projection() {
        check(x, big_d, d, strategy, item_degrees, popular_ratio)?;
        let pca = principal_components(x, big_d, d)?;
        let items = project(x, big_d, &pca, strategy == Strategy::Whiten)?;
        return Ok((
            projection_report(&pca.eigenvalues, item_degrees.len()),
            items,
        ));
    }
    let report = select(x, big_d, d, strategy, item_degrees, popular_ratio, rng)?;
    let items = item_init(x, big_d, &report.indices);
    Ok((report, items))
}

/// Whether LLM tables keep their values or take a random init's scale (module docs).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum InitScale {
    #[default]
    Stored,
    RandomNorm,
}

impl InitScale {
    pub fn parse(s: &str) -> Result<Self> {
        match s {
            "stored" => Ok(InitScale::Stored),
            "random-norm" => Ok(InitScale::RandomNorm),
            other => Err(Error::param(
                "initScale",
                format!("unknown init scale `{other}` (expected stored or random-norm)"),
            )),
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            InitScale::Stored => "stored",
            InitScale::RandomNorm => "random-norm",
        }
    }
}

/// The expected row norm of a `rows × d` table drawn by `kind` (PyTorch: fan_in = d,
/// fan_out = rows), taken as √E‖row‖²:
///
/// - xavier_uniform, U(−b, b), b = √(6/(rows + d)): √(d · b²/3);
/// - xavier_normal, N(0, σ²), σ = √(2/(rows + d)): √d · σ.
///
/// (E‖row‖ itself is below √E‖row‖² by a relative O(1/d): ≈ 0.2% at d = 128.)
pub fn expected_random_row_norm(rows: usize, d: usize, kind: RandomInit) -> f64 {
    let fans = (rows + d) as f64;
    match kind {
        RandomInit::XavierUniform => (d as f64 * (6.0 / fans) / 3.0).sqrt(),
        RandomInit::XavierNormal => (d as f64).sqrt() * (2.0 / fans).sqrt(),
    }
}

/// The mean Euclidean norm of the rows of a `rows × d` table (f64).
pub fn mean_row_norm(table: &[f32], d: usize) -> f64 {
    let rows = table.len() / d.max(1);
    if rows == 0 {
        return 0.0;
    }
    let sum: f64 = table
        .chunks_exact(d.max(1))
        .map(|r| r.iter().map(|&v| f64::from(v).powi(2)).sum::<f64>().sqrt())
        .sum();
    sum / rows as f64
}

/// Multiplies `table` (rows × d) by the one factor that brings its mean row norm to `target`,
/// and returns that factor. `what` names the table in the error.
///
/// # Errors
/// `InvalidInput` when the table's mean row norm is 0 (all rows zero: nothing to rescale).
pub fn rescale_to_mean_norm(
    table: &mut [f32],
    d: usize,
    target: f64,
    what: &'static str,
) -> Result<f64> {
    let mean = mean_row_norm(table, d);
    if mean.is_nan() || mean <= 0.0 {
        return Err(Error::InvalidInput(format!(
            "initScale random-norm: every row of the {what} table is zero, so no factor brings              its mean row norm to {target:e}"
        )));
    }
    let factor = target / mean;
    table
        .iter_mut()
        .for_each(|v| *v = (f64::from(*v) * factor) as f32);
    Ok(factor)
}

/// E_i⁰ = X[:, idx]: the `n_items × idx.len()` gather of the chosen columns, row-major.
///
/// # Panics
/// If `x.len()` is not a multiple of `big_d` or an index is ≥ `big_d` (contract violations:
/// [`select_dimensions`] returns valid indices).
pub fn item_init(x: &[f32], big_d: usize, idx: &[usize]) -> Vec<f32> {
    assert!(
        big_d > 0 && x.len().is_multiple_of(big_d),
        "x is not rows × {big_d}"
    );
    assert!(
        idx.iter().all(|&j| j < big_d),
        "index out of range 0..{big_d}"
    );
    let mut out = Vec::with_capacity(x.len() / big_d * idx.len());
    for row in x.chunks_exact(big_d) {
        out.extend(idx.iter().map(|&j| row[j]));
    }
    out
}

/// E_u⁰ = (R · E_i⁰) / deg(u): each user's row is the mean of the init vectors of the user's
/// distinct training items (`train` lists, duplicates already collapsed); a user without
/// training items gets zeros. Sums in f64. Returns `train.n_users × d`, row-major.
///
/// # Panics
/// If `items.len() != train.n_items * d` (a contract violation).
pub fn user_mean_init(train: &UserItems, items: &[f32], d: usize) -> Vec<f32> {
    assert_eq!(items.len(), train.n_items * d, "items is not n_items × d");
    let mut out = vec![0.0f32; train.n_users * d];
    let mut acc = vec![0.0f64; d];
    for (u, row) in out
        .chunks_exact_mut(d.max(1))
        .enumerate()
        .take(train.n_users)
    {
        let mine = train.of(u);
        if mine.is_empty() {
            continue;
        }
        acc.iter_mut().for_each(|a| *a = 0.0);
        for &i in mine {
            let v = &items[i as usize * d..(i as usize + 1) * d];
            acc.iter_mut().zip(v).for_each(|(a, &x)| *a += f64::from(x));
        }
        let n = mine.len() as f64;
        row.iter_mut()
            .zip(&acc)
            .for_each(|(o, &a)| *o = (a / n) as f32);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rng() -> ChaCha8Rng {
        ChaCha8Rng::seed_from_u64(7)
    }

    /// 5 items × 4 dims. Items 0 and 1 are popular (degrees 9, 8; ratio 0.4 → ⌈2⌉ = 2 items).
    /// Over the popular rows dims 2 and 3 vary (values 0/4 and 1/2); over ALL rows dim 0 varies
    /// most (the unpopular items 2..4 spread it out 0 … 100), so a variance over all items would
    /// pick dim 0 first.
    ///
    /// Variances over {0, 1} (numpy: `X[[0,1]].var(axis=0, ddof=1)`): [0, 0.02, 8, 0.5].
    /// Over all items: dim 0 = var([0, 0, 100, -100, 50], ddof=1) = 5500.
    const X: [f32; 20] = [
        0.0, 0.1, 0.0, 1.0, //
        0.0, 0.3, 4.0, 2.0, //
        100.0, 0.0, 0.0, 0.0, //
        -100.0, 0.0, 0.0, 0.0, //
        50.0, 0.0, 0.0, 0.0,
    ];
    const DEG: [u32; 5] = [9, 8, 1, 0, 2];

    #[test]
    fn var_picks_the_highest_variance_dims_of_the_popular_items() {
        let r = select(&X, 4, 2, Strategy::Var, &DEG, 0.4, &mut rng()).unwrap();
        assert_eq!(r.indices, vec![2, 3]);
        assert_eq!(r.n_rows, 2);
        assert!((r.variances[0] - 8.0).abs() < 1e-12 && (r.variances[1] - 0.5).abs() < 1e-12);
        // Over all items, dim 0 would win: the popular restriction is what changes the answer.
        let all = column_variances(&X, 4, &[0, 1, 2, 3, 4]);
        assert!((all[0] - 5500.0).abs() < 1e-9, "{all:?}");
        assert_eq!(select_by_variance(&all, 2), vec![0, 2]);
        // d = 3 adds dim 1 (0.02) over the constant dim 0; output sorted ascending.
        let idx = select_dimensions(&X, 4, 3, Strategy::Var, &DEG, 0.4, &mut rng()).unwrap();
        assert_eq!(idx, vec![1, 2, 3]);
    }

    #[test]
    fn var_breaks_ties_by_lower_index_and_popularity_by_lower_id() {
        // Equal degrees: the popular items are the lowest ids 0 and 1.
        assert_eq!(popular_items(&[3, 3, 3, 5], 0.5), vec![3, 0]);
        assert_eq!(popular_items(&[1, 1, 1], 0.5), vec![0, 1]);
        // Dims 1 and 2 tie (the same column twice): the lower index is kept.
        let x = [0.0, 1.0, 1.0, 0.0, 3.0, 3.0];
        let idx = select_dimensions(&x, 3, 1, Strategy::Var, &[1, 1], 1.0, &mut rng()).unwrap();
        assert_eq!(idx, vec![1]);
    }

    #[test]
    fn uni_takes_every_stride_th_dimension() {
        let x = vec![0.5f32; 2 * 10];
        let idx = select_dimensions(&x, 10, 3, Strategy::Uni, &[1, 1], 0.2, &mut rng()).unwrap();
        assert_eq!(idx, vec![0, 3, 6]);
        let idx = select_dimensions(&x, 10, 10, Strategy::Uni, &[1, 1], 0.2, &mut rng()).unwrap();
        assert_eq!(idx, (0..10).collect::<Vec<_>>());
        let x = vec![0.5f32; 768];
        let idx = select_dimensions(&x, 768, 128, Strategy::Uni, &[1], 0.2, &mut rng()).unwrap();
        assert_eq!((idx[1], idx[127]), (6, 762));
    }

    #[test]
    fn rand_is_reproducible_by_seed_and_in_range() {
        let x = vec![0.0f32; 3 * 50];
        let draw = |seed| {
            let mut r = ChaCha8Rng::seed_from_u64(seed);
            select_dimensions(&x, 50, 40, Strategy::Rand, &[1, 1, 1], 0.2, &mut r).unwrap()
        };
        let a = draw(1);
        assert_eq!(a, draw(1));
        assert_ne!(a, draw(2));
        assert_eq!(a.len(), 40);
        assert!(a.iter().all(|&j| j < 50));
        // With replacement: 40 draws of 50 repeat with probability ≈ 1 − 50!/(10!·50⁴⁰) ≈ 1.
        let mut distinct = a.clone();
        distinct.sort_unstable();
        distinct.dedup();
        assert!(distinct.len() < 40);
        // and d > D is allowed.
        let mut r = rng();
        let more = select_dimensions(&x, 50, 60, Strategy::Rand, &[1, 1, 1], 0.2, &mut r).unwrap();
        assert_eq!(more.len(), 60);
    }

    #[test]
    fn full_keeps_every_dimension_and_ignores_d() {
        let r = select(&X, 4, 2, Strategy::Full, &DEG, 0.2, &mut rng()).unwrap();
        assert_eq!(r.indices, vec![0, 1, 2, 3]);
        assert_eq!(r.n_rows, 5);
        assert!((r.variances[0] - 5500.0).abs() < 1e-9);
    }

    #[test]
    fn item_gather_and_user_mean() {
        let items = item_init(&X, 4, &[3, 1]);
        assert_eq!(&items[..4], &[1.0, 0.1, 2.0, 0.3]);
        assert_eq!(items.len(), 10);
        // User 0: items 0 and 1 (1 listed twice: the duplicate collapses); user 1: none;
        // user 2: item 4.
        let train = UserItems::from_pairs(3, 5, &[0, 0, 0, 2], &[0, 1, 1, 4]).unwrap();
        let users = user_mean_init(&train, &items, 2);
        assert_eq!(users, vec![1.5, 0.2, 0.0, 0.0, 0.0, 0.0]);
    }

    #[test]
    fn pca_and_whiten_project_onto_principal_directions() {
        // 6 items on the line (1, 2, 0, 0)·t + (0, 0, 3, −1): one direction of variance.
        let x: Vec<f32> = (0..6)
            .flat_map(|t| [t as f32, 2.0 * t as f32, 3.0, -1.0])
            .collect();
        let deg = [1u32; 6];
        let (r, items) = initial_items(&x, 4, 1, Strategy::Pca, &deg, 0.2, &mut rng()).unwrap();
        assert_eq!((r.indices.clone(), r.n_rows), (vec![0], 6));
        // var(t) over 0..5 (ddof 1) = 3.5; along (1, 2)/√5 the variance is 5 · 3.5 = 17.5.
        assert!((r.variances[0] - 17.5).abs() < 1e-9, "{:?}", r.variances);
        // Item t projects to (t − 2.5) · √5 (sign: the largest component, 2/√5, positive).
        for (t, &v) in items.iter().enumerate() {
            assert!((f64::from(v) - (t as f64 - 2.5) * 5f64.sqrt()).abs() < 1e-5);
        }
        assert_eq!(
            select(&x, 4, 1, Strategy::Pca, &deg, 0.2, &mut rng()).unwrap(),
            r
        );
        let (_, w) = initial_items(&x, 4, 1, Strategy::Whiten, &deg, 0.2, &mut rng()).unwrap();
        let var: f64 = w.iter().map(|&v| f64::from(v).powi(2)).sum::<f64>() / 5.0;
        assert!((var - 1.0).abs() < 1e-4, "{var}");
        // A second whitened direction would have zero variance: refused, naming it.
        let e = initial_items(&x, 4, 2, Strategy::Whiten, &deg, 0.2, &mut rng()).unwrap_err();
        assert!(e.to_string().contains("component 1"), "{e}");
        let e = initial_items(&x, 4, 5, Strategy::Pca, &deg, 0.2, &mut rng()).unwrap_err();
        assert!(e.to_string().contains("d = 5 > D = 4"), "{e}");
        // The gather strategies go through the same entry point.
        let (r, g) = initial_items(&X, 4, 2, Strategy::Var, &DEG, 0.4, &mut rng()).unwrap();
        assert_eq!(g, item_init(&X, 4, &r.indices));
        assert_eq!(Strategy::parse("whiten").unwrap(), Strategy::Whiten);
    }

    #[test]
    fn random_norm_matches_the_xavier_expected_row_norm() {
        // LightGCN, 1000 items × 64: b = √(6/1064), E‖row‖² = 64 · b²/3.
        let want = (64.0 * (6.0 / 1064.0) / 3.0f64).sqrt();
        let got = expected_random_row_norm(1000, 64, RandomInit::XavierUniform);
        assert!((got - want).abs() < 1e-15);
        // MF: σ = √(2/1064), √64 · σ.
        let got = expected_random_row_norm(1000, 64, RandomInit::XavierNormal);
        assert!((got - 8.0 * (2.0 / 1064.0f64).sqrt()).abs() < 1e-15);
        // Against an actual draw: mean row norm within 1% of the analytic value.
        let mut g = rng();
        for kind in [RandomInit::XavierUniform, RandomInit::XavierNormal] {
            let e = crate::init::random_tables(10, 1000, 64, kind, &mut g);
            let drawn = mean_row_norm(&e.items, 64);
            let want = expected_random_row_norm(1000, 64, kind);
            assert!(
                (drawn / want - 1.0).abs() < 0.01,
                "{kind:?}: {drawn} vs {want}"
            );
        }
        // One factor: norms reach the target, directions are kept.
        let mut t = vec![3.0f32, 4.0, 0.0, 1.0];
        let f = rescale_to_mean_norm(&mut t, 2, 0.3, "item").unwrap();
        assert!((f - 0.1).abs() < 1e-12);
        assert!((mean_row_norm(&t, 2) - 0.3).abs() < 1e-7);
        assert!((t[0] / t[1] - 0.75).abs() < 1e-6);
        let e = rescale_to_mean_norm(&mut [0.0f32; 4], 2, 0.3, "user").unwrap_err();
        assert!(e.to_string().contains("user table is zero"), "{e}");
        assert_eq!(
            InitScale::parse("random-norm").unwrap(),
            InitScale::RandomNorm
        );
        assert!(InitScale::parse("unit")
            .unwrap_err()
            .to_string()
            .contains("stored or random-norm"));
    }

    #[test]
    fn errors_are_returned_not_panicked() {
        let msg = |r: Result<Vec<usize>>| r.unwrap_err().to_string();
        let mut g = rng();
        assert!(msg(select_dimensions(
            &X,
            4,
            5,
            Strategy::Uni,
            &DEG,
            0.2,
            &mut g
        ))
        .contains("d ≤ D"));
        assert!(msg(select_dimensions(
            &X,
            4,
            5,
            Strategy::Var,
            &DEG,
            0.2,
            &mut g
        ))
        .contains("d = 5 > D = 4"));
        assert!(msg(select_dimensions(
            &X,
            4,
            0,
            Strategy::Rand,
            &DEG,
            0.2,
            &mut g
        ))
        .contains("`dim`"));
        for ratio in [0.0, -0.1, 1.5, f64::NAN] {
            let e = msg(select_dimensions(
                &X,
                4,
                2,
                Strategy::Var,
                &DEG,
                ratio,
                &mut g,
            ));
            assert!(e.contains("popularRatio") && e.contains("(0, 1]"), "{e}");
        }
        let e = msg(select_dimensions(
            &X,
            4,
            2,
            Strategy::Var,
            &DEG,
            0.1,
            &mut g,
        ));
        assert!(e.contains("at least 2 popular items"), "{e}");
        let e = msg(select_dimensions(
            &X[..19],
            4,
            2,
            Strategy::Uni,
            &DEG,
            0.2,
            &mut g,
        ));
        assert!(
            e.contains("19 values, expected n_items × D = 5 × 4 = 20"),
            "{e}"
        );
        let e = msg(select_dimensions(
            &X,
            4,
            2,
            Strategy::Uni,
            &DEG[..4],
            0.2,
            &mut g,
        ));
        assert!(e.contains("expected n_items × D = 4 × 4"), "{e}");
        let mut bad = X;
        bad[13] = f32::NAN;
        let e = msg(select_dimensions(
            &bad,
            4,
            2,
            Strategy::Uni,
            &DEG,
            0.2,
            &mut g,
        ));
        assert!(
            e.contains("item index 3") && e.contains("position 1"),
            "{e}"
        );
        assert!(Strategy::parse("none")
            .unwrap_err()
            .to_string()
            .contains("selects nothing"));
        assert_eq!(Strategy::parse("var").unwrap(), Strategy::Var);
    }
}
