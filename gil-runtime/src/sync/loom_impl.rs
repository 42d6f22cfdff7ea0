//! The shim under `--cfg loom`: loom's types behind `parking_lot`'s API.

use std::collections::VecDeque;
use std::time::Duration;

pub(crate) use loom::cell::UnsafeCell;
pub use loom::sync::Arc;
pub use loom::thread;
pub(crate) use loom::thread_local;

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

/// The guard of [`Mutex`]. The `Option` is empty only inside [`Condvar::wait`], which lends the
/// guard to loom; if loom panics there (a deadlock report), the empty guard drops quietly.
pub(crate) struct MutexGuard<'a, T>(Option<loom::sync::MutexGuard<'a, T>>);

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
        MutexGuard(Some(
            self.0
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner),
        ))
    }

    pub(crate) fn try_lock(&self) -> Option<MutexGuard<'_, T>> {
        match self.0.try_lock() {
            Ok(guard) => Some(MutexGuard(Some(guard))),
            Err(std::sync::TryLockError::Poisoned(poisoned)) => {
                Some(MutexGuard(Some(poisoned.into_inner())))
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

    pub(crate) fn notify_one(&self) {
        self.0.notify_one();
    }

    pub(crate) fn notify_all(&self) {
        self.0.notify_all();
    }
}

/// A model of `parking_lot::RawMutex` as the GIL uses it: a lock with a FIFO of waiters, where
/// `unlock_fair` hands the lock to the oldest waiter.
///
/// loom's `wait_timeout` never times out, so the expiry of the switch interval is modelled by
/// calling `on_expire` once, right after a thread joins the queue. From there, loom explores every
/// interleaving of the drop request with the holder's checkpoints.
pub(crate) struct RawGil {
    state: Mutex<GilState>,
    changed: Condvar,
}

#[derive(Default)]
struct GilState {
    locked: bool,
    /// Tickets of the waiting threads, oldest first.
    queue: VecDeque<u64>,
    next_ticket: u64,
    /// The ticket the lock was handed to by `unlock_fair`; it stays locked for that thread.
    handed_to: Option<u64>,
}

impl RawGil {
    pub(crate) fn new() -> Self {
        Self {
            state: Mutex::new(GilState::default()),
            changed: Condvar::new(),
        }
    }

    pub(crate) fn try_lock(&self) -> bool {
        let mut state = self.state.lock();
        !std::mem::replace(&mut state.locked, true)
    }

    pub(crate) fn lock_waiting(&self, _interval: Duration, on_expire: impl FnOnce()) {
        let mut state = self.state.lock();
        if !state.locked {
            state.locked = true;
            return;
        }
        let ticket = state.next_ticket;
        state.next_ticket += 1;
        state.queue.push_back(ticket);
        drop(state);
        on_expire();
        let mut state = self.state.lock();
        loop {
            if state.handed_to == Some(ticket) {
                state.handed_to = None;
                return;
            }
            if !state.locked && state.handed_to.is_none() {
                state.queue.retain(|&t| t != ticket);
                state.locked = true;
                return;
            }
            self.changed.wait(&mut state);
        }
    }

    pub(crate) unsafe fn unlock(&self) {
        let mut state = self.state.lock();
        debug_assert!(state.locked);
        state.locked = false;
        drop(state);
        self.changed.notify_all();
    }

    pub(crate) unsafe fn unlock_fair(&self) {
        let mut state = self.state.lock();
        debug_assert!(state.locked);
        match state.queue.pop_front() {
            Some(ticket) => state.handed_to = Some(ticket),
            None => state.locked = false,
        }
        drop(state);
        self.changed.notify_all();
    }
}
