//! Full-ranking evaluation: every item is scored for every evaluated user, seen items are masked
//! to `-inf`, and the top `max_k` items are kept (DESIGN.md §3, §5).
//!
//! Scores are `s(u, i) = ⟨emb.user(u), emb.item(i)⟩`. Users are processed in blocks of
//! [`BLOCK_USERS`] (64), items in chunks of up to [`ITEM_CHUNK`]: one single-threaded SGEMM (the
//! `gemm` crate) writes a block × chunk tile item-major (the block's scores of one item are
//! adjacent), then masked items are set to `-inf` and [`crate::topk::TopKLanes`] ranks the
//! block's users at once, one SIMD lane per user. Item-major output lets the SGEMM read the item
//! table in place (only the block's user rows are packed), and rows up to `ITEM_CHUNK` items
//! are ranked whole, so the top-K bound sees the whole row. Nothing is ever fully sorted and no
//! `n_users × n_items` matrix exists; memory is O(threads × tile). With [`Parallelism::Rayon`]
//! one worker per pool thread pulls user blocks from a shared counter. Every score is computed
//! the same way whatever the thread, so the result is bit-identical for any thread count.
//!
//! Ties: higher score first, then lower item index. `-0.0 == +0.0`; a NaN score ranks last.
//! Masked items score `-inf`, so they only appear when a user has fewer than `max_k` unmasked
//! items (then in ascending item order, after every unmasked item).
//!
//! ```
//! use llminit_core::{eval::rank_all, Embeddings, Parallelism, UserItems};
//! // 1 user, 3 items, dim 1: scores 1, 3, 2; item 1 is masked (a training item).
//! let emb = Embeddings { n_users: 1, n_items: 3, dim: 1, users: vec![1.0], items: vec![1.0, 3.0, 2.0] };
//! let targets = UserItems::from_pairs(1, 3, &[0], &[2]).unwrap();
//! let train = UserItems::from_pairs(1, 3, &[0], &[1]).unwrap();
//! let hits = rank_all(&emb, &targets, &[&train], 2, Parallelism::Sequential, &|| false).unwrap();
//! assert_eq!(hits.top_items, vec![2, 0]);
//! assert_eq!(hits.hits, vec![1, 0]);
//! ```

use std::ops::Range;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Mutex;

use rayon::prelude::*;

use crate::topk::{TopKLanes, LANES};
use crate::{Embeddings, Error, Parallelism, Result, UserItems};

/// Users per block: one top-K lane each (four groups of 16 SIMD lanes). With 64 users per
/// block the SGEMM does 32 FLOP per byte of item table it streams, enough to stay compute-bound
/// when the table does not fit in cache.
pub const BLOCK_USERS: usize = 4 * LANES;

/// Items per tile at most. Catalogs up to this size are scored in one tile per block, so the
/// top-K bound sees whole rows; larger ones are streamed chunk by chunk (the bound then comes
/// from the first chunk). 64 × 16384 f32 is a 4 MB tile per worker.
pub const ITEM_CHUNK: usize = 16_384;

/// Items per SGEMM call within a tile: a 64 × 2048 part (512 KB) is still in L2 when the
/// top-K bound scans it.
pub const SGEMM_ITEMS: usize = 2048;

/// The ranked result of full-ranking evaluation. Rows are the evaluated users (those with >= 1
/// target), in ascending user order regardless of thread count.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Hits {
    pub max_k: usize,
    /// Evaluated users, ascending.
    pub users: Vec<u32>,
    /// `users.len() * max_k`; `hits[r*max_k + j] = 1` if the item at rank `j` (0-based) of user
    /// row `r` is a target.
    pub hits: Vec<u8>,
    /// Per evaluated user: number of target items (RecBole's `pos_len`).
    pub n_targets: Vec<u32>,
    /// `users.len() * max_k`; the ranked item ids, best first.
    pub top_items: Vec<u32>,
}

impl Hits {
    /// Number of evaluated users (rows).
    pub fn n_rows(&self) -> usize {
        self.users.len()
    }

