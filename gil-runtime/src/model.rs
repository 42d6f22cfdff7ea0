//! Model-check your own annotated types.
//!
//! [`model`] runs a scenario exhaustively under loom when built with `--cfg loom`, and as a
//! bounded stress run on real threads otherwise, so that one test serves both builds. Spawn
//! threads with [`thread::spawn`] and share with [`sync::Arc`] from this module: they are loom's
//! under loom, so loom sees every interleaving.
//!
//! ```
//! # use gil_runtime as gilkit;
//! use gilkit::model::{self, sync::Arc, thread};
//! use gilkit::GilCell;
//!
//! model::model(|| {
//!     let counter = Arc::new(GilCell::new(0));
//!     let c = counter.clone();
//!     let t = thread::spawn(move || gilkit::with_gil(|g| *c.get_mut(g) += 1));
//!     gilkit::with_gil(|g| *counter.get_mut(g) += 1);
//!     t.join().unwrap();
//!     assert_eq!(gilkit::with_gil(|g| *counter.get(g)), 2);
//! });
//! ```
//!
//! Run it under loom with
//! `RUSTFLAGS="--cfg loom" cargo test --release --target-dir target/loom --test your_test`.

/// How many times [`model`] runs the scenario on real threads; `GIL_MODEL_ITERS` overrides it.
pub const DEFAULT_STRESS_ITERATIONS: usize = 200;

/// Runs `scenario` under every interleaving loom can find (`--cfg loom`), or
/// [`DEFAULT_STRESS_ITERATIONS`] times on real threads.
pub fn model<F>(scenario: F)
where
    F: Fn() + Sync + Send + 'static,
{
    #[cfg(loom)]
    loom::model(scenario);
    #[cfg(not(loom))]
    {
        let iterations = std::env::var("GIL_MODEL_ITERS")
            .ok()
            .and_then(|v| v.parse().ok())
            .unwrap_or(DEFAULT_STRESS_ITERATIONS);
        for _ in 0..iterations {
            scenario();
        }
    }
}

/// Threads that loom sees under `--cfg loom`: `spawn`, `yield_now`, `JoinHandle`.
pub mod thread {
    pub use crate::sync::thread::{spawn, yield_now, JoinHandle};
}

/// Shared ownership and atomics that loom sees under `--cfg loom`.
pub mod sync {
    pub use crate::sync::Arc;

    /// Atomics that loom sees under `--cfg loom`.
    pub mod atomic {
        pub use crate::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
    }
}
