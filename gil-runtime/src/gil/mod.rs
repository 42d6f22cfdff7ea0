//! The global interpreter lock: one process-wide lock and the token that proves it is held.
//!
//! ```
//! # use gil_runtime as gilkit;
//! use gilkit::{with_gil, GilCell};
//!
//! static COUNTER: GilCell<u64> = GilCell::new(0);
//!
//! let total = with_gil(|g| {
//!     *COUNTER.get_mut(g) += 1;
//!     *COUNTER.get(g)
//! });
//! assert!(total >= 1);
//! ```

mod cell;
mod domain;
mod pool;
mod raw;
mod rc;

use std::fmt;
use std::marker::PhantomData;
use std::time::{Duration, Instant};

use crate::field_lock::CachePadded;
use crate::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use crate::sync::{const_unless_loom, UnsafeCell};
use domain::{held, held_count, set_held};
use raw::RawGil;

pub use cell::{CellsMut, GilCell};
pub use domain::{acquire_gils, with_gils, DefaultDomain, Domain, DomainState};
pub use rc::GilRc;

/// The default switch interval, as in `CPython` (`sys.getswitchinterval()`).
pub const DEFAULT_SWITCH_INTERVAL: Duration = Duration::from_millis(5);

/// The state of one GIL domain.
pub(crate) struct State {
    raw: RawGil,
    /// Raised by a thread that waited longer than the switch interval.
    drop_request: AtomicBool,
    switch_interval_nanos: AtomicU64,
    /// [`SwitchPolicy::Priority`] is on.
    priority: AtomicBool,
    pub(crate) pool: pool::Pool,
    /// Written only by the thread that holds the GIL, at every acquisition. On cache lines of its
    /// own: wherever the static fell, the counters could share the lock word's line, which a
    /// spinning thread reads at each look, so that the holder's write could miss. Two threads each
    /// taking the GIL per operation, builds alternated run by run: 1.03-1.28x a contended
    /// `parking_lot` mutex before, 0.71-0.94x after (`cargo bench --bench ratios`); with the
    /// counters forced onto the lock word's line, 4-15 % slower than apart whatever the work
    /// between two acquisitions (a probe). The row swings far more with the machine's state: see
    /// the README.
    stats: CachePadded<UnsafeCell<GilStats>>,
}

// SAFETY: `stats` is only touched by the thread that holds `raw`; the rest is `Sync` by itself.
unsafe impl Sync for State {}

impl State {
    /// Asks the holder to let go at its next checkpoint. Called by a waiter that the raw lock
    /// already counts (`Release`: the switch that answers sees that count).
    fn ask(&self) {
        self.drop_request.store(true, Ordering::Release);
    }
}

impl State {
    const_unless_loom! {
        pub(crate) fn new() -> Self {
            Self {
                raw: RawGil::new(),
                drop_request: AtomicBool::new(false),
                #[allow(clippy::cast_possible_truncation, reason = "5 ms fits in u64 nanoseconds")]
                switch_interval_nanos: AtomicU64::new(DEFAULT_SWITCH_INTERVAL.as_nanos() as u64),
                priority: AtomicBool::new(false),
                pool: pool::Pool::new(),
                stats: CachePadded::new(UnsafeCell::new(GilStats::ZERO)),
            }
        }
    }
}

/// The state of domain `D`.
#[inline]
pub(crate) fn state<D: Domain>() -> &'static State {
    D::__state().get()
}

/// Proof that the current thread holds the GIL of domain `D` (by default, [`DefaultDomain`]).
///
/// There is at most one token per domain, on the thread that holds its GIL, and it cannot leave
/// that thread (`Gil` is neither `Send` nor `Sync`). So `&Gil<D>` proves shared access and
/// `&mut Gil<D>` exclusive access to every [`GilCell<T, D>`](GilCell). You get it from
/// [`with_gil`] or [`acquire`] (or [`Domain::with_gil`], [`with_gils`] for other domains).
///
/// ```compile_fail,E0277
/// # use gil_runtime as gilkit;
/// gilkit::with_gil(|g| {
///     std::thread::scope(|s| {
///         s.spawn(|| drop(g)); // `&mut Gil` is not `Send`
///     });
/// });
/// ```
pub struct Gil<D = DefaultDomain> {
    _not_send_or_sync: PhantomData<*mut ()>,
    /// Invariant in `D`: no token of one domain coerces to another's, whatever subtyping relates
    /// their types.
    _domain: PhantomData<fn(D) -> D>,
}

