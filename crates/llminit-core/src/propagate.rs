//! LightGCN propagation: F = (1/(L+1)) Σ_{l=0..L} Â^l E (DESIGN.md §2).
//!
//! Each layer is two row-parallel SpMMs (users ← R̃·items, items ← R̃ᵀ·users) and the running layer
//! sum is accumulated in the same pass, so a layer reads the previous layer once and writes two
//! rows. Â is symmetric, so the backward pass of propagation is the same operator applied to the
//! gradient: ∂L/∂E = (1/(L+1)) Σ_l Â^l ∂L/∂F — callers reuse [`propagate_mean`] for it.
//!
//! Every output row is summed over its neighbours in CSR order by one thread, so results are
//! bit-identical for any number of threads.

use rayon::prelude::*;

use crate::graph::{Csr, NormalizedGraph};
use crate::rowops::accumulate_row;
use crate::{Embeddings, Parallelism};

/// Whether a kernel overwrites its output or adds into it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Accum {
    Replace,
    Add,
}

/// Rows per parallel task: big enough to amortize scheduling, small enough to balance skewed degrees.
const ROWS_PER_TASK: usize = 64;

#[inline]
fn row_product(out: &mut [f32], accum: Accum, a: &Csr, r: usize, x: &[f32], dim: usize) {
    if accum == Accum::Replace {
        out.fill(0.0);
    }
    let (cols, vals) = a.row(r);
    accumulate_row(out, cols, vals, x, dim, None);
}

/// `out = a · x` (or `out += a · x`), with `x` row-major `a.n_cols × dim` and `out` `a.n_rows × dim`.
///
/// # Panics
/// If the buffer lengths do not match the shapes (a contract violation, not a user error).
pub fn spmm(out: &mut [f32], accum: Accum, a: &Csr, x: &[f32], dim: usize, par: Parallelism) {
    assert_eq!(out.len(), a.n_rows * dim, "spmm: output length");
    assert_eq!(x.len(), a.n_cols * dim, "spmm: input length");
    if dim == 0 {
        return;
    }
    match par {
        Parallelism::Sequential => {
            for (r, row) in out.chunks_exact_mut(dim).enumerate() {
                row_product(row, accum, a, r, x, dim);
            }
        }
        Parallelism::Rayon => {
            out.par_chunks_mut(ROWS_PER_TASK * dim)
                .enumerate()
                .for_each(|(t, block)| {
                    for (k, row) in block.chunks_exact_mut(dim).enumerate() {
                        row_product(row, accum, a, t * ROWS_PER_TASK + k, x, dim);
                    }
                });
        }
    }
}

/// Row-parallel driver of the fused layer kernels: `f(r, scratch, first_row, second_row)` for every
/// row r of `a`, in tasks of [`ROWS_PER_TASK`] rows. `first` and `second` are `a.n_rows × dim`
/// tables, or `None` where a layer does not write one (their rows are then `None` too);
/// `scratch` is a row of `dim` floats owned by the task, allocated only when `first` is `None`
/// (the fused layers keep their product in `first`'s row, else in scratch). Each row is handled
/// by one thread, so results do not depend on the split.
fn for_each_row(
    n_rows: usize,
    dim: usize,
    first: Option<&mut [f32]>,
    second: Option<&mut [f32]>,
    par: Parallelism,
    f: impl Fn(usize, &mut [f32], Option<&mut [f32]>, Option<&mut [f32]>) + Sync,
) {
    let task = ROWS_PER_TASK * dim;
    let tasks = n_rows.div_ceil(ROWS_PER_TASK);
    fn split(
        t: Option<&mut [f32]>,
        len: usize,
        task: usize,
        tasks: usize,
    ) -> Vec<Option<&mut [f32]>> {
        match t {
            Some(t) => {
                assert_eq!(t.len(), len, "fused layer: table length");
                t.chunks_mut(task).map(Some).collect()
            }
            None => (0..tasks).map(|_| None).collect(),
        }
    }
    fn row<'a>(c: &'a mut Option<&mut [f32]>, k: usize, dim: usize) -> Option<&'a mut [f32]> {
        c.as_deref_mut().map(|c| &mut c[k * dim..(k + 1) * dim])
    }
    let run = |t: usize, mut a: Option<&mut [f32]>, mut b: Option<&mut [f32]>| {
        let mut scratch = if a.is_none() {
            vec![0.0f32; dim]
        } else {
            Vec::new()
        };
        let rows = (n_rows - t * ROWS_PER_TASK).min(ROWS_PER_TASK);
        for k in 0..rows {
            f(
                t * ROWS_PER_TASK + k,
                &mut scratch,
                row(&mut a, k, dim),
                row(&mut b, k, dim),
            );
        }
    };
    if dim == 0 || n_rows == 0 {
        return;
    }
    let len = n_rows * dim;
    let (a, b) = (
        split(first, len, task, tasks),
        split(second, len, task, tasks),
    );
    match par {
        Parallelism::Sequential => a
            .into_iter()
            .zip(b)
            .enumerate()
            .for_each(|(t, (a, b))| run(t, a, b)),
        Parallelism::Rayon => a
            .into_par_iter()
            .zip(b)
            .enumerate()
            .for_each(|(t, (a, b))| run(t, a, b)),
    }
}

