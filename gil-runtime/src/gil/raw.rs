//! The raw lock under the GIL: a lock bit taken with one atomic read-modify-write when it is
//! free, and a mutex and a condition variable, as `CPython`'s `ceval_gil.c`, when it is not.
//!
//! Written once on the `sync` shim, so that loom checks this very code.
//!
//! Why not `parking_lot::RawMutex` and its `try_lock_for`: a waiter there spins and calls
//! `sched_yield` before it parks, and again after each timed wait. On a loaded machine (one busy
//! process beside a CPU-bound holder) each yield can cost a scheduler slice, so a 1 ms timed wait
//! returned after 7.7 ms at the median (a plain 1 ms sleep: 1.07 ms), and the drop request came
//! that late. Here a waiter spins a few microseconds without yielding, then blocks in a timed
//! condition-variable wait, and never spins again.

use std::time::Duration;

use crate::sync::atomic::{AtomicUsize, Ordering};
use crate::sync::{Condvar, Mutex, MutexGuard};

/// The lock bit of [`RawGil::state`].
const LOCKED: usize = 1;
/// Set in [`RawGil::state`] by an unlock that wakes a waiter, and cleared by the next waiter to
/// look at the lock: while it is set, a waiter is on its way, and an unlock wakes no other.
const WAKING: usize = 2;
/// One waiter in [`RawGil::state`], above the lock and waking bits.
const WAITER: usize = 4;
/// How many times [`RawGil::try_lock_spinning`] looks at the lock: after 2, 4 and 8 pauses, then
/// every [`LONG_PAUSE`] pauses, about 7 µs in all where a pause takes 23 ns.
#[cfg(not(loom))]
const LOOKS: u32 = 18;
/// The pauses [`RawGil::try_lock_spinning`] makes between two of its later looks at the lock.
#[cfg(not(loom))]
const LONG_PAUSE: u32 = 20;

#[cfg(loom)]
loom::thread_local! {
    /// For a loom negative control only: whether this thread, as a waiter, leaves `WAKING` set.
    pub(crate) static LEAVES_WAKING: std::cell::Cell<bool> = std::cell::Cell::new(false);
}

/// Whether this waiter leaves `WAKING` set when it looks at the lock: never, but in a loom
/// negative control.
fn leaves_waking() -> bool {
    #[cfg(loom)]
    return LEAVES_WAKING.with(std::cell::Cell::get);
    #[cfg(not(loom))]
    false
}

pub(crate) struct RawGil {
    /// `LOCKED` and `WAKING`, plus `WAITER` for each thread in [`RawGil::lock_waiting`] or
    /// [`RawGil::switch`]. One word, changed only by read-modify-writes, so an unlock and a
    /// waiter that arrives always see each other in one order: the unlock sees the waiter and
    /// wakes it, or the waiter sees the lock free.
    state: AtomicUsize,
    /// The number of acquisitions by waiters; a switching holder waits for it to change.
    handoffs: Mutex<u64>,
    /// Waiters wait here, for an unlock or for their switch interval to run out.
    unlocked: Condvar,
}

impl RawGil {
    #[cfg(not(loom))]
    pub(crate) const fn new() -> Self {
        Self {
            state: AtomicUsize::new(0),
            handoffs: Mutex::new(0),
            unlocked: Condvar::new(),
        }
    }

    #[cfg(loom)]
    pub(crate) fn new() -> Self {
        Self {
            state: AtomicUsize::new(0),
            handoffs: Mutex::new(0),
            unlocked: Condvar::new(),
        }
    }

    /// Takes the lock if it is free.
    ///
    /// Uncontended, the word is 0 and one compare-and-swap takes it, as `parking_lot`'s fast path
    /// does (a `fetch_or`, which must return the old value, is a compare-and-swap loop on
    /// `x86_64`). With waiters counted, the `fetch_or` takes it whatever their number.
    #[inline]
    pub(crate) fn try_lock(&self) -> bool {
        self.state
            .compare_exchange(0, LOCKED, Ordering::Acquire, Ordering::Relaxed)
            .is_ok()
            || self.state.fetch_or(LOCKED, Ordering::Acquire) & LOCKED == 0
    }

