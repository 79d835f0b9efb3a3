//! Principal components of the LLM item vectors, for the `pca` and `whiten` initializations
//! (an extension of DESIGN.md §1: instead of keeping d of the D coordinates, keep the d
//! directions of highest variance).
//!
//! With X ∈ ℝ^{I×D}, μ = (1/I) Σ_i X_i (the mean over **all** items) and C = X − 1μᵀ:
//!
//! - the covariance Σ = CᵀC / (I − 1) (unbiased, accumulated in f64);
//! - its eigen-decomposition Σ = V Λ Vᵀ (nalgebra's `SymmetricEigen`), eigenvalues sorted
//!   descending (ties: lower original index first); each eigenvector's sign is fixed so that its
//!   largest-magnitude component (the first such, on ties) is positive, which makes the output
//!   deterministic;
//! - `pca`: P = C V_d (I × d), whose column k has variance λ_k and is uncorrelated with the others;
//! - `whiten`: P Λ_d^{-1/2}, every column of unit variance. A kept λ_k ≤ 1e-12 · λ_max is an
//!   error: the direction carries no variance (d exceeds the rank of X) and scaling it up would
//!   only amplify rounding noise.
//!
//! ```
//! use llminit_core::pca::{principal_components, project};
//! // Points on the line y = 2x: all the variance lies along (1, 2)/√5.
//! let x = [0.0, 0.0, 1.0, 2.0, 2.0, 4.0, 3.0, 6.0f32];
//! let pca = principal_components(&x, 2, 1).unwrap();
//! let v = &pca.components[..2];
//! assert!((v[0] - 1.0 / 5f64.sqrt()).abs() < 1e-9 && (v[1] - 2.0 / 5f64.sqrt()).abs() < 1e-9);
//! let p = project(&x, 2, &pca, false).unwrap();
//! assert!((p[3] - 1.5 * 5f32.sqrt()).abs() < 1e-5); // (3, 6) − μ = (1.5, 3)
//! ```

use nalgebra::{DMatrix, SymmetricEigen};
use rayon::prelude::*;

use crate::{Error, Result};

/// The eigenvalue below which (relative to the largest) `whiten` refuses a component.
pub const WHITEN_RELATIVE_FLOOR: f64 = 1e-12;

/// The top-d principal directions of a set of rows.
#[derive(Clone, Debug, PartialEq)]
pub struct Pca {
    /// μ, the column means (length D).
    pub mean: Vec<f64>,
    /// V_dᵀ, row-major d × D: row k is the k-th eigenvector, unit length, sign-fixed.
    pub components: Vec<f64>,
    /// λ_1 ≥ … ≥ λ_d, the variances along the components.
    pub eigenvalues: Vec<f64>,
    /// The largest eigenvalue of all D (λ_max, for the relative floor).
    pub max_eigenvalue: f64,
}

impl Pca {
    pub fn dim(&self) -> usize {
        self.eigenvalues.len()
    }
}

/// Column means of `x` (rows × `big_d`) in f64.
fn column_means(x: &[f32], big_d: usize) -> Vec<f64> {
    let n = (x.len() / big_d) as f64;
    let mut mean = vec![0.0f64; big_d];
    for row in x.chunks_exact(big_d) {
        mean.iter_mut()
            .zip(row)
            .for_each(|(m, &v)| *m += f64::from(v));
    }
    mean.iter_mut().for_each(|m| *m /= n);
    mean
}

/// Σ = CᵀC / (n − 1), D × D, with C the centred rows. Parallel over the rows of Σ; each entry is
/// a dot product of two centred columns, so the result does not depend on the thread count.
pub fn covariance(x: &[f32], big_d: usize, mean: &[f64]) -> Vec<f64> {
    let n = x.len() / big_d;
    // Column-major centred copy: column j is contiguous, so Σ_jk is a plain dot product.
    let mut cols = vec![0.0f64; n * big_d];
    for (i, row) in x.chunks_exact(big_d).enumerate() {
        for (j, (&v, &m)) in row.iter().zip(mean).enumerate() {
            cols[j * n + i] = f64::from(v) - m;
        }
    }
    let denom = (n as f64 - 1.0).max(1.0);
    let mut cov = vec![0.0f64; big_d * big_d];
    cov.par_chunks_mut(big_d).enumerate().for_each(|(j, out)| {
        let cj = &cols[j * n..(j + 1) * n];
        for (k, o) in out.iter_mut().enumerate().skip(j) {
            let ck = &cols[k * n..(k + 1) * n];
            *o = cj.iter().zip(ck).map(|(a, b)| a * b).sum::<f64>() / denom;
        }
    });
    for j in 0..big_d {
        for k in 0..j {
            cov[j * big_d + k] = cov[k * big_d + j];
        }
    }
    cov
}