/// Where a layer's running sum starts.
#[derive(Clone, Copy)]
enum SumStart<'a> {
    /// The sum table already holds the earlier layers.
    Table,
    /// The first layer: the sum starts at this table (the input layer) instead.
    Input(&'a [f32]),
    /// The first layer, input excluded: the sum starts at zero.
    Zero,
}

/// One layer fused with the layer sum: `p = a · x`, `sum = (start + p) · scale`, and `next = p`
/// when the next layer needs it (`None` on the last layer, whose product never reaches memory).
/// The same arithmetic, element by element, as writing `next`, then summing in a second pass.
#[allow(clippy::too_many_arguments)]
fn spmm_and_sum(
    next: Option<&mut [f32]>,
    sum: &mut [f32],
    start: SumStart,
    scale: f32,
    a: &Csr,
    x: &[f32],
    dim: usize,
    par: Parallelism,
) {
    for_each_row(
        a.n_rows,
        dim,
        next,
        Some(sum),
        par,
        |r, scratch, next_row, sum_row| {
            let p = next_row.unwrap_or(scratch);
            row_product(p, Accum::Replace, a, r, x, dim);
            let s = sum_row.expect("the sum is always written");
            let span = r * dim..(r + 1) * dim;
            match start {
                SumStart::Table => s
                    .iter_mut()
                    .zip(p.iter())
                    .for_each(|(s, &n)| *s = (*s + n) * scale),
                SumStart::Input(e) => s
                    .iter_mut()
                    .zip(p.iter().zip(&e[span]))
                    .for_each(|(s, (&n, &e))| *s = (e + n) * scale),
                SumStart::Zero => s
                    .iter_mut()
                    .zip(p.iter())
                    .for_each(|(s, &n)| *s = (0.0 + n) * scale),
            }
        },
    );
}

/// Reusable layer-sized tables, so a training step allocates no table of its own (only a row of
/// scratch per task where a layer's product stays out of memory). The full propagation
/// ping-pongs between two of them; a model's restricted step may borrow as many as it has layers.
#[derive(Clone, Debug, Default)]
pub struct PropagationBuffers {
    tables: Vec<Embeddings>,
}

impl PropagationBuffers {
    /// At least `n` tables shaped like `like` (contents unspecified).
    pub fn tables(&mut self, n: usize, like: &Embeddings) -> &mut [Embeddings] {
        let fits =
            |b: &Embeddings| b.users.len() == like.users.len() && b.items.len() == like.items.len();
        if !self.tables.iter().all(fits) {
            self.tables.clear();
        }
        while self.tables.len() < n {
            self.tables
                .push(Embeddings::zeros(like.n_users, like.n_items, like.dim));
        }
        &mut self.tables[..n]
    }
}

/// `out = (1/(L+1)) Σ_{l=0..L} Â^l e`, the LightGCN layer mean (also its backward, Â being symmetric).
/// With `layers == 0` this copies `e`.
pub fn propagate_mean(
    out: &mut Embeddings,
    graph: &NormalizedGraph,
    e: &Embeddings,
    layers: usize,
    bufs: &mut PropagationBuffers,
    par: Parallelism,
) {
    let graphs = vec![graph; layers];
    propagate_layers(out, &graphs, e, LayerMean::WithInput, bufs, par);
}

