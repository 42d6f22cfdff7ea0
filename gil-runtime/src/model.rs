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

/// Shared ownership, locks and atomics that loom sees under `--cfg loom`: loom's types then,
/// `std`'s otherwise, with `std`'s API in both builds.
pub mod sync {
    pub use crate::sync::model::{Mutex, MutexGuard, RwLock, RwLockReadGuard, RwLockWriteGuard};
    pub use crate::sync::Arc;

    /// Atomics that loom sees under `--cfg loom`.
    pub mod atomic {
        pub use crate::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
    }
}

#[doc(inline)]
pub use crate::__model_statics as statics;

/// Declares `static`s that a model can use: plain `static`s normally, and under `--cfg loom`
/// statics that loom creates afresh in every execution (as `loom::lazy_static!`), since loom's
/// locks and cells have no `const` constructor and each execution must start from the initial
/// value. Use the static as usual: under loom it dereferences to the value, so method calls, and
/// `&NAME` where a `&T` is expected, read the same in both builds (in a generic position, as
/// `fn f<T>(x: &T)`, `&NAME` has another type under loom: write `f::<Ty>(&NAME)`). Write
/// `'static` in a type with references (`&'static str`): under loom the type also appears where
/// an elided lifetime does not mean `'static`. `#[cfg]` on a static works in both builds, also
/// for alternatives of one name.
///
/// ```
/// # use gil_runtime as gilkit;
/// use gilkit::field_lock::{FieldLock, LockClass};
/// use gilkit::model::{self, thread};
/// use gilkit::GilCell;
///
/// gilkit::model::statics! {
///     /// Requests served, under the GIL.
///     static SERVED: GilCell<u64> = GilCell::new(0);
///     static TOTAL: FieldLock<u64> = FieldLock::new(0);
/// }
/// static TOTAL_CLASS: LockClass = LockClass::new("TOTAL");
///
/// model::model(|| {
///     let t = thread::spawn(|| {
///         gilkit::with_gil(|g| *SERVED.get_mut(g) += 1);
///         *TOTAL.lock(&TOTAL_CLASS) += 1;
///     });
///     gilkit::with_gil(|g| *SERVED.get_mut(g) += 1);
///     *TOTAL.lock(&TOTAL_CLASS) += 1;
///     t.join().unwrap();
///     // Under loom every execution starts from 0; a stress run keeps counting.
///     assert!(*TOTAL.lock(&TOTAL_CLASS) >= 2);
/// });
/// ```
#[macro_export]
#[cfg(not(loom))]
macro_rules! __model_statics {
    ($($(#[$m:meta])* $vis:vis static $name:ident: $ty:ty = $init:expr;)*) => {
        $($(#[$m])* $vis static $name: $ty = $init;)*
    };
}

/// Under loom: for each static, a unit struct and a static of it, which dereferences to the
/// value of the current execution (the shape of `loom::lazy_static!`, whose own macro cannot take
/// a visibility from another macro). A static's `#[cfg]`s gate all three items, its other
/// attributes only the static.
#[doc(hidden)]
#[macro_export]
#[cfg(loom)]
macro_rules! __model_statics {
    () => {};
    ($(#[$($m:tt)*])* $vis:vis static $name:ident: $ty:ty = $init:expr; $($rest:tt)*) => {
        $crate::__model_statics!(@sort [] [] $(#[$($m)*])* ; $vis static $name: $ty = $init);
        $crate::__model_statics!($($rest)*);
    };
    (@sort [$($cfg:tt)*] [$($other:tt)*] #[cfg $c:tt] $($rest:tt)*) => {
        $crate::__model_statics!(@sort [$($cfg)* #[cfg $c]] [$($other)*] $($rest)*);
    };
    (@sort [$($cfg:tt)*] [$($other:tt)*] #[$($m:tt)*] $($rest:tt)*) => {
        $crate::__model_statics!(@sort [$($cfg)*] [$($other)* #[$($m)*]] $($rest)*);
    };
    (@sort [$($cfg:tt)*] [$($other:tt)*] ; $vis:vis static $name:ident: $ty:ty = $init:expr) => {
        $($cfg)*
        #[allow(non_camel_case_types, reason = "named like the static it stands for")]
        #[doc(hidden)]
        $vis struct $name {
            __gil_private: (),
        }
        $($cfg)*
        $($other)*
        $vis static $name: $name = $name { __gil_private: () };
        $($cfg)*
        impl ::core::ops::Deref for $name {
            type Target = $ty;
            fn deref(&self) -> &$ty {
                fn __gil_init() -> $ty {
                    $init
                }
                static __GIL_VALUE: $crate::__private::Global<$ty> =
                    $crate::__private::Global::new(__gil_init);
                __GIL_VALUE.get()
            }
        }
    };
}