/// The top-`d` principal components of the rows of `x` (`x.len() / big_d` rows × `big_d`,
/// row-major). See the module docs for the conventions.
///
/// # Errors
/// `InvalidParam` for D = 0, d = 0 or d > D; `InvalidInput` for fewer than 2 rows, a length that
/// is not a multiple of D, or a non-finite value.
pub fn principal_components(x: &[f32], big_d: usize, d: usize) -> Result<Pca> {
    if big_d == 0 {
        return Err(Error::param("vectorDim", "must be at least 1, got 0"));
    }
    if d == 0 {
        return Err(Error::param("dim", "must be at least 1, got 0"));
    }
    if d > big_d {
        return Err(Error::param(
            "dim",
            format!(
                "PCA keeps d of the D principal directions, so d ≤ D; got d = {d} > D = {big_d}"
            ),
        ));
    }
    if !x.len().is_multiple_of(big_d) {
        return Err(Error::InvalidInput(format!(
            "item vectors hold {} values, not a multiple of D = {big_d}",
            x.len()
        )));
    }
    let n = x.len() / big_d;
    if n < 2 {
        return Err(Error::InvalidInput(format!(
            "PCA needs at least 2 item vectors to estimate a covariance, got {n}"
        )));
    }
    check_finite(x, big_d)?;
    let mean = column_means(x, big_d);
    let cov = covariance(x, big_d, &mean);
    // Σ is symmetric, so row-major and column-major storage are the same matrix.
    let eig = SymmetricEigen::new(DMatrix::from_vec(big_d, big_d, cov));
    let mut order: Vec<usize> = (0..big_d).collect();
    order.sort_by(|&a, &b| {
        eig.eigenvalues[b]
            .total_cmp(&eig.eigenvalues[a])
            .then(a.cmp(&b))
    });
    let max_eigenvalue = eig.eigenvalues[order[0]];
    let mut components = Vec::with_capacity(d * big_d);
    let mut eigenvalues = Vec::with_capacity(d);
    for &c in &order[..d] {
        let v = eig.eigenvectors.column(c);
        // The first component of largest magnitude decides the sign.
        let mut pivot = 0;
        for j in 1..big_d {
            if v[j].abs() > v[pivot].abs() {
                pivot = j;
            }
        }
        let sign = if v[pivot] < 0.0 { -1.0 } else { 1.0 };
        components.extend(v.iter().map(|&a| sign * a));
        eigenvalues.push(eig.eigenvalues[c]);
    }
    Ok(Pca {
        mean,
        components,
        eigenvalues,
        max_eigenvalue,
    })
}

/// Projects the rows of `x` onto the components: (X − 1μᵀ) V_d, then, with `whiten`, each
/// column k divided by √λ_k. Returns rows × d, row-major, computed in f64.
///
/// # Errors
/// With `whiten`, `InvalidParam` (`dim`) naming the first kept component whose eigenvalue is
/// ≤ [`WHITEN_RELATIVE_FLOOR`] · λ_max.
///
/// # Panics
/// If `x` is not rows × D for the D of `pca` (a contract violation).
pub fn project(x: &[f32], big_d: usize, pca: &Pca, whiten: bool) -> Result<Vec<f32>> {
    assert_eq!(pca.mean.len(), big_d, "pca was fitted on another D");
    assert!(x.len().is_multiple_of(big_d), "x is not rows × {big_d}");
    let d = pca.dim();
    let mut scale = vec![1.0f64; d];
    if whiten {
        let floor = WHITEN_RELATIVE_FLOOR * pca.max_eigenvalue;
        for (k, (&lambda, s)) in pca.eigenvalues.iter().zip(&mut scale).enumerate() {
            if lambda.is_nan() || lambda <= floor {
                return Err(Error::param(
                    "dim",
                    format!(
                        "`whiten` divides component {k} (0-based) by √λ, but λ_{k} = {lambda:e} ≤ \
                         1e-12 · λ_max = {floor:e}: the item vectors have no variance along it \
                         (their rank is below d = {d}); use a smaller dim or `pca`"
                    ),
                ));
            }
            *s = 1.0 / lambda.sqrt();
        }
    }
    let mut out = vec![0.0f32; x.len() / big_d * d];
    out.par_chunks_mut(d.max(1))
        .zip(x.par_chunks_exact(big_d))
        .for_each_init(
            || vec![0.0f64; big_d],
            |centred, (o, row)| {
                for ((c, &v), &m) in centred.iter_mut().zip(row).zip(&pca.mean) {
                    *c = f64::from(v) - m;
                }
                for (k, o) in o.iter_mut().enumerate() {
                    let v = &pca.components[k * big_d..(k + 1) * big_d];
                    let dot: f64 = centred.iter().zip(v).map(|(a, b)| a * b).sum();
                    *o = (dot * scale[k]) as f32;
                }
            },
        );
    Ok(out)
}