/// Which layers a propagation averages.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LayerMean {
    /// (1/(L+1)) Σ_{l=0..L}: LightGCN, SGL, SGCL.
    WithInput,
    /// (1/L) Σ_{l=1..L}: SimGCL and XSimGCL (SELFRec), the input table excluded.
    WithoutInput,
}

/// The layer mean over a chain of graphs, layer l propagated on `graphs[l − 1]` (SGL's
/// random-walk views change the graph per layer; otherwise they are all the same graph):
/// `out = mean(H_0 = e, H_l = graphs[l−1] · H_{l−1})` over the layers `mean` names. With no
/// graphs and `WithoutInput` the mean is empty and `out` is zero.
pub fn propagate_layers(
    out: &mut Embeddings,
    graphs: &[&NormalizedGraph],
    e: &Embeddings,
    mean: LayerMean,
    bufs: &mut PropagationBuffers,
    par: Parallelism,
) {
    for graph in graphs {
        assert_eq!(
            (e.n_users, e.n_items),
            (graph.n_users, graph.n_items),
            "propagate_layers: shape"
        );
    }
    let dim = e.dim;
    let layers = graphs.len();
    if out.users.len() != e.users.len() || out.items.len() != e.items.len() {
        *out = Embeddings::zeros(e.n_users, e.n_items, dim);
    }
    out.dim = dim;
    if layers == 0 {
        match mean {
            LayerMean::WithInput => {
                out.users.copy_from_slice(&e.users);
                out.items.copy_from_slice(&e.items);
            }
            LayerMean::WithoutInput => {
                out.users.fill(0.0);
                out.items.fill(0.0);
            }
        }
        return;
    }
    let (first, rest) = bufs.tables(2, e).split_at_mut(1);
    let (buf_a, buf_b) = (&mut first[0], &mut rest[0]);
    let final_scale = match mean {
        LayerMean::WithInput => 1.0 / (layers as f32 + 1.0),
        LayerMean::WithoutInput => 1.0 / layers as f32,
    };
    for (l, graph) in (1..=layers).zip(graphs) {
        let scale = if l == layers { final_scale } else { 1.0 };
        // x is the previous layer: `e` for the first, then the buffer the last layer wrote.
        let (next, prev) = if l % 2 == 1 {
            (&mut *buf_a, &*buf_b)
        } else {
            (&mut *buf_b, &*buf_a)
        };
        let x = if l == 1 { e } else { prev };
        // The first layer starts the sum from the input (no separate copy pass); the last one
        // keeps its product in a row of scratch.
        let (start_users, start_items) = match (l, mean) {
            (1, LayerMean::WithInput) => (SumStart::Input(&e.users), SumStart::Input(&e.items)),
            (1, LayerMean::WithoutInput) => (SumStart::Zero, SumStart::Zero),
            _ => (SumStart::Table, SumStart::Table),
        };
        let last = l == layers;
        spmm_and_sum(
            (!last).then_some(&mut next.users[..]),
            &mut out.users,
            start_users,
            scale,
            &graph.r,
            &x.items,
            dim,
            par,
        );
        spmm_and_sum(
            (!last).then_some(&mut next.items[..]),
            &mut out.items,
            start_items,
            scale,
            &graph.rt,
            &x.users,
            dim,
            par,
        );
    }
}

