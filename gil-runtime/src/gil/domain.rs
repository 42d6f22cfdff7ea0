//! GIL domains: independent GILs, each with its own lock, switch interval, statistics and
//! pending pool (the idea of PEP 684's per-interpreter GIL).
//!
//! A domain is a type. Its token [`Gil<D>`](Gil) reaches only [`GilCell<T, D>`](GilCell)s and
//! counts only [`GilRc<T, D>`](crate::GilRc)s, so the type checker keeps the domains apart. A
//! thread that holds a domain never waits for another one, except in [`with_gils`] and
//! [`acquire_gils`], which take two in one fixed order: no two threads can wait for each other.

use std::any::TypeId;
use std::time::Duration;

use super::{enter, state, switch_interval_of, GilGuard, State, SwitchPolicy, TryAcquireError};
use crate::sync::{thread_local_const, Global};
use crate::Gil;

/// A GIL domain: a lock of its own, with its own switch interval, statistics and pending pool.
///
/// Declare one with [`domain!`](crate::domain) and put a type in it with
/// `#[global_lock(domain = Name)]`. The default domain, [`DefaultDomain`], is the one the free
/// functions ([`crate::with_gil`], [`crate::acquire`], ...) and the types without a domain
/// argument use. With this trait in scope, each domain has the same functions as associated
/// functions: `Name::with_gil`, `Name::acquire`, `Name::set_switch_interval`, ...
///
/// ```
/// # use gil_runtime as gilkit;
/// use gilkit::{Domain, GilCell};
///
/// gilkit::domain!(
///     /// The physics simulation: its own GIL, so it never waits for the default one.
///     pub Physics
/// );
///
/// static POSITION: GilCell<f64, Physics> = GilCell::new_in(0.0);
///
/// Physics::with_gil(|g| *POSITION.get_mut(g) += 1.5);
/// // Meanwhile another thread may hold the default GIL: they are different locks.
/// gilkit::with_gil(|g| {
///     let _ = g; // a token of the default domain cannot reach `POSITION`
/// });
/// ```
///
/// A token of one domain cannot reach another domain's data:
///
/// ```compile_fail,E0308
/// # use gil_runtime as gilkit;
/// gilkit::domain!(pub Physics);
/// static POSITION: gilkit::GilCell<f64, Physics> = gilkit::GilCell::new_in(0.0);
/// gilkit::with_gil(|g| *POSITION.get_mut(g) += 1.5); // a `Gil<DefaultDomain>`, not a `Gil<Physics>`
/// ```
///
/// # Safety
/// `__state` returns the same `&'static` [`DomainState`] on every call, one that no other type's
/// `__state` returns; and no other domain type is a subtype or supertype of this one (aliases of
/// higher-ranked function pointer types can be: the tokens are invariant in the domain, but the
/// order of [`with_gils`] and the record of held domains assume one type, one lock). [`domain!`](crate::domain) writes such an impl; implementing the trait by
/// hand is never needed.
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not a GIL domain",
    label = "not declared with `gilkit::domain!`",
    note = "declare a domain with `gilkit::domain!(pub Name);`, then use `#[global_lock(domain = Name)]`"
)]
pub unsafe trait Domain: Sized + 'static {
    /// The state of this domain. Not part of the API.
    #[doc(hidden)]
    fn __state() -> &'static DomainState;

    /// Runs `f` with this domain's GIL held, as [`crate::with_gil`] does for the default domain.
    ///
    /// # Panics
    /// As [`Domain::acquire`].
    #[track_caller]
    fn with_gil<R>(f: impl FnOnce(&mut Gil<Self>) -> R) -> R {
        let mut guard = Self::acquire();
        f(&mut guard)
    }

    /// Acquires this domain's GIL, blocking while another thread holds it, as [`crate::acquire`]
    /// does for the default domain.
    ///
    /// # Panics
    /// If this thread holds this domain already, or holds another domain: waiting for this one
    /// while holding another can deadlock against a thread that does the opposite. Take two
    /// domains together with [`with_gils`]. Also as [`crate::acquire`], if this thread holds field
    /// locks, or a deferred destructor panics.
    #[inline]
    #[track_caller]
    fn acquire() -> GilGuard<Self> {
        // One read of the record on the fast path: a thread that holds no domain.
        if held_slots() != [0; 2] {
            refuse_nested::<Self>();
        }
        super::acquire_unchecked()
    }

    /// Acquires this domain's GIL if no thread holds it, as [`crate::try_acquire`] does.
    ///
    /// # Errors
    /// [`TryAcquireError::WouldBlock`] if another thread holds it, [`TryAcquireError::AlreadyHeld`]
    /// if this thread does, and [`TryAcquireError::OtherDomainHeld`] if this thread holds another
    /// domain (take two together with [`with_gils`]).
    ///
    /// # Panics
    /// If a deferred destructor panics (the GIL is released on the way out).
    fn try_acquire() -> Result<GilGuard<Self>, TryAcquireError> {
        if held::<Self>() {
            return Err(TryAcquireError::AlreadyHeld);
        }
        if held_count() != 0 {
            return Err(TryAcquireError::OtherDomainHeld);
        }
        if state::<Self>().raw.try_lock() {
            Ok(enter(None))
        } else {
            Err(TryAcquireError::WouldBlock)
        }
    }

    /// This domain's switch interval.
    fn switch_interval() -> Duration {
        switch_interval_of(state::<Self>())
    }

    /// Sets this domain's switch interval, as [`crate::set_switch_interval`] does for the default
    /// domain. Other domains keep theirs.
    fn set_switch_interval(interval: Duration) {
        let nanos = u64::try_from(interval.as_nanos())
            .unwrap_or(u64::MAX)
            .max(1);
        state::<Self>()
            .switch_interval_nanos
            .store(nanos, crate::sync::atomic::Ordering::Relaxed);
    }

    /// This domain's [`SwitchPolicy`].
    fn switch_policy() -> SwitchPolicy {
        if state::<Self>()
            .priority
            .load(crate::sync::atomic::Ordering::Relaxed)
        {
            SwitchPolicy::Priority
        } else {
            SwitchPolicy::Interval
        }
    }

    /// Sets this domain's [`SwitchPolicy`], as [`crate::set_switch_policy`] does for the default
    /// domain.
    fn set_switch_policy(policy: SwitchPolicy) {
        state::<Self>().priority.store(
            policy == SwitchPolicy::Priority,
            crate::sync::atomic::Ordering::Relaxed,
        );
    }
}

