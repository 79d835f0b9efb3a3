//! Where binding calls run and how their failures come back: rayon pools by size, the default
//! thread count, and the guard that turns a core error into a JS error and a panic into
//! `[ERR_LLMINIT_INTERNAL]`, so that neither crosses into Node unconverted.

use std::collections::HashMap;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::{Arc, Mutex, OnceLock};

use llminit_core::Error as CoreError;
use napi::bindgen_prelude::*;

use crate::convert::to_js_error;

/// Rayon pools by size, kept for the life of the process: starting a pool costs tens of ms on a
/// loaded machine — more than a propagation layer — and kernel calls are made in loops. Idle
/// workers sleep; there is one pool per distinct `threads` value used.
static POOLS: OnceLock<Mutex<HashMap<usize, Arc<rayon::ThreadPool>>>> = OnceLock::new();

pub fn pool(threads: usize) -> std::result::Result<Arc<rayon::ThreadPool>, CoreError> {
    let mut pools = POOLS
        .get_or_init(Default::default)
        .lock()
        .unwrap_or_else(|p| p.into_inner());
    if let Some(p) = pools.get(&threads) {
        return Ok(p.clone());
    }
    let p = rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build()
        .map_err(|e| {
            CoreError::InvalidInput(format!("cannot start {threads} worker threads: {e}"))
        })?;
    Ok(pools.entry(threads).or_insert(Arc::new(p)).clone())
}

/// `catch_unwind` around `f`, with both failure kinds converted to JS errors.
pub fn guard<T>(f: impl FnOnce() -> std::result::Result<T, CoreError>) -> Result<T> {
    match catch_unwind(AssertUnwindSafe(f)) {
        Ok(Ok(v)) => Ok(v),
        Ok(Err(e)) => Err(to_js_error(e)),
        Err(panic) => {
            let what = panic
                .downcast_ref::<&str>()
                .map(|s| s.to_string())
                .or_else(|| panic.downcast_ref::<String>().cloned())
                .unwrap_or_else(|| "unknown panic".into());
            Err(Error::new(
                Status::GenericFailure,
                format!("[ERR_LLMINIT_INTERNAL] internal error: {what}"),
            ))
        }
    }
}

/// Runs `f` on the pool of `threads` workers, guarded.
pub fn run_guarded<T: Send>(
    threads: usize,
    f: impl FnOnce() -> std::result::Result<T, CoreError> + Send,
) -> Result<T> {
    guard(move || pool(threads)?.install(f))
}

/// `threads` as given (at least 1), or all cores.
pub fn threads_or_default(threads: Option<u32>) -> Result<usize> {
    match threads {
        Some(0) => Err(to_js_error(CoreError::InvalidParam {
            name: "threads",
            reason: "must be at least 1".into(),
        })),
        Some(n) => Ok(n as usize),
        None => Ok(std::thread::available_parallelism().map_or(1, |n| n.get())),
    }
}
