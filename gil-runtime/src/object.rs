//! One object model, any strategy: code written once against a [`Strategy`] parameter runs under
//! the GIL, or free-threaded with a lock per object and biased or atomic counts, chosen in one
//! place.
//!
//! | strategy        | [`Shared`] (the counts)                  | [`Locked`] (the object's lock)     | [`Context`]                |
//! |-----------------|------------------------------------------|------------------------------------|----------------------------|
//! | [`GlobalLock`]  | [`GilRc`]: plain counts under the GIL    | [`GilCell`]: free once the GIL is held | holds the GIL          |
//! | [`Biased`]      | [`AtomicRc`], [`Mode::Biased`] (PEP 703) | [`FieldLock`]: a 1-byte mutex per object | a marker             |
//! | [`Atomic`]      | [`AtomicRc`], [`Mode::Atomic`] (as `Arc`) | [`FieldLock`]                     | a marker                   |
//!
//! `Biased` is free-threaded `CPython`'s object model, and what `#[per_field_lock(rc = biased)]`
//! makes of a struct: a lock per object (or field) and biased counts. `Atomic` is the same with
//! biasing off, to isolate what biasing buys.
//!
//! Every access goes through a [`Context`], one per thread ([`Context::enter`]):
//! - [`Locked::with`] runs a closure on the value. It borrows the context mutably, so the closure
//!   cannot lock a second object: under the free-threaded strategies no lock is ever nested, so
//!   objects used through this module cannot deadlock; under the GIL, the closure runs with the
//!   GIL held and no switch in the middle.
//! - The closure gets a [`Token`] to take new handles ([`Shared::share`]), as `CPython` increments
//!   a reference under an object's lock.
//! - [`Context::checkpoint`] is the eval breaker: under the GIL it lets a waiting thread in.
//!   [`Context::detach`] runs blocking work (I/O, a join) with the GIL released.
//!
//! ```
//! # use gil_runtime as gilkit;
//! use gilkit::object::{Context, Locked, Shared, Strategy};
//!
//! type S = gilkit::object::Biased; // the one line: `GlobalLock`, `Biased` or `Atomic`
//!
//! /// Code written once, for any strategy.
//! fn deposit<S: Strategy>(cx: &mut Context<S>, account: &Shared<S, Locked<S, i64>>, n: i64) {
//!     account.with(cx, |balance, _| *balance += n);
//! }
//!
//! let account: Shared<S, Locked<S, i64>> = Shared::new(Locked::new(0));
//! let sent = Context::enter(|cx| account.share(cx.token()));
//! let worker = std::thread::spawn(move || Context::enter(|cx| deposit(cx, &sent, 5)));
//! Context::enter(|cx| {
//!     cx.detach(|| worker.join().unwrap()); // under the GIL, the worker needs it to finish
//!     deposit(cx, &account, 2);
//!     assert_eq!(account.with(cx, |balance, _| *balance), 7);
//! });
//! ```

use std::fmt;
use std::marker::PhantomData;
use std::ops::Deref;

use crate::field_lock::{FieldLock, LockClass};
use crate::gil::{Gil, GilCell, GilGuard, GilRc};
use crate::refcount::{AtomicRc, Mode};

/// A way to share objects between threads: [`GlobalLock`], [`Biased`] or [`Atomic`].
///
/// Sealed: the three are the library's; code is written against `S: Strategy`.
pub trait Strategy: sealed::Imp {
    /// A short name for reports: `"gil"`, `"biased"` or `"atomic"`.
    const NAME: &'static str;
}

/// The GIL: every [`Locked`] value is free to use while this thread holds it, and counts are
/// plain integers under it. No two threads run object code at once.
#[derive(Debug)]
pub enum GlobalLock {}

/// Free-threaded with biased counts (PEP 703): a lock per object, counts without atomics on the
/// thread that made the object.
#[derive(Debug)]
pub enum Biased {}

/// Free-threaded with atomic counts: a lock per object, counts as `Arc`'s.
#[derive(Debug)]
pub enum Atomic {}

impl Strategy for GlobalLock {
    const NAME: &'static str = "gil";
}

impl Strategy for Biased {
    const NAME: &'static str = "biased";
}

impl Strategy for Atomic {
    const NAME: &'static str = "atomic";
}

/// A counted handle to a `T` shared between threads, counted as strategy `S` counts: a
/// [`GilRc`] under the GIL, an [`AtomicRc`] otherwise. Read through `Deref`; mutate what is in a
/// [`Locked`].
pub struct Shared<S: Strategy, T: Send + Sync + 'static>(S::Ref<T>);