/// The state behind a [`Domain`]. Not part of the API: [`domain!`](crate::domain) declares one.
#[doc(hidden)]
pub struct DomainState(Global<State>);

impl DomainState {
    /// A domain's state, for its `static`.
    #[cfg(not(loom))]
    #[allow(
        clippy::new_without_default,
        reason = "hidden: only `domain!` makes one, for a `static`"
    )]
    #[must_use]
    pub const fn new() -> Self {
        Self(Global::new(State::new()))
    }

    /// A domain's state, re-created in every loom execution.
    #[cfg(loom)]
    #[allow(
        clippy::new_without_default,
        reason = "hidden: only `domain!` makes one, for a `static`"
    )]
    #[must_use]
    pub const fn new() -> Self {
        Self(Global::new(State::new))
    }

    #[inline]
    pub(crate) fn get(&'static self) -> &'static State {
        self.0.get()
    }
}

/// Declares a [`Domain`]: a type that names a GIL of its own.
///
/// `gilkit::domain!(pub Name);` declares an uninhabited `pub enum Name {}` and implements
/// [`Domain`] for it. Doc comments before the name are kept; other attributes are refused (a
/// `#[cfg]` that removed the enum would leave the impl to whatever else `Name` names).
///
/// ```
/// # use gil_runtime as gilkit;
/// use gilkit::Domain;
///
/// gilkit::domain!(
///     /// The rendering thread's objects.
///     pub(crate) Render
/// );
///
/// Render::set_switch_interval(std::time::Duration::from_millis(1));
/// assert_eq!(Render::switch_interval(), std::time::Duration::from_millis(1));
/// assert_eq!(gilkit::switch_interval(), gilkit::DEFAULT_SWITCH_INTERVAL); // the default domain's
/// Render::with_gil(|g| assert_eq!(g.stats().acquisitions, 1));
/// ```
#[macro_export]
macro_rules! domain {
    ($(#[doc = $doc:expr])* $vis:vis $name:ident $(;)?) => {
        $(#[doc = $doc])*
        #[doc = ""]
        #[doc = "A GIL domain (declared with `gilkit::domain!`): its own lock, switch interval and statistics."]
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        $vis enum $name {}

        // SAFETY: `__state` returns the one `static` declared in it, on every call.
        unsafe impl $crate::Domain for $name {
            #[inline]
            fn __state() -> &'static $crate::__private::DomainState {
                static STATE: $crate::__private::DomainState =
                    $crate::__private::DomainState::new();
                &STATE
            }
        }
    };
}

/// The default domain: the GIL of [`crate::with_gil`], [`crate::acquire`] and of every type
/// without a `domain` argument.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DefaultDomain {}

// SAFETY: `__state` returns the one `static` declared in it, on every call.
unsafe impl Domain for DefaultDomain {
    #[inline]
    fn __state() -> &'static DomainState {
        static STATE: DomainState = DomainState::new();
        &STATE
    }
}