/// The backward of [`propagate_layers`]: given G = ∂L/∂out, writes (`Accum::Replace`) or adds
/// (`Accum::Add`) ∂L/∂e = s Σ_l A_1 ⋯ A_l G over the averaged layers (each graph symmetric, s the
/// mean's scale), by Horner's rule from the last layer: K ← [layer l−1 averaged]·G + A_l K. For
/// one repeated graph this equals [`propagate_mean`] of G; SGL's random walk needs the reversed
/// order. Each output row is computed by one thread (the SpMM row, +G and the scale fused), so the
/// result does not depend on the split.
pub fn propagate_layers_transpose(
    out: &mut Embeddings,
    accum: Accum,
    graphs: &[&NormalizedGraph],
    g: &Embeddings,
    mean: LayerMean,
    bufs: &mut PropagationBuffers,
    par: Parallelism,
) {
    let (dim, layers) = (g.dim, graphs.len());
    if out.users.len() != g.users.len() || out.items.len() != g.items.len() {
        assert!(
            accum == Accum::Replace,
            "propagate_layers_transpose: shapes"
        );
        *out = Embeddings::zeros(g.n_users, g.n_items, dim);
    }
    out.dim = dim;
    let scale = match mean {
        LayerMean::WithInput => 1.0 / (layers as f32 + 1.0),
        LayerMean::WithoutInput => 1.0 / layers.max(1) as f32,
    };
    if layers == 0 {
        match accum {
            Accum::Replace => {
                elementwise(&mut out.users, &g.users, par, |o, v| *o = v * scale);
                elementwise(&mut out.items, &g.items, par, |o, v| *o = v * scale);
            }
            Accum::Add => {
                elementwise(&mut out.users, &g.users, par, |o, v| *o += v * scale);
                elementwise(&mut out.items, &g.items, par, |o, v| *o += v * scale);
            }
        }
        return;
    }
    let (first, rest) = bufs.tables(2, g).split_at_mut(1);
    let (mut cur, mut next) = (&mut first[0], &mut rest[0]);
    // Each layer is one fused pass per side: K ← A_l K, plus G where a layer mean adds it, and on
    // the last step (l = 1) straight into `out`, scaled. The first step reads G itself.
    for l in (1..=layers).rev() {
        let graph = graphs[l - 1];
        let src: &Embeddings = if l == layers { g } else { cur };
        let add_g = l > 1 || mean == LayerMean::WithInput;
        let sides = [
            (&graph.r, &src.items, &g.users),
            (&graph.rt, &src.users, &g.items),
        ];
        let (next_users, next_items) = (&mut next.users, &mut next.items);
        let (out_users, out_items) = (&mut out.users, &mut out.items);
        let targets = [(next_users, out_users), (next_items, out_items)];
        for ((a, x, g_side), (next_side, out_side)) in sides.into_iter().zip(targets) {
            let (next_t, out_t) = if l == 1 {
                (None, Some(&mut out_side[..]))
            } else {
                (Some(&mut next_side[..]), None)
            };
            for_each_row(
                a.n_rows,
                dim,
                next_t,
                out_t,
                par,
                |r, scratch, next_row, out_row| {
                    let p = next_row.unwrap_or(scratch);
                    row_product(p, Accum::Replace, a, r, x, dim);
                    let span = r * dim..(r + 1) * dim;
                    if add_g {
                        p.iter_mut().zip(&g_side[span]).for_each(|(n, &v)| *n += v);
                    }
                    if let Some(o) = out_row {
                        match accum {
                            Accum::Replace => o
                                .iter_mut()
                                .zip(p.iter())
                                .for_each(|(o, &v)| *o = v * scale),
                            Accum::Add => o
                                .iter_mut()
                                .zip(p.iter())
                                .for_each(|(o, &v)| *o += v * scale),
                        }
                    }
                },
            );
        }
        std::mem::swap(&mut cur, &mut next);
    }
}

/// `f(out_k, x_k)` for every k, split across threads in fixed chunks (each element computed
/// alone, so the result does not depend on the split).
pub(crate) fn elementwise(
    out: &mut [f32],
    x: &[f32],
    par: Parallelism,
    f: impl Fn(&mut f32, f32) + Sync,
) {
    const CHUNK: usize = 1 << 14;
    let apply = |o: &mut [f32], x: &[f32]| o.iter_mut().zip(x).for_each(|(o, &v)| f(o, v));
    match par {
        Parallelism::Sequential => apply(out, x),
        Parallelism::Rayon => out
            .par_chunks_mut(CHUNK)
            .zip(x.par_chunks(CHUNK))
            .for_each(|(o, x)| apply(o, x)),
    }
}

#[cfg(test)]
#[allow(clippy::needless_range_loop)] // the naive references index like the formulas
mod tests {
    use super::*;
    use crate::graph::normalized_adjacency;
    use crate::UserItems;
    use rand::{Rng, SeedableRng};

