//! Lock strategies for shared objects, as Rust attributes: the Python GIL debate, made real.
//!
//! - [`macro@global_lock`]: one global lock (the GIL) and a token that proves it is held.
//! - [`macro@atomic_rc`]: atomic, biased or immortal reference counts, no global lock
//!   ([`refcount`], [`stats`]).
//!
//! Everything is model-checked with loom; see the README.

pub use gil_macros::atomic_rc;
pub use gil_macros::global_lock;
pub use gil_runtime::{refcount, stats};
pub use gil_runtime::{
    acquire, set_switch_interval, switch_interval, try_acquire, with_gil, Gil, GilCell, GilGuard,
    GilRc, GilStats, TryAcquireError, DEFAULT_SWITCH_INTERVAL,
};

#[doc(hidden)]
pub use gil_runtime::__private;