    /// Spins a little (no yield, no system call) for a holder about to let go, as `parking_lot`
    /// does before it parks; whether it took the lock. A critical section of a few nanoseconds
    /// then costs no sleep and wake-up. Not under loom, which would explore every turn.
    ///
    /// It looks after 2, 4 and 8 pauses, as `parking_lot` does, then every `LONG_PAUSE` pauses
    /// where `parking_lot` yields the core (which can cost a whole time slice on a loaded
    /// machine). A spinner that looks after every pause takes the lock the moment it is let go, so
    /// two threads that each take it for every operation alternate at every operation, and the
    /// lock's cache line crosses between cores each time (2.3-2.7x a contended `parking_lot`
    /// mutex). Each look also takes the line from the holder, so that its next acquisition waits
    /// for it: the looks are spread out rather than many.
    #[cfg(not(loom))]
    pub(crate) fn try_lock_spinning(&self) -> bool {
        for look in 0..LOOKS {
            if self.state.load(Ordering::Relaxed) & LOCKED == 0 && self.try_lock() {
                return true;
            }
            let pauses = if look < 3 { 2 << look } else { LONG_PAUSE };
            for _ in 0..pauses {
                std::hint::spin_loop();
            }
        }
        false
    }

    /// Blocks until the lock is taken, calling `on_expire` each time a wait of `interval` runs
    /// out while the lock is still held by another thread, and once at the start if
    /// `expire_at_once`: after this thread is counted as a waiter, so that a holder that answers
    /// the request by switching finds it here. (Asked before that, the holder could switch, find
    /// no waiter, take the lock straight back and clear the request.)
    pub(crate) fn lock_waiting(
        &self,
        interval: Duration,
        expire_at_once: bool,
        mut on_expire: impl FnMut(),
    ) {
        self.state.fetch_add(WAITER, Ordering::Relaxed);
        if expire_at_once {
            on_expire();
        }
        let handoffs = self.handoffs.lock();
        self.wait_for_the_lock(handoffs, None, interval, on_expire);
    }

    /// The waiting of a thread counted in `state`: takes the lock once it is free, and, if
    /// `after` is given, once a waiter has taken it since (`handoffs` moved past it).
    ///
    /// A failed `try_lock` and the wait happen under the mutex, which an unlock takes before it
    /// notifies ([`RawGil::wake_one`]), so the notification cannot fall between the two.
    fn wait_for_the_lock(
        &self,
        mut handoffs: MutexGuard<'_, u64>,
        after: Option<u64>,
        interval: Duration,
        mut on_expire: impl FnMut(),
    ) {
        // Whether a waiter has had the lock since `after` (always, without one).
        let handed_over = |handoffs: u64| after != Some(handoffs);
        loop {
            // Under the mutex, so a waiter that an unlock woke is here now (or was never asleep):
            // the next unlock may wake another.
            if self.state.load(Ordering::Relaxed) & WAKING != 0 && !leaves_waking() {
                self.state.fetch_and(!WAKING, Ordering::Relaxed);
            }
            if handed_over(*handoffs) && self.try_lock() {
                break;
            }
            let timed_out = self.unlocked.wait_for(&mut handoffs, interval).timed_out();
            if timed_out && self.state.load(Ordering::Relaxed) & LOCKED != 0 {
                on_expire();
            } else if !timed_out && !handed_over(*handoffs) {
                // An unlock woke this switching holder before any waiter took the lock: pass the
                // wake-up on (this thread is not waiting now, so it goes to another).
                self.unlocked.notify_one();
            }
        }
        self.state.fetch_sub(WAITER, Ordering::Relaxed);
        *handoffs += 1;
    }

