//! Contrastive loss pieces shared by SGL, SGCL, SimGCL and XSimGCL (DESIGN.md §2, §5): row
//! L2-normalization as torch's `F.normalize` with its backward, InfoNCE with one positive column
//! per row, blocked over the columns with a fused log-sum-exp, and a strided SGEMM on the `gemm`
//! crate.
//!
//! InfoNCE of rows a_b (m × d) against columns c_j (n × d), positives t_b:
//!   ℓ_b = −log softmax_j(⟨a_b, c_j⟩/τ)[t_b] = lse_b − ⟨a_b, c_{t_b}⟩/τ.
//! With P_bj = exp(⟨a_b, c_j⟩/τ − lse_b) and D = (P − onehot(t))·s/τ (s the reduction scale):
//!   ∂/∂A = D·C,  ∂/∂C = Dᵀ·A.
//! The columns are visited in blocks of [`COLUMN_BLOCK`]; a block's m × block tile of logits is
//! the only part of the m × n matrix that exists. A first pass finds every row's log-sum-exp
//! (per-block maxima and sums, combined in block order), a second recomputes each tile, turns
//! it into D and multiplies it out: four m × n × d products in all. Blocks may run on any
//! thread; ∂/∂A is summed over blocks in block order and every ∂/∂C row belongs to one block,
//! so results are bit-identical for any thread count.

use rayon::prelude::*;

use crate::loss::Reduction;
use crate::models::dot;
use crate::propagate::Accum;
use crate::rowops::{row_max, scaled_exp, sum_exp};
use crate::Parallelism;

/// torch `F.normalize`'s floor on the norm.
pub const NORM_EPS: f32 = 1e-12;

/// Columns per InfoNCE block: a 256 × 512 tile of f32 is 512 KB, within L2.
pub const COLUMN_BLOCK: usize = 512;

/// `out[r] = x[r] / max(‖x[r]‖, 1e-12)` for the rows of `x` (width `dim`); `norms[r] = ‖x[r]‖`.
pub fn normalize_rows(
    x: &[f32],
    dim: usize,
    out: &mut Vec<f32>,
    norms: &mut Vec<f32>,
    par: Parallelism,
) {
    out.resize(x.len(), 0.0);
    norms.resize(x.len() / dim.max(1), 0.0);
    let row = |(xr, (or, nr)): (&[f32], (&mut [f32], &mut f32))| {
        *nr = dot(xr, xr).sqrt();
        let inv = 1.0 / nr.max(NORM_EPS);
        or.iter_mut().zip(xr).for_each(|(o, &v)| *o = v * inv);
    };
    match par {
        Parallelism::Sequential => x
            .chunks_exact(dim)
            .zip(out.chunks_exact_mut(dim).zip(norms.iter_mut()))
            .for_each(row),
        Parallelism::Rayon => x
            .par_chunks_exact(dim)
            .zip(out.par_chunks_exact_mut(dim).zip(norms.par_iter_mut()))
            .with_min_len(256)
            .for_each(row),
    }
}

/// The backward of [`normalize_rows`]: given g = ∂L/∂x̂, writes
/// ∂L/∂x = (g − x̂ ⟨x̂, g⟩)/‖x‖ when ‖x‖ > 1e-12, and g/1e-12 where the floor was active.
pub fn normalize_rows_backward(
    xhat: &[f32],
    norms: &[f32],
    g: &[f32],
    dim: usize,
    out: &mut [f32],
    par: Parallelism,
) {
    assert!(
        xhat.len() == g.len() && g.len() == out.len() && norms.len() * dim == g.len(),
        "normalize_rows_backward: shapes"
    );
    let row = |r: usize, or: &mut [f32]| {
        let (xr, gr, n) = (
            &xhat[r * dim..(r + 1) * dim],
            &g[r * dim..(r + 1) * dim],
            norms[r],
        );
        if n > NORM_EPS {
            let p = dot(xr, gr);
            let inv = 1.0 / n;
            or.iter_mut()
                .zip(xr.iter().zip(gr))
                .for_each(|(o, (&x, &gv))| *o = (gv - x * p) * inv);
        } else {
            let inv = 1.0 / NORM_EPS;
            or.iter_mut().zip(gr).for_each(|(o, &gv)| *o = gv * inv);
        }
    };
    match par {
        Parallelism::Sequential => out
            .chunks_exact_mut(dim)
            .enumerate()
            .for_each(|(r, o)| row(r, o)),
        Parallelism::Rayon => out
            .par_chunks_exact_mut(dim)
            .enumerate()
            .with_min_len(256)
            .for_each(|(r, o)| row(r, o)),
    }
}

