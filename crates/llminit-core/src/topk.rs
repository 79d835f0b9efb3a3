//! Partial top-K selection over a row of scores: the `k` best entries in rank order, without
//! sorting the row.
//!
//! Order: higher score first; equal scores by lower index first. `-0.0` and `+0.0` are equal;
//! NaN ranks below every number, `-inf` included (so a NaN score never displaces a real one).
//!
//! Two passes over the row, both vectorizable:
//! 1. **Bound.** Split the row into ~`4k` disjoint groups (16 interleaved lanes × a few ranges
//!    of 16-wide chunks) and take each group's maximum. The k-th largest group maximum `T` is a
//!    score that at least `k` distinct entries reach, so every top-k entry scores `>= T`; on
//!    typical rows only ~1.2k entries do.
//! 2. **Stream.** Entries scoring `>= T` are appended (branch-free) to a candidate buffer; when
//!    it fills up, one `select_nth_unstable` cuts it back to `k` and the k-th best becomes the
//!    new, strict, threshold (an equal score seen later has a higher index and loses the tie).
//!
//! Finally the `k` survivors are sorted. On a row of `n` scores that is ~2n vector comparisons
//! plus O(k log k) work.
//!
//! ```
//! use llminit_core::topk::TopK;
//! let mut top = TopK::new(2);
//! let mut out = [0u32; 2];
//! top.select_into(&[0.5, 2.0, f32::NEG_INFINITY, 2.0], &mut out);
//! assert_eq!(out, [1, 3]); // the tie at 2.0 goes to the lower index
//! ```

/// Reusable top-K selector: holds the scratch buffers so that a loop over rows allocates once.
#[derive(Clone, Debug)]
pub struct TopK {
    k: usize,
    /// Candidates as composite keys `(biased score key << 32) | (u32::MAX - index)`: larger is
    /// better and all are distinct. Length `cap + LANES` so a chunk can be appended branch-free.
    buf: Vec<u64>,
    /// Compaction point of `buf`.
    cap: usize,
    /// Group maxima of pass 1.
    maxima: Vec<f32>,
}

/// Entries per vector step; also the number of interleaved groups per range in pass 1.
const LANES: usize = 16;

/// Groups per k in pass 1: more groups give a tighter bound but a longer selection among them.
const GROUPS_PER_K: usize = 4;

/// The key every NaN maps to (below `-inf`).
const NAN_KEY: i32 = i32::MIN;

/// Maps a score to an `i32` whose integer order is the ranking order: `-0.0 == +0.0`, NaN lowest.
#[inline(always)]
fn score_key(x: f32) -> i32 {
    if x.is_nan() {
        return NAN_KEY;
    }
    // Adding +0.0 turns -0.0 into +0.0 and leaves everything else unchanged.
    let bits = (x + 0.0).to_bits() as i32;
    // Flip the magnitude bits of negatives so that the signed integer order matches the float
    // order (the total-order trick of `f32::total_cmp`).
    bits ^ (((bits >> 31) as u32) >> 1) as i32
}

/// Inverse of [`score_key`] for keys of numbers (the NaN key maps back to a NaN).
#[inline(always)]
fn key_score(key: i32) -> f32 {
    if key == NAN_KEY {
        return f32::NAN;
    }
    f32::from_bits((key ^ (((key >> 31) as u32) >> 1) as i32) as u32)
}

#[inline(always)]
fn composite(key: i32, index: usize) -> u64 {
    // `key ^ i32::MIN` maps i32 order onto u32 order.
    (((key ^ i32::MIN) as u32 as u64) << 32) | (u32::MAX - index as u32) as u64
}

#[inline(always)]
fn composite_key(c: u64) -> i32 {
    ((c >> 32) as u32 as i32) ^ i32::MIN
}

#[inline(always)]
fn composite_index(c: u64) -> u32 {
    u32::MAX - c as u32
}

impl TopK {
    /// A selector for the best `k` entries.
    ///
    /// # Panics
    /// If `k == 0` (a contract violation; callers validate user input first).
    pub fn new(k: usize) -> Self {
        assert!(k > 0, "TopK::new: k must be >= 1");
        // Room for ~2k candidates: pass 1 usually leaves ~1.2k, so most rows never compact.
        let cap = (2 * k).max(k + 64);
        TopK {
            k,
            buf: vec![0; cap + LANES],
            cap,
            maxima: Vec::new(),
        }
    }

    pub fn k(&self) -> usize {
        self.k
    }

