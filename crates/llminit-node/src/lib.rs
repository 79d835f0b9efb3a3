//! The Node.js binding of llminit-core: converts typed arrays and options, schedules training
//! on the libuv thread pool, relays progress and cancellation. No numerics live here.

mod convert;
mod kernels;
mod sched;
pub use kernels::*;
mod select;
pub use select::*;
mod train_task;

pub use convert::*;
pub use train_task::*;
