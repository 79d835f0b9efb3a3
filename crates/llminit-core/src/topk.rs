//! Partial top-K selection: the `k` best entries of a row of scores in rank order, without
//! sorting the row. [`TopK`] takes one row, whole ([`TopK::select_into`]) or streamed in pieces
//! ([`TopK::begin`], [`TopK::bound`], [`TopK::push`], [`TopK::finish`]). [`TopKLanes`] ranks
//! a block of rows at once from an item-major tile (`tile[j * lanes + r]` is entry `j` of row
//! `r`), one SIMD lane per row: the layout full-ranking evaluation gets from its SGEMM.
//!
//! Order: higher score first; equal scores by lower index first. `-0.0` and `+0.0` are equal;
//! NaN ranks below every number, `-inf` included (so a NaN score never displaces a real one).
//!
//! The method, both steps vectorizable:
//! 1. **Bound** (optional, on the whole row or its first piece). Split the entries into ~`4k`
//!    disjoint groups and take each group's maximum. The k-th largest group maximum `T` is a
//!    score that at least `k` distinct entries reach, so every top-k entry of the row scores
//!    `>= T`; on typical data only ~1.2k entries do.
//! 2. **Stream.** Entries that beat the threshold are appended to a candidate buffer; when it
//!    fills up, one `select_nth_unstable` cuts it back to `k` and the k-th best becomes the new,
//!    strict, threshold (an equal score seen later has a higher index and loses the tie). One
//!    packed comparison rejects most entries; only the others take the exact test.
//!
//! Finally the `k` survivors are sorted. On a row of `n` scores that is ~2n vector comparisons
//! plus O(k log(n/k)) candidate work.
//!
//! ```
//! use llminit_core::topk::TopK;
//! let mut top = TopK::new(2);
//! let mut out = [0u32; 2];
//! top.select_into(&[0.5, 2.0, f32::NEG_INFINITY, 2.0], &mut out);
//! assert_eq!(out, [1, 3]); // the tie at 2.0 goes to the lower index
//!
//! // The same row streamed in two pieces.
//! top.begin();
//! top.push(&[0.5, 2.0], 0);
//! top.push(&[f32::NEG_INFINITY, 2.0], 2);
//! top.finish(&mut out);
//! assert_eq!(out, [1, 3]);
//! ```

/// Width of the packed pre-test: 16 entries of a row ([`TopK`]) or 16 rows ([`TopKLanes`]).
pub const LANES: usize = 16;

/// Groups per k in the bound step: more groups give a tighter bound but a longer selection.
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

