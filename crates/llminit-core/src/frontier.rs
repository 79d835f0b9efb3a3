//! Propagation restricted to the rows a training step needs (DESIGN.md §5).
//!
//! A LightGCN step needs F only at the batch rows S, and F_S = (1/(L+1)) Σ_l (Â^l E)_S needs
//! Â^l E only on the rows within L − l hops of S. [`Frontier`] computes those row sets, and
//! [`gather_rows`] evaluates a layer on them alone — summing each row over its neighbours in CSR
//! order, exactly as the full [`crate::propagate`] kernel does, so F_S is bit-identical to the
//! full forward pass.
//!
//! The gradient ∂L/∂F is non-zero on S only, so the backward Σ_l Â^l G is pushed outward from S
//! by [`scatter_rows`]: each source row adds into its neighbours, sources visited in ascending
//! order, so every output row accumulates in one fixed order whatever the thread count.

use rayon::prelude::*;

use crate::graph::{Csr, NormalizedGraph};
use crate::rowops::{accumulate_row, scatter_block};
use crate::Parallelism;

/// Sorted user and item row lists of one set of nodes.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct RowSet {
    pub users: Vec<u32>,
    pub items: Vec<u32>,
}

impl RowSet {
    pub fn len(&self) -> usize {
        self.users.len() + self.items.len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// Appends `id` to `out` the first time it is seen under stamp `s`.
#[inline]
fn insert_once(id: u32, s: u32, seen: &mut [u32], out: &mut Vec<u32>) {
    if std::mem::replace(&mut seen[id as usize], s) != s {
        out.push(id);
    }
}

/// Builds row sets with reusable "seen" stamps, so no step clears an O(nodes) array.
#[derive(Clone, Debug, Default)]
pub struct Frontier {
    user_stamp: Vec<u32>,
    item_stamp: Vec<u32>,
    stamp: u32,
}

impl Frontier {
    fn next_stamp(&mut self, n_users: usize, n_items: usize) -> u32 {
        if self.user_stamp.len() != n_users
            || self.item_stamp.len() != n_items
            || self.stamp == u32::MAX
        {
            self.user_stamp = vec![0; n_users];
            self.item_stamp = vec![0; n_items];
            self.stamp = 0;
        }
        self.stamp += 1;
        self.stamp
    }

    /// The distinct rows of `users` and `items`, sorted.
    pub fn unique(
        &mut self,
        n_users: usize,
        n_items: usize,
        users: &[u32],
        items: &[&[u32]],
    ) -> RowSet {
        let s = self.next_stamp(n_users, n_items);
        let mut out = RowSet::default();
        for &u in users {
            insert_once(u, s, &mut self.user_stamp, &mut out.users);
        }
        for &i in items.iter().flat_map(|list| list.iter()) {
            insert_once(i, s, &mut self.item_stamp, &mut out.items);
        }
        out.users.sort_unstable();
        out.items.sort_unstable();
        out
    }

    /// `base ∪ N(of)`: users adjacent to `of.items`, items adjacent to `of.users`, plus `base`.
    pub fn expand(&mut self, g: &NormalizedGraph, base: &RowSet, of: &RowSet) -> RowSet {
        let s = self.next_stamp(g.n_users, g.n_items);
        let mut out = RowSet::default();
        for &u in base
            .users
            .iter()
            .chain(of.items.iter().flat_map(|&i| g.rt.row(i as usize).0))
        {
            insert_once(u, s, &mut self.user_stamp, &mut out.users);
        }
        for &i in base
            .items
            .iter()
            .chain(of.users.iter().flat_map(|&u| g.r.row(u as usize).0))
        {
            insert_once(i, s, &mut self.item_stamp, &mut out.items);
        }
        out.users.sort_unstable();
        out.items.sort_unstable();
        out
    }
}

/// A raw pointer that may cross threads: the writers below touch disjoint rows only.
#[derive(Clone, Copy)]
struct SharedMut(*mut f32);
unsafe impl Send for SharedMut {}
unsafe impl Sync for SharedMut {}

impl SharedMut {
    fn get(&self) -> *mut f32 {
        self.0
    }
}

/// `out[r] = Σ_c a[r,c] x[c]` for each listed row `r` (other rows untouched).
///
/// # Panics
/// If a buffer is shorter than its shape or `rows` has an index out of range or a repeat.
pub fn gather_rows(
    out: &mut [f32],
    rows: &[u32],
    a: &Csr,
    x: &[f32],
    dim: usize,
    par: Parallelism,
) {
    assert!(
        out.len() >= a.n_rows * dim && x.len() >= a.n_cols * dim,
        "gather_rows: buffer sizes"
    );
    assert!(
        rows.windows(2).all(|w| w[0] < w[1]),
        "gather_rows: rows must be sorted and distinct"
    );
    assert!(
        rows.last().is_none_or(|&r| (r as usize) < a.n_rows),
        "gather_rows: row out of range"
    );
    let base = SharedMut(out.as_mut_ptr());
    let body = |r: u32| {
        let r = r as usize;
        // SAFETY: rows are distinct and in range (asserted), so each task owns its output row.
        let row = unsafe { std::slice::from_raw_parts_mut(base.get().add(r * dim), dim) };
        row.fill(0.0);
        let (cols, vals) = a.row(r);
        accumulate_row(row, cols, vals, x, dim, None);
    };
    match par {
        Parallelism::Sequential => rows.iter().for_each(|&r| body(r)),
        Parallelism::Rayon => rows
            .par_chunks(32)
            .for_each(|chunk| chunk.iter().for_each(|&r| body(r))),
    }
}

/// `out[c] += a[r,c] x[r]` for every listed source row `r` and each of its neighbours `c`.
/// Output rows are split into ranges, one task each; within a range, sources are visited in
/// ascending order, so each output row's sum has one fixed order for any thread count.
pub fn scatter_rows(
    out: &mut [f32],
    sources: &[u32],
    a: &Csr,
    x: &[f32],
    dim: usize,
    par: Parallelism,
) {
    assert!(
        out.len() >= a.n_cols * dim && x.len() >= a.n_rows * dim,
        "scatter_rows: buffer sizes"
    );
    let ranges = match par {
        Parallelism::Sequential => 1,
        Parallelism::Rayon => rayon::current_num_threads().max(1),
    };
    let per = a.n_cols.div_ceil(ranges).max(1);
    let task = |lo: usize, block: &mut [f32]| {
        scatter_block(block, lo, sources, &a.indptr, &a.indices, &a.values, x, dim)
    };
    let out = &mut out[..a.n_cols * dim];
    match par {
        Parallelism::Sequential => task(0, out),
        Parallelism::Rayon => out
            .par_chunks_mut(per * dim)
            .enumerate()
            .for_each(|(k, block)| task(k * per, block)),
    }
}

/// Row-sparse partial sums of one side (users or items) for [`final_layer`]: the buffers of
/// K_0..K_{L−1} and, per level, a 0/1 mark of the rows where that level is non-zero.
pub struct SparseLevels<'a> {
    pub values: Vec<&'a [f32]>,
    pub marks: Vec<&'a [u8]>,
}

/// The last backward layer fused with the layer mean, for every row `c` of one side:
/// `out[c] = (Σ_{l<L} K_l[c] + Σ_{r∈N(c)} a[c,r]·K_{L−1}[r]) · scale`, visiting only the marked
/// (non-zero) rows. Writes every row of `out`, so it needs no clearing; each row is summed in a
/// fixed order by one task.
#[allow(clippy::too_many_arguments)]
pub fn final_layer(
    out: &mut [f32],
    own: &SparseLevels,
    a: &Csr,
    last: &[f32],
    last_marks: &[u8],
    scale: f32,
    dim: usize,
    par: Parallelism,
) {
    assert_eq!(out.len(), a.n_rows * dim, "final_layer: output length");
    assert!(
        last.len() >= a.n_cols * dim && last_marks.len() >= a.n_cols,
        "final_layer: input length"
    );
    let row_task = |c: usize, row: &mut [f32]| {
        row.fill(0.0);
        for (vals, marks) in own.values.iter().zip(&own.marks) {
            if marks[c] != 0 {
                row.iter_mut()
                    .zip(&vals[c * dim..(c + 1) * dim])
                    .for_each(|(o, &v)| *o += v);
            }
        }
        let (cols, ws) = a.row(c);
        accumulate_row(row, cols, ws, last, dim, Some(last_marks));
        row.iter_mut().for_each(|v| *v *= scale);
    };
    const ROWS: usize = 64;
    match par {
        Parallelism::Sequential => out
            .chunks_exact_mut(dim)
            .enumerate()
            .for_each(|(c, row)| row_task(c, row)),
        Parallelism::Rayon => out
            .par_chunks_mut(ROWS * dim)
            .enumerate()
            .for_each(|(t, block)| {
                block
                    .chunks_exact_mut(dim)
                    .enumerate()
                    .for_each(|(k, row)| row_task(t * ROWS + k, row))
            }),
    }
}

/// The restricted forward of a LightGCN-style step: `levels[l − 1]` receives Â^l-propagated rows
/// on `need[l]` for l = 1..=L, where need[L] = `rows` and need[l] = `rows` ∪ N(need[l + 1]), so
/// every level holds at least `rows`. `after_layer(l, need[l], levels[l − 1])` runs once a layer
/// is gathered, before the next reads it (SimGCL's noise goes there; LightGCN passes a no-op).
/// Returns the row sets `need` (index 0 unused).
#[allow(clippy::too_many_arguments)]
pub fn forward_levels(
    frontier: &mut Frontier,
    g: &NormalizedGraph,
    params: &crate::Embeddings,
    levels: &mut [crate::Embeddings],
    rows: &RowSet,
    par: Parallelism,
    after_layer: &mut dyn FnMut(usize, &RowSet, &mut crate::Embeddings),
) -> Vec<RowSet> {
    let (layers, d) = (levels.len(), params.dim);
    let mut need = vec![RowSet::default(); layers + 1];
    if layers > 0 {
        need[layers] = rows.clone();
        for l in (1..layers).rev() {
            need[l] = frontier.expand(g, rows, &need[l + 1]);
        }
    }
    for l in 1..=layers {
        let (done, rest) = levels.split_at_mut(l - 1);
        let x = if l == 1 { params } else { &done[l - 2] };
        let out = &mut rest[0];
        gather_rows(&mut out.users, &need[l].users, &g.r, &x.items, d, par);
        gather_rows(&mut out.items, &need[l].items, &g.rt, &x.users, d, par);
        after_layer(l, &need[l], out);
    }
    need
}

/// One row-sparse gradient entering the propagation at layer `level`:
/// ∂L/∂(Â^level E) = `weight` · `g` on `rows` (zero elsewhere).
#[derive(Clone, Copy)]
pub struct LevelGrad<'a> {
    pub level: usize,
    pub weight: f32,
    pub g: &'a crate::Embeddings,
    pub rows: &'a RowSet,
}