impl<D: Domain> fmt::Debug for Gil<D> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Gil<{}>", std::any::type_name::<D>())
    }
}

/// Why [`try_acquire`] gave no token.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TryAcquireError {
    /// Another thread holds the GIL.
    WouldBlock,
    /// This thread already holds the GIL: use the token it has.
    AlreadyHeld,
    /// This thread holds the GIL of another domain: take two domains together with
    /// [`with_gils`].
    OtherDomainHeld,
}

impl fmt::Display for TryAcquireError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::WouldBlock => "another thread holds the GIL",
            Self::AlreadyHeld => "this thread already holds the GIL",
            Self::OtherDomainHeld => "this thread holds the GIL of another domain",
        })
    }
}

impl std::error::Error for TryAcquireError {}

/// Holds the GIL of domain `D` until dropped, and derefs to the [`Gil`] token.
///
/// ```
/// # use gil_runtime as gilkit;
/// let mut g = gilkit::acquire();
/// g.checkpoint();
/// drop(g); // releases the GIL
/// ```
#[must_use = "the GIL is released as soon as the guard is dropped"]
pub struct GilGuard<D: Domain = DefaultDomain> {
    token: Gil<D>,
}

impl<D: Domain> fmt::Debug for GilGuard<D> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "GilGuard<{}>", std::any::type_name::<D>())
    }
}

impl<D: Domain> std::ops::Deref for GilGuard<D> {
    type Target = Gil<D>;
    fn deref(&self) -> &Gil<D> {
        &self.token
    }
}

impl<D: Domain> std::ops::DerefMut for GilGuard<D> {
    fn deref_mut(&mut self) -> &mut Gil<D> {
        &mut self.token
    }
}

impl<D: Domain> Drop for GilGuard<D> {
    #[inline]
    fn drop(&mut self) {
        #[cfg(loom)]
        if std::thread::panicking() {
            // A model failed (a deadlock report, say), and no loom type may be touched while its
            // execution unwinds: the GIL of this execution is dropped with it.
            return;
        }
        release::<D>();
    }
}

/// Runs `f` with the GIL held, and releases it afterwards, also if `f` panics.
///
/// # Panics
/// If this thread already holds the GIL: pass the token you have instead. If it holds the GIL of
/// another [`Domain`]: take both with [`with_gils`].
///
/// ```
/// # use gil_runtime as gilkit;
/// let sum = gilkit::with_gil(|g| {
///     let cell = gilkit::GilCell::new(20);
///     *cell.get_mut(g) += 22;
///     *cell.get(g)
/// });
/// assert_eq!(sum, 42);
/// ```
#[track_caller]
pub fn with_gil<R>(f: impl FnOnce(&mut Gil) -> R) -> R {
    DefaultDomain::with_gil(f)
}

/// Acquires the GIL, blocking while another thread holds it, and returns a guard.
///
/// Deferred decrefs from threads that dropped [`GilRc`]s without the GIL are applied first.
///
/// # Panics
/// With the lock-order validator compiled in (debug builds), if this thread holds field locks of
/// a `#[per_field_lock]` type: waiting for the GIL while holding them can deadlock against a GIL
/// holder that waits for one of them.
///
/// If a destructor panics while the deferred decrefs are drained: the GIL is released on the
/// way out, and the decrefs not yet applied stay pending for the next acquisition.
///
/// If this thread holds the GIL of another [`Domain`]: waiting for this one while holding it
/// could deadlock against a thread that does the opposite; take both with [`with_gils`].
///
/// If this thread already holds the GIL. Acquiring twice would hand out a second token, so it is
/// refused, never a silent deadlock:
///
/// ```should_panic
/// # use gil_runtime as gilkit;
/// let _g = gilkit::acquire();
/// let _h = gilkit::acquire(); // panics: this thread already holds the GIL
/// ```
#[inline]
#[track_caller]
pub fn acquire() -> GilGuard {
    DefaultDomain::acquire()
}