/// Runs `f` with the GILs of two domains held, taken in one fixed order whatever order the
/// caller names them in, so that two threads taking the same two domains cannot deadlock.
///
/// While a thread holds two domains, [`Gil::checkpoint`] on either does not switch (taking one
/// back while holding the other could deadlock; a waiter gets the GIL when `f` returns), and
/// [`Gil::allow_threads`] panics.
///
/// ```
/// # use gil_runtime as gilkit;
/// use gilkit::{DefaultDomain, GilCell};
///
/// gilkit::domain!(pub Physics);
/// static FRAMES: GilCell<u64> = GilCell::new(7);
/// static STEPS: GilCell<u64, Physics> = GilCell::new_in(0);
///
/// // One thread names the domains in one order, another in the other: no deadlock.
/// std::thread::scope(|s| {
///     s.spawn(|| gilkit::with_gils(|a: &mut gilkit::Gil, b: &mut gilkit::Gil<Physics>| {
///         *STEPS.get_mut(b) += *FRAMES.get(a);
///     }));
///     s.spawn(|| gilkit::with_gils(|b: &mut gilkit::Gil<Physics>, a: &mut gilkit::Gil<DefaultDomain>| {
///         *STEPS.get_mut(b) += *FRAMES.get(a);
///     }));
/// });
/// assert_eq!(gilkit::with_gils(|_: &mut gilkit::Gil, b: &mut gilkit::Gil<Physics>| *STEPS.get(b)), 14);
/// ```
///
/// # Panics
/// If `A` and `B` are one domain, or this thread holds a domain already (as
/// [`Domain::acquire`]), or as [`crate::acquire`].
#[track_caller]
pub fn with_gils<A: Domain, B: Domain, R>(f: impl FnOnce(&mut Gil<A>, &mut Gil<B>) -> R) -> R {
    let (mut a, mut b) = acquire_gils::<A, B>();
    f(&mut a, &mut b)
}

/// Acquires the GILs of two domains in one fixed order, as [`with_gils`] does, and returns
/// their guards.
///
/// ```
/// # use gil_runtime as gilkit;
/// gilkit::domain!(pub Physics);
/// let (g, p) = gilkit::acquire_gils::<gilkit::DefaultDomain, Physics>();
/// drop((g, p));
/// ```
///
/// # Panics
/// As [`with_gils`].
#[track_caller]
pub fn acquire_gils<A: Domain, B: Domain>() -> (GilGuard<A>, GilGuard<B>) {
    // The order: by type, which is fixed for the process (and the same in every loom execution,
    // unlike the address of a state that loom allocates anew in each).
    let (a, b) = (TypeId::of::<A>(), TypeId::of::<B>());
    assert!(
        a != b,
        "gil: acquire_gils was given one domain twice (`{}`)",
        std::any::type_name::<A>()
    );
    assert!(
        held_count() == 0,
        "gil: this thread holds a GIL domain already; take the two domains with one call, \
         holding none"
    );
    if a < b {
        let first = super::acquire_unchecked::<A>();
        (first, super::acquire_unchecked::<B>())
    } else {
        let first = super::acquire_unchecked::<B>();
        (super::acquire_unchecked::<A>(), first)
    }
}

thread_local_const! {
    /// The domains this thread holds: the addresses of their states, 0 for an empty slot. A
    /// thread holds at most two (`with_gils`).
    static HELD: std::cell::Cell<[usize; 2]> = std::cell::Cell::new([0; 2]);
}

/// The panic of [`Domain::acquire`] on a thread that holds a domain already.
#[cold]
#[track_caller]
fn refuse_nested<D: Domain>() -> ! {
    assert!(
        !held::<D>(),
        "gil: this thread already holds the GIL of domain `{}`; pass the `&mut Gil` you have \
         instead of acquiring again",
        std::any::type_name::<D>()
    );
    panic!(
        "gil: this thread holds another GIL domain; waiting for `{}` while holding it can \
         deadlock against a thread that does the opposite; take both with `gilkit::with_gils`",
        std::any::type_name::<D>()
    );
}

/// This thread's record of held domains; empty while its thread-locals are being destroyed.
#[inline]
fn held_slots() -> [usize; 2] {
    HELD.try_with(std::cell::Cell::get).unwrap_or([0; 2])
}

/// The address of `D`'s state: its identity for [`HELD`].
#[inline]
fn address<D: Domain>() -> usize {
    std::ptr::from_ref(state::<D>()) as usize
}

/// Whether this thread holds `D`; `false` while its thread-locals are being destroyed.
#[inline]
pub(crate) fn held<D: Domain>() -> bool {
    held_slots().contains(&address::<D>())
}

/// How many domains this thread holds.
#[inline]
pub(crate) fn held_count() -> usize {
    held_slots().iter().filter(|&&a| a != 0).count()
}

/// Records that this thread took (`true`) or let go of `D`.
#[inline]
pub(crate) fn set_held<D: Domain>(now_held: bool) {
    let me = address::<D>();
    let (from, to) = if now_held { (0, me) } else { (me, 0) };
    HELD.with(|h| {
        let [first, second] = h.get();
        // The first slot is the one a thread holding one domain uses; a free slot exists when
        // taking, as a thread holds at most two domains (see `HELD`).
        if first == from {
            h.set([to, second]);
        } else if second == from {
            h.set([first, to]);
        }
    });
}