    /// Writes the indices of the `k` best entries of `scores` into `out`, best first.
    ///
    /// # Panics
    /// If `out.len() != k`, `scores.len() < k` or `scores.len() >= u32::MAX` (contract
    /// violations).
    pub fn select_into(&mut self, scores: &[f32], out: &mut [u32]) {
        let k = self.k;
        assert_eq!(
            out.len(),
            k,
            "TopK::select_into: out has length {} but k = {k}",
            out.len()
        );
        assert!(
            scores.len() >= k,
            "TopK::select_into: row of {} scores is shorter than k = {k}",
            scores.len()
        );
        assert!(
            scores.len() < u32::MAX as usize,
            "TopK::select_into: row longer than u32::MAX - 1"
        );

        // Accept an entry iff its composite key is > `threshold`. A composite's index part is
        // >= 1 (indices < u32::MAX), so `key << 32 | 0` accepts every entry of score key >= key.
        let mut threshold = match self.lower_bound(scores) {
            Some(t) => composite(score_key(t), u32::MAX as usize),
            None => 0,
        };
        let buf = &mut self.buf;
        let cap = self.cap;
        let mut len = 0;
        // Fast test per chunk on raw floats (for numbers, float order is key order): `>= T`
        // while the threshold is pass 1's inclusive bound, `>` once it is a candidate's key
        // (an equal score seen later loses the tie). While the threshold is the bottom (NaN
        // key) everything passes.
        let mut accept_all = composite_key(threshold) == NAN_KEY;
        let mut inclusive = true;
        let mut threshold_score = key_score(composite_key(threshold));

        let mut start = 0;
        for chunk in scores.chunks(LANES) {
            let t = threshold_score;
            let any = accept_all
                || match (chunk.len() == LANES, inclusive) {
                    // Branch-free reductions: they compile to packed compares.
                    (true, true) => chunk.iter().fold(false, |acc, &x| acc | (x >= t)),
                    (true, false) => chunk.iter().fold(false, |acc, &x| acc | (x > t)),
                    (false, true) => chunk.iter().any(|&x| x >= t),
                    (false, false) => chunk.iter().any(|&x| x > t),
                };
            if any {
                for (off, &x) in chunk.iter().enumerate() {
                    let c = composite(score_key(x), start + off);
                    // Branch-free append: always write, advance only on acceptance.
                    buf[len] = c;
                    len += (c > threshold) as usize;
                }
                if len >= cap {
                    threshold = Self::compact(&mut buf[..len], k);
                    len = k;
                    accept_all = composite_key(threshold) == NAN_KEY;
                    inclusive = false;
                    threshold_score = key_score(composite_key(threshold));
                }
            }
            start += chunk.len();
        }

        assert!(
            len >= k,
            "TopK: pass 1 bound admitted fewer than k entries (a bug)"
        );
        if len > k {
            Self::compact(&mut buf[..len], k);
        }
        let best = &mut buf[..k];
        best.sort_unstable_by(|a, b| b.cmp(a));
        for (o, &c) in out.iter_mut().zip(best.iter()) {
            *o = composite_index(c);
        }
    }

    /// Pass 1: a score `T` such that at least `k` distinct entries score `>= T` (so every top-k
    /// entry does), or `None` when the row is too short to split into enough groups or no
    /// finite bound exists.
    fn lower_bound(&mut self, scores: &[f32]) -> Option<f32> {
        let k = self.k;
        let n_chunks = scores.len() / LANES;
        // Ranges of `chunks_per_range` chunks; each range yields LANES group maxima.
        let n_ranges = (GROUPS_PER_K * k).div_ceil(LANES);
        let chunks_per_range = n_chunks / n_ranges;
        if chunks_per_range < 2 {
            return None;
        }
        let maxima = &mut self.maxima;
        maxima.clear();
        for range in scores.chunks_exact(chunks_per_range * LANES).take(n_ranges) {
            let mut acc = [f32::NEG_INFINITY; LANES];
            for chunk in range.chunks_exact(LANES) {
                for (a, &x) in acc.iter_mut().zip(chunk) {
                    // NaN never replaces the accumulator.
                    *a = if x > *a { x } else { *a };
                }
            }
            maxima.extend_from_slice(&acc);
        }
        // No NaN in `maxima`; `total_cmp` only to avoid an unwrap.
        let (_, kth, _) = maxima.select_nth_unstable_by(k - 1, |a, b| b.total_cmp(a));
        // A group maximum of -inf may be the accumulator's start value rather than an entry
        // (a group of NaNs); only a finite-from-below T is backed by k real entries.
        (*kth > f32::NEG_INFINITY).then_some(*kth)
    }

    /// Keeps the k largest composites at the front of `buf`; returns the k-th (the new
    /// threshold).
    fn compact(buf: &mut [u64], k: usize) -> u64 {
        let (_, kth, _) = buf.select_nth_unstable_by(k - 1, |a, b| b.cmp(a));
        *kth
    }
}