/// `acquire` of domain `D`, without the checks of the domains this thread holds: the caller made
/// them.
#[inline]
#[track_caller]
fn acquire_unchecked<D: Domain>() -> GilGuard<D> {
    let field_locks = crate::field_lock::held_count();
    assert!(
        field_locks == 0,
        "gil: taking the GIL while this thread holds {field_locks} field lock(s) can deadlock \
         against a GIL holder that waits for them; take the GIL first, or drop the field guards"
    );
    if state::<D>().raw.try_lock() {
        enter(None)
    } else {
        acquire_contended()
    }
}

/// `acquire_unchecked` once the first try failed. Out of line, so that the uncontended
/// acquisition has no wait to count.
#[inline(never)]
fn acquire_contended<D: Domain>() -> GilGuard<D> {
    enter(lock_contended::<D>(Waiter::New))
}

/// Who waits for the GIL, for the [`SwitchPolicy`].
#[derive(Clone, Copy, PartialEq, Eq)]
enum Waiter {
    /// A new acquisition, or a holder taking the GIL back after a forced switch.
    New,
    /// A thread taking the GIL back after `allow_threads` (typically after I/O).
    Returning,
}

/// Takes the raw lock, waiting if needed; returns how long it waited, if it had to. Never
/// panics: a token being given back its GIL depends on it.
#[inline]
fn lock<D: Domain>(waiter: Waiter) -> Option<Duration> {
    if state::<D>().raw.try_lock() {
        return None;
    }
    lock_contended::<D>(waiter)
}

/// `lock` once the first try failed: spin, then wait. Out of line, so that the uncontended
/// acquisition stays small.
#[inline(never)]
#[cfg_attr(
    loom,
    allow(
        clippy::unnecessary_wraps,
        reason = "under loom there is no spin, whose success returns `None`"
    )
)]
fn lock_contended<D: Domain>(waiter: Waiter) -> Option<Duration> {
    let state = state::<D>();
    // bpo-7946's fix of the convoy effect: ask at once, not after a whole interval, so the
    // holder lets go at its next checkpoint.
    let ask_at_once = waiter == Waiter::Returning && state.priority.load(Ordering::Relaxed);
    // Spin briefly first: the holder may be about to let go. A thread that asks at once goes
    // straight to waiting, so that it is counted and asks without delay.
    #[cfg(not(loom))]
    if !ask_at_once && state.raw.try_lock_spinning() {
        return None;
    }
    let start = Instant::now();
    state
        .raw
        .lock_waiting(switch_interval_of(state), ask_at_once, || state.ask());
    // As CPython's `take_gil`: the request is answered. A later waiter asks again after its own
    // interval; a stale request would only cost the next checkpoint a pointless switch.
    state.drop_request.store(false, Ordering::Relaxed);
    Some(start.elapsed())
}

/// Acquires the GIL if no thread holds it.
///
/// # Errors
/// [`TryAcquireError::WouldBlock`] if another thread holds the GIL, and
/// [`TryAcquireError::AlreadyHeld`] if this thread does, and [`TryAcquireError::OtherDomainHeld`]
/// if it holds the GIL of another [`Domain`].
///
/// # Panics
/// As [`acquire`], if a destructor panics while the deferred decrefs are drained (the GIL is
/// released on the way out, and the decrefs not yet applied stay pending).
///
/// ```
/// # use gil_runtime as gilkit;
/// let g = gilkit::try_acquire().expect("nobody else holds the GIL here");
/// assert_eq!(gilkit::try_acquire().unwrap_err(), gilkit::TryAcquireError::AlreadyHeld);
/// drop(g);
/// ```
pub fn try_acquire() -> Result<GilGuard, TryAcquireError> {
    DefaultDomain::try_acquire()
}

/// Bookkeeping right after the raw lock was taken, for a new guard: mark, count, drain.
#[inline]
fn enter<D: Domain>(waited: Option<Duration>) -> GilGuard<D> {
    // The guard exists before the drain, so a panicking destructor in the drain releases the GIL.
    let mut guard = GilGuard {
        token: Gil {
            _not_send_or_sync: PhantomData,
            _domain: PhantomData,
        },
    };
    guard.entered(waited);
    guard
}

#[inline]
fn release<D: Domain>() {
    set_held::<D>(false);
    // SAFETY: called only when a `GilGuard` or a released `Gil` borrow ends, on the holding thread.
    unsafe { state::<D>().raw.unlock() }
}

/// The switch interval of the default domain ([`Domain::switch_interval`] for others).
pub fn switch_interval() -> Duration {
    DefaultDomain::switch_interval()
}

