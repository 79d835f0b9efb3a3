//! Top-K metrics from one hit matrix (STYLE.md item 13), with RecBole 1.2's formulas
//! (`recbole/evaluator/metrics.py`).
//!
//! For one user row: `h` is the hit vector truncated at `K` (`h_j = 1` if the item at 0-based rank
//! `j` is a target) and `P` is the user's number of targets (`pos_len`).
//!
//! | key            | per-user value                                                              |
//! |----------------|-----------------------------------------------------------------------------|
//! | `recall@K`     | `Σ_j h_j / P`                                                               |
//! | `ndcg@K`       | `(Σ_j h_j / log2(j+2)) / (Σ_{j < min(P,K)} 1 / log2(j+2))`                  |
//! | `mrr@K`        | `1 / (j*+1)` for the first hit `j*`, 0 without a hit                        |
//! | `hit@K`        | `1[Σ_j h_j > 0]`                                                            |
//! | `precision@K`  | `Σ_j h_j / K`                                                               |
//! | `map@K`        | `(Σ_j h_j · (Σ_{t ≤ j} h_t) / (j+1)) / min(P,K)`                            |
//!
//! Each metric is the mean of the per-user values over the rows (all of them, or a subset for
//! per-activity buckets), accumulated in f64 in row order, so the result is deterministic.
//! RecBole rounds its printed values to 4 decimals; these are not rounded.
//!
//! ```
//! use llminit_core::eval::Hits;
//! use llminit_core::metrics::compute;
//! // One user, 2 targets, hits at ranks 0 and 2 of 3.
//! let hits = Hits { max_k: 3, users: vec![0], hits: vec![1, 0, 1], n_targets: vec![2], top_items: vec![4, 5, 6] };
//! let table = compute(&hits, &[3], None).unwrap();
//! assert_eq!(table.get("recall@3"), Some(1.0));
//! assert_eq!(table.get("mrr@3"), Some(1.0));
//! ```

use crate::eval::Hits;
use crate::{Error, Result};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Metric {
    Recall,
    Ndcg,
    Mrr,
    Hit,
    Precision,
    Map,
}

impl Metric {
    /// Every metric, in the order of [`MetricTable::entries`].
    pub const ALL: [Metric; 6] = [
        Metric::Recall,
        Metric::Ndcg,
        Metric::Mrr,
        Metric::Hit,
        Metric::Precision,
        Metric::Map,
    ];

    /// The lower-case name used in keys (`"recall"`, `"ndcg"`, ...), as RecBole prints them.
    pub fn name(self) -> &'static str {
        match self {
            Metric::Recall => "recall",
            Metric::Ndcg => "ndcg",
            Metric::Mrr => "mrr",
            Metric::Hit => "hit",
            Metric::Precision => "precision",
            Metric::Map => "map",
        }
    }

    /// The key of this metric at cut-off `k`, e.g. `"ndcg@10"`.
    pub fn key(self, k: usize) -> String {
        format!("{}@{k}", self.name())
    }
}

/// Metric means, keyed `"<metric>@<k>"`, metric-major ([`Metric::ALL`] order) then `k` ascending.
#[derive(Clone, Debug, PartialEq)]
pub struct MetricTable {
    pub entries: Vec<(String, f64)>,
    /// Number of user rows averaged over. When it is 0 every value is NaN (an empty mean).
    pub n_users: usize,
}

impl MetricTable {
    /// The value under `key` (e.g. `"recall@20"`), if it was computed.
    pub fn get(&self, key: &str) -> Option<f64> {
        self.entries.iter().find(|(k, _)| k == key).map(|&(_, v)| v)
    }

    /// The value of `metric` at `k`, if it was computed.
    pub fn metric(&self, metric: Metric, k: usize) -> Option<f64> {
        self.get(&metric.key(k))
    }
}