    /// The hit vector of row `r` (length `max_k`).
    pub fn row(&self, r: usize) -> &[u8] {
        &self.hits[r * self.max_k..(r + 1) * self.max_k]
    }
}

/// Scores every item for every user with >= 1 target: `s(u,i) = ⟨emb.user(u), emb.item(i)⟩`;
/// items in any of `masks` for that user are excluded (score `-inf`); keeps the top `max_k`.
/// Ties: higher score first, then lower item index.
///
/// Blocked user × item GEMM (a block of users × all items, never a full `n_users × n_items`
/// matrix), fused partial top-K per row, never a full sort. `should_stop` is polled before each
/// block; when it returns true the call returns `Err(Error::Aborted)`.
///
/// # Errors
/// - [`Error::InvalidInput`] if the embedding tables do not have `n_users * dim` /
///   `n_items * dim` entries, if `targets` or a mask has other `n_users`/`n_items` than `emb`,
///   or if their CSR arrays are malformed or hold an item id `>= n_items`.
/// - [`Error::InvalidParam`] (`max_k`) if `max_k == 0` or `max_k > n_items`.
/// - [`Error::Aborted`] if `should_stop` returned true.
pub fn rank_all(
    emb: &Embeddings,
    targets: &UserItems,
    masks: &[&UserItems],
    max_k: usize,
    par: Parallelism,
    should_stop: &(dyn Fn() -> bool + Sync),
) -> Result<Hits> {
    check_embeddings(emb)?;
    check_user_items("targets", targets, emb)?;
    for (m, mask) in masks.iter().enumerate() {
        check_user_items(&format!("mask {m}"), mask, emb)?;
    }
    if max_k == 0 || max_k > emb.n_items {
        return Err(Error::param(
            "max_k",
            format!("must be in 1..={} (n_items), got {max_k}", emb.n_items),
        ));
    }

    let users: Vec<u32> = (0..emb.n_users)
        .filter(|&u| targets.degree(u) > 0)
        .map(|u| u as u32)
        .collect();
    let mut top_items = vec![0u32; users.len() * max_k];

    // One lock per output block, each taken once by the worker that owns the block.
    let outputs: Vec<Mutex<&mut [u32]>> = top_items
        .chunks_mut(BLOCK_USERS * max_k)
        .map(Mutex::new)
        .collect();
    let user_blocks: Vec<&[u32]> = users.chunks(BLOCK_USERS).collect();
    let next_block = AtomicUsize::new(0);
    let aborted = AtomicBool::new(false);

    let worker = || {
        let mut scratch = BlockScratch::new(emb, max_k);
        loop {
            if aborted.load(Ordering::Relaxed) {
                return;
            }
            let b = next_block.fetch_add(1, Ordering::Relaxed);
            if b >= user_blocks.len() {
                return;
            }
            if should_stop() {
                aborted.store(true, Ordering::Relaxed);
                return;
            }
            let mut out = outputs[b].lock().unwrap_or_else(|e| e.into_inner());
            rank_block(emb, user_blocks[b], masks, &mut scratch, &mut out);
        }
    };
    match par {
        Parallelism::Sequential => worker(),
        Parallelism::Rayon => {
            let workers = rayon::current_num_threads().min(user_blocks.len()).max(1);
            (0..workers).into_par_iter().for_each(|_| worker());
        }
    }
    if aborted.into_inner() {
        return Err(Error::Aborted);
    }
    drop(outputs);

    let mut hits = vec![0u8; top_items.len()];
    let mut n_targets = Vec::with_capacity(users.len());
    for (r, &u) in users.iter().enumerate() {
        let pos = targets.of(u as usize);
        n_targets.push(pos.len() as u32);
        let row = r * max_k..(r + 1) * max_k;
        for (h, item) in hits[row.clone()].iter_mut().zip(&top_items[row]) {
            *h = pos.binary_search(item).is_ok() as u8;
        }
    }
    Ok(Hits {
        max_k,
        users,
        hits,
        n_targets,
        top_items,
    })
}

