//! Full-ranking evaluation at Amazon Beauty size (22 363 users × 12 101 items, dim 128; seeded
//! random data): (a) the bare blocked GEMM C = U·Iᵀ done the way `rank_all` does it (blocks of
//! `BLOCK_USERS` users, one single-threaded SGEMM per block, one rayon worker per thread pulling
//! blocks), with the `gemm` crate that `rank_all` uses and, for comparison, `matrixmultiply`;
//! and (b) `rank_all` with max_k = 50, ~7 masked items and 1 target per user.
//! Prints the median of `RUNS` runs and the ratio eval / GEMM (gemm crate) (target: <= 1.5).
//!
//! Run: `cargo bench -p llminit-core --bench eval`

use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Instant;

use llminit_core::eval::{rank_all, score_users_into, BLOCK_USERS};
use llminit_core::{Embeddings, Parallelism, UserItems};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rayon::prelude::*;

const N_USERS: usize = 22_363;
const N_ITEMS: usize = 12_101;
const DIM: usize = 128;
const MAX_K: usize = 50;
const MASKED_PER_USER: usize = 7;
const RUNS: usize = 5;

fn median(mut xs: Vec<f64>) -> f64 {
    xs.sort_by(|a, b| a.partial_cmp(b).unwrap());
    xs[xs.len() / 2]
}

/// Which SGEMM computes a block of scores.
#[derive(Clone, Copy)]
enum Sgemm {
    /// The `gemm` crate, through `score_users_into` (what `rank_all` uses).
    Gemm,
    /// `matrixmultiply::sgemm` on the same blocks, for comparison.
    MatrixMultiply,
}

fn matrixmultiply_block(out: &mut [f32], emb: &Embeddings, users: std::ops::Range<usize>) {
    let (dim, n_items) = (emb.dim, emb.n_items);
    let a = &emb.users[users.start * dim..users.end * dim];
    assert_eq!(out.len(), users.len() * n_items);
    // SAFETY: A is users.len()×dim row-major over `a`, B = itemsᵀ (row stride 1, column stride
    // dim) over n_items*dim values, C is users.len()×n_items row-major over `out`; beta = 0.
    unsafe {
        matrixmultiply::sgemm(
            users.len(),
            dim,
            n_items,
            1.0,
            a.as_ptr(),
            dim as isize,
            1,
            emb.items.as_ptr(),
            1,
            dim as isize,
            0.0,
            out.as_mut_ptr(),
            n_items as isize,
            1,
        );
    }
}

/// The bare product, blocked and scheduled exactly like `rank_all`, without masking or top-K.
fn blocked_gemm(emb: &Embeddings, sgemm: Sgemm) -> f32 {
    let users: Vec<u32> = (0..emb.n_users as u32).collect();
    let blocks: Vec<&[u32]> = users.chunks(BLOCK_USERS).collect();
    let next = AtomicUsize::new(0);
    let workers = rayon::current_num_threads();
    (0..workers)
        .into_par_iter()
        .map(|_| {
            let mut scratch = vec![0.0f32; BLOCK_USERS * emb.n_items];
            let mut checksum = 0.0f32;
            loop {
                let b = next.fetch_add(1, Ordering::Relaxed);
                if b >= blocks.len() {
                    return checksum;
                }
                let out = &mut scratch[..blocks[b].len() * emb.n_items];
                match sgemm {
                    Sgemm::Gemm => score_users_into(out, emb, blocks[b]),
                    Sgemm::MatrixMultiply => {
                        let first = blocks[b][0] as usize;
                        matrixmultiply_block(out, emb, first..first + blocks[b].len())
                    }
                }
                checksum += out[0];
            }
        })
        .sum()
}

fn main() {
    let mut rng = ChaCha8Rng::seed_from_u64(42);
    let emb = Embeddings {
        n_users: N_USERS,
        n_items: N_ITEMS,
        dim: DIM,
        users: (0..N_USERS * DIM)
            .map(|_| rng.gen_range(-0.1f32..0.1))
            .collect(),
        items: (0..N_ITEMS * DIM)
            .map(|_| rng.gen_range(-0.1f32..0.1))
            .collect(),
    };
    let (mut mu, mut mi, mut tu, mut ti) = (vec![], vec![], vec![], vec![]);
    for u in 0..N_USERS as u32 {
        for _ in 0..MASKED_PER_USER {
            mu.push(u);
            mi.push(rng.gen_range(0..N_ITEMS as u32));
        }
        tu.push(u);
        ti.push(rng.gen_range(0..N_ITEMS as u32));
    }
    let mask = UserItems::from_pairs(N_USERS, N_ITEMS, &mu, &mi).unwrap();
    let targets = UserItems::from_pairs(N_USERS, N_ITEMS, &tu, &ti).unwrap();
    let flops = 2.0 * (N_USERS * N_ITEMS * DIM) as f64;
    println!(
        "eval bench: {N_USERS} users × {N_ITEMS} items × dim {DIM}, block {BLOCK_USERS} users, {} rayon threads, {} masked items, max_k {MAX_K}, {RUNS} runs",
        rayon::current_num_threads(),
        mask.nnz()
    );

    // Warm-up (page faults, CPU feature detection).
    std::hint::black_box(blocked_gemm(&emb, Sgemm::Gemm));
    std::hint::black_box(blocked_gemm(&emb, Sgemm::MatrixMultiply));

    // Interleaved, so that load from other processes hits every measurement alike.
    let (mut gemm_times, mut mm_times, mut eval_times) = (vec![], vec![], vec![]);
    for _ in 0..RUNS {
        let t = Instant::now();
        std::hint::black_box(blocked_gemm(&emb, Sgemm::Gemm));
        gemm_times.push(t.elapsed().as_secs_f64());

        let t = Instant::now();
        std::hint::black_box(blocked_gemm(&emb, Sgemm::MatrixMultiply));
        mm_times.push(t.elapsed().as_secs_f64());

        let t = Instant::now();
        let hits = rank_all(&emb, &targets, &[&mask], MAX_K, Parallelism::Rayon, &|| {
            false
        })
        .unwrap();
        eval_times.push(t.elapsed().as_secs_f64());
        assert_eq!(hits.users.len(), N_USERS);
        std::hint::black_box(hits);
    }
    let best = |xs: &[f64]| xs.iter().cloned().fold(f64::INFINITY, f64::min);
    let gemm = median(gemm_times.clone());
    let eval = median(eval_times.clone());
    for (name, times) in [
        ("gemm crate (used)", &gemm_times),
        ("matrixmultiply", &mm_times),
    ] {
        let med = median(times.clone());
        println!(
            "(a) blocked GEMM, {name}: median {med:.3} s = {:.1} GFLOP/s (best {:.3} s = {:.1} GFLOP/s); runs {times:.3?}",
            flops / med / 1e9,
            best(times),
            flops / best(times) / 1e9
        );
    }
    println!(
        "(b) rank_all max_k={MAX_K}: median {eval:.3} s = {:.1} GFLOP/s effective (best {:.3} s); runs {eval_times:.3?}",
        flops / eval / 1e9,
        best(&eval_times)
    );
    println!(
        "ratio eval / GEMM = {:.3} of medians, {:.3} of bests (target <= 1.5)",
        eval / gemm,
        best(&eval_times) / best(&gemm_times)
    );
}
