//! SimGCL's perturbation of a propagation layer (Yu et al., SIGIR 2022; SELFRec
//! `model/graph/SimGCL.py`): `E += sign(E) ⊙ normalize(U(0,1)^d) · ε`, row by row.
//!
//! The noise of a row is drawn from a counter-based generator keyed by (`key`, row), so it does
//! not depend on which other rows are perturbed, on their order, or on the thread count: the
//! restricted step that perturbs only the rows it needs sees exactly the noise the full layer
//! would get. The derivative of sign(E) is zero almost everywhere, so the perturbation passes
//! gradients through unchanged.

use rayon::prelude::*;

use crate::Parallelism;

/// One SplitMix64 step (Steele et al. 2014): a well-mixed 64-bit output per counter value.
#[inline]
fn splitmix(state: &mut u64) -> u64 {
    *state = state.wrapping_add(0x9E37_79B9_7F4A_7C15);
    let mut z = *state;
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// A key from its parts (the run's seed, the step, the pass, the layer, the side).
pub fn noise_key(parts: &[u64]) -> u64 {
    let mut state = 0x2545_F491_4F6C_DD1D;
    for &p in parts {
        state ^= p;
        state = splitmix(&mut state);
    }
    state
}

/// Fills `out` with U[0, 1) draws (24-bit resolution) for row `row` under `key`.
pub fn uniform_row(key: u64, row: u32, out: &mut [f32]) {
    let mut state = key ^ (row as u64).wrapping_mul(0xD1B5_4A32_D192_ED03);
    let scale = 1.0 / (1u32 << 24) as f32;
    for pair in out.chunks_mut(2) {
        let z = splitmix(&mut state);
        pair[0] = (z >> 40) as f32 * scale;
        if let Some(second) = pair.get_mut(1) {
            *second = ((z >> 8) & 0xFF_FFFF) as f32 * scale;
        }
    }
}

/// `x += eps · sign(x) ⊙ n/max(‖n‖, 1e-12)` with n = [`uniform_row`] on one row.
#[inline]
fn perturb_row(x: &mut [f32], eps: f32, key: u64, row: u32, noise: &mut [f32]) {
    uniform_row(key, row, noise);
    let norm = crate::models::dot(noise, noise).sqrt().max(1e-12);
    let k = eps / norm;
    for (v, &n) in x.iter_mut().zip(noise.iter()) {
        // torch.sign: 0 at 0.
        let s = if *v > 0.0 {
            1.0
        } else if *v < 0.0 {
            -1.0
        } else {
            0.0
        };
        *v += s * n * k;
    }
}

/// Perturbs the listed rows (sorted, distinct) of a row-major table of width `dim`.
pub fn perturb_rows(
    table: &mut [f32],
    rows: &[u32],
    dim: usize,
    eps: f32,
    key: u64,
    par: Parallelism,
) {
    if eps == 0.0 || dim == 0 {
        return;
    }
    match par {
        Parallelism::Sequential => {
            let mut noise = vec![0f32; dim];
            for &r in rows {
                let r0 = r as usize * dim;
                perturb_row(&mut table[r0..r0 + dim], eps, key, r, &mut noise);
            }
        }
        Parallelism::Rayon => {
            // Each listed row is owned by exactly one task: walk the table's rows in parallel
            // and look each one up among the (sorted) listed rows.
            let mut listed = Vec::with_capacity(rows.len());
            let mut rest: &mut [f32] = table;
            let mut at = 0usize;
            for &r in rows {
                let skip = (r as usize - at) * dim;
                let (_, tail) = std::mem::take(&mut rest).split_at_mut(skip);
                let (row, tail) = tail.split_at_mut(dim);
                listed.push((r, row));
                rest = tail;
                at = r as usize + 1;
            }
            listed.par_iter_mut().with_min_len(64).for_each_init(
                || vec![0f32; dim],
                |noise, (r, row)| perturb_row(row, eps, key, *r, noise),
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn noise_is_per_row_and_thread_independent() {
        let dim = 5;
        let mut a: Vec<f32> = (0..40).map(|k| (k as f32 - 20.5) / 7.0).collect();
        let mut b = a.clone();
        let orig = a.clone();
        perturb_rows(&mut a, &[1, 4, 6], dim, 0.1, 77, Parallelism::Sequential);
        perturb_rows(&mut b, &[1, 4, 6], dim, 0.1, 77, Parallelism::Rayon);
        assert_eq!(a, b);
        // Perturbing row 4 alone gives row 4 the same noise.
        let mut c = orig.clone();
        perturb_rows(&mut c, &[4], dim, 0.1, 77, Parallelism::Sequential);
        assert_eq!(&c[20..25], &a[20..25]);
        assert_eq!(&c[..20], &orig[..20]);
        // Each perturbation has norm ε (no zero entries in these rows) and moves away from 0.
        for r in [1usize, 4, 6] {
            let delta: Vec<f32> = (0..dim)
                .map(|k| a[r * dim + k] - orig[r * dim + k])
                .collect();
            let n: f32 = delta.iter().map(|v| v * v).sum::<f32>().sqrt();
            assert!((n - 0.1).abs() < 1e-5, "row {r}: {n}");
            for k in 0..dim {
                assert!(delta[k] * orig[r * dim + k] >= 0.0);
            }
        }
        // Another key, other noise; uniform draws lie in [0, 1).
        let mut u = vec![0f32; 1001];
        uniform_row(noise_key(&[1, 2]), 3, &mut u);
        assert!(u.iter().all(|&v| (0.0..1.0).contains(&v)));
        let mean = u.iter().sum::<f32>() / u.len() as f32;
        assert!((mean - 0.5).abs() < 0.05, "{mean}");
        assert_ne!(noise_key(&[1, 2]), noise_key(&[2, 1]));
    }
}