/// Metric means over the rows of `hits` (or over `rows`, indices into `hits.users`, when given —
/// used for per-activity buckets), at each `k` in `ks` (sorted and deduplicated; each
/// `1 <= k <= hits.max_k`). Formulas in the [module docs](self).
///
/// # Errors
/// - [`Error::InvalidParam`] (`ks`) if a `k` is 0 or greater than `hits.max_k`.
/// - [`Error::InvalidInput`] if `hits.hits`/`n_targets` do not match `users.len()` and `max_k`,
///   a row index is out of range, or an averaged row has 0 targets (its recall is undefined).
pub fn compute(hits: &Hits, ks: &[usize], rows: Option<&[usize]>) -> Result<MetricTable> {
    let n_rows = hits.users.len();
    let max_k = hits.max_k;
    if hits.hits.len() != n_rows * max_k || hits.n_targets.len() != n_rows {
        return Err(Error::InvalidInput(format!(
            "metrics: hit matrix has {} entries and {} target counts, expected {n_rows} users × max_k {max_k} and {n_rows}",
            hits.hits.len(),
            hits.n_targets.len()
        )));
    }
    let mut ks = ks.to_vec();
    ks.sort_unstable();
    ks.dedup();
    if let Some(&bad) = ks.iter().find(|&&k| k == 0 || k > max_k) {
        return Err(Error::param(
            "ks",
            format!("each k must be in 1..={max_k} (the ranked list length), got {bad}"),
        ));
    }
    if let Some(rows) = rows {
        if let Some(&bad) = rows.iter().find(|&&r| r >= n_rows) {
            return Err(Error::InvalidInput(format!(
                "metrics: row index {bad} >= number of evaluated users {n_rows}"
            )));
        }
    }
    let depth = ks.last().copied().unwrap_or(0);
    // discount[j] = 1 / log2(j + 2); ideal[n] = Σ_{j<n} discount[j].
    let discount: Vec<f64> = (0..depth).map(|j| 1.0 / ((j + 2) as f64).log2()).collect();
    let mut ideal = vec![0.0f64; depth + 1];
    for j in 0..depth {
        ideal[j + 1] = ideal[j] + discount[j];
    }

    let n_metrics = Metric::ALL.len();
    // sums[m * ks.len() + c]: running sum of metric m at cut-off ks[c].
    let mut sums = vec![0.0f64; n_metrics * ks.len()];
    let mut add_row = |r: usize| -> Result<()> {
        let p = hits.n_targets[r] as usize;
        if p == 0 {
            return Err(Error::InvalidInput(format!(
                "metrics: row {r} (user {}) has no targets; it cannot be evaluated",
                hits.users[r]
            )));
        }
        let h = &hits.hits[r * max_k..r * max_k + depth];
        let (mut n_hits, mut dcg, mut ap, mut first_hit) = (0usize, 0.0f64, 0.0f64, None);
        let mut c = 0;
        for (j, &hj) in h.iter().enumerate() {
            if hj != 0 {
                n_hits += 1;
                dcg += discount[j];
                ap += n_hits as f64 / (j + 1) as f64;
                first_hit.get_or_insert(j);
            }
            while c < ks.len() && ks[c] == j + 1 {
                let k = ks[c];
                let values = [
                    n_hits as f64 / p as f64,
                    dcg / ideal[p.min(k)],
                    first_hit.map_or(0.0, |f| 1.0 / (f + 1) as f64),
                    (n_hits > 0) as u8 as f64,
                    n_hits as f64 / k as f64,
                    ap / p.min(k) as f64,
                ];
                for (m, v) in values.into_iter().enumerate() {
                    sums[m * ks.len() + c] += v;
                }
                c += 1;
            }
        }
        Ok(())
    };
    let n_users = match rows {
        Some(rows) => {
            for &r in rows {
                add_row(r)?;
            }
            rows.len()
        }
        None => {
            for r in 0..n_rows {
                add_row(r)?;
            }
            n_rows
        }
    };

    let mut entries = Vec::with_capacity(sums.len());
    for (m, metric) in Metric::ALL.iter().enumerate() {
        for (c, &k) in ks.iter().enumerate() {
            // 0/0 = NaN for an empty set of rows, on purpose.
            entries.push((metric.key(k), sums[m * ks.len() + c] / n_users as f64));
        }
    }
    Ok(MetricTable { entries, n_users })
}

