//! Effective rank of an init table (Roy & Vetterli, 2007), an init diagnostic: how many
//! directions the item rows really span. With σ_1 … σ_d the singular values of the table
//! X (rows × d, uncentred) and p_k = σ_k / Σ σ, erank = exp(−Σ p_k ln p_k), between 1 (all rows
//! on one line) and d (all directions equally strong). Embedding collapse shows up as an erank
//! far below d.
//!
//! ```
//! use llminit_core::rank::effective_rank;
//! // Orthogonal rows of equal norm: both singular values equal, erank = 2.
//! assert!((effective_rank(&[1.0, 0.0, 0.0, 1.0], 2) - 2.0).abs() < 1e-9);
//! // Every row on one line: erank = 1.
//! assert!((effective_rank(&[1.0, 2.0, 2.0, 4.0, -1.0, -2.0], 2) - 1.0).abs() < 1e-6);
//! ```

use nalgebra::{DMatrix, SymmetricEigen};

use crate::pca::covariance;

/// The effective rank of the rows of `x` (rows × `d`, row-major); 0 for an empty or all-zero
/// table. Computed from the eigenvalues of XᵀX in f64, so it does not depend on the thread count.
pub fn effective_rank(x: &[f32], d: usize) -> f64 {
    if d == 0 || x.len() < d {
        return 0.0;
    }
    // covariance() with a zero mean is XᵀX / (n − 1): the scale cancels in p_k.
    let gram = covariance(x, d, &vec![0.0; d]);
    let eig = SymmetricEigen::new(DMatrix::from_vec(d, d, gram));
    // σ_k = √λ_k; tiny negative eigenvalues are rounding.
    let sigma: Vec<f64> = eig.eigenvalues.iter().map(|&l| l.max(0.0).sqrt()).collect();
    let total: f64 = sigma.iter().sum();
    if total <= 0.0 || !total.is_finite() {
        return 0.0;
    }
    let entropy: f64 = sigma
        .iter()
        .map(|&s| s / total)
        .filter(|&p| p > 0.0)
        .map(|p| -p * p.ln())
        .sum();
    entropy.exp()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_spectra() {
        // Singular values 3 and 1 (diagonal rows): p = (3/4, 1/4).
        let x = [3.0, 0.0, 0.0, 1.0f32];
        let p: [f64; 2] = [0.75, 0.25];
        let expected = (-(p[0] * p[0].ln() + p[1] * p[1].ln())).exp();
        assert!((effective_rank(&x, 2) - expected).abs() < 1e-9);
        // Identity of size 4 spans all four directions equally.
        let mut id = vec![0.0f32; 16];
        (0..4).for_each(|k| id[k * 5] = 1.0);
        assert!((effective_rank(&id, 4) - 4.0).abs() < 1e-9);
    }

    #[test]
    fn degenerate_tables() {
        assert_eq!(effective_rank(&[], 3), 0.0);
        assert_eq!(effective_rank(&[0.0; 6], 3), 0.0);
    }
}