/// `out += weight · g` on the rows of one [`LevelGrad`].
fn add_level(out: &mut crate::Embeddings, t: &LevelGrad) {
    let d = out.dim;
    let add = |dst: &mut [f32], src: &[f32], rows: &[u32]| {
        for &r in rows {
            let span = r as usize * d..(r as usize + 1) * d;
            crate::rowops::axpy(&mut dst[span.clone()], t.weight, &src[span]);
        }
    };
    add(&mut out.users, &t.g.users, &t.rows.users);
    add(&mut out.items, &t.g.items, &t.rows.items);
}

/// The backward of a propagation whose layers receive row-sparse gradients:
/// `out = Σ_k weight_k Â^{level_k} g_k` (Â symmetric), every row of `out` written. Horner's
/// rule from the top layer, K ← G_l + Â K, pushes the sum outward from the few non-zero rows with
/// [`scatter_rows`] and gathers the last hop for every row with [`final_layer`], so each output
/// row is summed in one fixed order whatever the thread count. `tables` are two layer-sized
/// scratch tables (contents unspecified); `marks` are all-zero user and item marks, left zero.
#[allow(clippy::too_many_arguments)]
pub fn backward_levels(
    out: &mut crate::Embeddings,
    frontier: &mut Frontier,
    g: &NormalizedGraph,
    terms: &[LevelGrad],
    tables: &mut [crate::Embeddings],
    marks: &mut (Vec<u8>, Vec<u8>),
    par: Parallelism,
) {
    let d = out.dim;
    let top = terms.iter().map(|t| t.level).max().unwrap_or(0);
    // `base` ∪ the rows of the terms entering at layer l, sorted and distinct.
    let rows_at = |frontier: &mut Frontier, l: usize, base: &RowSet| {
        let (mut users, mut items) = (base.users.clone(), base.items.clone());
        for t in terms.iter().filter(|t| t.level == l) {
            users.extend_from_slice(&t.rows.users);
            items.extend_from_slice(&t.rows.items);
        }
        frontier.unique(g.n_users, g.n_items, &users, &[&items])
    };
    if top == 0 {
        out.users.fill(0.0);
        out.items.fill(0.0);
    } else {
        assert!(tables.len() >= 2, "backward_levels: two scratch tables");
        if marks.0.len() != g.n_users || marks.1.len() != g.n_items {
            *marks = (vec![0u8; g.n_users], vec![0u8; g.n_items]);
        }
        let (a, b) = tables.split_at_mut(1);
        let (mut cur, mut next) = (&mut a[0], &mut b[0]);
        let mut rows = rows_at(frontier, top, &RowSet::default());
        cur.zero_rows(&rows.users, &rows.items);
        terms
            .iter()
            .filter(|t| t.level == top)
            .for_each(|t| add_level(cur, t));
        for l in (1..top).rev() {
            let spread = frontier.expand(g, &RowSet::default(), &rows);
            let grown = rows_at(frontier, l, &spread);
            next.zero_rows(&grown.users, &grown.items);
            scatter_rows(&mut next.items, &rows.users, &g.r, &cur.users, d, par);
            scatter_rows(&mut next.users, &rows.items, &g.rt, &cur.items, d, par);
            terms
                .iter()
                .filter(|t| t.level == l)
                .for_each(|t| add_level(next, t));
            std::mem::swap(&mut cur, &mut next);
            rows = grown;
        }
        rows.users.iter().for_each(|&u| marks.0[u as usize] = 1);
        rows.items.iter().for_each(|&i| marks.1[i as usize] = 1);
        let none = SparseLevels {
            values: Vec::new(),
            marks: Vec::new(),
        };
        final_layer(
            &mut out.users,
            &none,
            &g.r,
            &cur.items,
            &marks.1,
            1.0,
            d,
            par,
        );
        final_layer(
            &mut out.items,
            &none,
            &g.rt,
            &cur.users,
            &marks.0,
            1.0,
            d,
            par,
        );
        rows.users.iter().for_each(|&u| marks.0[u as usize] = 0);
        rows.items.iter().for_each(|&i| marks.1[i as usize] = 0);
    }
    terms
        .iter()
        .filter(|t| t.level == 0)
        .for_each(|t| add_level(out, t));
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::graph::normalized_adjacency;
    use crate::propagate::{spmm, Accum};
    use crate::UserItems;
    use rand::{Rng, SeedableRng};

    fn graph(seed: u64) -> (NormalizedGraph, Vec<f32>, Vec<f32>) {
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(seed);
        let (nu, ni) = (60, 40);
        let us: Vec<u32> = (0..300).map(|_| rng.gen_range(0..nu)).collect();
        let is: Vec<u32> = (0..300).map(|_| rng.gen_range(0..ni)).collect();
        let g = normalized_adjacency(
            &UserItems::from_pairs(nu as usize, ni as usize, &us, &is).unwrap(),
        );
        let xu = (0..nu as usize * 4)
            .map(|_| rng.gen_range(-1.0..1.0))
            .collect();
        let xi = (0..ni as usize * 4)
            .map(|_| rng.gen_range(-1.0..1.0))
            .collect();
        (g, xu, xi)
    }

    #[test]
    fn gathered_rows_equal_the_full_product_bit_for_bit() {
        let (g, _, xi) = graph(1);
        let mut full = vec![0.0; g.n_users * 4];
        spmm(
            &mut full,
            Accum::Replace,
            &g.r,
            &xi,
            4,
            Parallelism::Sequential,
        );
        let rows = [0u32, 5, 17, 59];
        let mut part = vec![f32::NAN; g.n_users * 4];
        gather_rows(&mut part, &rows, &g.r, &xi, 4, Parallelism::Rayon);
        for &r in &rows {
            let r = r as usize;
            assert_eq!(&part[r * 4..(r + 1) * 4], &full[r * 4..(r + 1) * 4]);
        }
        assert!(part[4].is_nan(), "rows not listed are left alone");
    }

    #[test]
    fn scatter_from_sparse_rows_equals_the_full_transpose_product() {
        let (g, xu, _) = graph(2);
        // x is zero except on the listed users, so Rᵀ x computed in full must match the scatter.
        let sources = [3u32, 8, 21];
        let mut x = vec![0.0; xu.len()];
        for &r in &sources {
            let r = r as usize;
            x[r * 4..(r + 1) * 4].copy_from_slice(&xu[r * 4..(r + 1) * 4]);
        }
        let mut full = vec![0.0; g.n_items * 4];
        spmm(
            &mut full,
            Accum::Replace,
            &g.rt,
            &x,
            4,
            Parallelism::Sequential,
        );
        for par in [Parallelism::Sequential, Parallelism::Rayon] {
            let mut out = vec![0.0; g.n_items * 4];
            scatter_rows(&mut out, &sources, &g.r, &x, 4, par);
            for (a, b) in out.iter().zip(&full) {
                assert!((a - b).abs() < 1e-6);
            }
        }
    }

    #[test]
    fn expand_adds_the_neighbourhood() {
        // u0-i0, u0-i1, u1-i1, u1-i2
        let g = normalized_adjacency(
            &UserItems::from_pairs(2, 3, &[0, 0, 1, 1], &[0, 1, 1, 2]).unwrap(),
        );
        let mut f = Frontier::default();
        let s = f.unique(2, 3, &[0, 0], &[&[2]]);
        assert_eq!(
            s,
            RowSet {
                users: vec![0],
                items: vec![2]
            }
        );
        let n = f.expand(&g, &s, &s);
        assert_eq!(
            n,
            RowSet {
                users: vec![0, 1],
                items: vec![0, 1, 2]
            }
        );
        let only = f.expand(&g, &RowSet::default(), &s);
        assert_eq!(
            only,
            RowSet {
                users: vec![1],
                items: vec![0, 1]
            }
        );
    }
}