fn switch_interval_of(state: &State) -> Duration {
    Duration::from_nanos(state.switch_interval_nanos.load(Ordering::Relaxed))
}

/// Sets how long a thread waits for the GIL before it asks the holder to let go, as `CPython`'s
/// `sys.setswitchinterval` does. The default is [`DEFAULT_SWITCH_INTERVAL`]. This sets the default
/// domain's; [`Domain::set_switch_interval`] sets another's.
///
/// ```
/// # use gil_runtime as gilkit;
/// use std::time::Duration;
/// gilkit::set_switch_interval(Duration::from_millis(1));
/// assert_eq!(gilkit::switch_interval(), Duration::from_millis(1));
/// gilkit::set_switch_interval(gilkit::DEFAULT_SWITCH_INTERVAL);
/// ```
pub fn set_switch_interval(interval: Duration) {
    DefaultDomain::set_switch_interval(interval);
}

/// How a thread that waits for the GIL gets it from a holder that keeps it (see
/// [`Gil::checkpoint`]). Set with [`set_switch_policy`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SwitchPolicy {
    /// `CPython`'s: a waiter asks the holder to let go after it has waited a whole switch
    /// interval. A thread that blocks on I/O often (with the GIL released) waits up to an
    /// interval after every block beside a CPU-bound holder: the convoy effect (bpo-7946).
    #[default]
    Interval,
    /// The priority fix proposed in bpo-7946: a thread coming back from
    /// [`Gil::allow_threads`] asks at once, and gets the GIL at the holder's next checkpoint.
    /// Other waiters still wait an interval before they ask.
    Priority,
}

/// Sets the [`SwitchPolicy`] of the default domain's GIL, for every thread
/// ([`Domain::set_switch_policy`] for another domain).
///
/// ```
/// # use gil_runtime as gilkit;
/// use gilkit::SwitchPolicy;
///
/// gilkit::set_switch_policy(SwitchPolicy::Priority);
/// assert_eq!(gilkit::switch_policy(), SwitchPolicy::Priority);
/// gilkit::set_switch_policy(SwitchPolicy::Interval);
/// ```
pub fn set_switch_policy(policy: SwitchPolicy) {
    DefaultDomain::set_switch_policy(policy);
}

/// The default domain's [`SwitchPolicy`].
pub fn switch_policy() -> SwitchPolicy {
    DefaultDomain::switch_policy()
}

impl<D: Domain> Gil<D> {
    /// Lets a waiting thread run if one has waited longer than the switch interval.
    ///
    /// This is the cooperative point of `CPython`'s eval loop. It costs one relaxed load when nobody
    /// asked. When a waiter did, this thread lets go and takes the GIL back only after a waiter
    /// has had it (`FORCE_SWITCHING`), and this call returns once the GIL is held again.
    ///
    /// ```
    /// # use gil_runtime as gilkit;
    /// gilkit::with_gil(|g| {
    ///     for _ in 0..1000 {
    ///         // ... a slice of CPU-bound work ...
    ///         g.checkpoint();
    ///     }
    /// });
    /// ```
    ///
    /// While this thread holds two domains ([`with_gils`]), a checkpoint does not switch: taking
    /// one back while holding the other could deadlock. The waiter gets the GIL once the pair is
    /// let go.
    ///
    /// # Panics
    /// With the lock-order validator compiled in (debug builds), if it switches while this
    /// thread holds a field lock of a `#[per_field_lock]` type, as [`Gil::allow_threads`] does.
    #[inline]
    #[track_caller]
    pub fn checkpoint(&mut self) {
        if state::<D>().drop_request.load(Ordering::Relaxed) {
            self.switch(Switch::HandOff);
        }
    }

