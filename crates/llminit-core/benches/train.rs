//! Training-side timings on Amazon Beauty (`../shared/data/amazon-beauty`, 22,363 users × 12,101
//! items, leave-one-out split drawn with seed 2020, d = 128, L = 2): a memory-bandwidth probe,
//! one propagation layer in GB/s, the parts of one LightGCN step, and whole epochs at batch 256
//! and 2048. Run: `cargo bench -p llminit-core --bench train`. Prints medians.
//! `cargo bench -p llminit-core --bench train -- contrastive` instead times SGL's blocked
//! InfoNCE (GFLOP/s next to the bare blocked SGEMM of the same shape) and the training step of
//! each backbone (`-- contrastive epoch`: also a whole epoch each; add model names such as
//! `sgl` to time only those); `RAYON_NUM_THREADS` sets the threads.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Instant;

use llminit_core::graph::normalized_adjacency;
use llminit_core::init::{random_tables, RandomInit};
use llminit_core::models::{LightGcn, Recommender};
use llminit_core::optim::{Adam, Optimizer};
use llminit_core::propagate::{propagate_mean, spmm, Accum, PropagationBuffers};
use llminit_core::sampler::{draw_negatives, Batch, NegativePolicy};
use llminit_core::train::{train, Observer, TrainData, TrainParams};
use llminit_core::{Embeddings, Parallelism, UserItems};
use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(|a, b| a.partial_cmp(b).unwrap());
    v[v.len() / 2]
}

fn time<F: FnMut()>(runs: usize, mut f: F) -> f64 {
    f();
    median(
        (0..runs)
            .map(|_| {
                let t = Instant::now();
                f();
                t.elapsed().as_secs_f64()
            })
            .collect(),
    )
}

fn load_beauty() -> TrainData {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../../shared/data/amazon-beauty/amazon-beauty.inter"
    );
    let text = std::fs::read_to_string(path)
        .expect("../shared/data/amazon-beauty is needed for this benchmark");
    let (mut umap, mut imap) = (HashMap::new(), HashMap::new());
    let mut per_user: Vec<Vec<u32>> = Vec::new();
    for line in text.lines().skip(1) {
        let mut f = line.split('\t');
        let (u, i) = (f.next().unwrap(), f.next().unwrap());
        let n = umap.len();
        let u = *umap.entry(u.to_string()).or_insert(n);
        if u == per_user.len() {
            per_user.push(Vec::new());
        }
        let n = imap.len();
        let i = *imap.entry(i.to_string()).or_insert(n) as u32;
        per_user[u].push(i);
    }
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(2020);
    let (mut tr, mut va, mut te) = ((vec![], vec![]), (vec![], vec![]), (vec![], vec![]));
    for (u, items) in per_user.iter_mut().enumerate() {
        items.shuffle(&mut rng);
        let u = u as u32;
        if items.len() >= 3 {
            te.0.push(u);
            te.1.push(items.pop().unwrap());
            va.0.push(u);
            va.1.push(items.pop().unwrap());
        }
        for &i in items.iter() {
            tr.0.push(u);
            tr.1.push(i);
        }
    }
    TrainData::new(
        umap.len(),
        imap.len(),
        (&tr.0, &tr.1),
        (&va.0, &va.1),
        (&te.0, &te.1),
    )
    .unwrap()
}

/// 256 training interactions drawn with replacement, each with a negative.
fn random_batch(data: &TrainData, rng: &mut impl Rng, batch: &mut Batch) {
    batch.users.clear();
    batch.pos.clear();
    for _ in 0..256 {
        let k = rng.gen_range(0..data.train_users.len());
        batch.users.push(data.train_users[k]);
        batch.pos.push(data.train_items[k]);
    }
    let (bu, bp) = (batch.users.clone(), batch.pos.clone());
    draw_negatives(
        rng,
        &data.train,
        &bu,
        &bp,
        NegativePolicy::RejectTrainPositives,
        &mut batch.neg,
    );
}

struct Quiet;
impl Observer for Quiet {}

