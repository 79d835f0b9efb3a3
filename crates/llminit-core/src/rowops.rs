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

/// e^x in f32 without a libm call or a branch, so loops over it vectorize (Cephes `expf`:
/// x = n·ln2 + r, |r| ≤ ln2/2, a degree-6 polynomial for e^r, 2^n through the exponent bits);
/// x is clamped to [−87, 88] first. Within 2 ulp of `f32::exp` there (tested). Plain arithmetic
/// (no fused multiply-adds are formed), so every target gives the same bits.
#[inline(always)]
pub(crate) fn exp_f32(x: f32) -> f32 {
    const LOG2E: f32 = std::f32::consts::LOG2_E;
    const LN2_HI: f32 = 0.693_359_4;
    const LN2_LO: f32 = -2.121_944_4e-4;
    const ROUND: f32 = 12_582_912.0; // 1.5 · 2^23: adding it rounds to an integer
    let x = x.clamp(-87.0, 88.0);
    let shifted = x * LOG2E + ROUND;
    let n = shifted - ROUND;
    // n as an integer, read from the mantissa of `shifted` (exactly n + 1.5·2^23): a bit cast
    // vectorizes where a float-to-int conversion does not.
    let n_int = shifted.to_bits() as i32 - ROUND.to_bits() as i32;
    let r = (x - n * LN2_HI) - n * LN2_LO;
    let mut p = 1.987_569_1e-4f32;
    p = p * r + 1.398_199_9e-3;
    p = p * r + 8.333_452e-3;
    p = p * r + 4.166_579_6e-2;
    p = p * r + 1.666_666_5e-1;
    p = p * r + 0.5;
    let e = (p * r) * r + r + 1.0;
    e * f32::from_bits(((n_int + 127) as u32) << 23)
}

/// Σ_j e^{row_j − shift}: eight partial sums (element j into sum j mod 8, in order), added in a
/// fixed order. The exponentials are taken 64 at a time into a buffer first: an elementwise loop
/// vectorizes at full width, where exp inside the eight-way reduction did not.
#[multiversion(targets("x86_64+avx2+fma", "aarch64+neon"))]
pub(crate) fn sum_exp(row: &[f32], shift: f32) -> f32 {
    let mut acc = [0f32; 8];
    let mut buf = [0f32; 64];
    let add = |acc: &mut [f32; 8], e: &[f32]| {
        for c in e.chunks_exact(8) {
            for k in 0..8 {
                acc[k] += c[k];
            }
        }
    };
    let chunks = row.chunks_exact(64);
    let rest = chunks.remainder();
    for c in chunks {
        for (b, &v) in buf.iter_mut().zip(c) {
            *b = exp_f32(v - shift);
        }
        add(&mut acc, &buf);
    }
    let whole = rest.len() / 8 * 8;
    for (b, &v) in buf.iter_mut().zip(rest) {
        *b = exp_f32(v - shift);
    }
    add(&mut acc, &buf[..whole]);
    let tail: f32 = buf[whole..rest.len()].iter().sum();
    (acc[0] + acc[4]) + (acc[1] + acc[5]) + (acc[2] + acc[6]) + (acc[3] + acc[7]) + tail
}

/// `row_j ← scale · e^{row_j − shift}`.
#[multiversion(targets("x86_64+avx2+fma", "aarch64+neon"))]
pub(crate) fn scaled_exp(row: &mut [f32], shift: f32, scale: f32) {
    for v in row.iter_mut() {
        *v = exp_f32(*v - shift) * scale;
    }
}

/// The largest entry (−∞ for an empty row; NaN entries are skipped).
#[multiversion(targets("x86_64+avx2+fma", "aarch64+neon"))]
pub(crate) fn row_max(row: &[f32]) -> f32 {
    let mut acc = [f32::NEG_INFINITY; 8];
    let chunks = row.chunks_exact(8);
    let rest = chunks.remainder();
    for c in chunks {
        for k in 0..8 {
            acc[k] = if c[k] > acc[k] { c[k] } else { acc[k] };
        }
    }
    let mut m = rest
        .iter()
        .fold(f32::NEG_INFINITY, |m, &v| if v > m { v } else { m });
    for a in acc {
        m = if a > m { a } else { m };
    }
    m
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fast_exp_is_within_two_ulp_of_libm() {
        let mut worst = 0u32;
        let mut x = -87.0f32;
        while x < 88.0 {
            let (a, b) = (exp_f32(x), x.exp());
            worst = worst.max((a.to_bits() as i64 - b.to_bits() as i64).unsigned_abs() as u32);
            x += 0.000_97;
        }
        assert!(worst <= 2, "{worst} ulp");
        assert_eq!(exp_f32(0.0), 1.0);
        assert!(exp_f32(-100.0) < 1e-37 && exp_f32(100.0) > 1e38);
        let mut row: Vec<f32> = (0..19).map(|k| k as f32 * 0.3 - 2.0).collect();
        assert_eq!(row_max(&row), 18.0 * 0.3 - 2.0);
        let want: f32 = row.iter().map(|v| (v - 1.0).exp()).sum();
        let got = sum_exp(&row, 1.0);
        assert!((got - want).abs() < 1e-5 * want);
        scaled_exp(&mut row, 1.0, 2.0);
        assert!((row[3] - 2.0 * (3.0f32 * 0.3 - 3.0).exp()).abs() < 1e-6);
    }

    /// The buffered sum adds exactly as the plain eight-accumulator loop did (element j into
    /// sum j mod 8, in order, then the tail): same bits for every length 0..200.
    #[test]
    fn sum_exp_keeps_the_eight_accumulator_order() {
        let plain = |row: &[f32], shift: f32| {
            let mut acc = [0f32; 8];
            let chunks = row.chunks_exact(8);
            let rest = chunks.remainder();
            for c in chunks {
                for k in 0..8 {
                    acc[k] += exp_f32(c[k] - shift);
                }
            }
            let tail: f32 = rest.iter().map(|&v| exp_f32(v - shift)).sum();
            (acc[0] + acc[4]) + (acc[1] + acc[5]) + (acc[2] + acc[6]) + (acc[3] + acc[7]) + tail
        };
        let row: Vec<f32> = (0..200)
            .map(|i| ((i * 7919) % 1000) as f32 / 137.0 - 3.0)
            .collect();
        for n in 0..200 {
            assert_eq!(
                sum_exp(&row[..n], 1.5).to_bits(),
                plain(&row[..n], 1.5).to_bits(),
                "length {n}"
            );
        }
    }
}
