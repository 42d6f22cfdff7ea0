//! The raw lock under the GIL: a flag taken with one compare-and-swap when it is free, and a
//! mutex and condition variables, as `CPython`'s `ceval_gil.c`, when it is not.
//!
//! Written once on the `sync` shim, so that loom checks this very code.
//!
//! Why not `parking_lot::RawMutex` and its `try_lock_for`: a waiter there spins and calls
//! `sched_yield` before it parks, and again after each timed wait. On a loaded machine (one busy
//! process beside a CPU-bound holder) each yield can cost a scheduler slice, so a 1 ms timed wait
//! returned after 7.7 ms at the median (a plain 1 ms sleep: 1.07 ms), and the drop request came
//! that late. Here a waiter blocks in a timed condition-variable wait and never spins.

use std::time::Duration;

use crate::sync::atomic::{AtomicUsize, Ordering};
use crate::sync::{Condvar, Mutex};

/// The lock bit of [`RawGil::state`].
const LOCKED: usize = 1;
/// One waiter in [`RawGil::state`], above the lock bit.
const WAITER: usize = 2;

pub(crate) struct RawGil {
    /// `LOCKED`, plus `WAITER` for each thread in [`RawGil::lock_waiting`]. One word, changed
    /// only by read-modify-writes, so an unlock and a waiter that arrives always see each other
    /// in one order: the unlock sees the waiter and wakes it, or the waiter sees the lock free.
    state: AtomicUsize,
    /// The number of acquisitions by waiters; a forced switch waits for it to change.
    handoffs: Mutex<u64>,
    /// Waiters wait here, for an unlock or for their switch interval to run out.
    unlocked: Condvar,
    /// A holder that was forced to switch waits here until a waiter has taken the GIL.
    taken: Condvar,
}

impl RawGil {
    #[cfg(not(loom))]
    pub(crate) const fn new() -> Self {
        Self {
            state: AtomicUsize::new(0),
            handoffs: Mutex::new(0),
            unlocked: Condvar::new(),
            taken: Condvar::new(),
        }
    }

    #[cfg(loom)]
    pub(crate) fn new() -> Self {
        Self {
            state: AtomicUsize::new(0),
            handoffs: Mutex::new(0),
            unlocked: Condvar::new(),
            taken: Condvar::new(),
        }
    }

    /// Takes the lock if it is free.
    #[inline]
    pub(crate) fn try_lock(&self) -> bool {
        self.state.fetch_or(LOCKED, Ordering::Acquire) & LOCKED == 0
    }

    /// Blocks until the lock is taken, calling `on_expire` each time a wait of `interval` runs
    /// out while the lock is still held by another thread.
    pub(crate) fn lock_waiting(&self, interval: Duration, mut on_expire: impl FnMut()) {
        self.state.fetch_add(WAITER, Ordering::Relaxed);
        let mut handoffs = self.handoffs.lock();
        // A failed `try_lock` and the wait happen under the mutex, and an unlock that sees this
        // waiter notifies under it, so the notification cannot fall between the two.
        while !self.try_lock() {
            if self.unlocked.wait_for(&mut handoffs, interval).timed_out()
                && self.state.load(Ordering::Relaxed) & LOCKED != 0
            {
                on_expire();
            }
        }
        self.state.fetch_sub(WAITER, Ordering::Relaxed);
        *handoffs += 1;
        self.taken.notify_all();
    }

    /// Unlocks, and wakes one waiter if there is any.
    ///
    /// # Safety
    /// The calling thread holds the lock.
    #[inline]
    pub(crate) unsafe fn unlock(&self) {
        if self.state.fetch_and(!LOCKED, Ordering::Release) >= WAITER {
            let _handoffs = self.handoffs.lock();
            self.unlocked.notify_one();
        }
    }

    /// Unlocks, and blocks until a waiter has taken the lock (`CPython`'s `FORCE_SWITCHING`), so
    /// that this thread cannot take it straight back. Returns at once if nobody waits.
    ///
    /// Blocking, not spinning and not a timed wait, leaves this core to the waiter however loaded
    /// the machine is. It cannot block forever: a thread in `lock_waiting` never gives up, and
    /// each one that takes the lock notifies.
    ///
    /// # Safety
    /// The calling thread holds the lock.
    pub(crate) unsafe fn unlock_and_wait_for_a_waiter(&self) {
        // SAFETY: forwarded to the caller.
        unsafe { self.hand_off(true) }
    }

    /// Broken on purpose, for a loom negative control only: a forced switch that lets go and
    /// waits for a waiter, but does not wake one.
    ///
    /// # Safety
    /// As `unlock`.
    #[cfg(loom)]
    pub(crate) unsafe fn unlock_and_wait_without_waking(&self) {
        // SAFETY: forwarded to the caller.
        unsafe { self.hand_off(false) }
    }

    /// # Safety
    /// As `unlock`.
    unsafe fn hand_off(&self, wake: bool) {
        let mut handoffs = self.handoffs.lock();
        let seen = *handoffs;
        if self.state.fetch_and(!LOCKED, Ordering::Release) < WAITER {
            return;
        }
        if wake {
            self.unlocked.notify_one();
        }
        while *handoffs == seen && self.state.load(Ordering::Relaxed) >= WAITER {
            self.taken.wait(&mut handoffs);
        }
    }

    /// Broken on purpose, for a loom negative control only: unlocks without waking a waiter.
    ///
    /// # Safety
    /// As `unlock`.
    #[cfg(loom)]
    pub(crate) unsafe fn unlock_without_waking(&self) {
        self.state.fetch_and(!LOCKED, Ordering::Release);
    }
}