    fn random_case(
        seed: u64,
        n_users: usize,
        n_items: usize,
        dim: usize,
    ) -> (NormalizedGraph, Embeddings) {
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(seed);
        let (mut us, mut is) = (vec![], vec![]);
        for _ in 0..(n_users * 4) {
            us.push(rng.gen_range(0..n_users as u32));
            is.push(rng.gen_range(0..n_items as u32));
        }
        let g = normalized_adjacency(&UserItems::from_pairs(n_users, n_items, &us, &is).unwrap());
        let mut e = Embeddings::zeros(n_users, n_items, dim);
        e.users
            .iter_mut()
            .chain(e.items.iter_mut())
            .for_each(|v| *v = rng.gen_range(-1.0..1.0));
        (g, e)
    }

    /// Dense Â as an (n_users+n_items)² matrix, the naive reference.
    fn dense_adjacency(g: &NormalizedGraph) -> Vec<Vec<f64>> {
        let n = g.n_nodes();
        let mut a = vec![vec![0.0; n]; n];
        for u in 0..g.n_users {
            let (cols, vals) = g.r.row(u);
            for (&i, &v) in cols.iter().zip(vals) {
                a[u][g.n_users + i as usize] = v as f64;
                a[g.n_users + i as usize][u] = v as f64;
            }
        }
        a
    }

    /// Two users, three items (edges u0-i0, u0-i1, u1-i1, u1-i2), dim 1, E = [1, 2 | 3, 4, 5].
    /// R̃: u0 → (i0: 1/√2, i1: 1/2), u1 → (i1: 1/2, i2: 1/√2).
    /// Layer 1: u0 = 3/√2 + 4/2 = 4.12132, u1 = 4/2 + 5/√2 = 5.53553,
    ///          i0 = 1/√2 = 0.70711, i1 = 1/2 + 2/2 = 1.5, i2 = 2/√2 = 1.41421.
    /// Layer 2: u0 = 0.70711/√2 + 1.5/2 = 1.25, u1 = 1.5/2 + 1.41421/√2 = 1.75,
    ///          i0 = 4.12132/√2 = 2.91421, i1 = (4.12132 + 5.53553)/2 = 4.82843, i2 = 5.53553/√2 = 3.91421.
    /// Mean of the three layers: u = [2.12377, 3.09518], i = [2.20711, 3.44281, 3.44281].
    #[test]
    fn hand_computed_two_layer_mean() {
        let train = UserItems::from_pairs(2, 3, &[0, 0, 1, 1], &[0, 1, 1, 2]).unwrap();
        let g = normalized_adjacency(&train);
        let e = Embeddings {
            n_users: 2,
            n_items: 3,
            dim: 1,
            users: vec![1.0, 2.0],
            items: vec![3.0, 4.0, 5.0],
        };
        let mut out = Embeddings::default();
        propagate_mean(
            &mut out,
            &g,
            &e,
            2,
            &mut PropagationBuffers::default(),
            Parallelism::Sequential,
        );
        let want_u = [2.12377, 3.09518];
        let want_i = [2.20711, 3.44281, 3.44281];
        for (g, w) in out
            .users
            .iter()
            .zip(want_u)
            .chain(out.items.iter().zip(want_i))
        {
            assert!((g - w).abs() < 1e-4, "{g} vs {w}");
        }
    }

    #[test]
    fn matches_dense_powers_of_the_adjacency() {
        let (g, e) = random_case(7, 30, 20, 5);
        let a = dense_adjacency(&g);
        let n = g.n_nodes();
        let dim = e.dim;
        let mut cur: Vec<Vec<f64>> = (0..n)
            .map(|r| {
                let row = if r < g.n_users {
                    e.user(r)
                } else {
                    e.item(r - g.n_users)
                };
                row.iter().map(|&v| v as f64).collect()
            })
            .collect();
        let mut sum = cur.clone();
        for _ in 0..3 {
            let next: Vec<Vec<f64>> = (0..n)
                .map(|r| {
                    (0..dim)
                        .map(|k| (0..n).map(|c| a[r][c] * cur[c][k]).sum())
                        .collect()
                })
                .collect();
            for r in 0..n {
                for k in 0..dim {
                    sum[r][k] += next[r][k];
                }
            }
            cur = next;
        }
        let mut out = Embeddings::default();
        propagate_mean(
            &mut out,
            &g,
            &e,
            3,
            &mut PropagationBuffers::default(),
            Parallelism::Rayon,
        );
        for r in 0..n {
            let got = if r < g.n_users {
                out.user(r)
            } else {
                out.item(r - g.n_users)
            };
            for k in 0..dim {
                assert!((got[k] as f64 - sum[r][k] / 4.0).abs() < 1e-5);
            }
        }
    }