/// A row-major view for [`sgemm`]: element (i, j) at `data[i * rs + j * cs]`.
#[derive(Clone, Copy)]
pub struct Mat<'a> {
    pub data: &'a [f32],
    pub rs: usize,
    pub cs: usize,
}

impl<'a> Mat<'a> {
    /// An `rows × cols` row-major matrix.
    pub fn rows(data: &'a [f32], cols: usize) -> Self {
        Mat {
            data,
            rs: cols,
            cs: 1,
        }
    }

    /// The transpose of an `rows × cols` row-major matrix.
    pub fn transposed(data: &'a [f32], cols: usize) -> Self {
        Mat {
            data,
            rs: 1,
            cs: cols,
        }
    }

    fn fits(&self, r: usize, c: usize) -> bool {
        r == 0 || c == 0 || (r - 1) * self.rs + (c - 1) * self.cs < self.data.len()
    }
}

/// `dst = (accumulate ? dst : 0) + alpha · lhs · rhs` for `lhs` m × k and `rhs` k × n; `dst` is
/// row-major m × n. Single-threaded (callers parallelize over blocks); the same shapes always
/// give the same bits.
///
/// # Panics
/// If a view is too short for its shape.
pub fn sgemm(
    dst: &mut [f32],
    accumulate: bool,
    lhs: Mat,
    rhs: Mat,
    (m, n, k): (usize, usize, usize),
    alpha: f32,
) {
    assert!(dst.len() >= m * n, "sgemm: destination length");
    assert!(lhs.fits(m, k) && rhs.fits(k, n), "sgemm: operand length");
    if m == 0 || n == 0 {
        return;
    }
    if k == 0 {
        if !accumulate {
            dst[..m * n].fill(0.0);
        }
        return;
    }
    // SAFETY: every index the product touches is within its slice (asserted above); `dst` is
    // borrowed exclusively, so it does not alias the operands; with read_dst = false its old
    // contents are neither read nor scaled.
    unsafe {
        gemm::gemm(
            m,
            n,
            k,
            dst.as_mut_ptr(),
            1,
            n as isize,
            accumulate,
            lhs.data.as_ptr(),
            lhs.cs as isize,
            lhs.rs as isize,
            rhs.data.as_ptr(),
            rhs.cs as isize,
            rhs.rs as isize,
            1.0,
            alpha,
            false,
            false,
            false,
            gemm::Parallelism::None,
        );
    }
}

/// Reusable buffers of [`info_nce`].
#[derive(Default)]
pub struct InfoNceScratch {
    /// Per block: ∂/∂A of that block's columns (m × d).
    partials: Vec<Vec<f32>>,
    /// Per block: each row's (max, Σ exp(logit − max)) over the block's columns.
    stats: Vec<Vec<(f32, f32)>>,
    lse: Vec<f32>,
}