/// SGL's InfoNCE at the paper's shape against the bare products, then an epoch per backbone.
fn contrastive(data: &TrainData) {
    use llminit_core::contrast::{info_nce, sgemm, InfoNceScratch, Mat, COLUMN_BLOCK};
    use llminit_core::loss::Reduction;
    use llminit_core::train::ModelKind;
    use rayon::prelude::*;
    let par = Parallelism::Rayon;
    let (b, n, d) = (256usize, data.n_users, 128usize);
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(3);
    let mut random =
        |len: usize| -> Vec<f32> { (0..len).map(|_| rng.gen_range(-0.1..0.1)).collect() };
    let (a, c) = (random(b * d), random(n * d));
    let targets: Vec<u32> = (0..b as u32).map(|k| k * 87 % n as u32).collect();
    let (mut da, mut dc) = (vec![0.0; b * d], vec![0.0; n * d]);
    let mut scratch = InfoNceScratch::default();
    let nce = time(5, || {
        info_nce(
            &a,
            &c,
            &targets,
            d,
            0.2,
            Reduction::Sum,
            1.0,
            &mut da,
            &mut dc,
            Accum::Replace,
            &mut scratch,
            par,
        );
    });
    let blocks = n.div_ceil(COLUMN_BLOCK);
    let bare = time(5, || {
        (0..blocks).into_par_iter().for_each_init(
            || vec![0f32; b * COLUMN_BLOCK],
            |tile, k| {
                let (c0, c1) = (k * COLUMN_BLOCK, ((k + 1) * COLUMN_BLOCK).min(n));
                sgemm(
                    tile,
                    false,
                    Mat::rows(&a, d),
                    Mat::transposed(&c[c0 * d..c1 * d], d),
                    (b, c1 - c0, d),
                    1.0,
                );
            },
        )
    });
    let flop = 2.0 * (b * n * d) as f64;
    println!(
        "InfoNCE B={b} × N={n} × d={d}, forward + backward (4 products): {:.2} ms, {:.1} GFLOP/s; bare blocked SGEMM of one product: {:.2} ms, {:.1} GFLOP/s",
        nce * 1e3,
        4.0 * flop / nce / 1e9,
        bare * 1e3,
        flop / bare / 1e9
    );
    // Per model: the median of 3 × 10 training steps (loss, gradient, dense Adam) on real
    // batches, times the epoch's 601 batches; `-- contrastive epoch` also runs whole epochs.
    let n_batches = data.train_users.len().div_ceil(256);
    let whole = std::env::args().any(|a| a == "epoch");
    // Model names among the arguments (e.g. `sgl`) restrict the run to those backbones.
    let args: Vec<String> = std::env::args().map(|a| a.to_lowercase()).collect();
    let named = |m: ModelKind| args.contains(&format!("{m:?}").to_lowercase());
    let all = [
        ModelKind::LightGcn,
        ModelKind::Sgcl,
        ModelKind::XSimGcl,
        ModelKind::SimGcl,
        ModelKind::Sgl,
    ];
    let chosen: Vec<ModelKind> = if all.iter().any(|&m| named(m)) {
        all.into_iter().filter(|&m| named(m)).collect()
    } else {
        all.to_vec()
    };
    for model in chosen {
        let params = TrainParams {
            epochs: 1,
            ..TrainParams::for_model(model)
        };
        let mut m = llminit_core::train::build_model(data, &params);
        m.start_epoch(1, par);
        let mut p = random_tables(
            data.n_users,
            data.n_items,
            128,
            RandomInit::XavierUniform,
            &mut rng,
        );
        let mut grad = Embeddings::default();
        let mut adam = Adam::new(1e-3);
        let mut batch = Batch::default();
        let mut brng = rand_chacha::ChaCha8Rng::seed_from_u64(5);
        let mut steps = |k: usize| {
            for _ in 0..k {
                random_batch(data, &mut brng, &mut batch);
                m.loss_and_grad(&p, &batch, &mut grad, par);
                adam.step(
                    &mut [&mut p.users, &mut p.items],
                    &[&grad.users, &grad.items],
                    par,
                );
            }
        };
        let step = time(3, || steps(10)) / 10.0;
        print!(
            "{model:?}: {:.1} ms per step → {:.1} s per epoch of {n_batches} steps",
            step * 1e3,
            step * n_batches as f64
        );
        if whole {
            let out = train(data, &params, None, par, &Quiet).unwrap();
            let e = &out.history[0];
            print!(
                "; one whole epoch {:.2} s training (+{:.2} s validation)",
                e.train_seconds, e.eval_seconds
            );
        }
        println!();
    }
}