    #[test]
    fn sequential_and_parallel_are_bit_identical() {
        let (g, e) = random_case(11, 500, 300, 16);
        let mut a = Embeddings::default();
        let mut b = Embeddings::default();
        propagate_mean(
            &mut a,
            &g,
            &e,
            2,
            &mut PropagationBuffers::default(),
            Parallelism::Sequential,
        );
        propagate_mean(
            &mut b,
            &g,
            &e,
            2,
            &mut PropagationBuffers::default(),
            Parallelism::Rayon,
        );
        assert_eq!(a, b);
    }

    #[test]
    fn spmm_accumulates_when_asked() {
        let (g, e) = random_case(3, 40, 25, 4);
        let mut out = vec![1.0f32; g.n_users * 4];
        spmm(&mut out, Accum::Add, &g.r, &e.items, 4, Parallelism::Rayon);
        let mut fresh = vec![0.0f32; g.n_users * 4];
        spmm(
            &mut fresh,
            Accum::Replace,
            &g.r,
            &e.items,
            4,
            Parallelism::Sequential,
        );
        for (a, b) in out.iter().zip(&fresh) {
            assert!((a - (b + 1.0)).abs() < 1e-5);
        }
    }

    /// The transpose of one repeated (symmetric) graph is the forward of G; `Accum::Add` adds
    /// exactly what `Replace` writes, with one or two threads alike.
    #[test]
    fn transpose_is_the_forward_of_a_symmetric_graph_and_adds_when_asked() {
        use rand::{Rng, SeedableRng};
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(9);
        // 2,100 users × 8 = 16,800 values: more than one CHUNK, so the split is exercised.
        let (nu, ni) = (2100usize, 300usize);
        let (g, e) = crate::models::gradcheck::random_graph(&mut rng, nu, ni, 6000, 8);
        for mean in [LayerMean::WithInput, LayerMean::WithoutInput] {
            let graphs = [&*g, &*g];
            let mut bufs = PropagationBuffers::default();
            let mut fwd = Embeddings::default();
            propagate_layers(
                &mut fwd,
                &graphs,
                &e,
                mean,
                &mut bufs,
                Parallelism::Sequential,
            );
            let mut back = Embeddings::default();
            propagate_layers_transpose(
                &mut back,
                Accum::Replace,
                &graphs,
                &e,
                mean,
                &mut bufs,
                Parallelism::Rayon,
            );
            for (a, b) in back
                .users
                .iter()
                .chain(&back.items)
                .zip(fwd.users.iter().chain(&fwd.items))
            {
                assert!((a - b).abs() < 1e-6, "{mean:?}: {a} vs {b}");
            }
            let mut seq = Embeddings::default();
            propagate_layers_transpose(
                &mut seq,
                Accum::Replace,
                &graphs,
                &e,
                mean,
                &mut bufs,
                Parallelism::Sequential,
            );
            assert_eq!(seq.users, back.users, "{mean:?}: threads change the bits");
            assert_eq!(seq.items, back.items, "{mean:?}: threads change the bits");
            let mut sum = Embeddings::zeros(nu, ni, 8);
            sum.users
                .iter_mut()
                .chain(sum.items.iter_mut())
                .for_each(|v| *v = rng.gen_range(-1.0..1.0));
            let before = sum.clone();
            propagate_layers_transpose(
                &mut sum,
                Accum::Add,
                &graphs,
                &e,
                mean,
                &mut bufs,
                Parallelism::Sequential,
            );
            for ((s, b), r) in sum
                .users
                .iter()
                .chain(&sum.items)
                .zip(before.users.iter().chain(&before.items))
                .zip(back.users.iter().chain(&back.items))
            {
                assert_eq!(*s, b + r);
            }
        }
    }
}