/// Per-worker buffers, allocated once per `rank_all` call.
struct BlockScratch {
    /// The block's user rows, `BLOCK_USERS × dim`, zero-padded (when gathered or partial).
    users: Vec<f32>,
    /// One item-major SGEMM tile: `tile[j * BLOCK_USERS + r]`.
    tile: Vec<f32>,
    tops: TopKLanes,
}

impl BlockScratch {
    fn new(emb: &Embeddings, max_k: usize) -> Self {
        BlockScratch {
            users: vec![0.0; BLOCK_USERS * emb.dim],
            tile: vec![0.0; BLOCK_USERS * ITEM_CHUNK.min(emb.n_items)],
            tops: TopKLanes::new(max_k, BLOCK_USERS),
        }
    }
}

/// Scores, masks and ranks one block of at most `BLOCK_USERS` users into `out`
/// (`users.len() * max_k` item ids).
fn rank_block(
    emb: &Embeddings,
    users: &[u32],
    masks: &[&UserItems],
    scratch: &mut BlockScratch,
    out: &mut [u32],
) {
    let n_items = emb.n_items;
    let dim = emb.dim;
    // A full block of consecutive users is read in place; otherwise gather, padding with zero
    // rows (their lanes are ignored) so that every tile has BLOCK_USERS lanes.
    let contiguous = users.len() == BLOCK_USERS && users.windows(2).all(|w| w[1] == w[0] + 1);
    let a: &[f32] = if contiguous {
        let first = users[0] as usize;
        &emb.users[first * dim..(first + BLOCK_USERS) * dim]
    } else {
        scratch.users.fill(0.0);
        for (row, &u) in scratch.users.chunks_exact_mut(dim.max(1)).zip(users) {
            row.copy_from_slice(emb.user(u as usize));
        }
        &scratch.users
    };
    scratch.tops.begin(users.len());
    for j0 in (0..n_items).step_by(ITEM_CHUNK) {
        let j1 = (j0 + ITEM_CHUNK).min(n_items);
        let tile = &mut scratch.tile[..BLOCK_USERS * (j1 - j0)];
        // The first chunk sets a tight threshold for the rest of the rows (bound); its scan
        // runs part by part right after each part's SGEMM, while the part is in L2.
        let bound = j0 == 0;
        if bound {
            scratch.tops.bound_begin(j1 - j0);
        }
        for s0 in (j0..j1).step_by(SGEMM_ITEMS) {
            let s1 = (s0 + SGEMM_ITEMS).min(j1);
            let part = &mut tile[(s0 - j0) * BLOCK_USERS..(s1 - j0) * BLOCK_USERS];
            sgemm_item_major(part, a, BLOCK_USERS, emb, s0..s1);
            for (r, &u) in users.iter().enumerate() {
                for mask in masks {
                    let row = mask.of(u as usize);
                    // Sorted: skip to this part with a binary search, stop at its end.
                    let from = row.partition_point(|&i| (i as usize) < s0);
                    for &i in row[from..].iter().take_while(|&&i| (i as usize) < s1) {
                        part[(i as usize - s0) * BLOCK_USERS + r] = f32::NEG_INFINITY;
                    }
                }
            }
            if bound {
                scratch.tops.bound_update(part, s0 - j0);
            }
        }
        if bound {
            scratch.tops.bound_finish();
        }
        scratch.tops.push(tile, j0);
    }
    scratch.tops.finish(out);
}

