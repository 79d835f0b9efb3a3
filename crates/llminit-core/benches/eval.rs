//! Full-ranking evaluation at Amazon Beauty size (22 363 users × 12 101 items, dim 128; seeded
//! random data): (a) the bare blocked GEMM C = U·Iᵀ done the way `rank_all` does it (blocks of
//! `BLOCK_USERS` = 64 users × up to `ITEM_CHUNK` items, item-major tiles filled `SGEMM_ITEMS`
//! items per single-threaded SGEMM call, one rayon worker per thread pulling user blocks), with the `gemm` crate that `rank_all` uses and, for comparison, `matrixmultiply`;
//! and (b) `rank_all` with max_k = 50, ~7 masked items and 1 target per user.
//! Prints the median of `RUNS` runs and the ratio eval / GEMM (gemm crate) (target: <= 1.5).
//!
//! Run: `cargo bench -p llminit-core --bench eval`

use std::ops::Range;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Instant;

use llminit_core::eval::{rank_all, score_tile_into, BLOCK_USERS, ITEM_CHUNK, SGEMM_ITEMS};
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

/// User + system CPU seconds of this process so far (Linux `/proc/self/stat`, 100 Hz ticks);
/// NaN elsewhere. Unlike wall time it does not count time lost to other processes.
fn cpu_seconds() -> f64 {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    // Fields after the parenthesized command name; utime and stime are fields 14 and 15.
    let rest = stat.rsplit_once(')').map_or("", |(_, r)| r);
    let fields: Vec<&str> = rest.split_whitespace().collect();
    match (fields.get(11), fields.get(12)) {
        (Some(u), Some(s)) => match (u.parse::<f64>(), s.parse::<f64>()) {
            (Ok(u), Ok(s)) => (u + s) / 100.0,
            _ => f64::NAN,
        },
        _ => f64::NAN,
    }
}

/// Runs `f`, returning (wall seconds, CPU seconds).
fn timed<T>(f: impl FnOnce() -> T) -> (f64, f64) {
    let (cpu, wall) = (cpu_seconds(), Instant::now());
    std::hint::black_box(f());
    (wall.elapsed().as_secs_f64(), cpu_seconds() - cpu)
}

fn median(mut xs: Vec<f64>) -> f64 {
    xs.sort_by(|a, b| a.partial_cmp(b).unwrap());
    xs[xs.len() / 2]
}

/// Which SGEMM computes a block of scores.
#[derive(Clone, Copy)]
enum Sgemm {
    /// The `gemm` crate, through `score_tile_into` (what `rank_all` uses).
    Gemm,
    /// `matrixmultiply::sgemm` on the same blocks, for comparison.
    MatrixMultiply,
}

fn matrixmultiply_tile(
    out: &mut [f32],
    emb: &Embeddings,
    users: Range<usize>,
    items: Range<usize>,
) {
    let dim = emb.dim;
    let m = users.len();
    let a = &emb.users[users.start * dim..users.end * dim];
    let b = &emb.items[items.start * dim..items.end * dim];
    assert_eq!(out.len(), m * items.len());
    // SAFETY: A is m×dim row-major over `a`, B = items[range]ᵀ (row stride 1, column stride
    // dim) over `b`, C is m×items.len() item-major (row stride 1, column stride m) over `out`;
    // beta = 0.
    unsafe {
        matrixmultiply::sgemm(
            m,
            dim,
            items.len(),
            1.0,
            a.as_ptr(),
            dim as isize,
            1,
            b.as_ptr(),
            1,
            dim as isize,
            0.0,
            out.as_mut_ptr(),
            1,
            m as isize,
        );
    }
}

/// The bare product, blocked and scheduled exactly like `rank_all` (user blocks pulled by one
/// worker per thread, item chunks into a reused tile), without masking or top-K.
fn blocked_gemm(emb: &Embeddings, sgemm: Sgemm) -> f32 {
    let users: Vec<u32> = (0..emb.n_users as u32).collect();
    let blocks: Vec<&[u32]> = users.chunks(BLOCK_USERS).collect();
    let next = AtomicUsize::new(0);
    let workers = rayon::current_num_threads();
    (0..workers)
        .into_par_iter()
        .map(|_| {
            let mut tile = vec![0.0f32; BLOCK_USERS * ITEM_CHUNK.min(emb.n_items)];
            let mut checksum = 0.0f32;
            loop {
                let b = next.fetch_add(1, Ordering::Relaxed);
                if b >= blocks.len() {
                    return checksum;
                }
                let block = blocks[b];
                // Tiles of up to ITEM_CHUNK items, filled SGEMM_ITEMS items per call, as in
                // rank_all.
                for j0 in (0..emb.n_items).step_by(ITEM_CHUNK) {
                    let j1 = (j0 + ITEM_CHUNK).min(emb.n_items);
                    for s0 in (j0..j1).step_by(SGEMM_ITEMS) {
                        let s1 = (s0 + SGEMM_ITEMS).min(j1);
                        let m = block.len();
                        let out = &mut tile[(s0 - j0) * m..(s1 - j0) * m];
                        match sgemm {
                            Sgemm::Gemm => score_tile_into(out, emb, block, s0..s1),
                            Sgemm::MatrixMultiply => {
                                let first = block[0] as usize;
                                matrixmultiply_tile(out, emb, first..first + m, s0..s1)
                            }
                        }
                        checksum += out[0];
                    }
                }
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
        "eval bench: {N_USERS} users × {N_ITEMS} items × dim {DIM}, tile {BLOCK_USERS} users × {ITEM_CHUNK} items, {} rayon threads, {} masked items, max_k {MAX_K}, {RUNS} runs",
        rayon::current_num_threads(),
        mask.nnz()
    );

    // Warm-up (page faults, CPU feature detection).
    std::hint::black_box(blocked_gemm(&emb, Sgemm::Gemm));
    std::hint::black_box(blocked_gemm(&emb, Sgemm::MatrixMultiply));

    // Interleaved, so that load from other processes hits every measurement alike.
    let (mut gemm_times, mut mm_times, mut eval_times) = (vec![], vec![], vec![]);
    let (mut gemm_cpu, mut eval_cpu) = (vec![], vec![]);
    for _ in 0..RUNS {
        let (wall, cpu) = timed(|| blocked_gemm(&emb, Sgemm::Gemm));
        gemm_times.push(wall);
        gemm_cpu.push(cpu);

        mm_times.push(timed(|| blocked_gemm(&emb, Sgemm::MatrixMultiply)).0);

        let (wall, cpu) = timed(|| {
            let hits = rank_all(&emb, &targets, &[&mask], MAX_K, Parallelism::Rayon, &|| {
                false
            });
            assert_eq!(hits.unwrap().users.len(), N_USERS);
        });
        eval_times.push(wall);
        eval_cpu.push(cpu);
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
        "CPU seconds (both threads): GEMM median {:.2}, rank_all median {:.2}, ratio {:.3}",
        median(gemm_cpu.clone()),
        median(eval_cpu.clone()),
        median(eval_cpu.clone()) / median(gemm_cpu.clone())
    );
    println!(
        "ratio eval / GEMM = {:.3} of medians, {:.3} of bests (target <= 1.5)",
        eval / gemm,
        best(&eval_times) / best(&gemm_times)
    );
}
