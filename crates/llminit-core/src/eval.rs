//! Full-ranking evaluation: every item is scored for every evaluated user, seen items are masked
//! to `-inf`, and the top `max_k` items are kept (DESIGN.md §3, §5).
//!
//! Scores are `s(u, i) = ⟨emb.user(u), emb.item(i)⟩`. Users are processed in blocks of
//! [`BLOCK_USERS`]: one single-threaded SGEMM (the `gemm` crate) scores a block against all
//! items into a per-worker scratch buffer, then each row is masked and reduced by the partial
//! top-K of [`crate::topk`]; nothing is ever fully sorted and no `n_users × n_items` matrix
//! exists. With [`Parallelism::Rayon`] one worker per pool thread pulls blocks from a shared
//! counter. Every row is computed the same way whatever the block or thread it lands in, so the
//! result is bit-identical for any thread count.
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

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Mutex;

use rayon::prelude::*;

use crate::topk::TopK;
use crate::{Embeddings, Error, Parallelism, Result, UserItems};

/// Users scored per SGEMM call. 256 users × 12k items is a 12 MB f32 scratch per worker: large
/// enough that packing the item matrix is amortized over many rows, small enough for two
/// workers' blocks to stay in a 32 MB L3 between the product and the top-K pass.
pub const BLOCK_USERS: usize = 256;

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
        let mut scratch = vec![0.0f32; BLOCK_USERS.min(users.len()) * emb.n_items];
        let mut top = TopK::new(max_k);
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
            let block_users = user_blocks[b];
            let mut out = outputs[b].lock().unwrap_or_else(|e| e.into_inner());
            rank_block(emb, block_users, masks, &mut scratch, &mut top, &mut out);
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

/// Scores, masks and ranks one block of users into `out` (`users.len() * k` item ids).
fn rank_block(
    emb: &Embeddings,
    users: &[u32],
    masks: &[&UserItems],
    scratch: &mut [f32],
    top: &mut TopK,
    out: &mut [u32],
) {
    let n_items = emb.n_items;
    let k = top.k();
    let scores = &mut scratch[..users.len() * n_items];
    score_users_into(scores, emb, users);
    for ((row, &u), out_row) in scores
        .chunks_exact_mut(n_items)
        .zip(users)
        .zip(out.chunks_exact_mut(k))
    {
        for mask in masks {
            for &i in mask.of(u as usize) {
                row[i as usize] = f32::NEG_INFINITY;
            }
        }
        top.select_into(row, out_row);
    }
}

/// Writes the scores of all items for the given users into `out` (row-major
/// `users.len() × n_items`, replacing its contents): `out[r*n_items + i] = ⟨user(users[r]), item(i)⟩`.
/// One single-threaded SGEMM; callers parallelize over blocks of users.
///
/// # Panics
/// If `out.len() != users.len() * emb.n_items`, a user id is `>= emb.n_users`, or the tables'
/// lengths disagree with `emb`'s shape (contract violations: [`rank_all`] validates first).
pub fn score_users_into(out: &mut [f32], emb: &Embeddings, users: &[u32]) {
    let (dim, n_items) = (emb.dim, emb.n_items);
    assert_eq!(
        out.len(),
        users.len() * n_items,
        "score_users_into: out length"
    );
    assert_eq!(
        emb.items.len(),
        n_items * dim,
        "score_users_into: item table length"
    );
    if users.is_empty() || n_items == 0 {
        return;
    }
    // Gather the block's user rows (contiguous users are read in place).
    let contiguous = users.windows(2).all(|w| w[1] == w[0] + 1);
    let gathered: Vec<f32>;
    let a: &[f32] = if contiguous {
        let first = users[0] as usize;
        &emb.users[first * dim..(first + users.len()) * dim]
    } else {
        gathered = users
            .iter()
            .flat_map(|&u| emb.user(u as usize).iter().copied())
            .collect();
        &gathered
    };
    assert_eq!(
        a.len(),
        users.len() * dim,
        "score_users_into: user table length"
    );
    if dim == 0 {
        // An empty inner product is 0.
        out.fill(0.0);
        return;
    }
    // SAFETY: lhs = A is users.len()×dim row-major over `a` (length asserted above); rhs =
    // itemsᵀ is dim×n_items with rhs(p, j) = items[j*dim + p] (column stride dim, row stride 1)
    // over a buffer of n_items*dim elements (asserted); dst is users.len()×n_items row-major
    // over `out` (length asserted), exclusively borrowed and disjoint from both inputs;
    // read_dst = false, so its previous contents are neither read nor scaled.
    unsafe {
        gemm::gemm(
            users.len(),
            n_items,
            dim,
            out.as_mut_ptr(),
            1,
            n_items as isize,
            false,
            a.as_ptr(),
            1,
            dim as isize,
            emb.items.as_ptr(),
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
        let mut pairs = |p: f64| {
            let (mut us, mut is) = (vec![], vec![]);
            for u in 0..n_users {
                for i in 0..n_items {
                    if rng.gen_bool(p) {
                        us.push(u as u32);
                        is.push(i as u32);
                    }
                }
            }
            UserItems::from_pairs(n_users, n_items, &us, &is).unwrap()
        };
        let targets = pairs((2.0 / n_items as f64).min(1.0));
        let train = pairs(0.2);
        let valid = pairs(0.03);
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
        // 600 users span three blocks (the last one partial); dim 5 is not a SIMD width.
        for &(n_users, n_items, dim, max_k) in
            &[(600, 157, 5, 20), (37, 64, 16, 64), (300, 9, 3, 1)]
        {
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
        let (n_users, n_items, dim) = (700, 333, 24);
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
