//! Lock strategies for shared objects, as Rust attributes: the Python GIL debate, made real.
//!
//! - [`macro@global_lock`]: one global lock (the GIL) and a token that proves it is held.
//! - [`macro@per_field_lock`]: a lock per field, taken in one global order, with a lock-order
//!   validator; see [`field_lock`].
//!
//! Everything is model-checked with loom; see the README.

pub use gil_macros::global_lock;
pub use gil_macros::per_field_lock;
pub use gil_runtime::field_lock;
pub use gil_runtime::{
    acquire, set_switch_interval, switch_interval, try_acquire, with_gil, Gil, GilCell, GilGuard,
    GilRc, GilStats, TryAcquireError, DEFAULT_SWITCH_INTERVAL,
};

#[doc(hidden)]
pub use gil_runtime::__private;