/// InfoNCE of the rows `a` (m × `dim`) against the columns `c` (n × `dim`), row b's positive
/// being column `targets[b]`: returns Σ_b ℓ_b (or the mean, per `reduction`) in f64, adds
/// `weight · ∂loss/∂a` into `da`, and writes (`dc_accum` = `Replace`) or adds `weight · ∂loss/∂c`
/// into `dc`; writing spares the caller a pass that zeroes all n rows. See the module docs.
///
/// # Panics
/// If shapes disagree or a target is out of range.
#[allow(clippy::too_many_arguments)]
pub fn info_nce(
    a: &[f32],
    c: &[f32],
    targets: &[u32],
    dim: usize,
    tau: f32,
    reduction: Reduction,
    weight: f32,
    da: &mut [f32],
    dc: &mut [f32],
    dc_accum: Accum,
    scratch: &mut InfoNceScratch,
    par: Parallelism,
) -> f64 {
    let m = targets.len();
    let n = c.len() / dim.max(1);
    assert!(
        a.len() == m * dim && c.len() == n * dim && da.len() == a.len() && dc.len() == c.len(),
        "info_nce: shapes"
    );
    assert!(
        targets.iter().all(|&t| (t as usize) < n),
        "info_nce: target out of range"
    );
    if dc_accum == Accum::Replace && (m == 0 || weight == 0.0) {
        dc.fill(0.0);
    }
    if m == 0 {
        return 0.0;
    }
    let blocks = n.div_ceil(COLUMN_BLOCK);
    let inv_tau = 1.0 / tau;
    let tile_of = |blk: usize, tile: &mut Vec<f32>| {
        let (c0, c1) = (blk * COLUMN_BLOCK, ((blk + 1) * COLUMN_BLOCK).min(n));
        let nb = c1 - c0;
        tile.resize(m * nb, 0.0);
        sgemm(
            tile,
            false,
            Mat::rows(a, dim),
            Mat::transposed(&c[c0 * dim..c1 * dim], dim),
            (m, nb, dim),
            inv_tau,
        );
        (c0, nb)
    };
    let for_blocks = |f: &(dyn Fn(usize, &mut Vec<f32>) + Sync)| match par {
        Parallelism::Sequential => {
            let mut tile = Vec::new();
            (0..blocks).for_each(|b| f(b, &mut tile))
        }
        Parallelism::Rayon => (0..blocks)
            .into_par_iter()
            .for_each_init(Vec::new, |tile, b| f(b, tile)),
    };

    // Pass 1: per-block (max, Σ exp) of every row, combined in block order.
    scratch.stats.resize(blocks, Vec::new());
    {
        let stats: Vec<std::sync::Mutex<&mut Vec<(f32, f32)>>> = scratch
            .stats
            .iter_mut()
            .map(std::sync::Mutex::new)
            .collect();
        for_blocks(&|blk, tile| {
            let (_, nb) = tile_of(blk, tile);
            let mut out = stats[blk].lock().unwrap_or_else(|e| e.into_inner());
            out.clear();
            out.extend(tile.chunks_exact(nb).map(|row| {
                let mx = row_max(row);
                (mx, sum_exp(row, mx))
            }));
        });
    }
    scratch.lse.clear();
    let mut total = 0f64;
    for (r, &t) in targets.iter().enumerate() {
        let mx = scratch
            .stats
            .iter()
            .map(|s| s[r].0)
            .fold(f32::NEG_INFINITY, f32::max);
        let sum: f64 = scratch
            .stats
            .iter()
            .map(|s| s[r].1 as f64 * ((s[r].0 - mx) as f64).exp())
            .sum();
        let lse = mx as f64 + sum.ln();
        scratch.lse.push(lse as f32);
        let t = t as usize;
        let positive = dot(&a[r * dim..(r + 1) * dim], &c[t * dim..(t + 1) * dim]) * inv_tau;
        total += lse - positive as f64;
    }
    let scale = match reduction {
        Reduction::Sum => 1.0,
        Reduction::Mean => 1.0 / m as f32,
    };
    let reduced = match reduction {
        Reduction::Sum => total,
        Reduction::Mean => total / m as f64,
    };
    if weight == 0.0 {
        return reduced;
    }

    // Pass 2: D = (P − onehot)·weight·scale/τ per tile; ∂/∂C of the block's rows directly,
    // ∂/∂A into the block's partial.
    scratch.partials.resize(blocks, Vec::new());
    let w = weight * scale * inv_tau;
    {
        let lse = &scratch.lse;
        let dc_blocks: Vec<std::sync::Mutex<(&mut [f32], &mut Vec<f32>)>> = dc
            .chunks_mut(COLUMN_BLOCK * dim)
            .zip(scratch.partials.iter_mut())
            .map(std::sync::Mutex::new)
            .collect();
        for_blocks(&|blk, tile| {
            let (c0, nb) = tile_of(blk, tile);
            for (r, row) in tile.chunks_exact_mut(nb).enumerate() {
                scaled_exp(row, lse[r], w);
                let t = targets[r] as usize;
                if (c0..c0 + nb).contains(&t) {
                    row[t - c0] -= w;
                }
            }
            let mut guard = dc_blocks[blk].lock().unwrap_or_else(|e| e.into_inner());
            let (dc_blk, partial) = &mut *guard;
            // Each column block is this block's alone (one pass over all rows).
            sgemm(
                dc_blk,
                dc_accum == Accum::Add,
                Mat::transposed(tile, nb),
                Mat::rows(a, dim),
                (nb, dim, m),
                1.0,
            );
            partial.resize(m * dim, 0.0);
            sgemm(
                partial,
                false,
                Mat::rows(tile, nb),
                Mat::rows(&c[c0 * dim..(c0 + nb) * dim], dim),
                (m, dim, nb),
                1.0,
            );
        });
    }
    for partial in &scratch.partials[..blocks] {
        da.iter_mut().zip(partial).for_each(|(o, &p)| *o += p);
    }
    reduced
}