    #[cold]
    #[track_caller]
    pub(crate) fn switch(&mut self, how: Switch) {
        if held_count() > 1 {
            return;
        }
        let field_locks = crate::field_lock::held_count();
        assert!(
            field_locks == 0,
            "gil: checkpoint while this thread holds {field_locks} field lock(s): taking the GIL \
             back after the switch while holding them can deadlock against the thread that gets \
             the GIL and waits for them; drop the field guards before the checkpoint"
        );
        let state = state::<D>();
        let interval = switch_interval_of(state);
        // `Acquire`: pairs with `State::ask`, so the waiter that asked is counted in the raw
        // lock's state when this switch looks at it.
        state.drop_request.swap(false, Ordering::Acquire);
        self.stats_mut(|s| s.forced_switches += 1);
        set_held::<D>(false);
        let ask = || state.ask();
        let start = Instant::now();
        // SAFETY (every arm): `&mut self` is the token, so this thread holds the GIL.
        match how {
            // `CPython`'s `FORCE_SWITCHING`: let go, and take the GIL back only after a waiter
            // has had it.
            Switch::HandOff => unsafe { state.raw.switch(interval, ask) },
            #[cfg(loom)]
            Switch::Unfair => {
                unsafe { state.raw.unlock() };
                self.reacquire(Waiter::New);
                return;
            }
            #[cfg(loom)]
            Switch::HandOffWithoutWaking => unsafe {
                state.raw.switch_without_waking(interval, ask);
            },
        }
        // As `lock`: the request is answered.
        state.drop_request.store(false, Ordering::Relaxed);
        self.entered(Some(start.elapsed()));
    }

    /// Takes the GIL back for this token after it was let go inside the token's lifetime.
    ///
    /// The deferred decrefs are drained with this token, so a destructor that panics there
    /// unwinds with the GIL held, and the guard that owns the token releases it once.
    fn reacquire(&mut self, waiter: Waiter) {
        if held::<D>() {
            // A guard acquired while the GIL was released is still alive (returned or stashed
            // by the `allow_threads` closure): a second token. No panic can make that sound.
            eprintln!(
                "gil: a GIL guard acquired inside allow_threads outlived the closure; aborting"
            );
            std::process::abort();
        }
        if held_count() != 0 {
            // Likewise for another domain's guard: waiting for this domain while holding it can
            // deadlock, and the token must get its GIL back, so no panic can refuse it either.
            eprintln!(
                "gil: a guard of another GIL domain acquired inside allow_threads outlived the \
                 closure; taking `{}` back while holding it could deadlock; aborting",
                std::any::type_name::<D>()
            );
            std::process::abort();
        }
        let wait = lock::<D>(waiter);
        self.entered(wait);
    }

    /// Marks the GIL held by this thread, counts the acquisition, and drains the pending pool.
    #[inline]
    fn entered(&mut self, waited: Option<Duration>) {
        set_held::<D>(true);
        self.stats_mut(|s| {
            s.acquisitions += 1;
            if let Some(waited) = waited {
                s.contended_acquisitions += 1;
                s.wait += waited;
            }
        });
        pool::drain(self);
    }