/// Writes the scores of the items in `items` for the given users into `tile`, item-major
/// (replacing its contents): `tile[j * users.len() + r] = ⟨user(users[r]), item(items.start + j)⟩`.
/// One single-threaded SGEMM, the kernel of [`rank_all`] (which calls it on blocks of
/// [`BLOCK_USERS`] users); callers parallelize over blocks of users.
///
/// # Panics
/// If `tile.len() != users.len() * items.len()`, a user id is `>= emb.n_users`, `items` is not
/// within `0..emb.n_items`, or the tables' lengths disagree with `emb`'s shape (contract
/// violations: [`rank_all`] validates first).
pub fn score_tile_into(tile: &mut [f32], emb: &Embeddings, users: &[u32], items: Range<usize>) {
    let dim = emb.dim;
    let contiguous = users.windows(2).all(|w| w[1] == w[0] + 1);
    let gathered: Vec<f32>;
    let a: &[f32] = match users.first() {
        Some(&first) if contiguous => {
            let first = first as usize;
            &emb.users[first * dim..(first + users.len()) * dim]
        }
        _ => {
            gathered = users
                .iter()
                .flat_map(|&u| emb.user(u as usize).iter().copied())
                .collect();
            &gathered
        }
    };
    sgemm_item_major(tile, a, users.len(), emb, items);
}

/// `tile[j*m + r] = ⟨a[r], item(items.start + j)⟩` for `a` row-major `m × dim`.
fn sgemm_item_major(tile: &mut [f32], a: &[f32], m: usize, emb: &Embeddings, items: Range<usize>) {
    let dim = emb.dim;
    let n = items.len();
    assert_eq!(tile.len(), m * n, "score_tile_into: tile length");
    assert_eq!(a.len(), m * dim, "score_tile_into: user rows length");
    assert!(
        items.end <= emb.n_items && emb.items.len() == emb.n_items * dim,
        "score_tile_into: item range {items:?} outside the {} items of a {}-value table",
        emb.n_items,
        emb.items.len()
    );
    if m == 0 || n == 0 {
        return;
    }
    if dim == 0 {
        // An empty inner product is 0.
        tile.fill(0.0);
        return;
    }
    let rhs = &emb.items[items.start * dim..items.end * dim];
    // SAFETY: lhs is m×dim row-major over `a` (column stride 1, row stride dim; length
    // asserted); rhs = items[range]ᵀ is dim×n with rhs(p, j) = rhs[j*dim + p] (column stride
    // dim, row stride 1) over n*dim values; dst is m×n with dst(r, j) = tile[j*m + r] (column
    // stride m, row stride 1) over m*n values (length asserted), exclusively borrowed, so
    // disjoint from both inputs; read_dst = false: its old contents are neither read nor scaled.
    unsafe {
        gemm::gemm(
            m,
            n,
            dim,
            tile.as_mut_ptr(),
            m as isize,
            1,
            false,
            a.as_ptr(),
            1,
            dim as isize,
            rhs.as_ptr(),
            dim as isize,
            1,
            0.0,
            1.0,
            false,
            false,
            false,
            gemm::Parallelism::None,
        );
    }
}

fn check_embeddings(emb: &Embeddings) -> Result<()> {
    let want_users = emb.n_users.checked_mul(emb.dim);
    let want_items = emb.n_items.checked_mul(emb.dim);
    if want_users != Some(emb.users.len()) {
        return Err(Error::InvalidInput(format!(
            "rank_all: user embeddings have {} values, expected n_users {} × dim {}",
            emb.users.len(),
            emb.n_users,
            emb.dim
        )));
    }
    if want_items != Some(emb.items.len()) {
        return Err(Error::InvalidInput(format!(
            "rank_all: item embeddings have {} values, expected n_items {} × dim {}",
            emb.items.len(),
            emb.n_items,
            emb.dim
        )));
    }
    if emb.n_items > u32::MAX as usize || emb.n_users > u32::MAX as usize {
        return Err(Error::InvalidInput(format!(
            "rank_all: {} users × {} items exceeds the u32 id range",
            emb.n_users, emb.n_items
        )));
    }
    Ok(())
}