/// `out` = the rows `ids` of a row-major table of width `dim`, in order (ids may repeat).
pub fn gather(table: &[f32], ids: &[u32], dim: usize, out: &mut Vec<f32>) {
    out.clear();
    for &r in ids {
        out.extend_from_slice(&table[r as usize * dim..(r as usize + 1) * dim]);
    }
}

/// `table[ids[k]] += rows[k]`, sequentially, so a repeated id accumulates in one fixed order.
pub fn scatter_add(table: &mut [f32], ids: &[u32], rows: &[f32], dim: usize) {
    for (&r, src) in ids.iter().zip(rows.chunks_exact(dim)) {
        let dst = &mut table[r as usize * dim..(r as usize + 1) * dim];
        dst.iter_mut().zip(src).for_each(|(o, &v)| *o += v);
    }
}

/// Reusable buffers of [`contrast_rows`].
#[derive(Default)]
pub struct RowsScratch {
    views: [Vec<f32>; 2],
    unit: [Vec<f32>; 2],
    norms: [Vec<f32>; 2],
    d_unit: [Vec<f32>; 2],
    d_rows: Vec<f32>,
    targets: Vec<u32>,
    nce: InfoNceScratch,
}

/// SELFRec's `cal_cl_loss`: InfoNCE (mean over rows, cosine similarity at temperature `tau`)
/// between the rows `rows.users` of two views' user tables, plus the same over `rows.items`;
/// each row's positive is itself in the other view, its negatives the other listed rows.
/// Adds `weight ·` the gradient into `g1` (view 1) and `g2` (view 2; `None`: into `g1` too).
/// Returns the unweighted loss. Rows must be distinct.
#[allow(clippy::too_many_arguments)]
pub fn contrast_rows(
    view1: &crate::Embeddings,
    view2: &crate::Embeddings,
    rows: &crate::frontier::RowSet,
    tau: f32,
    weight: f32,
    g1: &mut crate::Embeddings,
    mut g2: Option<&mut crate::Embeddings>,
    s: &mut RowsScratch,
    par: Parallelism,
) -> f64 {
    let d = view1.dim;
    let mut total = 0.0;
    for side in 0..2 {
        let (ids, tables): (&[u32], [&[f32]; 2]) = if side == 0 {
            (&rows.users, [&view1.users, &view2.users])
        } else {
            (&rows.items, [&view1.items, &view2.items])
        };
        let n = ids.len();
        for (k, table) in tables.iter().enumerate() {
            gather(table, ids, d, &mut s.views[k]);
            normalize_rows(&s.views[k], d, &mut s.unit[k], &mut s.norms[k], par);
            s.d_unit[k].clear();
            s.d_unit[k].resize(n * d, 0.0);
        }
        s.targets.clear();
        s.targets.extend(0..n as u32);
        let [d1, d2] = &mut s.d_unit;
        total += info_nce(
            &s.unit[0],
            &s.unit[1],
            &s.targets,
            d,
            tau,
            Reduction::Mean,
            weight,
            d1,
            d2,
            Accum::Add,
            &mut s.nce,
            par,
        );
        for k in 0..2 {
            s.d_rows.resize(n * d, 0.0);
            normalize_rows_backward(&s.unit[k], &s.norms[k], &s.d_unit[k], d, &mut s.d_rows, par);
            let g = match (k, g2.as_deref_mut()) {
                (1, Some(g2)) => g2,
                _ => &mut *g1,
            };
            let table = if side == 0 {
                &mut g.users
            } else {
                &mut g.items
            };
            scatter_add(table, ids, &s.d_rows, d);
        }
    }
    total
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::{Rng, SeedableRng};

    fn random(n: usize, seed: u64) -> Vec<f32> {
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(seed);
        (0..n).map(|_| rng.gen_range(-1.0..1.0)).collect()
    }

    /// The loss written out naively in f64, from the formula.
    fn naive(a: &[f32], c: &[f32], t: &[u32], d: usize, tau: f64) -> f64 {
        let n = c.len() / d;
        let mut total = 0.0;
        for (r, &tr) in t.iter().enumerate() {
            let logit = |j: usize| {
                (0..d)
                    .map(|k| a[r * d + k] as f64 * c[j * d + k] as f64)
                    .sum::<f64>()
                    / tau
            };
            let z: f64 = (0..n).map(|j| logit(j).exp()).sum();
            total += z.ln() - logit(tr as usize);
        }
        total
    }

    /// m = 1, n = 2, d = 1: a = 1, c = [1, −1], τ = 0.5, positive 0: logits 2, −2;
    /// ℓ = log(e² + e⁻²) − 2 = log(1 + e⁻⁴) = 0.0181499.
    #[test]
    fn hand_computed_value() {
        let (mut da, mut dc) = (vec![0.0; 1], vec![0.0; 2]);
        let l = info_nce(
            &[1.0],
            &[1.0, -1.0],
            &[0],
            1,
            0.5,
            Reduction::Sum,
            1.0,
            &mut da,
            &mut dc,
            Accum::Add,
            &mut InfoNceScratch::default(),
            Parallelism::Sequential,
        );
        assert!((l - 0.0181499).abs() < 1e-6, "{l}");
    }

    #[test]
    fn blocked_matches_naive_and_finite_differences() {
        // n spans three blocks, the last partial; targets in several blocks, one repeated.
        let (m, n, d, tau) = (5usize, 2 * COLUMN_BLOCK + 37, 6usize, 0.3f32);
        let a = random(m * d, 1);
        let c = random(n * d, 2);
        let t = [0u32, 700, 1050, 700, (n - 1) as u32];
        let run = |reduction, weight, threads: usize, par| {
            let (mut da, mut dc) = (vec![0.0; m * d], vec![0.0; n * d]);
            let pool = rayon::ThreadPoolBuilder::new()
                .num_threads(threads)
                .build()
                .unwrap();
            let l = pool.install(|| {
                info_nce(
                    &a,
                    &c,
                    &t,
                    d,
                    tau,
                    reduction,
                    weight,
                    &mut da,
                    &mut dc,
                    Accum::Add,
                    &mut InfoNceScratch::default(),
                    par,
                )
            });
            (l, da, dc)
        };
        let (l, da, dc) = run(Reduction::Sum, 1.0, 1, Parallelism::Sequential);
        let want = naive(&a, &c, &t, d, tau as f64);
        assert!(
            (l - want).abs() < 1e-4 * want.abs().max(1.0),
            "{l} vs {want}"
        );
        // Central differences of the naive loss, entry k of A (side 0) or C (side 1).
        let h = 1e-3f32;
        let numeric = |side: usize, k: usize| {
            let mut x = [a.clone(), c.clone()];
            x[side][k] += h;
            let up = naive(&x[0], &x[1], &t, d, tau as f64);
            x[side][k] -= 2.0 * h;
            let down = naive(&x[0], &x[1], &t, d, tau as f64);
            (up - down) / (2.0 * h as f64)
        };
        for (side, entries, grad) in [
            (0, vec![0usize, 7, m * d - 1], &da),
            (1, vec![0, 700 * d + 2, 1050 * d, 5 * d + 1, n * d - 1], &dc),
        ] {
            for k in entries {
                let num = numeric(side, k);
                assert!(
                    (num - grad[k] as f64).abs() < 1e-3,
                    "side {side} entry {k}: {num} vs {}",
                    grad[k]
                );
            }
        }
        // Mean reduction and a weight scale the gradient; threads do not change a bit.
        let (lm, da2, dc2) = run(Reduction::Mean, 2.0, 2, Parallelism::Rayon);
        assert!((lm - l / m as f64).abs() < 1e-12);
        for (x, y) in da.iter().zip(&da2) {
            assert!(
                (x * 2.0 / m as f32 - y).abs() < 1e-5 * (1.0 + y.abs()),
                "{x} {y}"
            );
        }
        let (_, da3, dc3) = run(Reduction::Mean, 2.0, 3, Parallelism::Rayon);
        assert_eq!((&da2, &dc2), (&da3, &dc3));

        // `Replace` overwrites whatever dc held with the bits `Add` leaves in a zeroed dc; with
        // weight 0 it writes zeros.
        for weight in [2.0f32, 0.0] {
            let (mut da4, mut dc4) = (vec![0.0; m * d], vec![f32::NAN; n * d]);
            info_nce(
                &a,
                &c,
                &t,
                d,
                tau,
                Reduction::Mean,
                weight,
                &mut da4,
                &mut dc4,
                Accum::Replace,
                &mut InfoNceScratch::default(),
                Parallelism::Rayon,
            );
            let want = if weight == 0.0 {
                vec![0.0; n * d]
            } else {
                dc3.clone()
            };
            let bits = |v: &[f32]| v.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
            assert_eq!(bits(&dc4), bits(&want), "weight {weight}");
        }
        // No rows: nothing to contrast, and `Replace` still leaves a zero gradient.
        let mut dc5 = vec![f32::NAN; n * d];
        let l0 = info_nce(
            &[],
            &c,
            &[],
            d,
            tau,
            Reduction::Sum,
            1.0,
            &mut [],
            &mut dc5,
            Accum::Replace,
            &mut InfoNceScratch::default(),
            Parallelism::Sequential,
        );
        assert_eq!(l0, 0.0);
        assert!(dc5.iter().all(|&x| x == 0.0));
    }

    #[test]
    fn normalize_backward_matches_finite_differences() {
        let d = 4;
        let x = random(3 * d, 5);
        let g = random(3 * d, 6);
        // L = ⟨g, normalize(x)⟩
        let loss = |x: &[f32]| {
            let (mut o, mut n) = (Vec::new(), Vec::new());
            normalize_rows(x, d, &mut o, &mut n, Parallelism::Sequential);
            o.iter()
                .zip(&g)
                .map(|(&a, &b)| a as f64 * b as f64)
                .sum::<f64>()
        };
        let (mut xh, mut norms) = (Vec::new(), Vec::new());
        normalize_rows(&x, d, &mut xh, &mut norms, Parallelism::Rayon);
        for r in 0..3 {
            let n: f32 = xh[r * d..(r + 1) * d].iter().map(|v| v * v).sum();
            assert!((n - 1.0).abs() < 1e-6);
        }
        let mut dx = vec![0.0; 3 * d];
        normalize_rows_backward(&xh, &norms, &g, d, &mut dx, Parallelism::Sequential);
        let h = 1e-3;
        for k in 0..3 * d {
            let (mut up, mut down) = (x.clone(), x.clone());
            up[k] += h;
            down[k] -= h;
            let num = (loss(&up) - loss(&down)) / (2.0 * h as f64);
            assert!((num - dx[k] as f64).abs() < 2e-3, "{k}: {num} vs {}", dx[k]);
        }
    }

    #[test]
    fn sgemm_matches_a_naive_product() {
        let (m, n, k) = (3usize, 5usize, 4usize);
        let a = random(m * k, 7);
        let b = random(n * k, 8);
        let mut out = vec![1.0; m * n];
        sgemm(
            &mut out,
            true,
            Mat::rows(&a, k),
            Mat::transposed(&b, k),
            (m, n, k),
            0.5,
        );
        for i in 0..m {
            for j in 0..n {
                let want: f32 =
                    1.0 + 0.5 * (0..k).map(|p| a[i * k + p] * b[j * k + p]).sum::<f32>();
                assert!((out[i * n + j] - want).abs() < 1e-5);
            }
        }
    }
}