    /// Releases the GIL while `f` runs, and takes it back afterwards, also if `f` panics.
    ///
    /// Use it around blocking I/O or CPU work that touches no GIL-protected data, so that other
    /// threads can run. The token is mutably borrowed for the whole call, so nothing borrowed
    /// through it can be used inside `f`; this is checked by the borrow checker, not by `Send`:
    ///
    /// ```compile_fail,E0502
    /// # use gil_runtime as gilkit;
    /// gilkit::with_gil(|g| {
    ///     let cell = gilkit::GilCell::new(1);
    ///     let r = cell.get(g);
    ///     g.allow_threads(|| println!("{r}")); // `r` would outlive the GIL
    /// });
    /// ```
    ///
    /// # Panics
    /// With the lock-order validator compiled in (debug builds), if this thread holds a field
    /// lock of a `#[per_field_lock]` type: it would take the GIL back while holding that lock,
    /// while a GIL holder may be waiting for it, a lock-order inversion. (`CPython` suspends its
    /// critical sections when a thread detaches, for the same reason.) Drop the guards first.
    ///
    /// If this thread holds two domains ([`with_gils`]): taking one back while holding the other
    /// could deadlock.
    ///
    /// If `f` acquires the GIL itself (or another domain's), it must let go of it before it
    /// returns: a guard that outlives `f` would be a second token (or make this thread wait for
    /// the GIL while holding another), so the process aborts. For example:
    ///
    /// ```
    /// # use gil_runtime as gilkit;
    /// gilkit::with_gil(|g| {
    ///     let n = g.allow_threads(|| gilkit::with_gil(|_inner| 7));
    ///     assert_eq!(n, 7);
    /// });
    /// ```
    pub fn allow_threads<R>(&mut self, f: impl FnOnce() -> R) -> R {
        /// Takes the GIL back for the lent token when `f` returns or unwinds.
        struct Reacquire<'a, D: Domain>(&'a mut Gil<D>);
        impl<D: Domain> Drop for Reacquire<'_, D> {
            fn drop(&mut self) {
                self.0.reacquire(Waiter::Returning);
            }
        }
        let field_locks = crate::field_lock::held_count();
        assert!(
            field_locks == 0,
            "gil: allow_threads while this thread holds {field_locks} field lock(s): taking the GIL \
             back while holding them can deadlock against a GIL holder that waits for them; drop \
             the field guards before releasing the GIL"
        );
        assert!(
            held_count() == 1,
            "gil: allow_threads while this thread holds two GIL domains: taking one back while \
             holding the other could deadlock; release the GIL outside `with_gils`"
        );
        release::<D>();
        let _reacquire = Reacquire(self);
        f()
    }

    /// Borrows two cells mutably at once: [`Gil::get_mut_many`] for two.
    ///
    /// # Panics
    /// If the two cells overlap in memory (the same cell twice, or one inside the other).
    ///
    /// ```
    /// # use gil_runtime as gilkit;
    /// use gilkit::GilCell;
    /// let (from, to) = (GilCell::new(10), GilCell::new(0));
    /// gilkit::with_gil(|g| {
    ///     let (a, b) = g.get_mut2(&from, &to);
    ///     *a -= 3;
    ///     *b += 3;
    /// });
    /// ```
    #[track_caller]
    pub fn get_mut2<'a, A: ?Sized, B: ?Sized>(
        &'a mut self,
        a: &'a GilCell<A, D>,
        b: &'a GilCell<B, D>,
    ) -> (&'a mut A, &'a mut B) {
        self.get_mut_many((a, b))
    }

    /// Borrows several cells mutably at once: a tuple of up to 12 `&GilCell`s (nest tuples for
    /// more) gives the same tuple of `&mut`.
    ///
    /// # Panics
    /// If two of the cells may be one object, or one may hold the other: they overlap in memory
    /// (the same cell twice, or one inside another), a zero-sized cell sits within another
    /// cell's bytes or at their end, or two zero-sized cells sit at one address. A zero-sized
    /// cell counts: its `&mut` must stay unique too (a zero-sized token proves exclusive access,
    /// as in `ghost-cell`). So two distinct cells can be refused too (two zero-sized fields at
    /// one offset, say); `fields_mut` does not check, since its fields are distinct by
    /// construction.
    ///
    /// ```
    /// # use gil_runtime as gilkit;
    /// use gilkit::GilCell;
    /// let (a, b, c) = (GilCell::new(1), GilCell::new(2), GilCell::new(3));
    /// gilkit::with_gil(|g| {
    ///     let (a, (b, c)) = g.get_mut_many((&a, (&b, &c)));
    ///     std::mem::swap(a, c);
    ///     *b += *a + *c;
    /// });
    /// ```
    ///
    /// ```should_panic
    /// # use gil_runtime as gilkit;
    /// let a = gilkit::GilCell::new(1);
    /// gilkit::with_gil(|g| {
    ///     let _ = g.get_mut_many((&a, &a)); // panics: two `&mut` to one value
    /// });
    /// ```
    #[track_caller]
    pub fn get_mut_many<'a, C: CellsMut<'a, D>>(&'a mut self, cells: C) -> C::Mut {
        let mut i = 0;
        cells.__for_each_range(&mut |a, size_a| {
            let mut j = 0;
            cells.__for_each_range(&mut |b, size_b| {
                // A zero-sized cell at `x` may be part of the cell at `y` (also at its end).
                let inside = |x: usize, (y, size_y): (usize, usize)| y <= x && x <= y + size_y;
                let overlap = j > i
                    && match (size_a, size_b) {
                        (0, 0) => a == b,
                        (0, _) => inside(a, (b, size_b)),
                        (_, 0) => inside(b, (a, size_a)),
                        _ => a < b + size_b && b < a + size_a,
                    };
                assert!(!overlap, "gil: get_mut_many was given overlapping cells");
                j += 1;
            });
            i += 1;
        });
        // SAFETY: `&'a mut self` proves this thread holds the GIL and that no other borrow made
        // through the token is alive for `'a`; no two of the cells overlap (checked above).
        unsafe { cells.__get_mut_unchecked() }
    }

    /// A snapshot of this domain's statistics since the process started.
    ///
    /// ```
    /// # use gil_runtime as gilkit;
    /// gilkit::with_gil(|g| assert!(g.stats().acquisitions >= 1));
    /// ```
    pub fn stats(&self) -> GilStats {
        // SAFETY: the token proves this thread holds the GIL, and only the holder touches `stats`.
        state::<D>().stats.with(|s| unsafe { *s })
    }

    #[allow(
        clippy::unused_self,
        reason = "`&mut self` is the proof that makes the access sound"
    )]
    fn stats_mut(&mut self, f: impl FnOnce(&mut GilStats)) {
        // SAFETY: as in `stats`, and `&mut self` rules out a reference returned by `stats`.
        state::<D>().stats.with_mut(|s| f(unsafe { &mut *s }));
    }
}