/// An error naming the item index and position of the first NaN/±∞ in `x` (rows of `big_d`).
pub(crate) fn check_finite(x: &[f32], big_d: usize) -> Result<()> {
    match x.iter().position(|v| !v.is_finite()) {
        None => Ok(()),
        Some(k) => Err(Error::InvalidInput(format!(
            "item vector of item index {} holds {} at position {}",
            k / big_d,
            x[k],
            k % big_d
        ))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::{Rng, SeedableRng};

    /// Column covariance (unbiased) of a rows × d f32 table, in f64.
    fn cov_of(p: &[f32], d: usize) -> Vec<f64> {
        let n = p.len() / d;
        let mean = column_means(p, d);
        let mut c = vec![0.0; d * d];
        for row in p.chunks_exact(d) {
            for a in 0..d {
                for b in 0..d {
                    c[a * d + b] += (f64::from(row[a]) - mean[a]) * (f64::from(row[b]) - mean[b]);
                }
            }
        }
        c.iter().map(|v| v / (n as f64 - 1.0)).collect()
    }

    /// 400 points in ℝ³: independent N(0, s²) coordinates with s = (5, 2, 0.5) along an
    /// orthonormal basis u₁ = (1, 1, 0)/√2, u₂ = (0, 0, 1), u₃ = (1, −1, 0)/√2, plus an offset
    /// (10, −3, 7) that centring removes.
    fn known_axes() -> Vec<f32> {
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(11);
        let r = std::f64::consts::FRAC_1_SQRT_2;
        let basis = [[r, r, 0.0], [0.0, 0.0, 1.0], [r, -r, 0.0]];
        let spread = [5.0, 2.0, 0.5];
        let mut x = Vec::with_capacity(400 * 3);
        for _ in 0..400 {
            let z: Vec<f64> = (0..3)
                .map(|k| spread[k] * rng.sample::<f64, _>(rand_distr::StandardNormal))
                .collect();
            for (j, off) in [10.0, -3.0, 7.0].iter().enumerate() {
                x.push((off + (0..3).map(|k| z[k] * basis[k][j]).sum::<f64>()) as f32);
            }
        }
        x
    }

    #[test]
    fn recovers_known_axes_in_variance_order_with_uncorrelated_columns() {
        let x = known_axes();
        let pca = principal_components(&x, 3, 3).unwrap();
        let r = std::f64::consts::FRAC_1_SQRT_2;
        // Sign rule: the largest-magnitude component is positive. For u₃ = ±(1, −1, 0)/√2 the
        // two magnitudes tie up to sampling noise, so only |·| is checked there.
        let want = [[r, r, 0.0], [0.0, 0.0, 1.0]];
        for (k, w) in want.iter().enumerate() {
            let v = &pca.components[k * 3..(k + 1) * 3];
            let cos: f64 = v.iter().zip(w).map(|(a, b)| a * b).sum();
            assert!(cos > 0.999, "component {k} = {v:?}, expected {w:?}");
        }
        let v3 = &pca.components[6..9];
        assert!(
            (v3[0].abs() - r).abs() < 0.02 && v3[2].abs() < 0.02,
            "{v3:?}"
        );
        // Eigenvalues descending and close to s² (sampling error of 400 draws is a few %).
        let l = &pca.eigenvalues;
        assert!(l[0] > l[1] && l[1] > l[2], "{l:?}");
        for (got, want) in l.iter().zip([25.0, 4.0, 0.25]) {
            assert!((got / want - 1.0).abs() < 0.2, "{l:?}");
        }
        // Projected columns: variance λ_k, covariance 0, mean 0.
        let p = project(&x, 3, &pca, false).unwrap();
        let c = cov_of(&p, 3);
        for a in 0..3 {
            assert!((c[a * 3 + a] / l[a] - 1.0).abs() < 1e-4, "{c:?} vs {l:?}");
            for b in 0..3 {
                if a != b {
                    assert!(c[a * 3 + b].abs() < 1e-4 * l[0], "{c:?}");
                }
            }
        }
        assert!(column_means(&p, 3).iter().all(|m| m.abs() < 1e-4));
        // d = 2 keeps the first two columns of the full projection.
        let two = project(&x, 3, &principal_components(&x, 3, 2).unwrap(), false).unwrap();
        for (row2, row3) in two.chunks_exact(2).zip(p.chunks_exact(3)) {
            assert!((row2[0] - row3[0]).abs() < 1e-4 && (row2[1] - row3[1]).abs() < 1e-4);
        }
    }

    #[test]
    fn whiten_gives_unit_variance_per_column() {
        let x = known_axes();
        let pca = principal_components(&x, 3, 3).unwrap();
        let w = project(&x, 3, &pca, true).unwrap();
        let c = cov_of(&w, 3);
        for a in 0..3 {
            for b in 0..3 {
                let want = if a == b { 1.0 } else { 0.0 };
                assert!((c[a * 3 + b] - want).abs() < 1e-4, "{c:?}");
            }
        }
    }

    #[test]
    fn sign_convention_is_deterministic_under_negation_and_repeats() {
        // Negating every point leaves Σ unchanged, so the components must come out identical
        // regardless of the sign the solver happened to return.
        let x = known_axes();
        let neg: Vec<f32> = x.iter().map(|v| -v).collect();
        let a = principal_components(&x, 3, 3).unwrap();
        let b = principal_components(&neg, 3, 3).unwrap();
        for (p, q) in a.components.iter().zip(&b.components) {
            assert!(
                (p - q).abs() < 1e-9,
                "{:?} vs {:?}",
                a.components,
                b.components
            );
        }
        assert_eq!(a, principal_components(&x, 3, 3).unwrap());
        for v in a.components.chunks_exact(3) {
            let pivot = v
                .iter()
                .copied()
                .fold(0.0f64, |m, c| if c.abs() > m.abs() { c } else { m });
            assert!(pivot > 0.0, "{v:?}");
        }
    }

    #[test]
    fn matches_a_naive_projection_on_random_data() {
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(3);
        let (n, big_d, d) = (60, 12, 5);
        let x: Vec<f32> = (0..n * big_d).map(|_| rng.gen_range(-1.0..1.0)).collect();
        let pca = principal_components(&x, big_d, d).unwrap();
        // V_d orthonormal, Σ v_k = λ_k v_k.
        let mean = column_means(&x, big_d);
        let cov = covariance(&x, big_d, &mean);
        for k in 0..d {
            let v = &pca.components[k * big_d..(k + 1) * big_d];
            for j in 0..big_d {
                let sv: f64 = (0..big_d).map(|m| cov[j * big_d + m] * v[m]).sum();
                assert!((sv - pca.eigenvalues[k] * v[j]).abs() < 1e-10);
            }
            for l in 0..d {
                let w = &pca.components[l * big_d..(l + 1) * big_d];
                let dot: f64 = v.iter().zip(w).map(|(a, b)| a * b).sum();
                assert!((dot - if k == l { 1.0 } else { 0.0 }).abs() < 1e-10);
            }
        }
        let p = project(&x, big_d, &pca, false).unwrap();
        let (i, k) = (17, 3);
        let naive: f64 = (0..big_d)
            .map(|j| (f64::from(x[i * big_d + j]) - mean[j]) * pca.components[k * big_d + j])
            .sum();
        assert!((f64::from(p[i * d + k]) - naive).abs() < 1e-6);
    }

    #[test]
    fn errors_name_the_problem() {
        let x = known_axes();
        let msg = |r: Result<Pca>| r.unwrap_err().to_string();
        assert!(msg(principal_components(&x, 3, 4)).contains("d = 4 > D = 3"));
        assert!(msg(principal_components(&x, 3, 0)).contains("`dim`"));
        assert!(msg(principal_components(&x[..3], 3, 1)).contains("at least 2 item vectors"));
        assert!(msg(principal_components(&x[..7], 3, 1)).contains("not a multiple of D = 3"));
        let mut bad = x.clone();
        bad[4] = f32::INFINITY;
        assert!(msg(principal_components(&bad, 3, 1)).contains("item index 1"));
        // Rank 1 (all points on a line in ℝ³): whiten refuses component 1, pca does not.
        let line: Vec<f32> = (0..10)
            .flat_map(|i| [i as f32, 2.0 * i as f32, -(i as f32)])
            .collect();
        let pca = principal_components(&line, 3, 2).unwrap();
        assert!(project(&line, 3, &pca, false).is_ok());
        let e = project(&line, 3, &pca, true).unwrap_err().to_string();
        assert!(
            e.contains("component 1") && e.contains("1e-12 · λ_max"),
            "{e}"
        );
        assert!(project(&line, 3, &principal_components(&line, 3, 1).unwrap(), true).is_ok());
    }
}
