//! The shim for ordinary builds: `std` and `parking_lot`.

#[cfg(feature = "deadlock-detection")]
pub(crate) use parking_lot::deadlock;
pub(crate) use parking_lot::{
    Condvar, Mutex, MutexGuard, RwLock, RwLockReadGuard, RwLockWriteGuard,
};
pub use std::sync::Arc;
pub use std::thread;
pub(crate) use std::thread_local;

/// A value for a `static`: the value itself (loom's re-creates it in every execution).
pub(crate) struct Global<T>(T);

impl<T> Global<T> {
    pub(crate) const fn new(value: T) -> Self {
        Self(value)
    }

    #[inline]
    pub(crate) fn get(&'static self) -> &'static T {
        &self.0
    }
}

/// The locks [`crate::model::sync`] hands to users: `std`'s.
pub mod model {
    pub use std::sync::{Mutex, MutexGuard, RwLock, RwLockReadGuard, RwLockWriteGuard};
}

/// Atomics: `std::sync::atomic`.
pub mod atomic {
    pub use std::sync::atomic::*;
}

/// Statistics counters: always `std`'s atomics, also under loom, because they are `const`
/// constructible (they live in statics of user crates) and take part in no protocol.
pub(crate) mod stat {
    pub(crate) use std::sync::atomic::{AtomicUsize, Ordering};
}

/// `core::cell::UnsafeCell` with loom's closure-based access, so one call site serves both builds.
#[derive(Debug, Default)]
#[repr(transparent)]
pub(crate) struct UnsafeCell<T: ?Sized>(core::cell::UnsafeCell<T>);

impl<T> UnsafeCell<T> {
    pub(crate) const fn new(value: T) -> Self {
        Self(core::cell::UnsafeCell::new(value))
    }

    pub(crate) fn into_inner(self) -> T {
        self.0.into_inner()
    }
}

impl<T: ?Sized> UnsafeCell<T> {
    /// Runs `f` with a shared pointer to the contents.
    #[inline]
    pub(crate) fn with<R>(&self, f: impl FnOnce(*const T) -> R) -> R {
        f(self.0.get())
    }

    /// Runs `f` with an exclusive pointer to the contents.
    #[inline]
    pub(crate) fn with_mut<R>(&self, f: impl FnOnce(*mut T) -> R) -> R {
        f(self.0.get())
    }
}