    /// Unlocks, and wakes one waiter if there is any and none is on its way already.
    ///
    /// # Safety
    /// The calling thread holds the lock.
    #[inline]
    pub(crate) unsafe fn unlock(&self) {
        // No waiter: one compare-and-swap. A waiter counted before it makes it fail, and one
        // counted after it finds the lock free; both are read-modify-writes of this word.
        if self
            .state
            .compare_exchange(LOCKED, 0, Ordering::Release, Ordering::Relaxed)
            .is_ok()
        {
            return;
        }
        self.unlock_contended();
    }

    /// `unlock` with a waiter counted, or a stale `WAKING` bit: lets go, and wakes one waiter
    /// unless one woken earlier has not yet looked at the lock. That one will look (or, if it
    /// finds the lock taken, wait to be woken again), so waking another would only make two
    /// threads race for one lock, and cost this one a system call. 16 threads on 16 cores, each
    /// taking the GIL back after every 2 µs of work done without it, did 0.85 M operations a
    /// second when every unlock woke a sleeper, and 1.65 M with this bit (one `parking_lot`
    /// mutex: 3.7-6.8 M).
    fn unlock_contended(&self) {
        let mut state = self.state.load(Ordering::Relaxed);
        loop {
            let wake = state >= WAITER && state & WAKING == 0;
            let unlocked = if wake {
                (state & !LOCKED) | WAKING
            } else if state < WAITER {
                0 // nobody left to be on the way: a stale bit would only slow the fast paths
            } else {
                state & !LOCKED
            };
            match self.state.compare_exchange_weak(
                state,
                unlocked,
                Ordering::Release,
                Ordering::Relaxed,
            ) {
                Ok(_) if wake => return self.wake_one(),
                Ok(_) => return,
                Err(now) => state = now,
            }
        }
    }

    /// Wakes one waiter: takes the mutex first, so that a waiter that has just found the lock
    /// held is asleep, and notifies after letting it go, which spares the woken thread a wait
    /// for it.
    fn wake_one(&self) {
        drop(self.handoffs.lock());
        self.unlocked.notify_one();
    }

    /// A forced switch (`CPython`'s `FORCE_SWITCHING`): unlocks, wakes a waiter, and takes the
    /// lock back only after a waiter has had it, so that this thread cannot take it straight
    /// back; at once if nobody waits. Blocking (not spinning) leaves this core to the waiter
    /// however loaded the machine is. This thread waits as a waiter does (`on_expire` when
    /// `interval` runs out), and is woken by the unlock of the thread it let in: one wake-up.
    ///
    /// # Safety
    /// The calling thread holds the lock.
    pub(crate) unsafe fn switch(&self, interval: Duration, on_expire: impl FnMut()) {
        // SAFETY: forwarded to the caller.
        unsafe { self.switch_waking(true, interval, on_expire) }
    }

    /// Broken on purpose, for a loom negative control only: a forced switch that wakes nobody.
    ///
    /// # Safety
    /// As `unlock`.
    #[cfg(loom)]
    pub(crate) unsafe fn switch_without_waking(&self, interval: Duration, on_expire: impl FnMut()) {
        // SAFETY: forwarded to the caller.
        unsafe { self.switch_waking(false, interval, on_expire) }
    }

    /// # Safety
    /// As `unlock`.
    unsafe fn switch_waking(&self, wake: bool, interval: Duration, on_expire: impl FnMut()) {
        let handoffs = self.handoffs.lock();
        let seen = *handoffs;
        // Let go and become a waiter in one step, so the next unlock sees this thread.
        let before = self.state.fetch_add(WAITER - LOCKED, Ordering::Release);
        let others = before - LOCKED >= WAITER;
        if others && wake {
            self.unlocked.notify_one();
        }
        // A waiter never gives up, so while one was there, one will take the lock.
        self.wait_for_the_lock(handoffs, others.then_some(seen), interval, on_expire);
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