/// A value behind its object's lock under strategy `S`: a [`GilCell`] under the GIL, a
/// [`FieldLock`] otherwise. Reached only through [`Locked::with`].
pub struct Locked<S: Strategy, T: Send>(S::Cell<T>);

/// This thread's access to the objects of strategy `S`: under the GIL, the GIL itself. One per
/// thread at a time, made by [`Context::enter`]; it cannot leave its thread.
pub struct Context<S: Strategy> {
    guard: S::Guard,
    _not_send: PhantomData<*const ()>,
}

/// The right to take new handles ([`Shared::share`]) without the right to lock: what a
/// [`Locked::with`] closure gets, and [`Context::token`] gives.
pub struct Token<'a, S: Strategy>(S::Proof<'a>);

impl<S: Strategy> Clone for Token<'_, S> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<S: Strategy> Copy for Token<'_, S> {}

impl<S: Strategy, T: Send + Sync + 'static> Shared<S, T> {
    /// Moves `value` into a new object. Under [`Biased`], the calling thread owns it.
    pub fn new(value: T) -> Self {
        Self(S::new_ref(value, false))
    }

    /// Moves `value` into an object that is never counted and never freed (PEP 683), for
    /// constants. Under the GIL, where counting costs no atomics, it is counted as any other.
    pub fn immortal(value: T) -> Self {
        Self(S::new_ref(value, true))
    }

    /// A new handle to the same object.
    #[must_use]
    pub fn share(&self, token: Token<'_, S>) -> Self {
        Self(S::share(&self.0, token.0))
    }

    /// Whether two handles point to the same object.
    pub fn ptr_eq(this: &Self, other: &Self) -> bool {
        S::ptr_eq(&this.0, &other.0)
    }
}

impl<S: Strategy, T: Send + Sync + 'static> Deref for Shared<S, T> {
    type Target = T;

    fn deref(&self) -> &T {
        S::deref(&self.0)
    }
}

impl<S: Strategy, T: Send + Sync + fmt::Debug + 'static> fmt::Debug for Shared<S, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&**self, f)
    }
}

impl<S: Strategy, T: Send> Locked<S, T> {
    /// Puts `value` behind its object's lock.
    pub fn new(value: T) -> Self {
        Self(S::new_cell(value))
    }

    /// Runs `f` on the value: with the GIL held under [`GlobalLock`], with the object's lock held
    /// otherwise. `f` gets a [`Token`] to take new handles, but cannot lock another object (the
    /// context is borrowed), nor switch the GIL in the middle.
    ///
    /// # Panics
    /// If `f` panics (the lock is released first).
    pub fn with<R>(&self, cx: &mut Context<S>, f: impl FnOnce(&mut T, Token<'_, S>) -> R) -> R {
        S::with(&self.0, &mut cx.guard, |value, proof| {
            f(value, Token(proof))
        })
    }

    /// Exclusive access through `&mut`, which needs no lock.
    pub fn get_mut(&mut self) -> &mut T {
        S::cell_get_mut(&mut self.0)
    }
}

impl<S: Strategy, T: Send> fmt::Debug for Locked<S, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Locked { .. }")
    }
}

impl<S: Strategy> Context<S> {
    /// Runs `f` with this thread's context: under the GIL, takes the GIL for the duration (and
    /// gives it back when `f` returns or unwinds).
    ///
    /// # Panics
    /// If this thread is already in a context of any strategy (use the one you have: two would
    /// let one thread lock an object twice), or, under the GIL, as [`crate::acquire`] does.
    #[track_caller]
    pub fn enter<R>(f: impl FnOnce(&mut Context<S>) -> R) -> R {
        let _entered = Entered::new();
        let mut cx = Context {
            guard: S::enter(),
            _not_send: PhantomData,
        };
        f(&mut cx)
    }

    /// A token to take new handles with ([`Shared::share`]).
    pub fn token(&self) -> Token<'_, S> {
        Token(S::proof(&self.guard))
    }

    /// The eval breaker: under the GIL, hands it to a thread that has waited for a switch
    /// interval ([`Gil::checkpoint`]); nothing otherwise. Call it every few hundred operations.
    #[inline]
    pub fn checkpoint(&mut self) {
        S::checkpoint(&mut self.guard);
    }

    /// Runs blocking work (I/O, joining a thread that needs the GIL) with the GIL released, as
    /// [`Gil::allow_threads`]; `f` may enter a context of its own.
    pub fn detach<R>(&mut self, f: impl FnOnce() -> R) -> R {
        S::detach(&mut self.guard, || Entered::lend(f))
    }
}

impl<S: Strategy> fmt::Debug for Context<S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Context<{}>", S::NAME)
    }
}

crate::sync::thread_local_const! {
    /// Whether this thread is in a [`Context`] now.
    static IN_CONTEXT: std::cell::Cell<bool> = std::cell::Cell::new(false);
}

