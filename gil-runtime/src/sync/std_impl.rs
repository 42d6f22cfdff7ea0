//! The shim for ordinary builds: `std` and `parking_lot`.

use std::time::Duration;

#[cfg(feature = "deadlock-detection")]
pub(crate) use parking_lot::deadlock;
pub(crate) use parking_lot::{
    Condvar, Mutex, MutexGuard, RwLock, RwLockReadGuard, RwLockWriteGuard,
};
pub use std::sync::Arc;
pub use std::thread;
pub(crate) use std::thread_local;

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

/// The raw lock under the GIL: a `parking_lot::RawMutex`, whose `unlock_fair` hands the lock
/// straight to the oldest waiter.
pub(crate) struct RawGil(parking_lot::RawMutex);

impl RawGil {
    pub(crate) const fn new() -> Self {
        Self(<parking_lot::RawMutex as parking_lot::lock_api::RawMutex>::INIT)
    }

    #[inline]
    pub(crate) fn try_lock(&self) -> bool {
        parking_lot::lock_api::RawMutex::try_lock(&self.0)
    }

    /// Blocks until the lock is taken, calling `on_expire` each time a wait of `interval` runs out.
    pub(crate) fn lock_waiting(&self, interval: Duration, mut on_expire: impl FnMut()) {
        while !parking_lot::lock_api::RawMutexTimed::try_lock_for(&self.0, interval) {
            on_expire();
        }
    }

    /// # Safety
    /// The calling thread holds the lock.
    #[inline]
    pub(crate) unsafe fn unlock(&self) {
        // SAFETY: the caller holds the lock.
        unsafe { parking_lot::lock_api::RawMutex::unlock(&self.0) }
    }

    /// Unlocks, handing the lock directly to a waiting thread if there is one.
    ///
    /// # Safety
    /// The calling thread holds the lock.
    pub(crate) unsafe fn unlock_fair(&self) {
        // SAFETY: the caller holds the lock.
        unsafe { parking_lot::lock_api::RawMutexFair::unlock_fair(&self.0) }
    }
}
