//! Explicit parallelism for kernels: the caller decides, the kernel obeys. Rayon work runs on
//! whatever pool is current (the binding installs one sized by `threads`). Every parallel kernel
//! splits work by output rows, so results are bit-identical for any number of threads.

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Parallelism {
    Sequential,
    Rayon,
}
