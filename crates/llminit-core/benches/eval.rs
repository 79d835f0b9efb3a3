//! Full-ranking evaluation at Amazon Beauty size (22 363 users × 12 101 items, dim 128; seeded
//! random data): (a) the bare blocked GEMM C = U·Iᵀ done the way `rank_all` does it (blocks of
//! `BLOCK_USERS` users, one single-threaded SGEMM per block, one rayon worker per thread pulling
//! blocks), and (b) `rank_all` with max_k = 50, ~7 masked items and 1 target per user.
//! Prints the median of `RUNS` runs and the ratio eval / GEMM (target: <= 1.5).
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

/// The bare product, blocked and scheduled exactly like `rank_all`, without masking or top-K.
fn blocked_gemm(emb: &Embeddings) -> f32 {
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
                score_users_into(out, emb, blocks[b]);
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
    std::hint::black_box(blocked_gemm(&emb));

    // Interleaved, so that load from other processes hits both measurements alike.
    let (mut gemm_times, mut eval_times) = (vec![], vec![]);
    for _ in 0..RUNS {
        let t = Instant::now();
        std::hint::black_box(blocked_gemm(&emb));
        gemm_times.push(t.elapsed().as_secs_f64());

        let t = Instant::now();
        let hits = rank_all(&emb, &targets, &[&mask], MAX_K, Parallelism::Rayon, &|| {
            false
        })
        .unwrap();
        eval_times.push(t.elapsed().as_secs_f64());
        assert_eq!(hits.users.len(), N_USERS);
        std::hint::black_box(hits);
    }
    let gemm = median(gemm_times.clone());
    let eval = median(eval_times.clone());
    let best = |xs: &[f64]| xs.iter().cloned().fold(f64::INFINITY, f64::min);
    println!(
        "(a) blocked GEMM: median {gemm:.3} s = {:.1} GFLOP/s (best {:.3} s = {:.1} GFLOP/s); runs {gemm_times:.3?}",
        flops / gemm / 1e9,
        best(&gemm_times),
        flops / best(&gemm_times) / 1e9
    );
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