/// The largest float below `x` (`x` a number above `-inf`); NaN otherwise.
fn next_below(x: f32) -> f32 {
    if x.is_nan() || x == f32::NEG_INFINITY {
        f32::NAN
    } else if x == 0.0 {
        -f32::from_bits(1)
    } else if x > 0.0 {
        f32::from_bits(x.to_bits() - 1)
    } else {
        f32::from_bits(x.to_bits() + 1)
    }
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

/// The packed pre-test: false only if `x` cannot be a candidate under `hint`.
#[inline(always)]
#[allow(clippy::neg_cmp_op_on_partial_ord)]
fn may_pass(x: f32, hint: f32) -> bool {
    // Deliberately `!(x <= hint)` rather than `x > hint`: it is true when either side is NaN,
    // so a NaN hint (no threshold yet) passes everything and NaN entries reach the exact test.
    !(x <= hint)
}

/// Bit `l` set iff `may_pass(xs[l], hint[l])`.
#[inline(always)]
fn pass_mask(xs: &[f32; LANES], hint: &[f32; LANES]) -> u32 {
    let mut m = 0u32;
    for l in 0..LANES {
        m |= (may_pass(xs[l], hint[l]) as u32) << l;
    }
    m
}

/// The k-th largest of `values` if it is above `-inf`, reordering `values`.
fn kth_largest_above_neg_inf(values: &mut [f32], k: usize) -> Option<f32> {
    if values.len() < k {
        return None;
    }
    // No NaN in group maxima; `total_cmp` only to avoid an unwrap.
    let (_, kth, _) = values.select_nth_unstable_by(k - 1, |a, b| b.total_cmp(a));
    // A group maximum of -inf may be the accumulator's start value rather than an entry (a
    // group of NaNs); only a bound above -inf is backed by k real entries.
    (*kth > f32::NEG_INFINITY).then_some(*kth)
}

/// Top-K selector for one row at a time; reusable across rows without reallocating.
#[derive(Clone, Debug)]
pub struct TopK {
    k: usize,
    /// Candidates as composite keys `(biased score key << 32) | (u32::MAX - index)`: larger is
    /// better and all are distinct. `buf[..len]` is live.
    buf: Vec<u64>,
    len: usize,
    /// Compaction point of `buf`.
    cap: usize,
    /// An entry is a candidate iff its composite key is `> threshold`.
    threshold: u64,
    /// Packed pre-test: every candidate `x` has `!(x <= hint)` (NaN: everything passes).
    hint: f32,
    /// Entries pushed since `begin`: the next index must not be lower.
    seen: usize,
    /// Group maxima of the bound step.
    maxima: Vec<f32>,
}

impl TopK {
    /// A selector for the best `k` entries.
    ///
    /// # Panics
    /// If `k == 0` (a contract violation; callers validate user input first).
    pub fn new(k: usize) -> Self {
        assert!(k > 0, "TopK::new: k must be >= 1");
        // Room for ~2k candidates: after a bound, most rows never compact.
        let cap = (2 * k).max(k + 64);
        let mut top = TopK {
            k,
            buf: vec![0; cap],
            len: 0,
            cap,
            threshold: 0,
            hint: f32::NAN,
            seen: 0,
            maxima: Vec::new(),
        };
        top.begin();
        top
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
        self.begin();
        self.bound(scores);
        self.push(scores, 0);
        self.finish(out);
    }

    /// Starts a new row: forgets every candidate and the threshold.
    pub fn begin(&mut self) {
        self.len = 0;
        self.seen = 0;
        // 0 is below every composite (their index part is >= 1): everything is a candidate.
        self.set_threshold(0, true);
    }

    /// Raises the threshold to the group-maxima bound of `piece`, a part of the current row
    /// that has not been pushed yet or is pushed next (a bound from any part of the row is a
    /// bound for the whole row). Worth it on the first piece of a row, when no threshold
    /// exists yet. Does nothing if the piece is too short for `~4k` groups of 32 entries.
    pub fn bound(&mut self, piece: &[f32]) {
        let k = self.k;
        let n_chunks = piece.len() / LANES;
        // Ranges of `chunks_per_range` 16-wide chunks; each range yields LANES group maxima
        // (one per lane: its entries are interleaved, which is as good as contiguous).
        let n_ranges = (GROUPS_PER_K * k).div_ceil(LANES);
        let chunks_per_range = n_chunks / n_ranges;
        if chunks_per_range < 2 {
            return;
        }
        let mut maxima = std::mem::take(&mut self.maxima);
        maxima.clear();
        for range in piece.chunks_exact(chunks_per_range * LANES).take(n_ranges) {
            let mut acc = [f32::NEG_INFINITY; LANES];
            for chunk in range.chunks_exact(LANES) {
                for (a, &x) in acc.iter_mut().zip(chunk) {
                    // NaN never replaces the accumulator.
                    *a = if x > *a { x } else { *a };
                }
            }
            maxima.extend_from_slice(&acc);
        }
        if let Some(t) = kth_largest_above_neg_inf(&mut maxima, k) {
            self.raise_to(t);
        }
        self.maxima = maxima;
    }

    /// Adds the entries `piece[j]` with row indices `offset + j`. Pieces must come in
    /// ascending, non-overlapping index order (the tie rule relies on it).
    ///
    /// # Panics
    /// If `offset` is below the end of the previous piece or the row reaches `u32::MAX`
    /// entries (contract violations).
    pub fn push(&mut self, piece: &[f32], offset: usize) {
        self.advance(offset, piece.len());
        let mut chunks = piece.chunks_exact(LANES);
        let mut start = offset;
        for chunk in chunks.by_ref() {
            let chunk: &[f32; LANES] = chunk.try_into().expect("chunks_exact");
            let hint = self.hint;
            // Cheap any-test first (most chunks hold no candidate), then the lane mask.
            if chunk.iter().fold(false, |acc, &x| acc | may_pass(x, hint)) {
                let mut m = pass_mask(chunk, &[hint; LANES]);
                while m != 0 {
                    let l = m.trailing_zeros() as usize;
                    m &= m - 1;
                    self.offer(chunk[l], start + l);
                }
            }
            start += LANES;
        }
        for (l, &x) in chunks.remainder().iter().enumerate() {
            if may_pass(x, self.hint) {
                self.offer(x, start + l);
            }
        }
    }

    /// Cuts the candidates back to `k` now (if there are more), so that the threshold is the
    /// k-th best entry seen so far. Worth it after a row's first piece; otherwise the buffer
    /// compacts itself when full.
    pub fn tighten(&mut self) {
        if self.len > self.k {
            self.compact();
        }
    }

    /// Writes the indices of the `k` best entries pushed since [`TopK::begin`] into `out`,
    /// best first.
    ///
    /// # Panics
    /// If `out.len() != k` or fewer than `k` entries were pushed (contract violations).
    pub fn finish(&mut self, out: &mut [u32]) {
        let k = self.k;
        assert_eq!(
            out.len(),
            k,
            "TopK::finish: out has length {} but k = {k}",
            out.len()
        );
        assert!(
            self.seen >= k,
            "TopK::finish: row of {} scores is shorter than k = {k}",
            self.seen
        );
        // A bound admits at least k entries, so this only fails on a bug.
        assert!(
            self.len >= k,
            "TopK::finish: the bound admitted fewer than k entries (a bug)"
        );
        self.tighten();
        let best = &mut self.buf[..k];
        best.sort_unstable_by(|a, b| b.cmp(a));
        for (o, &c) in out.iter_mut().zip(best.iter()) {
            *o = composite_index(c);
        }
    }

    /// Records that entries `offset..offset + n` are being pushed.
    fn advance(&mut self, offset: usize, n: usize) {
        assert!(
            offset >= self.seen,
            "TopK::push: piece at {offset} overlaps or precedes the previous one (ends at {})",
            self.seen
        );
        let end = offset + n;
        assert!(
            end < u32::MAX as usize,
            "TopK::push: row longer than u32::MAX - 1"
        );
        self.seen = end;
    }

    /// The exact test for one entry that passed the pre-test.
    #[inline(always)]
    fn offer(&mut self, x: f32, index: usize) {
        let c = composite(score_key(x), index);
        if c > self.threshold {
            self.buf[self.len] = c;
            self.len += 1;
            if self.len == self.cap {
                self.compact();
            }
        }
    }

    /// Raises the threshold to "score >= t", given that at least k entries of the row (pushed
    /// or still to come) score `>= t`.
    fn raise_to(&mut self, t: f32) {
        // `key << 32 | 0` accepts every entry of score key >= key(t).
        let c = composite(score_key(t), u32::MAX as usize);
        if c > self.threshold {
            self.set_threshold(c, true);
        }
    }

    fn set_threshold(&mut self, threshold: u64, inclusive: bool) {
        self.threshold = threshold;
        let score = key_score(composite_key(threshold));
        // Inclusive: x >= t  <=>  !(x <= next_below(t)); strict: x > s  <=>  !(x <= s).
        self.hint = if inclusive { next_below(score) } else { score };
    }

    /// Keeps the k largest candidates; the k-th becomes the (strict) threshold.
    fn compact(&mut self) {
        let k = self.k;
        let (_, kth, _) = self.buf[..self.len].select_nth_unstable_by(k - 1, |a, b| b.cmp(a));
        let kth = *kth;
        self.len = k;
        self.set_threshold(kth, false);
    }
}

/// Top-K of up to `lanes` rows at once (`lanes` a multiple of [`LANES`]), fed from item-major
/// tiles: in a tile of `n` columns, `tile[j * lanes + r]` is entry `j` of row `r` (lanes
/// `>= rows` are ignored). Same order and tie rule as [`TopK`]; the packed pre-test compares
/// one column of 16 rows at a time.
#[derive(Clone, Debug)]
pub struct TopKLanes {
    tops: Vec<TopK>,
    lanes: usize,
    rows: usize,
    /// Per-lane copy of each row's pre-test hint.
    hint: Vec<f32>,
    /// Group maxima of the bound step, `[group][lane]` (empty: no bound under way), the
    /// columns per group, and one lane's column of maxima.
    maxima: Vec<f32>,
    group_len: usize,
    column: Vec<f32>,
}

impl TopKLanes {
    /// A selector for the best `k` entries of each of up to `lanes` rows.
    ///
    /// # Panics
    /// If `k == 0` or `lanes` is not a positive multiple of [`LANES`].
    pub fn new(k: usize, lanes: usize) -> Self {
        assert!(
            lanes > 0 && (lanes / LANES) * LANES == lanes,
            "TopKLanes::new: {lanes} lanes is not a positive multiple of {LANES}"
        );
        TopKLanes {
            tops: vec![TopK::new(k); lanes],
            lanes,
            rows: 0,
            hint: vec![f32::NAN; lanes],
            maxima: Vec::new(),
            group_len: 0,
            column: Vec::new(),
        }
    }

    pub fn k(&self) -> usize {
        self.tops[0].k
    }

    pub fn lanes(&self) -> usize {
        self.lanes
    }

    /// Starts `rows` new rows (at most `lanes`).
    ///
    /// # Panics
    /// If `rows > lanes`.
    pub fn begin(&mut self, rows: usize) {
        assert!(
            rows <= self.lanes,
            "TopKLanes::begin: {rows} rows > {} lanes",
            self.lanes
        );
        self.rows = rows;
        self.maxima.clear();
        for (top, hint) in self.tops.iter_mut().zip(&mut self.hint) {
            top.begin();
            *hint = top.hint;
        }
    }

    /// [`TopK::bound`] for every row, from a tile that has not been pushed yet or is pushed
    /// next: groups of consecutive columns, ~`4k` groups per row. Same as [`Self::bound_begin`]
    /// with the tile's width, one [`Self::bound_update`] and [`Self::bound_finish`].
    ///
    /// # Panics
    /// If `tile.len()` is not a multiple of `lanes`.
    pub fn bound(&mut self, tile: &[f32]) {
        assert_eq!(tile.len() % self.lanes, 0, "TopKLanes::bound: ragged tile");
        self.bound_begin(tile.len() / self.lanes);
        self.bound_update(tile, 0);
        self.bound_finish();
    }

    /// Starts a bound over a tile of `n_columns` columns that arrives in parts (so that each
    /// part is scanned while still in cache).
    pub fn bound_begin(&mut self, n_columns: usize) {
        let n_groups = GROUPS_PER_K * self.k();
        self.group_len = n_columns / n_groups;
        self.maxima.clear();
        if self.group_len >= 2 {
            self.maxima.resize(n_groups * self.lanes, f32::NEG_INFINITY);
        }
    }

    /// Scans columns `first_column..` of the tile announced by [`Self::bound_begin`].
    ///
    /// # Panics
    /// If `part.len()` is not a multiple of `lanes`.
    pub fn bound_update(&mut self, part: &[f32], first_column: usize) {
        let lanes = self.lanes;
        assert_eq!(
            part.len() % lanes,
            0,
            "TopKLanes::bound_update: ragged tile"
        );
        if self.maxima.is_empty() {
            return;
        }
        let n_groups = self.maxima.len() / lanes;
        let mut column = first_column;
        let mut rest = part;
        while !rest.is_empty() {
            let g = column / self.group_len;
            if g >= n_groups {
                break; // tail columns beyond the last whole group
            }
            // The run of columns of this part that fall in group g.
            let run = ((g + 1) * self.group_len - column).min(rest.len() / lanes);
            let (head, tail) = rest.split_at(run * lanes);
            let acc = &mut self.maxima[g * lanes..(g + 1) * lanes];
            for xs in head.chunks_exact(lanes) {
                for (a, &x) in acc.iter_mut().zip(xs) {
                    // NaN never replaces the accumulator.
                    *a = if x > *a { x } else { *a };
                }
            }
            column += run;
            rest = tail;
        }
    }

    /// Raises each row's threshold to the bound of the scanned tile.
    pub fn bound_finish(&mut self) {
        let lanes = self.lanes;
        let k = self.k();
        if self.maxima.is_empty() {
            return;
        }
        for r in 0..self.rows {
            self.column.clear();
            self.column
                .extend(self.maxima.iter().skip(r).step_by(lanes).copied());
            if let Some(t) = kth_largest_above_neg_inf(&mut self.column, k) {
                self.tops[r].raise_to(t);
                self.hint[r] = self.tops[r].hint;
            }
        }
        self.maxima.clear();
    }

    /// Adds the tile's columns as entries `offset + j` of every row; tiles must come in
    /// ascending, non-overlapping column order.
    ///
    /// # Panics
    /// If `tile.len()` is not a multiple of `lanes`, or on the contract violations of
    /// [`TopK::push`].
    pub fn push(&mut self, tile: &[f32], offset: usize) {
        let lanes = self.lanes;
        assert_eq!(tile.len() % lanes, 0, "TopKLanes::push: ragged tile");
        let n = tile.len() / lanes;
        for top in &mut self.tops[..self.rows] {
            top.advance(offset, n);
        }
        // Lane groups of 16 holding at least one live row, and each one's live-lane mask.
        let groups = self.rows.div_ceil(LANES);
        let live = |g: usize| -> u32 {
            let rows_in_group = (self.rows - g * LANES).min(LANES);
            if rows_in_group == LANES {
                u32::MAX
            } else {
                (1u32 << rows_in_group) - 1
            }
        };
        let live: Vec<u32> = (0..groups).map(live).collect();
        for (j, column) in tile.chunks_exact(lanes).enumerate() {
            for (g, &live) in live.iter().enumerate() {
                let xs: &[f32; LANES] = column[g * LANES..(g + 1) * LANES]
                    .try_into()
                    .expect("LANES wide");
                let hint: &[f32; LANES] = self.hint[g * LANES..(g + 1) * LANES]
                    .try_into()
                    .expect("LANES wide");
                // Cheap any-test first: most columns hold no candidate.
                if !xs
                    .iter()
                    .zip(hint)
                    .fold(false, |acc, (&x, &h)| acc | may_pass(x, h))
                {
                    continue;
                }
                let mut m = pass_mask(xs, hint) & live;
                while m != 0 {
                    let l = m.trailing_zeros() as usize;
                    m &= m - 1;
                    let r = g * LANES + l;
                    let top = &mut self.tops[r];
                    top.offer(xs[l], offset + j);
                    self.hint[r] = top.hint;
                }
            }
        }
    }

    /// Writes each row's `k` best indices, best first, to `out[r*k..(r+1)*k]`.
    ///
    /// # Panics
    /// If `out.len() != rows * k`, or on the contract violations of [`TopK::finish`].
    pub fn finish(&mut self, out: &mut [u32]) {
        let k = self.k();
        assert_eq!(out.len(), self.rows * k, "TopKLanes::finish: out length");
        for (top, out_row) in self.tops.iter_mut().zip(out.chunks_exact_mut(k)) {
            top.finish(out_row);
        }
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
    fn streamed_pieces_match_naive_sort() {
        let mut rng = ChaCha8Rng::seed_from_u64(9);
        for case in 0..600 {
            let n = rng.gen_range(1..5000);
            let k = rng.gen_range(1..=n.min(100));
            let levels = [3, 1_000_000][case % 2];
            let scores: Vec<f32> = (0..n)
                .map(|_| match rng.gen_range(0..100) {
                    0..=4 => f32::NEG_INFINITY,
                    5 => f32::NAN,
                    _ => rng.gen_range(0..levels) as f32,
                })
                .collect();
            let mut top = TopK::new(k);
            // A stale row first: begin() must forget it.
            top.select_into(&vec![9.0; k], &mut vec![0; k]);
            top.begin();
            let mut start = 0;
            let mut first = true;
            while start < n {
                // Pieces of random length, sometimes not a multiple of the vector width.
                let len = rng.gen_range(1..1500).min(n - start);
                let piece = &scores[start..start + len];
                if first || rng.gen_bool(0.2) {
                    top.bound(piece);
                }
                top.push(piece, start);
                if first {
                    top.tighten();
                }
                first = false;
                start += len;
            }
            let mut out = vec![0u32; k];
            top.finish(&mut out);
            assert_eq!(out, naive_top_k(&scores, k), "case {case}: n={n} k={k}");
        }
    }

    #[test]
    fn lanes_match_naive_sort_per_row() {
        let mut rng = ChaCha8Rng::seed_from_u64(13);
        for case in 0..300 {
            let width = [LANES, 2 * LANES, 4 * LANES][case % 3];
            let rows = rng.gen_range(1..=width);
            let n = rng.gen_range(1..6000);
            let k = rng.gen_range(1..=n.min(80));
            let levels = [3, 1_000_000][case % 2];
            // Row-major reference rows; the tile holds them item-major, with junk (+inf) in
            // the unused lanes that must not leak into any row.
            let data: Vec<Vec<f32>> = (0..rows)
                .map(|r| {
                    (0..n)
                        .map(|_| match rng.gen_range(0..100) {
                            0..=4 => f32::NEG_INFINITY,
                            5 => f32::NAN,
                            6 if r % 3 == 0 => -0.0,
                            _ => rng.gen_range(0..levels) as f32,
                        })
                        .collect()
                })
                .collect();
            let mut tile = vec![f32::INFINITY; n * width];
            for (r, row) in data.iter().enumerate() {
                for (j, &x) in row.iter().enumerate() {
                    tile[j * width + r] = x;
                }
            }
            let mut lanes = TopKLanes::new(k, width);
            lanes.begin(width);
            lanes.push(&vec![9.0; k * width], 0); // a stale block: begin() must forget it
            lanes.begin(rows);
            let mut start = 0;
            while start < n {
                let len = rng.gen_range(1..3000).min(n - start);
                let piece = &tile[start * width..(start + len) * width];
                if start == 0 && case % 2 == 0 {
                    lanes.bound(piece);
                } else if start == 0 {
                    // The same bound, scanned in random parts.
                    lanes.bound_begin(len);
                    let mut c = 0;
                    while c < len {
                        let part = rng.gen_range(1..700).min(len - c);
                        lanes.bound_update(&piece[c * width..(c + part) * width], c);
                        c += part;
                    }
                    lanes.bound_finish();
                }
                lanes.push(piece, start);
                start += len;
            }
            let mut out = vec![0u32; rows * k];
            lanes.finish(&mut out);
            for (r, row) in data.iter().enumerate() {
                assert_eq!(
                    &out[r * k..(r + 1) * k],
                    naive_top_k(row, k).as_slice(),
                    "case {case}: row {r} of {rows} in {width} lanes, n={n} k={k}"
                );
            }
        }
    }

    #[test]
    fn next_below_is_the_previous_float() {
        for x in [
            1.0f32,
            -1.0,
            f32::MAX,
            f32::MIN,
            f32::INFINITY,
            1e-45,
            -1e-45,
        ] {
            let y = next_below(x);
            assert!(y < x, "{y} < {x}");
            assert_eq!(
                score_key(y),
                score_key(x) - 1,
                "a float between {y} and {x}"
            );
        }
        // Below ±0 (one key): the negative float nearest to zero.
        assert_eq!(next_below(0.0), -f32::from_bits(1));
        assert_eq!(next_below(-0.0), -f32::from_bits(1));
        assert!(next_below(f32::NEG_INFINITY).is_nan() && next_below(f32::NAN).is_nan());
    }

    #[test]
    #[should_panic(expected = "overlaps or precedes")]
    fn pushing_out_of_order_panics() {
        let mut top = TopK::new(1);
        top.push(&[1.0, 2.0], 0);
        top.push(&[3.0], 1);
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