/// Metric means per user group (e.g. activity buckets): `groups[u]` is the group of user `u`
/// (by user id, so `groups.len()` covers every evaluated user). Returns one table per group that
/// has at least one evaluated row, ascending by group id; each is [`compute`] over that group's
/// rows, in row order, so the values are deterministic and a group's table equals `compute` on
/// the same rows.
///
/// # Errors
/// As [`compute`]; and [`Error::InvalidInput`] if an evaluated user id is `>= groups.len()`.
pub fn compute_by_group(
    hits: &Hits,
    ks: &[usize],
    groups: &[u8],
) -> Result<Vec<(u8, MetricTable)>> {
    let mut rows_of: Vec<Vec<usize>> = vec![Vec::new(); 256];
    for (r, &u) in hits.users.iter().enumerate() {
        let g = *groups.get(u as usize).ok_or_else(|| {
            Error::InvalidInput(format!(
                "metrics: user {u} has no group ({} group ids given)",
                groups.len()
            ))
        })?;
        rows_of[g as usize].push(r);
    }
    rows_of
        .iter()
        .enumerate()
        .filter(|(_, rows)| !rows.is_empty())
        .map(|(g, rows)| Ok((g as u8, compute(hits, ks, Some(rows))?)))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hits_of(rows: &[(&[u8], u32)]) -> Hits {
        let max_k = rows[0].0.len();
        Hits {
            max_k,
            users: (0..rows.len() as u32).collect(),
            hits: rows.iter().flat_map(|(h, _)| h.iter().copied()).collect(),
            n_targets: rows.iter().map(|&(_, p)| p).collect(),
            top_items: vec![0; rows.len() * max_k],
        }
    }

    fn close(a: f64, b: f64) -> bool {
        (a - b).abs() < 1e-12
    }

    fn assert_table(t: &MetricTable, want: &[(&str, f64)]) {
        for &(key, v) in want {
            let got = t.get(key).unwrap_or_else(|| panic!("missing {key}"));
            assert!(close(got, v), "{key}: got {got}, want {v}");
        }
    }

    // Generated/checked with (Python 3):
    //   from math import log2
    //   d = [1 / log2(j + 2) for j in range(5)]
    //   a2 = d[1] / (d[0] + d[1]); a5 = (d[1] + d[3]) / (d[0] + d[1] + d[2])
    //   print(a2, a5, (a2 + 1) / 3, (a5 + 1) / 3)
    //   # 0.38685280723454163 0.49818925746641285 0.46228426907818054 0.49939641915547095
    //
    // Hand computation, with d(j) = 1/log2(j+2): d0 = 1, d1 = 1/log2(3) = 0.6309297535714575,
    // d2 = 1/log2(4) = 0.5, d3 = 1/log2(5) = 0.43067655807339306, d4 = 1/log2(6) = 0.38685280723454163.
    //
    // Row A: h = [0,1,0,1,0], P = 3.
    //   @2: Σh = 1. recall 1/3; precision 1/2; hit 1; mrr 1/2 (first hit at rank 2);
    //       ndcg = d1 / (d0 + d1) [min(P,2) = 2] = 0.6309297535714575 / 1.6309297535714575
    //            = 0.38685280723454163;
    //       map = (1 · 1/2) / min(3,2) = 0.25.
    //   @5: Σh = 2. recall 2/3; precision 2/5; hit 1; mrr 1/2;
    //       ndcg = (d1 + d3) / (d0 + d1 + d2) = 1.0616063116448506 / 2.1309297535714578
    //            = 0.49818925746641285;
    //       map = (1/2 + 2/4) / min(3,5) = 1/3.
    // Row B: h = [1,0,0,0,0], P = 1.
    //   @2 and @5: recall 1; hit 1; mrr 1; ndcg = d0 / d0 = 1; map = (1 · 1/1) / 1 = 1;
    //       precision 1/2 and 1/5.
    // Row C: h = [0,0,0,0,0], P = 2: every metric 0.
    // Means over A, B, C (divide the sums by 3):
    //   recall@2 = (1/3 + 1 + 0)/3 = 4/9;    recall@5 = (2/3 + 1)/3 = 5/9
    //   precision@2 = (1/2 + 1/2)/3 = 1/3;   precision@5 = (2/5 + 1/5)/3 = 1/5
    //   hit@2 = hit@5 = 2/3;                 mrr@2 = mrr@5 = (1/2 + 1)/3 = 1/2
    //   ndcg@2 = (0.38685280723454163 + 1)/3 = 0.46228426907818054
    //   ndcg@5 = (0.49818925746641285 + 1)/3 = 0.49939641915547095
    //   map@2 = (0.25 + 1)/3 = 5/12;         map@5 = (1/3 + 1)/3 = 4/9
    #[test]
    fn hand_computed_values() {
        let hits = hits_of(&[
            (&[0, 1, 0, 1, 0], 3),
            (&[1, 0, 0, 0, 0], 1),
            (&[0, 0, 0, 0, 0], 2),
        ]);
        let t = compute(&hits, &[5, 2], None).unwrap();
        assert_eq!(t.n_users, 3);
        assert_table(
            &t,
            &[
                ("recall@2", 4.0 / 9.0),
                ("recall@5", 5.0 / 9.0),
                ("precision@2", 1.0 / 3.0),
                ("precision@5", 1.0 / 5.0),
                ("hit@2", 2.0 / 3.0),
                ("hit@5", 2.0 / 3.0),
                ("mrr@2", 0.5),
                ("mrr@5", 0.5),
                ("ndcg@2", 0.46228426907818054),
                ("ndcg@5", 0.49939641915547095),
                ("map@2", 5.0 / 12.0),
                ("map@5", 4.0 / 9.0),
            ],
        );
        let keys: Vec<&str> = t.entries.iter().map(|(k, _)| k.as_str()).collect();
        assert_eq!(
            keys,
            [
                "recall@2",
                "recall@5",
                "ndcg@2",
                "ndcg@5",
                "mrr@2",
                "mrr@5",
                "hit@2",
                "hit@5",
                "precision@2",
                "precision@5",
                "map@2",
                "map@5"
            ]
        );
        assert_eq!(t.metric(Metric::Map, 5), t.get("map@5"));
    }

    // Row A alone (rows = [0]) equals its per-user values above; rows = [1, 1] averages row B
    // with itself, giving B's values.
    #[test]
    fn rows_select_a_bucket() {
        let hits = hits_of(&[
            (&[0, 1, 0, 1, 0], 3),
            (&[1, 0, 0, 0, 0], 1),
            (&[0, 0, 0, 0, 0], 2),
        ]);
        let a = compute(&hits, &[2, 5], Some(&[0])).unwrap();
        assert_eq!(a.n_users, 1);
        assert_table(
            &a,
            &[
                ("recall@5", 2.0 / 3.0),
                ("ndcg@2", 0.38685280723454163),
                ("ndcg@5", 0.49818925746641285),
                ("map@2", 0.25),
            ],
        );
        let b = compute(&hits, &[5], Some(&[1, 1])).unwrap();
        assert_table(
            &b,
            &[
                ("recall@5", 1.0),
                ("ndcg@5", 1.0),
                ("precision@5", 0.2),
                ("map@5", 1.0),
            ],
        );
        let empty = compute(&hits, &[5], Some(&[])).unwrap();
        assert_eq!(empty.n_users, 0);
        assert!(empty.get("recall@5").unwrap().is_nan());
    }

    // Users 0 and 2 in group 1, user 1 in group 4: each group's table is `compute` over its
    // rows (A and C average to recall@5 (2/3 + 0)/2 = 1/3; B alone has recall 1), groups come
    // back ascending, and a user beyond the group ids is an error.
    #[test]
    fn groups_split_the_rows() {
        let hits = hits_of(&[
            (&[0, 1, 0, 1, 0], 3),
            (&[1, 0, 0, 0, 0], 1),
            (&[0, 0, 0, 0, 0], 2),
        ]);
        let by = compute_by_group(&hits, &[2, 5], &[1, 4, 1]).unwrap();
        assert_eq!(by.iter().map(|(g, _)| *g).collect::<Vec<_>>(), [1, 4]);
        assert_eq!(by[0].1, compute(&hits, &[2, 5], Some(&[0, 2])).unwrap());
        assert_eq!(by[0].1.n_users, 2);
        assert_table(&by[0].1, &[("recall@5", 1.0 / 3.0), ("hit@2", 0.5)]);
        assert_table(&by[1].1, &[("recall@5", 1.0), ("ndcg@2", 1.0)]);
        let err = compute_by_group(&hits, &[2], &[0, 0])
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("user 2 has no group (2 group ids given)"),
            "{err}"
        );
    }

    // P larger than K caps the ideal DCG and the MAP divisor at K:
    // h = [1,1], P = 10, K = 2: ndcg = (d0 + d1)/(d0 + d1) = 1; map = (1/1 + 2/2)/min(10,2) = 1;
    // recall = 2/10 = 0.2. At K = 1: ndcg = d0/d0 = 1, map = 1/1 = 1, recall 0.1, precision 1.
    #[test]
    fn many_targets_cap_the_ideal_at_k() {
        let hits = hits_of(&[(&[1, 1], 10)]);
        let t = compute(&hits, &[1, 2], None).unwrap();
        assert_table(
            &t,
            &[
                ("ndcg@2", 1.0),
                ("map@2", 1.0),
                ("recall@2", 0.2),
                ("ndcg@1", 1.0),
                ("map@1", 1.0),
                ("recall@1", 0.1),
                ("precision@1", 1.0),
            ],
        );
    }

    #[test]
    fn invalid_inputs_are_errors() {
        let hits = hits_of(&[(&[0, 1, 0], 1), (&[0, 0, 0], 0)]);
        let err = |ks: &[usize], rows: Option<&[usize]>| {
            compute(&hits, ks, rows).unwrap_err().to_string()
        };
        assert!(err(&[0], Some(&[0])).contains("got 0"));
        assert!(err(&[4], Some(&[0]))
            .contains("each k must be in 1..=3 (the ranked list length), got 4"));
        assert!(err(&[3], Some(&[2])).contains("row index 2 >= number of evaluated users 2"));
        assert!(err(&[3], None).contains("row 1 (user 1) has no targets"));
        let mut short = hits.clone();
        short.hits.pop();
        assert!(compute(&short, &[1], Some(&[0]))
            .unwrap_err()
            .to_string()
            .contains("hit matrix has 5 entries"));
    }
}
