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
//!
//! The random baseline (`none`) is not a selection: it is `init::random_tables`.
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
}

impl Strategy {
    pub fn parse(s: &str) -> Result<Self> {
        match s {
            "rand" => Ok(Strategy::Rand),
            "uni" => Ok(Strategy::Uni),
            "var" => Ok(Strategy::Var),
            "full" => Ok(Strategy::Full),
            other => Err(Error::param(
                "strategy",
                format!(
                    "unknown selection strategy `{other}` (expected rand, uni, var or full; \
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
        }
    }
}

/// The chosen dimensions and, for each, its unbiased variance — over the popular items for
/// `var` (the quantity it ranked by), over all items otherwise.
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
    if matches!(strategy, Strategy::Uni | Strategy::Var) && d > big_d {
        return Err(Error::param(
            "dim",
            format!(
                "`{}` selects d distinct dimensions of D, so d ≤ D; got d = {d} > D = {big_d}",
                strategy.name()
            ),
        ));
    }
    if let Some(k) = x.iter().position(|v| !v.is_finite()) {
        return Err(Error::InvalidInput(format!(
            "item vector of item index {} holds {} at position {}",
            k / big_d,
            x[k],
            k % big_d
        )));
    }
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
    let all: Vec<usize> = (0..n_items).collect();
    let (indices, rows) = match strategy {
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