fn check_user_items(what: &str, ui: &UserItems, emb: &Embeddings) -> Result<()> {
    if ui.n_users != emb.n_users || ui.n_items != emb.n_items {
        return Err(Error::InvalidInput(format!(
            "rank_all: {what} is {} users × {} items, embeddings are {} users × {} items",
            ui.n_users, ui.n_items, emb.n_users, emb.n_items
        )));
    }
    let well_formed = ui.indptr.len() == ui.n_users + 1
        && ui.indptr.first() == Some(&0)
        && ui.indptr.last() == Some(&ui.items.len())
        && ui.indptr.windows(2).all(|w| w[0] <= w[1]);
    if !well_formed {
        return Err(Error::InvalidInput(format!(
            "rank_all: {what} has a malformed indptr (length {}, expected {} non-decreasing offsets from 0 to {})",
            ui.indptr.len(),
            ui.n_users + 1,
            ui.items.len()
        )));
    }
    if let Some(pos) = ui.items.iter().position(|&i| i as usize >= ui.n_items) {
        return Err(Error::InvalidInput(format!(
            "rank_all: {what} entry {pos} has item index {} >= n_items {}",
            ui.items[pos], ui.n_items
        )));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::{Rng, SeedableRng};
    use rand_chacha::ChaCha8Rng;

    /// Small-integer embeddings: every dot product is exact in f32, so the GEMM and the naive
    /// loop agree bit for bit, and the few distinct values give many ties.
    fn random_case(
        rng: &mut ChaCha8Rng,
        n_users: usize,
        n_items: usize,
        dim: usize,
    ) -> (Embeddings, UserItems, UserItems, UserItems) {
        let mut val = || rng.gen_range(-2i32..=2) as f32;
        let users: Vec<f32> = (0..n_users * dim).map(|_| val()).collect();
        let items: Vec<f32> = (0..n_items * dim).map(|_| val()).collect();
        let emb = Embeddings {
            n_users,
            n_items,
            dim,
            users,
            items,
        };
        // Each user's item set with probability p per item; users below `min_one_below` get
        // at least one item.
        let mut pairs = |p: f64, min_one_below: usize| {
            let (mut us, mut is) = (vec![], vec![]);
            for u in 0..n_users {
                let before = us.len();
                for i in 0..n_items {
                    if rng.gen_bool(p) {
                        us.push(u as u32);
                        is.push(i as u32);
                    }
                }
                if us.len() == before && u < min_one_below {
                    us.push(u as u32);
                    is.push(rng.gen_range(0..n_items as u32));
                }
            }
            UserItems::from_pairs(n_users, n_items, &us, &is).unwrap()
        };
        // Every user of the first half has a target (full blocks of consecutive users, read in
        // place); the second half has gaps (gathered, partial blocks).
        let targets = pairs((2.0 / n_items as f64).min(1.0), n_users / 2);
        let train = pairs(0.2, 0);
        let valid = pairs(0.03, 0);
        (emb, targets, train, valid)
    }

    /// The reference: score all items in a plain loop, mask, sort by (score desc, index asc).
    fn naive_rank_all(
        emb: &Embeddings,
        targets: &UserItems,
        masks: &[&UserItems],
        max_k: usize,
    ) -> Hits {
        let mut out = Hits {
            max_k,
            ..Hits::default()
        };
        for u in 0..emb.n_users {
            if targets.degree(u) == 0 {
                continue;
            }
            let mut scored: Vec<(f32, usize)> = (0..emb.n_items)
                .map(|i| {
                    let s: f32 = emb
                        .user(u)
                        .iter()
                        .zip(emb.item(i))
                        .map(|(a, b)| a * b)
                        .sum();
                    let masked = masks.iter().any(|m| m.contains(u, i as u32));
                    (if masked { f32::NEG_INFINITY } else { s }, i)
                })
                .collect();
            scored.sort_by(|a, b| b.0.partial_cmp(&a.0).unwrap().then(a.1.cmp(&b.1)));
            out.users.push(u as u32);
            out.n_targets.push(targets.degree(u) as u32);
            for &(_, i) in &scored[..max_k] {
                out.top_items.push(i as u32);
                out.hits.push(targets.contains(u, i as u32) as u8);
            }
        }
        out
    }

    fn never() -> bool {
        false
    }

    #[test]
    fn matches_naive_loop_sequential_and_rayon() {
        let mut rng = ChaCha8Rng::seed_from_u64(11);
        // Several user blocks (the last one partial) and item chunks (the last one partial);
        // max_k = n_items puts masked items into the ranking; dims that are no SIMD width.
        let cases = [
            (40, 2 * ITEM_CHUNK + 100, 8, 30),
            (300, 2500, 4, 50),
            (150, 2100, 3, 2100),
            (600, 157, 5, 20),
            (37, 64, 16, 64),
            (300, 9, 3, 1),
        ];
        for &(n_users, n_items, dim, max_k) in &cases {
            let (emb, targets, train, valid) = random_case(&mut rng, n_users, n_items, dim);
            let masks = [&train, &valid];
            let want = naive_rank_all(&emb, &targets, &masks, max_k);
            assert!(want.users.len() > n_users / 2);
            let seq = rank_all(
                &emb,
                &targets,
                &masks,
                max_k,
                Parallelism::Sequential,
                &never,
            )
            .unwrap();
            assert_eq!(seq, want, "sequential, {n_users}×{n_items}×{dim} k={max_k}");
            for threads in [1, 2, 3] {
                let pool = rayon::ThreadPoolBuilder::new()
                    .num_threads(threads)
                    .build()
                    .unwrap();
                let par = pool
                    .install(|| rank_all(&emb, &targets, &masks, max_k, Parallelism::Rayon, &never))
                    .unwrap();
                assert_eq!(par, want, "rayon with {threads} threads");
            }
        }
    }

    #[test]
    fn float_scores_are_identical_sequential_and_rayon() {
        let mut rng = ChaCha8Rng::seed_from_u64(3);
        let (n_users, n_items, dim) = (700, 2333, 24);
        let emb = Embeddings {
            n_users,
            n_items,
            dim,
            users: (0..n_users * dim)
                .map(|_| rng.gen_range(-1.0..1.0))
                .collect(),
            items: (0..n_items * dim)
                .map(|_| rng.gen_range(-1.0..1.0))
                .collect(),
        };
        // Every other user evaluated: the blocks gather non-contiguous user rows.
        let us: Vec<u32> = (0..n_users as u32).step_by(2).collect();
        let is: Vec<u32> = us.iter().map(|&u| u % n_items as u32).collect();
        let targets = UserItems::from_pairs(n_users, n_items, &us, &is).unwrap();
        let seq = rank_all(&emb, &targets, &[], 50, Parallelism::Sequential, &never).unwrap();
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(2)
            .build()
            .unwrap();
        let par = pool
            .install(|| rank_all(&emb, &targets, &[], 50, Parallelism::Rayon, &never))
            .unwrap();
        assert_eq!(seq, par);
        assert_eq!(seq.users, us);
    }

    #[test]
    fn masks_exclude_items_and_ties_go_to_lower_index() {
        // One user, dim 1, user vector [1]: scores equal the item values.
        // items: 0:5, 1:7, 2:7, 3:1, 4:7, 5:0
        let emb = Embeddings {
            n_users: 2,
            n_items: 6,
            dim: 1,
            users: vec![1.0, 1.0],
            items: vec![5.0, 7.0, 7.0, 1.0, 7.0, 0.0],
        };
        let targets = UserItems::from_pairs(2, 6, &[0, 0], &[0, 4]).unwrap(); // user 1 has none
        let train = UserItems::from_pairs(2, 6, &[0], &[2]).unwrap();
        let valid = UserItems::from_pairs(2, 6, &[0, 0], &[1, 3]).unwrap();
        let unmasked = rank_all(&emb, &targets, &[], 4, Parallelism::Sequential, &never).unwrap();
        assert_eq!(unmasked.users, vec![0]);
        assert_eq!(unmasked.top_items, vec![1, 2, 4, 0]);
        assert_eq!(unmasked.hits, vec![0, 0, 1, 1]);
        assert_eq!(unmasked.n_targets, vec![2]);
        // Items 1, 2, 3 masked: 4 (7), 0 (5), 5 (0), then masked items at -inf by index: 1.
        let masked = rank_all(
            &emb,
            &targets,
            &[&train, &valid],
            4,
            Parallelism::Sequential,
            &never,
        )
        .unwrap();
        assert_eq!(masked.top_items, vec![4, 0, 5, 1]);
        assert_eq!(masked.hits, vec![1, 1, 0, 0]);
    }

    #[test]
    fn no_evaluated_users_gives_empty_hits() {
        let emb = Embeddings::zeros(3, 4, 2);
        let none = UserItems::empty(3, 4);
        let hits = rank_all(&emb, &none, &[], 2, Parallelism::Rayon, &never).unwrap();
        assert!(hits.users.is_empty() && hits.hits.is_empty() && hits.top_items.is_empty());
    }

    #[test]
    fn zero_dim_scores_are_all_ties() {
        let emb = Embeddings::zeros(2, 5, 0);
        let targets = UserItems::from_pairs(2, 5, &[1], &[3]).unwrap();
        let hits = rank_all(&emb, &targets, &[], 5, Parallelism::Sequential, &never).unwrap();
        assert_eq!(hits.top_items, vec![0, 1, 2, 3, 4]);
        assert_eq!(hits.hits, vec![0, 0, 0, 1, 0]);
    }

    #[test]
    fn should_stop_aborts() {
        let mut rng = ChaCha8Rng::seed_from_u64(5);
        let (emb, targets, train, _) = random_case(&mut rng, 800, 50, 4);
        for par in [Parallelism::Sequential, Parallelism::Rayon] {
            let err = rank_all(&emb, &targets, &[&train], 10, par, &|| true).unwrap_err();
            assert!(matches!(err, Error::Aborted), "{err}");
        }
        // Stop after the first poll: still an abort, not a partial result.
        let polls = AtomicUsize::new(0);
        let stop = || polls.fetch_add(1, Ordering::SeqCst) >= 1;
        let err = rank_all(
            &emb,
            &targets,
            &[&train],
            10,
            Parallelism::Sequential,
            &stop,
        )
        .unwrap_err();
        assert!(matches!(err, Error::Aborted));
        assert_eq!(polls.load(Ordering::SeqCst), 2);
    }

    #[test]
    fn bad_shapes_are_errors() {
        let emb = Embeddings::zeros(3, 4, 2);
        let ok = UserItems::from_pairs(3, 4, &[0], &[1]).unwrap();
        let run = |emb: &Embeddings, t: &UserItems, m: &[&UserItems], k: usize| {
            rank_all(emb, t, m, k, Parallelism::Sequential, &never)
                .unwrap_err()
                .to_string()
        };

        let mut short = emb.clone();
        short.items.pop();
        assert!(run(&short, &ok, &[], 2).contains("item embeddings have 7 values"));
        let mut wrong_dim = emb.clone();
        wrong_dim.dim = 3;
        assert!(run(&wrong_dim, &ok, &[], 2)
            .contains("user embeddings have 6 values, expected n_users 3 × dim 3"));

        let other_items = UserItems::empty(3, 5);
        assert!(run(&emb, &other_items, &[], 2).contains("targets is 3 users × 5 items"));
        let other_users = UserItems::empty(2, 4);
        assert!(run(&emb, &ok, &[&ok, &other_users], 2).contains("mask 1 is 2 users × 4 items"));

        let mut out_of_range = ok.clone();
        out_of_range.items[0] = 4;
        assert!(run(&emb, &ok, &[&out_of_range], 2)
            .contains("mask 0 entry 0 has item index 4 >= n_items 4"));
        let mut bad_indptr = ok.clone();
        bad_indptr.indptr.pop();
        assert!(run(&emb, &bad_indptr, &[], 2).contains("targets has a malformed indptr"));

        assert!(run(&emb, &ok, &[], 0).contains("`max_k`"));
        assert!(run(&emb, &ok, &[], 5).contains("must be in 1..=4 (n_items), got 5"));
        assert!(rank_all(&emb, &ok, &[], 4, Parallelism::Sequential, &never).is_ok());
    }
}