/// How a holder lets go at a forced switch.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Switch {
    /// Lets go and waits until a waiter has taken the GIL.
    HandOff,
    /// A plain unlock: the holder may take the GIL straight back (negative controls only).
    #[cfg(loom)]
    Unfair,
    /// Lets go and waits, but wakes no waiter (negative controls only).
    #[cfg(loom)]
    HandOffWithoutWaking,
}

/// Counters kept by the GIL, read with [`Gil::stats`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub struct GilStats {
    /// Times the GIL was acquired, including reacquisitions after `allow_threads` and switches.
    pub acquisitions: u64,
    /// Acquisitions that had to wait for another thread.
    pub contended_acquisitions: u64,
    /// Total time spent waiting in contended acquisitions.
    pub wait: Duration,
    /// Times a checkpoint handed the GIL to a thread that asked for it.
    pub forced_switches: u64,
    /// Handles dropped without the GIL whose decrefs were applied later.
    pub deferred_decrefs_drained: u64,
}

impl GilStats {
    const ZERO: Self = Self {
        acquisitions: 0,
        contended_acquisitions: 0,
        wait: Duration::ZERO,
        forced_switches: 0,
        deferred_decrefs_drained: 0,
    };
}

/// Hooks for the loom models and their negative controls (loom builds only: each breaks a rule on
/// purpose). Not part of the API.
#[cfg(loom)]
#[doc(hidden)]
pub mod hooks {
    use super::{state, Domain, Gil, GilGuard, Ordering, Switch};

    /// A checkpoint that lets go with a plain unlock instead of handing off: the bug
    /// `FORCE_SWITCHING` exists to prevent.
    pub fn unfair_checkpoint<D: Domain>(g: &mut Gil<D>) {
        if state::<D>().drop_request.load(Ordering::Relaxed) {
            g.switch(Switch::Unfair);
        }
    }

    /// A checkpoint whose forced switch lets go and waits for a waiter to take the GIL, but
    /// wakes none.
    #[cfg(loom)]
    pub fn checkpoint_without_waking<D: Domain>(g: &mut Gil<D>) {
        if state::<D>().drop_request.load(Ordering::Relaxed) {
            g.switch(Switch::HandOffWithoutWaking);
        }
    }

    /// Releases the GIL without waking a waiter: the lost wake-up the raw lock's single state
    /// word exists to prevent.
    #[cfg(loom)]
    pub fn release_without_waking<D: Domain>(guard: GilGuard<D>) {
        std::mem::forget(guard);
        super::set_held::<D>(false);
        // SAFETY: the guard proved this thread holds the GIL, and it is forgotten.
        unsafe { state::<D>().raw.unlock_without_waking() }
    }

    /// Runs `f` with this thread, as a waiter for the GIL, leaving the raw lock's waking bit set
    /// after an unlock woke it: unlocks then take a waiter to be on its way and wake nobody.
    pub fn waiting_without_clearing_waking<R>(f: impl FnOnce() -> R) -> R {
        super::raw::LEAVES_WAKING.with(|leaves| leaves.set(true));
        f()
    }

    /// Acquires `D` even while this thread holds another domain: the nested acquisition that
    /// [`Domain::acquire`] refuses, because two threads doing it in opposite orders deadlock.
    #[track_caller]
    pub fn acquire_nested<D: Domain>() -> GilGuard<D> {
        super::acquire_unchecked()
    }
}