fn main() {
    let par = Parallelism::Rayon;
    let threads = rayon::current_num_threads();
    let data = load_beauty();
    if std::env::args().any(|a| a == "contrastive") {
        println!("Amazon Beauty, {threads} threads");
        return contrastive(&data);
    }
    let (nu, ni, d) = (data.n_users, data.n_items, 128);
    println!("Amazon Beauty: {nu} users, {ni} items, {} training interactions; d = {d}, {threads} threads", data.train_users.len());

    // Memory bandwidth probe: a STREAM-style triad over 64 MiB arrays (a = b + s·c).
    let n = 16 << 20;
    let (b, c) = (vec![1.0f32; n], vec![2.0f32; n]);
    let mut a = vec![0.0f32; n];
    let triad = time(5, || {
        use rayon::prelude::*;
        a.par_chunks_mut(1 << 16)
            .zip(b.par_chunks(1 << 16))
            .zip(c.par_chunks(1 << 16))
            .for_each(|((a, b), c)| {
                for ((a, b), c) in a.iter_mut().zip(b).zip(c) {
                    *a = b + 0.5 * c;
                }
            })
    });
    let bw = (3 * n * 4) as f64 / triad / 1e9;
    println!("memory bandwidth (triad): {bw:.1} GB/s");

    let graph = Arc::new(normalized_adjacency(&data.train));
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(1);
    let e = random_tables(nu, ni, d, RandomInit::XavierUniform, &mut rng);
    let mut out_u = vec![0.0f32; nu * d];
    let mut out_i = vec![0.0f32; ni * d];
    let layer = time(9, || {
        spmm(&mut out_u, Accum::Replace, &graph.r, &e.items, d, par);
        spmm(&mut out_i, Accum::Replace, &graph.rt, &e.users, d, par);
    });
    // Bytes a layer must move at least: each output row written once, each input row read once,
    // plus the CSR (index + value) of both halves.
    let min_bytes = ((nu + ni) * d * 4 * 2 + 2 * graph.r.nnz() * 8) as f64;
    println!(
        "one propagation layer (both halves): {:.2} ms, {:.1} GB/s of compulsory traffic ({:.0}% of the triad probe)",
        layer * 1e3,
        min_bytes / layer / 1e9,
        100.0 * min_bytes / layer / 1e9 / bw
    );

    let mut f = Embeddings::default();
    let mut bufs = PropagationBuffers::default();
    let fwd = time(9, || propagate_mean(&mut f, &graph, &e, 2, &mut bufs, par));
    println!("forward, L = 2 (layer mean fused): {:.2} ms", fwd * 1e3);

    let mut model = LightGcn::new(graph.clone(), 2, 1e-5);
    let mut grad = Embeddings::zeros(nu, ni, d);
    let mut batch = Batch::default();
    random_batch(
        &data,
        &mut rand_chacha::ChaCha8Rng::seed_from_u64(2),
        &mut batch,
    );
    let step = time(9, || {
        model.loss_and_grad(&e, &batch, &mut grad, par);
    });
    println!("LightGCN loss + gradient (batch 256): {:.2} ms", step * 1e3);
    let mut p = e.clone();
    let mut adam = Adam::new(1e-3);
    let adam_t = time(9, || {
        adam.step(
            &mut [&mut p.users, &mut p.items],
            &[&grad.users, &grad.items],
            par,
        )
    });
    println!(
        "dense Adam step ({} parameters): {:.2} ms",
        p.users.len() + p.items.len(),
        adam_t * 1e3
    );

    for bs in [256usize, 2048] {
        let params = TrainParams {
            epochs: 1,
            batch_size: bs,
            ..TrainParams::default()
        };
        let t = time(2, || {
            train(&data, &params, None, par, &Quiet).unwrap();
        });
        println!("one LightGCN epoch at batch {bs} (incl. validation and final test): {t:.2} s");
    }
    let _ = UserItems::empty(0, 0);
}
