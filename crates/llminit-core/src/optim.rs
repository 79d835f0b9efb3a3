//! Optimizers over flat parameter buffers. [`Adam`] follows `torch.optim.Adam` (β = 0.9/0.999,
//! ε = 1e-8, no weight decay, not amsgrad) step for step: dense — every parameter moves every
//! step, including rows whose gradient is zero, as PyTorch does for dense embeddings.

use rayon::prelude::*;

use crate::rowops::adam_update;
use crate::Parallelism;

pub trait Optimizer {
    /// Applies one step to `params[k]` with gradients `grads[k]`; all slices keep their lengths
    /// between calls (the optimizer's state is sized on the first step).
    fn step(&mut self, params: &mut [&mut [f32]], grads: &[&[f32]], par: Parallelism);
}

#[derive(Clone, Debug)]
pub struct Adam {
    pub lr: f32,
    pub beta1: f32,
    pub beta2: f32,
    pub eps: f32,
    t: i32,
    m: Vec<Vec<f32>>,
    v: Vec<Vec<f32>>,
}

impl Adam {
    /// PyTorch's defaults with the given learning rate.
    pub fn new(lr: f32) -> Self {
        Adam {
            lr,
            beta1: 0.9,
            beta2: 0.999,
            eps: 1e-8,
            t: 0,
            m: Vec::new(),
            v: Vec::new(),
        }
    }

    pub fn steps_taken(&self) -> i32 {
        self.t
    }
}

const CHUNK: usize = 16 * 1024;

impl Optimizer for Adam {
    fn step(&mut self, params: &mut [&mut [f32]], grads: &[&[f32]], par: Parallelism) {
        assert_eq!(
            params.len(),
            grads.len(),
            "Adam::step: one gradient per parameter"
        );
        if self.m.is_empty() {
            self.m = params.iter().map(|p| vec![0.0; p.len()]).collect();
            self.v = params.iter().map(|p| vec![0.0; p.len()]).collect();
        }
        self.t += 1;
        let (b1, b2, eps) = (self.beta1, self.beta2, self.eps);
        // torch: step_size = lr / (1 - β1^t); denom = sqrt(v) / sqrt(1 - β2^t) + ε
        let bc1 = 1.0 - b1.powi(self.t);
        let bc2_sqrt = (1.0 - b2.powi(self.t)).sqrt();
        let step_size = self.lr / bc1;
        let update = move |p: &mut [f32], g: &[f32], m: &mut [f32], v: &mut [f32]| {
            adam_update(p, g, m, v, b1, b2, eps, bc2_sqrt, step_size)
        };
        for (k, p) in params.iter_mut().enumerate() {
            let g = grads[k];
            assert_eq!(p.len(), g.len(), "Adam::step: gradient {k} length");
            assert_eq!(
                p.len(),
                self.m[k].len(),
                "Adam::step: parameter {k} changed size"
            );
            let (m, v) = (&mut self.m[k], &mut self.v[k]);
            match par {
                Parallelism::Sequential => update(p, g, m, v),
                Parallelism::Rayon => p
                    .par_chunks_mut(CHUNK)
                    .zip(g.par_chunks(CHUNK))
                    .zip(m.par_chunks_mut(CHUNK))
                    .zip(v.par_chunks_mut(CHUNK))
                    .for_each(|(((p, g), m), v)| update(p, g, m, v)),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Expected values from `_single_tensor_adam` of torch/optim/adam.py, written out in Python:
    /// ```python
    /// import math
    /// p = [1.0, -2.0, 0.5]; m = [0.0] * 3; v = [0.0] * 3; lr, b1, b2, eps = 0.1, 0.9, 0.999, 1e-8
    /// for t, g in enumerate(([0.5, -1.0, 0.0], [0.1, 2.0, 0.0], [-0.3, 0.0, 1.0]), 1):
    ///     for k in range(3):
    ///         m[k] = b1 * m[k] + (1 - b1) * g[k]; v[k] = b2 * v[k] + (1 - b2) * g[k] ** 2
    ///         p[k] -= lr / (1 - b1 ** t) * m[k] / (math.sqrt(v[k]) / math.sqrt(1 - b2 ** t) + eps)
    /// print(p)  # [0.798624611763508, -1.9649102620009304, 0.43611864116605287]
    /// ```
    /// Hand check of the first step: m̂ = g, v̂ = g², so each non-zero coordinate moves by
    /// lr·sign(g) (up to ε): [0.9, -1.9, 0.5].
    #[test]
    fn matches_torch_adam() {
        let mut p = vec![1.0f32, -2.0, 0.5];
        let mut adam = Adam::new(0.1);
        let gs = [[0.5f32, -1.0, 0.0], [0.1, 2.0, 0.0], [-0.3, 0.0, 1.0]];
        adam.step(&mut [&mut p], &[&gs[0]], Parallelism::Sequential);
        for (a, b) in p.iter().zip([0.9f32, -1.9, 0.5]) {
            assert!((a - b).abs() < 1e-6, "{a} vs {b}");
        }
        for g in &gs[1..] {
            adam.step(&mut [&mut p], &[g], Parallelism::Sequential);
        }
        for (a, b) in p.iter().zip([0.798_624_6f32, -1.964_910_3, 0.436_118_64]) {
            assert!((a - b).abs() < 2e-6, "{a} vs {b}");
        }
    }

    #[test]
    fn zero_gradient_rows_still_move_with_momentum() {
        let mut p = vec![0.0f32; 2];
        let mut adam = Adam::new(0.01);
        adam.step(&mut [&mut p], &[&[1.0, 0.0]], Parallelism::Sequential);
        let after_first = p[0];
        adam.step(&mut [&mut p], &[&[0.0, 0.0]], Parallelism::Sequential);
        assert!(
            p[0] < after_first,
            "dense Adam keeps moving a row with zero gradient"
        );
        assert_eq!(p[1], 0.0);
    }

    #[test]
    fn parallel_matches_sequential() {
        let n = 100_000;
        let grads: Vec<f32> = (0..n)
            .map(|k| ((k * 7919) % 1000) as f32 / 500.0 - 1.0)
            .collect();
        let mut a = vec![0.5f32; n];
        let mut b = a.clone();
        let (mut oa, mut ob) = (Adam::new(1e-3), Adam::new(1e-3));
        for _ in 0..3 {
            oa.step(&mut [&mut a], &[&grads], Parallelism::Sequential);
            ob.step(&mut [&mut b], &[&grads], Parallelism::Rayon);
        }
        assert_eq!(a, b);
    }
}