/// Convenience wrapper: the indices of the `k` best entries of `scores`, best first.
///
/// # Panics
/// If `k == 0` or `k > scores.len()`.
pub fn top_k(scores: &[f32], k: usize) -> Vec<u32> {
    let mut out = vec![0u32; k];
    TopK::new(k).select_into(scores, &mut out);
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::{Rng, SeedableRng};
    use rand_chacha::ChaCha8Rng;

    /// The reference: sort every index by (score desc, index asc) with NaN lowest, -0 == +0.
    fn naive_top_k(scores: &[f32], k: usize) -> Vec<u32> {
        let rank = |x: f32| {
            if x.is_nan() {
                f64::NEG_INFINITY
            } else {
                x as f64
            }
        };
        let mut idx: Vec<usize> = (0..scores.len()).collect();
        idx.sort_by(|&a, &b| {
            let (sa, sb) = (rank(scores[a]), rank(scores[b]));
            let nan_a = scores[a].is_nan();
            let nan_b = scores[b].is_nan();
            // NaN below -inf: compare (not NaN, score) descending, then index ascending.
            (!nan_b, sb)
                .partial_cmp(&(!nan_a, sa))
                .unwrap()
                .then(a.cmp(&b))
        });
        idx[..k].iter().map(|&i| i as u32).collect()
    }

    #[test]
    fn score_key_orders_like_floats() {
        let xs = [
            f32::NEG_INFINITY,
            -3.5,
            -1e-30,
            0.0,
            1e-30,
            2.0,
            f32::MAX,
            f32::INFINITY,
        ];
        for w in xs.windows(2) {
            assert!(score_key(w[0]) < score_key(w[1]), "{} vs {}", w[0], w[1]);
        }
        assert_eq!(score_key(-0.0), score_key(0.0));
        assert!(score_key(f32::NAN) < score_key(f32::NEG_INFINITY));
        assert!(score_key(-f32::NAN) < score_key(f32::NEG_INFINITY));
    }

    #[test]
    fn doc_example_tie_goes_to_lower_index() {
        assert_eq!(top_k(&[0.5, 2.0, f32::NEG_INFINITY, 2.0], 2), vec![1, 3]);
        assert_eq!(top_k(&[-0.0, 0.0, -0.0], 3), vec![0, 1, 2]);
        assert_eq!(top_k(&[f32::NAN, f32::NEG_INFINITY, 1.0], 3), vec![2, 1, 0]);
    }

    #[test]
    fn matches_naive_sort_on_random_rows_with_ties_and_infinities() {
        let mut rng = ChaCha8Rng::seed_from_u64(7);
        let mut top = TopK::new(1);
        for case in 0..1500 {
            // Short rows (no pass-1 bound) and long ones (bound from group maxima).
            let n = if case % 2 == 0 {
                rng.gen_range(1..400)
            } else {
                rng.gen_range(400..6000)
            };
            let k = rng.gen_range(1..=n.min(if case % 3 == 0 { 8 } else { 120 }));
            // Few distinct values -> many ties; trends move the threshold often.
            let levels = [2, 20, 1_000_000][case % 3];
            let trend = [0.0f32, 0.01, -0.01][case % 5 % 3];
            // Some rows mostly -inf or NaN (users with almost every item masked, broken scores),
            // so that pass-1 groups hold no number at all and NaNs reach the top k.
            let (p_neg_inf, p_nan) = match case % 7 {
                0 => (0.97, 0.0),
                1 => (0.3, 0.69),
                2 => (0.01, 0.985),
                _ => (0.08, 0.01),
            };
            let scores: Vec<f32> = (0..n)
                .map(|i| {
                    let r: f64 = rng.gen();
                    if r < p_neg_inf {
                        f32::NEG_INFINITY
                    } else if r < p_neg_inf + p_nan {
                        if rng.gen() {
                            f32::NAN
                        } else {
                            -f32::NAN
                        }
                    } else if r < p_neg_inf + p_nan + 0.01 {
                        f32::INFINITY
                    } else if r < p_neg_inf + p_nan + 0.03 {
                        -0.0
                    } else {
                        rng.gen_range(0..levels) as f32 - (levels / 2) as f32 + trend * i as f32
                    }
                })
                .collect();
            if top.k() != k {
                top = TopK::new(k);
            }
            let mut out = vec![0u32; k];
            top.select_into(&scores, &mut out);
            assert_eq!(out, naive_top_k(&scores, k), "case {case}: n={n} k={k}");
        }
    }

    #[test]
    fn all_equal_and_sorted_rows() {
        let n = 3000;
        let equal = vec![0.25f32; n];
        assert_eq!(top_k(&equal, 50), (0..50).collect::<Vec<u32>>());
        let ascending: Vec<f32> = (0..n).map(|i| i as f32).collect();
        assert_eq!(
            top_k(&ascending, 50),
            (0..50).map(|j| (n - 1 - j) as u32).collect::<Vec<u32>>()
        );
        let descending: Vec<f32> = (0..n).map(|i| -(i as f32)).collect();
        assert_eq!(top_k(&descending, 50), (0..50).collect::<Vec<u32>>());
    }

    #[test]
    fn k_equal_to_row_length_sorts_the_whole_row() {
        let scores = [1.0, 3.0, 2.0, 3.0, f32::NEG_INFINITY];
        assert_eq!(top_k(&scores, 5), vec![1, 3, 2, 0, 4]);
    }

    #[test]
    #[should_panic(expected = "shorter than k")]
    fn panics_when_row_is_shorter_than_k() {
        top_k(&[1.0], 2);
    }
}
