//! The shim under `--cfg loom`: loom's types behind `parking_lot`'s API.

use std::time::Duration;

pub(crate) use loom::cell::UnsafeCell;
pub use loom::sync::Arc;
pub use loom::thread;
pub(crate) use loom::thread_local;

/// A value for a `static`, created on first use in each loom execution (a `loom::lazy_static!`),
/// from a function since loom's types have no `const` constructors.
#[doc(hidden)]
pub struct Global<T: 'static>(loom::lazy_static::Lazy<T>);

impl<T: 'static> Global<T> {
    /// A global made by `init`, once per execution.
    pub const fn new(init: fn() -> T) -> Self {
        Self(loom::lazy_static::Lazy {
            init,
            _p: std::marker::PhantomData,
        })
    }

    /// The value of this execution, made on first use.
    pub fn get(&'static self) -> &'static T {
        self.0.get()
    }
}

/// The locks [`crate::model::sync`] hands to users: `std`'s API, loom's types.
pub mod model {
    pub use loom::sync::{Mutex, MutexGuard, RwLock, RwLockReadGuard, RwLockWriteGuard};
}

/// Atomics: `loom::sync::atomic`.
pub mod atomic {
    pub use loom::sync::atomic::*;
}

/// Statistics counters: `std`'s atomics, not loom's, because they are `const` constructible
/// (they live in statics of user crates, which outlive one loom execution) and take part in no
/// protocol that a model checks.
pub(crate) mod stat {
    pub(crate) use std::sync::atomic::{AtomicUsize, Ordering};
}

/// `loom::sync::Mutex` with `parking_lot`'s API: no poisoning, `lock()` returns the guard.
#[derive(Debug, Default)]
pub(crate) struct Mutex<T>(loom::sync::Mutex<T>);

/// The guard of [`Mutex`], and its mutex. The `Option` is empty only inside [`Condvar::wait`],
/// which lends the guard to loom; if loom panics there (a deadlock report), the empty guard drops
/// quietly.
pub(crate) struct MutexGuard<'a, T>(
    Option<loom::sync::MutexGuard<'a, T>>,
    &'a loom::sync::Mutex<T>,
);

impl<T> std::ops::Deref for MutexGuard<'_, T> {
    type Target = T;
    fn deref(&self) -> &T {
        self.0
            .as_ref()
            .expect("guard is lent out only inside Condvar::wait")
    }
}

impl<T> std::ops::DerefMut for MutexGuard<'_, T> {
    fn deref_mut(&mut self) -> &mut T {
        self.0
            .as_mut()
            .expect("guard is lent out only inside Condvar::wait")
    }
}

impl<T> Mutex<T> {
    pub(crate) fn new(value: T) -> Self {
        Self(loom::sync::Mutex::new(value))
    }

    pub(crate) fn lock(&self) -> MutexGuard<'_, T> {
        MutexGuard(Some(lock(&self.0)), &self.0)
    }

    pub(crate) fn try_lock(&self) -> Option<MutexGuard<'_, T>> {
        match self.0.try_lock() {
            Ok(guard) => Some(MutexGuard(Some(guard), &self.0)),
            Err(std::sync::TryLockError::Poisoned(poisoned)) => {
                Some(MutexGuard(Some(poisoned.into_inner()), &self.0))
            }
            Err(std::sync::TryLockError::WouldBlock) => None,
        }
    }

    pub(crate) fn into_inner(self) -> T {
        self.0
            .into_inner()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    pub(crate) fn get_mut(&mut self) -> &mut T {
        self.0
            .get_mut()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// loom's locks have no timeout: the model lets the timeout expire at once, so this is
    /// `try_lock`; loom still explores whether the lock is free at that point.
    pub(crate) fn try_lock_for(&self, _timeout: Duration) -> Option<MutexGuard<'_, T>> {
        self.try_lock()
    }
}

fn lock<T>(mutex: &loom::sync::Mutex<T>) -> loom::sync::MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// `loom::sync::RwLock` with `parking_lot`'s API.
#[derive(Debug)]
pub(crate) struct RwLock<T>(loom::sync::RwLock<T>);

/// The shared guard of [`RwLock`].
pub(crate) type RwLockReadGuard<'a, T> = loom::sync::RwLockReadGuard<'a, T>;
/// The exclusive guard of [`RwLock`].
pub(crate) type RwLockWriteGuard<'a, T> = loom::sync::RwLockWriteGuard<'a, T>;

impl<T> RwLock<T> {
    pub(crate) fn new(value: T) -> Self {
        Self(loom::sync::RwLock::new(value))
    }

    pub(crate) fn into_inner(self) -> T {
        self.0
            .into_inner()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    pub(crate) fn get_mut(&mut self) -> &mut T {
        self.0
            .get_mut()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    pub(crate) fn read(&self) -> RwLockReadGuard<'_, T> {
        self.0
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    pub(crate) fn write(&self) -> RwLockWriteGuard<'_, T> {
        self.0
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    pub(crate) fn try_read(&self) -> Option<RwLockReadGuard<'_, T>> {
        self.0.try_read().ok()
    }

    pub(crate) fn try_write(&self) -> Option<RwLockWriteGuard<'_, T>> {
        self.0.try_write().ok()
    }
}

/// `loom::sync::Condvar` with `parking_lot`'s API: `wait` takes the guard by `&mut`.
#[derive(Debug, Default)]
pub(crate) struct Condvar(loom::sync::Condvar);

impl Condvar {
    pub(crate) fn new() -> Self {
        Self(loom::sync::Condvar::new())
    }

    pub(crate) fn wait<T>(&self, guard: &mut MutexGuard<'_, T>) {
        let inner = guard
            .0
            .take()
            .expect("guard is lent out only inside Condvar::wait");
        guard.0 = Some(
            self.0
                .wait(inner)
                .unwrap_or_else(std::sync::PoisonError::into_inner),
        );
    }

    /// loom's waits never time out. The expiry of a timed wait is modelled once per thread: the
    /// first timed wait of each thread lets go of the mutex and takes it back at once, as a wait
    /// that ran out does, and reports a timeout; later ones wait for a notification. loom
    /// explores every interleaving of that expiry with the other threads.
    pub(crate) fn wait_for<T>(
        &self,
        guard: &mut MutexGuard<'_, T>,
        _timeout: Duration,
    ) -> WaitTimeoutResult {
        loom::thread_local! {
            static EXPIRED: std::cell::Cell<bool> = std::cell::Cell::new(false);
        }
        if EXPIRED.with(|expired| expired.replace(true)) {
            self.wait(guard);
            return WaitTimeoutResult(false);
        }
        drop(guard.0.take());
        guard.0 = Some(lock(guard.1));
        WaitTimeoutResult(true)
    }

    pub(crate) fn notify_one(&self) {
        self.0.notify_one();
    }

    pub(crate) fn notify_all(&self) {
        self.0.notify_all();
    }
}

/// Whether [`Condvar::wait_for`] ran out, as `parking_lot::WaitTimeoutResult`.
pub(crate) struct WaitTimeoutResult(bool);

impl WaitTimeoutResult {
    pub(crate) fn timed_out(&self) -> bool {
        self.0
    }
}
