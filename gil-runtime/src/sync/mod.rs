//! The one place the runtime gets its synchronization from.
//!
//! Normally this re-exports `std` and `parking_lot`. Under `--cfg loom` it re-exports `loom`,
//! behind the same parking_lot-shaped API, so that loom sees every lock, atomic and shared cell.
//! No other module of the runtime names `std::sync`, `parking_lot` or `loom` directly.
//!
//! The API, identical in both builds:
//! - [`atomic`]: the atomics, `Ordering` and `fence`, and [`acquire_fence`] for the free after
//!   a last decrement;
//! - [`stat`]: `const`-constructible counters for statistics, never modelled by loom;
//! - `Arc`, `Mutex`/`MutexGuard`, `RwLock` and its guards, `Condvar` (parking_lot-shaped: `lock()`
//!   returns the guard, `Condvar::wait(&mut guard)` and `wait_for`, whose expiry loom models once
//!   per thread);
//! - [`UnsafeCell`] with `with`/`with_mut`;
//! - `thread` (spawn, `yield_now`, `current`), the `thread_local!` and `thread_local_const!`
//!   macros, and the `global!` macro and `Global` type for statics that loom re-creates in every
//!   execution.

#[cfg(not(loom))]
mod std_impl;
#[cfg(not(loom))]
pub use std_impl::*;

#[cfg(loom)]
mod loom_impl;
#[cfg(loom)]
pub use loom_impl::*;

/// The `Acquire` fence that follows an RMW on `atomic` which saw a count reach zero, so that the
/// freeing thread sees every other thread's use of the object (`Arc`'s protocol).
///
/// The thread sanitizer does not model standalone fences and would report the free as a race.
/// Built for it (`cfg(gil_tsan)`, which `build.rs` sets under `-Zsanitizer=thread`), this is an
/// `Acquire` load of the same atomic instead, as std's `Arc` does: it reads the value of that
/// RMW or a later one, so it synchronizes with the same release sequence.
#[inline]
pub(crate) fn acquire_fence(atomic: &atomic::AtomicUsize) {
    #[cfg(gil_tsan)]
    atomic.load(atomic::Ordering::Acquire);
    #[cfg(not(gil_tsan))]
    {
        let _ = atomic;
        atomic::fence(atomic::Ordering::Acquire);
    }
}

/// Declares a function returning a `&'static` global that loom re-creates in every execution.
///
/// Normally the global is a plain `static`, so `$init` must be a constant expression; under loom it
/// is a `loom::lazy_static!`.
macro_rules! global {
    ($(#[$m:meta])* $vis:vis fn $name:ident() -> &'static $ty:ty { $init:expr }) => {
        $(#[$m])*
        #[cfg(not(loom))]
        #[inline]
        $vis fn $name() -> &'static $ty {
            static VALUE: $ty = $init;
            &VALUE
        }
        $(#[$m])*
        #[cfg(loom)]
        $vis fn $name() -> &'static $ty {
            ::loom::lazy_static! {
                static ref VALUE: $ty = $init;
            }
            &VALUE
        }
    };
}
pub(crate) use global;

/// Declares a function that is `const` normally and a plain function under loom, whose types have
/// no `const` constructors.
macro_rules! const_unless_loom {
    ($(#[$m:meta])* $vis:vis fn $name:ident($($arg:ident: $ty:ty),*) -> $ret:ty $body:block) => {
        $(#[$m])*
        #[cfg(not(loom))]
        $vis const fn $name($($arg: $ty),*) -> $ret $body
        $(#[$m])*
        #[cfg(loom)]
        $vis fn $name($($arg: $ty),*) -> $ret $body
    };
}
pub(crate) use const_unless_loom;

/// Declares a thread-local with a constant initializer: `const`-initialized (no lazy check) from
/// std normally, a `loom::thread_local!` under loom so that every execution starts fresh.
macro_rules! thread_local_const {
    ($(#[$m:meta])* static $name:ident: $ty:ty = $init:expr;) => {
        #[cfg(not(loom))]
        ::std::thread_local! { $(#[$m])* static $name: $ty = const { $init }; }
        #[cfg(loom)]
        ::loom::thread_local! { $(#[$m])* static $name: $ty = $init; }
    };
}
pub(crate) use thread_local_const;
