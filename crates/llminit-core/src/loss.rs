//! Loss terms shared by the models: BPR and the embedding-norm regularizer (DESIGN.md §2).

/// How a per-example loss is reduced over the batch. LightGCN and MF-BPR average (RecBole's
/// `BPRLoss`); SGL sums its BPR term. The reduction is always named at the call site.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Reduction {
    Mean,
    Sum,
}

const GAMMA: f64 = 1e-10;

#[inline]
fn sigmoid(x: f64) -> f64 {
    if x >= 0.0 {
        1.0 / (1.0 + (-x).exp())
    } else {
        let e = x.exp();
        e / (1.0 + e)
    }
}

/// BPR on score differences x_b = s(u,i⁺) − s(u,i⁻): ℓ_b = −log(1e-10 + σ(x_b)), as RecBole's
/// `BPRLoss`. Writes ∂loss/∂x_b into `dx` and returns the reduced loss.
/// ∂ℓ/∂x = −σ(x)(1 − σ(x)) / (1e-10 + σ(x)), divided by B for `Mean`.
pub fn bpr(x: &[f32], reduction: Reduction, dx: &mut [f32]) -> f64 {
    assert_eq!(x.len(), dx.len(), "bpr: dx length");
    let scale = match reduction {
        Reduction::Mean => 1.0 / x.len().max(1) as f64,
        Reduction::Sum => 1.0,
    };
    let mut total = 0.0;
    for (&x, d) in x.iter().zip(dx.iter_mut()) {
        let s = sigmoid(x as f64);
        total += -(GAMMA + s).ln();
        *d = (-s * (1.0 - s) / (GAMMA + s) * scale) as f32;
    }
    total * scale
}

/// ‖E[rows]‖_F, the Frobenius norm of the gathered block (rows may repeat), not squared — the
/// term RecBole's `EmbLoss(require_pow=False)` adds per table. Adds `weight · ∂‖·‖/∂E` into
/// `grad` (E[r]/‖block‖ for each occurrence of r) and returns the norm.
pub fn gathered_norm(
    table: &[f32],
    rows: &[u32],
    dim: usize,
    weight: f32,
    grad: &mut [f32],
) -> f64 {
    let sq: f64 = rows
        .iter()
        .map(|&r| {
            table[r as usize * dim..(r as usize + 1) * dim]
                .iter()
                .map(|&v| (v as f64) * (v as f64))
                .sum::<f64>()
        })
        .sum();
    let norm = sq.sqrt();
    if norm > 0.0 && weight != 0.0 {
        let k = (weight as f64 / norm) as f32;
        for &r in rows {
            let r = r as usize;
            let (src, dst) = (
                &table[r * dim..(r + 1) * dim],
                &mut grad[r * dim..(r + 1) * dim],
            );
            for (g, &v) in dst.iter_mut().zip(src) {
                *g += k * v;
            }
        }
    }
    norm
}

#[cfg(test)]
mod tests {
    use super::*;

    /// x = 0 → σ = 0.5, ℓ = ln 2 = 0.693147; ∂ℓ/∂x = −0.25 / 0.5 = −0.5.
    /// x = 2 → σ = 0.880797, ℓ = 0.126928, ∂ℓ/∂x = −(1 − σ) = −0.119203.
    #[test]
    fn bpr_values_and_reductions() {
        let mut dx = [0.0; 2];
        let mean = bpr(&[0.0, 2.0], Reduction::Mean, &mut dx);
        assert!((mean - (std::f64::consts::LN_2 + 0.126928) / 2.0).abs() < 1e-6);
        assert!((dx[0] + 0.25).abs() < 1e-6 && (dx[1] + 0.0596015).abs() < 1e-6);
        let sum = bpr(&[0.0, 2.0], Reduction::Sum, &mut dx);
        assert!((sum - (std::f64::consts::LN_2 + 0.126928)).abs() < 1e-6);
        assert!((dx[0] + 0.5).abs() < 1e-6);
    }

    #[test]
    fn bpr_is_finite_for_large_margins() {
        let mut dx = [0.0; 2];
        let l = bpr(&[-80.0, 80.0], Reduction::Sum, &mut dx);
        assert!(l.is_finite() && (l - 10.0 * std::f64::consts::LN_10).abs() < 1e-3);
        assert!(dx.iter().all(|d| d.is_finite()));
    }

    /// Rows [3, 4] and [0, 0], with row 0 gathered twice: ‖·‖ = √(9 + 16 + 9 + 16) = √50.
    #[test]
    fn norm_of_a_gathered_block_counts_repeats() {
        let table = [3.0, 4.0, 0.0, 0.0];
        let mut grad = [0.0; 4];
        let n = gathered_norm(&table, &[0, 1, 0], 2, 1.0, &mut grad);
        assert!((n - 50f64.sqrt()).abs() < 1e-9);
        let k = 2.0 / 50f32.sqrt();
        assert!((grad[0] - 3.0 * k).abs() < 1e-6 && (grad[1] - 4.0 * k).abs() < 1e-6);
    }
}