/// This thread's mark of being in a context, cleared on the way out (also by unwinding).
struct Entered;

impl Entered {
    #[track_caller]
    fn new() -> Self {
        assert!(
            !IN_CONTEXT.with(|c| c.replace(true)),
            "gilkit::object: this thread is already in a `Context`; pass the one you have"
        );
        Entered
    }

    /// Runs `f` out of the context (for [`Context::detach`]), and back in afterwards.
    fn lend<R>(f: impl FnOnce() -> R) -> R {
        struct Back;
        impl Drop for Back {
            fn drop(&mut self) {
                IN_CONTEXT.with(|c| c.set(true));
            }
        }
        IN_CONTEXT.with(|c| c.set(false));
        let _back = Back;
        f()
    }
}

impl Drop for Entered {
    fn drop(&mut self) {
        IN_CONTEXT.with(|c| c.set(false));
    }
}

/// The one lock class of every [`Locked`] object: no two are ever nested through this module.
static LOCKED: LockClass = LockClass::new("gilkit::object::Locked");

mod sealed {
    /// What a strategy is made of; hidden, so that the three strategies are the only ones.
    pub trait Imp: Sized + 'static {
        type Guard;
        type Proof<'a>: Copy;
        type Ref<T: Send + Sync + 'static>: Send + Sync;
        type Cell<T: Send>: Send + Sync;

        fn enter() -> Self::Guard;
        fn proof(guard: &Self::Guard) -> Self::Proof<'_>;
        fn checkpoint(guard: &mut Self::Guard);
        fn detach<R>(guard: &mut Self::Guard, f: impl FnOnce() -> R) -> R;

        fn new_ref<T: Send + Sync + 'static>(value: T, immortal: bool) -> Self::Ref<T>;
        fn share<T: Send + Sync + 'static>(
            r: &Self::Ref<T>,
            proof: Self::Proof<'_>,
        ) -> Self::Ref<T>;
        fn deref<T: Send + Sync + 'static>(r: &Self::Ref<T>) -> &T;
        fn ptr_eq<T: Send + Sync + 'static>(a: &Self::Ref<T>, b: &Self::Ref<T>) -> bool;

        fn new_cell<T: Send>(value: T) -> Self::Cell<T>;
        fn cell_get_mut<T: Send>(cell: &mut Self::Cell<T>) -> &mut T;
        fn with<T: Send, R>(
            cell: &Self::Cell<T>,
            guard: &mut Self::Guard,
            f: impl FnOnce(&mut T, Self::Proof<'_>) -> R,
        ) -> R;
    }
}

impl sealed::Imp for GlobalLock {
    type Guard = GilGuard;
    type Proof<'a> = &'a Gil;
    type Ref<T: Send + Sync + 'static> = GilRc<T>;
    type Cell<T: Send> = GilCell<T>;

    #[track_caller]
    fn enter() -> GilGuard {
        crate::gil::acquire()
    }

    fn proof(guard: &GilGuard) -> &Gil {
        guard
    }

    #[inline]
    fn checkpoint(guard: &mut GilGuard) {
        guard.checkpoint();
    }

    fn detach<R>(guard: &mut GilGuard, f: impl FnOnce() -> R) -> R {
        guard.allow_threads(f)
    }

    fn new_ref<T: Send + Sync + 'static>(value: T, _immortal: bool) -> GilRc<T> {
        GilRc::new(value)
    }

    #[inline]
    fn share<T: Send + Sync + 'static>(r: &GilRc<T>, gil: &Gil) -> GilRc<T> {
        r.clone_ref(gil)
    }

    #[inline]
    fn deref<T: Send + Sync + 'static>(r: &GilRc<T>) -> &T {
        r
    }

    fn ptr_eq<T: Send + Sync + 'static>(a: &GilRc<T>, b: &GilRc<T>) -> bool {
        GilRc::ptr_eq(a, b)
    }

    fn new_cell<T: Send>(value: T) -> GilCell<T> {
        GilCell::new(value)
    }

    fn cell_get_mut<T: Send>(cell: &mut GilCell<T>) -> &mut T {
        cell.get_mut_owned()
    }

    #[inline]
    fn with<T: Send, R>(
        cell: &GilCell<T>,
        guard: &mut GilGuard,
        f: impl FnOnce(&mut T, &Gil) -> R,
    ) -> R {
        // SAFETY: the guard proves this thread holds the GIL. No other reference to this value
        // is alive: every other way to it (`Locked::with`, `Locked::get_mut`) needs the context
        // (borrowed mutably for this call) or `&mut Locked`, and the cell is private to its
        // `Locked`. The `&Gil` lent to `f` reaches no `Locked` value: it only takes handles.
        let value = unsafe { cell.get_mut_unchecked() };
        f(value, guard)
    }
}

