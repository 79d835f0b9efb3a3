//! The inner loops every sparse kernel shares, compiled for AVX2/FMA (x86-64) and NEON (aarch64)
//! next to the baseline and picked at run time, so one prebuilt binary is fast on new CPUs and
//! still runs on old ones. No fused multiply-adds are formed (Rust never contracts `a * b + c`),
//! so every variant gives bit-identical results.

use multiversion::multiversion;

/// `out += w · x`, elementwise.
#[inline(always)]
pub(crate) fn axpy(out: &mut [f32], w: f32, x: &[f32]) {
    for (o, &v) in out.iter_mut().zip(x) {
        *o += w * v;
    }
}

/// `out += Σ_k vals[k] · x[cols[k]]` over the row's neighbours in order, skipping neighbours
/// whose `skip_zero` mark is 0 (rows known to be zero).
#[multiversion(targets("x86_64+avx2+fma", "aarch64+neon"))]
pub(crate) fn accumulate_row(
    out: &mut [f32],
    cols: &[u32],
    vals: &[f32],
    x: &[f32],
    dim: usize,
    skip_zero: Option<&[u8]>,
) {
    match skip_zero {
        None => {
            for (&c, &w) in cols.iter().zip(vals) {
                let c = c as usize;
                axpy(out, w, &x[c * dim..(c + 1) * dim]);
            }
        }
        Some(marks) => {
            for (&c, &w) in cols.iter().zip(vals) {
                let c = c as usize;
                if marks[c] != 0 {
                    axpy(out, w, &x[c * dim..(c + 1) * dim]);
                }
            }
        }
    }
}

/// For each source row `r` (in order) and neighbour `c ∈ [lo, lo + block_rows)`:
/// `block[c − lo] += a[r, c] · x[r]`.
#[multiversion(targets("x86_64+avx2+fma", "aarch64+neon"))]
#[allow(clippy::too_many_arguments)]
pub(crate) fn scatter_block(
    block: &mut [f32],
    lo: usize,
    sources: &[u32],
    indptr: &[usize],
    indices: &[u32],
    values: &[f32],
    x: &[f32],
    dim: usize,
) {
    let hi = lo + block.len() / dim;
    for &r in sources {
        let r = r as usize;
        let (a, b) = (indptr[r], indptr[r + 1]);
        let xr = &x[r * dim..(r + 1) * dim];
        for (&c, &w) in indices[a..b].iter().zip(&values[a..b]) {
            let c = c as usize;
            if c >= lo && c < hi {
                axpy(&mut block[(c - lo) * dim..(c - lo + 1) * dim], w, xr);
            }
        }
    }
}

/// One fused Adam update (torch semantics) over matching slices.
#[multiversion(targets("x86_64+avx2+fma", "aarch64+neon"))]
#[allow(clippy::too_many_arguments)]
pub(crate) fn adam_update(
    p: &mut [f32],
    g: &[f32],
    m: &mut [f32],
    v: &mut [f32],
    b1: f32,
    b2: f32,
    eps: f32,
    bc2_sqrt: f32,
    step_size: f32,
) {
    for (((p, &g), m), v) in p.iter_mut().zip(g).zip(m.iter_mut()).zip(v.iter_mut()) {
        *m = *m * b1 + (1.0 - b1) * g;
        *v = *v * b2 + (1.0 - b2) * g * g;
        let denom = v.sqrt() / bc2_sqrt + eps;
        *p -= step_size * (*m / denom);
    }
}