/// The free-threaded strategies, which differ only in the counts' mode.
macro_rules! free_threaded {
    ($strategy:ty, $mode:expr) => {
        impl sealed::Imp for $strategy {
            type Guard = ();
            type Proof<'a> = PhantomData<&'a ()>;
            type Ref<T: Send + Sync + 'static> = AtomicRc<T>;
            type Cell<T: Send> = FieldLock<T>;

            fn enter() {}

            fn proof(_: &()) -> PhantomData<&()> {
                PhantomData
            }

            #[inline]
            fn checkpoint(_: &mut ()) {}

            fn detach<R>(_: &mut (), f: impl FnOnce() -> R) -> R {
                f()
            }

            fn new_ref<T: Send + Sync + 'static>(value: T, immortal: bool) -> AtomicRc<T> {
                AtomicRc::with_mode(value, if immortal { Mode::Immortal } else { $mode })
            }

            #[inline]
            fn share<T: Send + Sync + 'static>(
                r: &AtomicRc<T>,
                _: PhantomData<&()>,
            ) -> AtomicRc<T> {
                r.clone()
            }

            #[inline]
            fn deref<T: Send + Sync + 'static>(r: &AtomicRc<T>) -> &T {
                r
            }

            fn ptr_eq<T: Send + Sync + 'static>(a: &AtomicRc<T>, b: &AtomicRc<T>) -> bool {
                AtomicRc::ptr_eq(a, b)
            }

            fn new_cell<T: Send>(value: T) -> FieldLock<T> {
                FieldLock::new(value)
            }

            fn cell_get_mut<T: Send>(cell: &mut FieldLock<T>) -> &mut T {
                cell.get_mut()
            }

            #[inline]
            fn with<T: Send, R>(
                cell: &FieldLock<T>,
                _: &mut (),
                f: impl FnOnce(&mut T, PhantomData<&()>) -> R,
            ) -> R {
                f(&mut cell.lock(&LOCKED), PhantomData)
            }
        }
    };
}

free_threaded!(Biased, Mode::Biased);
free_threaded!(Atomic, Mode::Atomic);

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;

    /// The same code under each strategy: a list of shared objects, appended to from two threads.
    fn two_threads_append<S: Strategy>() {
        type List<S> = Shared<S, Locked<S, Vec<Shared<S, String>>>>;
        let list: List<S> = Shared::new(Locked::new(Vec::new()));
        let constant = Shared::<S, String>::immortal("c".to_owned());
        let (sent, sent_constant) =
            Context::<S>::enter(|cx| (list.share(cx.token()), constant.share(cx.token())));
        let worker = std::thread::spawn(move || {
            Context::enter(|cx| {
                for _ in 0..3 {
                    let item = Shared::new("w".to_owned());
                    sent.with(cx, |items, _| items.push(item));
                    sent.with(cx, |items, token| items.push(sent_constant.share(token)));
                    cx.checkpoint();
                }
            });
        });
        Context::enter(|cx| {
            for _ in 0..3 {
                list.with(cx, |items, _| items.push(Shared::new("m".to_owned())));
                cx.checkpoint();
            }
            cx.detach(|| worker.join().unwrap());
            let first = list.with(cx, |items, token| items[0].share(token));
            assert!(first.as_str() == "m" || first.as_str() == "w");
            let joined: usize = list.with(cx, |items, _| items.iter().map(|s| s.len()).sum());
            assert_eq!(joined, 9);
        });
    }

    #[test]
    fn the_same_code_runs_under_every_strategy() {
        two_threads_append::<GlobalLock>();
        two_threads_append::<Biased>();
        two_threads_append::<Atomic>();
    }

    #[test]
    #[should_panic(expected = "already in a `Context`")]
    fn a_second_context_on_one_thread_is_refused() {
        Context::<Biased>::enter(|_| Context::<Atomic>::enter(|_| ()));
    }

    #[test]
    fn detach_lends_the_context_out() {
        Context::<GlobalLock>::enter(|cx| cx.detach(|| Context::<GlobalLock>::enter(|_| ())));
        Context::<Biased>::enter(|cx| cx.detach(|| Context::<Biased>::enter(|_| ())));
    }

    #[test]
    fn a_panic_in_with_releases_the_lock_and_the_context() {
        let cell = Locked::<Biased, i32>::new(1);
        let caught = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            Context::enter(|cx| cell.with(cx, |_, _| panic!("in with")));
        }));
        assert!(caught.is_err());
        assert_eq!(Context::enter(|cx| cell.with(cx, |v, _| *v)), 1);
    }
}
