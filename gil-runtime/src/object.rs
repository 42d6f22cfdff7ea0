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
//!   objects cannot deadlock on each other's locks. A closure that blocks on
//!   another thread (a `join`) that needs the same object, or the GIL, still can: block only
//!   through [`Context::detach`]. Under the GIL, the closure runs with the
//!   GIL held and no switch in the middle.
//! - The closure gets a [`Token`] to take new handles ([`Shared::share`]), as `CPython` increments
//!   a reference under an object's lock.
//! - [`Context::checkpoint`] is the eval breaker: under the GIL it lets a waiting thread in.
//!   [`Context::detach`] runs blocking work (I/O, a join) with the GIL released.
//! - Containers made with [`Shared::new_collected`] are tracked by the cycle collector under
//!   [`Atomic`], which [`Context::collect_cycles`] runs; the other strategies have none, and a
//!   reference cycle leaks there, as under any plain counting.
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
use crate::refcount::{AtomicRc, Mode, Trace, Visitor};

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

/// A container's value (behind its [`Locked`]) whose handles the cycle collector must see to find
/// reference cycles through it, as `CPython`'s `tp_traverse` and `tp_clear`: see
/// [`Shared::new_collected`].
///
/// ```
/// # use gil_runtime as gilkit;
/// use gilkit::object::{Atomic, Context, Locked, Shared, Strategy, Traverse};
/// use gilkit::refcount::Visitor;
///
/// struct Node<S: Strategy>(Vec<Shared<S, Locked<S, Node<S>>>>);
///
/// impl<S: Strategy> Traverse<S> for Node<S> {
///     fn traverse(&self, visitor: &mut Visitor<'_>) {
///         self.0.iter().for_each(|next| next.visit(visitor));
///     }
///     fn clear(&mut self) {
///         self.0.clear();
///     }
/// }
///
/// Context::<Atomic>::enter(|cx| {
///     let a: Shared<Atomic, _> = Shared::new_collected(Locked::new(Node(Vec::new())));
///     let edge = a.share(cx.token());
///     a.with(cx, |node, _| node.0.push(edge)); // a -> a
///     drop(a); // the cycle keeps itself alive
///     assert_eq!(cx.collect_cycles(), 1);
/// });
/// ```
pub trait Traverse<S: Strategy>: Send + 'static {
    /// Calls [`Shared::visit`] with every handle this value holds.
    fn traverse(&self, visitor: &mut Visitor<'_>);

    /// Drops every handle this value holds, breaking the cycles through it. Called only on
    /// objects that the collector found unreachable.
    fn clear(&mut self);
}

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

    /// Shows the cycle collector this handle: what a [`Traverse::traverse`] calls.
    pub fn visit(&self, visitor: &mut Visitor<'_>) {
        S::visit(&self.0, visitor);
    }
}

impl<S: Strategy, T: Traverse<S>> Shared<S, Locked<S, T>> {
    /// Moves a container into a new object that the cycle collector tracks under [`Atomic`]
    /// ([`Context::collect_cycles`]), as `CPython` tracks its containers. Under [`GlobalLock`]
    /// and [`Biased`], the same as [`Shared::new`]: they have no collector (a non-owner cannot
    /// read a biased count), so a reference cycle through the object leaks.
    pub fn new_collected(value: Locked<S, T>) -> Self {
        Self(S::new_collected(value))
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
    /// Under [`Biased`], objects that other threads hand back to this one are not freed inside
    /// `f` (their destructors would run under this lock), but at the next
    /// [`Context::checkpoint`] or biased allocation outside `with`.
    ///
    /// `f` can still take locks outside this module: the free function
    /// [`refcount::collect_cycles`](crate::refcount::collect_cycles), or `Trace::clear` of a
    /// collected object, lock the objects they trace, this one included: inside `f` they
    /// deadlock (or, with the validator, panic). Collect through [`Context::collect_cycles`].
    ///
    /// # Panics
    /// If `f` panics (the lock is released first). With the lock-order validator compiled in,
    /// if `f` takes another lock in an order that closes a cycle; the report names this call.
    #[track_caller]
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
    /// interval ([`Gil::checkpoint`]); under [`Biased`], frees what other threads handed back
    /// ([`merge_deferred`](crate::refcount::merge_deferred): one load when there is nothing).
    /// Call it every few hundred operations.
    ///
    /// # Panics
    /// If a destructor run here panics: under the GIL, one of a handle dropped without it (the
    /// rest stays pending); under [`Biased`], one of a handle another thread handed back (the
    /// rest goes back to the inbox). Under the GIL, with the lock-order validator compiled in
    /// (debug builds), if it switches while this thread holds a field lock of a
    /// `#[per_field_lock]` type, as [`Gil::checkpoint`].
    #[inline]
    #[track_caller]
    pub fn checkpoint(&mut self) {
        S::checkpoint(&mut self.guard);
    }

    /// Under [`Atomic`], finds the reference cycles among the objects made with
    /// [`Shared::new_collected`] that nothing outside them reaches, and clears them
    /// ([`Traverse::clear`]), so that their counts free them: the number cleared (see
    /// [`refcount::collect_cycles`](crate::refcount::collect_cycles), which this runs, and which
    /// also sees the process's other collected objects). Under the other strategies, 0.
    ///
    /// The collector locks each tracked object in turn, which this thread does not hold (the
    /// context is borrowed). Run it while other threads are not changing the tracked objects,
    /// as `CPython` stops the world: a handle made or dropped during the run can make it clear a
    /// live object's handles (a logic error, never undefined behaviour).
    pub fn collect_cycles(&mut self) -> usize {
        S::collect_cycles()
    }

    /// Runs blocking work (I/O, joining a thread that needs the GIL) with the GIL released, as
    /// [`Gil::allow_threads`]; `f` may enter a context of its own.
    ///
    /// # Panics
    /// If `f` panics (this thread is back in the context first, and under the GIL holds it
    /// again). Under the GIL, as [`Gil::allow_threads`]: with the lock-order validator compiled
    /// in (debug builds), if this thread holds a field lock of a `#[per_field_lock]` type when
    /// it takes the GIL back; and a GIL guard that `f` keeps past its end aborts the process.
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
        #[track_caller]
        fn checkpoint(guard: &mut Self::Guard);
        fn detach<R>(guard: &mut Self::Guard, f: impl FnOnce() -> R) -> R;

        fn new_ref<T: Send + Sync + 'static>(value: T, immortal: bool) -> Self::Ref<T>;
        fn share<T: Send + Sync + 'static>(
            r: &Self::Ref<T>,
            proof: Self::Proof<'_>,
        ) -> Self::Ref<T>;
        fn deref<T: Send + Sync + 'static>(r: &Self::Ref<T>) -> &T;
        fn ptr_eq<T: Send + Sync + 'static>(a: &Self::Ref<T>, b: &Self::Ref<T>) -> bool;
        fn visit<T: Send + Sync + 'static>(r: &Self::Ref<T>, visitor: &mut super::Visitor<'_>);
        fn new_collected<T>(value: super::Locked<Self, T>) -> Self::Ref<super::Locked<Self, T>>
        where
            Self: super::Strategy,
            T: super::Traverse<Self>;
        fn collect_cycles() -> usize;

        fn new_cell<T: Send>(value: T) -> Self::Cell<T>;
        fn cell_get_mut<T: Send>(cell: &mut Self::Cell<T>) -> &mut T;
        #[track_caller]
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
    #[track_caller]
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

    fn visit<T: Send + Sync + 'static>(_: &GilRc<T>, _: &mut Visitor<'_>) {}

    fn new_collected<T: Traverse<Self>>(value: Locked<Self, T>) -> GilRc<Locked<Self, T>> {
        GilRc::new(value)
    }

    fn collect_cycles() -> usize {
        0
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
    ($strategy:ty, $mode:expr, new_collected: $new_collected:expr, collect_cycles: $collect_cycles:expr) => {
        impl sealed::Imp for $strategy {
            type Guard = ();
            type Proof<'a> = PhantomData<&'a ()>;
            type Ref<T: Send + Sync + 'static> = AtomicRc<T>;
            type Cell<T: Send> = FieldLock<T>;

            fn enter() {}

            fn proof(_: &()) -> PhantomData<&()> {
                PhantomData
            }

            /// The safe point where this thread frees what other threads handed back to it
            /// (PEP 703 merges there too): no object's lock is held here.
            #[inline]
            fn checkpoint(_: &mut ()) {
                crate::refcount::merge_deferred();
            }

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

            fn visit<T: Send + Sync + 'static>(r: &AtomicRc<T>, visitor: &mut Visitor<'_>) {
                visitor.visit(r);
            }

            fn new_collected<T: Traverse<Self>>(
                value: Locked<Self, T>,
            ) -> AtomicRc<Locked<Self, T>> {
                $new_collected(value)
            }

            fn collect_cycles() -> usize {
                $collect_cycles()
            }

            fn new_cell<T: Send>(value: T) -> FieldLock<T> {
                FieldLock::new(value)
            }

            fn cell_get_mut<T: Send>(cell: &mut FieldLock<T>) -> &mut T {
                cell.get_mut()
            }

            #[inline]
            #[track_caller]
            fn with<T: Send, R>(
                cell: &FieldLock<T>,
                _: &mut (),
                f: impl FnOnce(&mut T, PhantomData<&()>) -> R,
            ) -> R {
                let mut value = cell.lock(&LOCKED);
                let _held_off = crate::refcount::HoldDrains::new();
                f(&mut value, PhantomData)
            }
        }
    };
}

free_threaded!(Biased, Mode::Biased,
    new_collected: |value| AtomicRc::with_mode(value, Mode::Biased),
    collect_cycles: || 0);
free_threaded!(Atomic, Mode::Atomic,
    new_collected: AtomicRc::new_collected,
    collect_cycles: crate::refcount::collect_cycles);

/// What the collector sees of a tracked container: its value, locked for the time of the call.
/// The collecting thread holds no object's lock ([`Context::collect_cycles`] borrows its context).
/// Not offered in the error of a collected type that lacks `Trace`: it is this module's own.
#[diagnostic::do_not_recommend]
impl<T: Traverse<Atomic>> Trace for Locked<Atomic, T> {
    #[track_caller]
    fn trace(&self, visitor: &mut Visitor<'_>) {
        self.0.lock(&LOCKED).traverse(visitor);
    }

    #[track_caller]
    fn clear(&self) {
        self.0.lock(&LOCKED).clear();
    }
}

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

    /// A list of lists, with a marker whose count tells whether the list was freed.
    struct Items<S: Strategy>(
        Vec<Shared<S, Locked<S, Items<S>>>>,
        #[allow(
            dead_code,
            reason = "held for its count: it tells whether the list was freed"
        )]
        std::sync::Arc<()>,
    );

    impl<S: Strategy> Traverse<S> for Items<S> {
        fn traverse(&self, visitor: &mut Visitor<'_>) {
            self.0.iter().for_each(|item| item.visit(visitor));
        }
        fn clear(&mut self) {
            self.0.clear();
        }
    }

    /// A list that holds itself, dropped, and another kept: plain counting frees neither;
    /// under `Atomic` the collector frees the first and leaves the reachable one whole.
    /// Returns whether the dropped one was freed.
    fn self_referencing_list<S: Strategy>() -> bool {
        let (dropped, kept) = (std::sync::Arc::new(()), std::sync::Arc::new(()));
        Context::<S>::enter(|cx| {
            let mut make = |marker: &std::sync::Arc<()>| {
                let list =
                    Shared::new_collected(Locked::new(Items::<S>(Vec::new(), marker.clone())));
                let edge = list.share(cx.token());
                list.with(cx, |items, _| items.0.push(edge));
                list
            };
            drop(make(&dropped));
            let live = make(&kept);
            cx.collect_cycles();
            let whole = live.with(cx, |items, _| items.0.len() == 1);
            assert!(
                whole,
                "{}: the collector cut a cycle that a handle reaches",
                S::NAME
            );
            assert_eq!(std::sync::Arc::strong_count(&kept), 2, "{}: kept", S::NAME);
            drop(live);
            cx.collect_cycles(); // leaves no garbage for the next test that collects
        });
        std::sync::Arc::strong_count(&dropped) == 1
    }

    #[test]
    fn a_self_referencing_list_leaks_without_the_collector_and_is_freed_with_it() {
        let _alone = crate::refcount::COLLECTOR_TESTS
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        // The other two leak on purpose, which Miri's leak check would report.
        if !cfg!(miri) {
            assert!(!self_referencing_list::<GlobalLock>());
            assert!(!self_referencing_list::<Biased>());
        }
        assert!(self_referencing_list::<Atomic>());
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

    /// The message of a caught panic.
    fn message(payload: &(dyn std::any::Any + Send)) -> String {
        payload
            .downcast_ref::<String>()
            .cloned()
            .or_else(|| payload.downcast_ref::<&str>().map(|s| (*s).to_owned()))
            .unwrap_or_default()
    }

    /// Runs `f`, expecting a panic whose message contains `expected`.
    #[track_caller]
    fn assert_panics(expected: &str, f: impl FnOnce()) {
        let payload = std::panic::catch_unwind(std::panic::AssertUnwindSafe(f))
            .expect_err("expected a panic");
        let message = message(&*payload);
        assert!(
            message.contains(expected),
            "panic message {message:?} does not contain {expected:?}"
        );
    }

    /// A value whose destructor tries to enter a context of strategy `S`.
    struct EntersOnDrop<S: Strategy>(PhantomData<fn() -> S>);

    impl<S: Strategy> Drop for EntersOnDrop<S> {
        fn drop(&mut self) {
            Context::<S>::enter(|_| ());
        }
    }

    /// A destructor run inside `with` (the old value of an assignment) cannot enter a second
    /// context: it panics, and the object's lock and the context are let go on the way out.
    fn a_destructor_inside_with_cannot_enter_a_context<S: Strategy>() {
        let cell = Locked::<S, Option<EntersOnDrop<S>>>::new(Some(EntersOnDrop(PhantomData)));
        assert_panics("already in a `Context`", || {
            Context::<S>::enter(|cx| cell.with(cx, |value, _| *value = None));
        });
        // The assignment completed, the lock is free and this thread is out of the context.
        assert!(Context::<S>::enter(
            |cx| cell.with(cx, |value, _| value.is_none())
        ));
    }

    #[test]
    fn destructors_inside_with_cannot_enter_a_context() {
        a_destructor_inside_with_cannot_enter_a_context::<GlobalLock>();
        a_destructor_inside_with_cannot_enter_a_context::<Biased>();
        a_destructor_inside_with_cannot_enter_a_context::<Atomic>();
    }

    /// A destructor run inside a `Context<GlobalLock>`'s `with` cannot take the GIL a second
    /// time (another token), through any door.
    #[test]
    fn a_destructor_inside_with_under_the_gil_cannot_take_it_again() {
        struct AcquiresOnDrop;
        impl Drop for AcquiresOnDrop {
            fn drop(&mut self) {
                drop(crate::acquire());
            }
        }
        struct WithGilOnDrop;
        impl Drop for WithGilOnDrop {
            fn drop(&mut self) {
                crate::with_gil(|_| ());
            }
        }
        let a = Locked::<GlobalLock, _>::new(Some(AcquiresOnDrop));
        let b = Locked::<GlobalLock, _>::new(Some(WithGilOnDrop));
        assert_panics("already holds the GIL", || {
            Context::enter(|cx| a.with(cx, |value, _| *value = None));
        });
        assert_panics("already holds the GIL", || {
            Context::enter(|cx| b.with(cx, |value, _| *value = None));
        });
        Context::<GlobalLock>::enter(|cx| {
            assert!(a.with(cx, |value, _| value.is_none()));
            assert!(b.with(cx, |value, _| value.is_none()));
        });
    }

    /// A panic out of `Context::enter` gives the GIL back and takes this thread out of the
    /// context: another thread gets the GIL, and this one can enter again.
    #[test]
    fn a_panic_out_of_enter_releases_the_gil_and_the_context() {
        assert_panics("in enter", || {
            Context::<GlobalLock>::enter(|_| panic!("in enter"));
        });
        std::thread::spawn(|| crate::with_gil(|_| ()))
            .join()
            .unwrap();
        Context::<GlobalLock>::enter(|_| ());
        Context::<Biased>::enter(|_| ());
    }

    /// A panic out of `detach`'s closure, caught inside the context, leaves the thread back in
    /// it: the GIL is held again (a second acquisition is refused), a second context is refused,
    /// and objects are usable.
    #[test]
    fn a_panic_out_of_detach_puts_the_context_back() {
        let cell = Locked::<GlobalLock, i32>::new(1);
        Context::<GlobalLock>::enter(|cx| {
            assert_panics("in detach", || cx.detach(|| panic!("in detach")));
            assert_eq!(
                crate::try_acquire().unwrap_err(),
                crate::TryAcquireError::AlreadyHeld
            );
            assert_panics("already in a `Context`", || {
                Context::<Biased>::enter(|_| ());
            });
            cell.with(cx, |value, _| *value += 1);
        });
        let cell = Locked::<Biased, i32>::new(1);
        Context::<Biased>::enter(|cx| {
            assert_panics("in detach", || {
                cx.detach(|| Context::<Biased>::enter(|_| panic!("in detach")));
            });
            assert_panics("already in a `Context`", || {
                Context::<Atomic>::enter(|_| ());
            });
            cell.with(cx, |value, _| *value += 1);
        });
        Context::<Biased>::enter(|cx| assert_eq!(cell.with(cx, |value, _| *value), 2));
    }

    /// A context of the GIL and `with_gil` or `acquire` never give one thread two tokens, in
    /// either nesting; the free-threaded contexts mix with the GIL freely.
    #[test]
    fn mixing_strategies_never_gives_two_tokens() {
        assert_panics("already holds the GIL", || {
            crate::with_gil(|_| Context::<GlobalLock>::enter(|_| ()));
        });
        assert_panics("already holds the GIL", || {
            Context::<GlobalLock>::enter(|_| crate::with_gil(|_| ()));
        });
        assert_panics("already holds the GIL", || {
            Context::<GlobalLock>::enter(|_| drop(crate::acquire()));
        });
        // The refused context left nothing behind.
        Context::<GlobalLock>::enter(|_| ());

        let cell = Locked::<Biased, i32>::new(0);
        Context::<Biased>::enter(|cx| {
            crate::with_gil(|_| cell.with(cx, |value, _| *value += 1));
        });
        crate::with_gil(|_| Context::<Biased>::enter(|cx| cell.with(cx, |value, _| *value += 1)));
        Context::<GlobalLock>::enter(|cx| {
            assert_eq!(cx.detach(|| crate::with_gil(|_| 7)), 7);
            cx.detach(|| Context::<Biased>::enter(|cx| cell.with(cx, |value, _| *value += 1)));
        });
        Context::<Biased>::enter(|cx| assert_eq!(cell.with(cx, |value, _| *value), 3));
    }

    /// Under the free-threaded strategies, a value's lock is a field lock: waiting for the GIL
    /// while holding it is refused (it could deadlock against a GIL holder that waits for the
    /// object), with the validator compiled in.
    #[test]
    fn taking_the_gil_inside_a_free_threaded_with_is_refused() {
        if !crate::field_lock::VALIDATION_ENABLED {
            return;
        }
        let cell = Locked::<Biased, i32>::new(0);
        assert_panics("field lock", || {
            Context::<Biased>::enter(|cx| cell.with(cx, |_, _| crate::with_gil(|_| ())));
        });
        Context::<Biased>::enter(|cx| cell.with(cx, |value, _| *value += 1));
    }

    /// An object that holds handles to itself, or to an object that holds one to it: handles
    /// dropped inside its own `with` (the last handle of the other object among them) give up
    /// their counts without freeing the object that is being used.
    struct Node<S: Strategy> {
        next: Locked<S, Option<Shared<S, Node<S>>>>,
        drops: std::sync::Arc<std::sync::atomic::AtomicUsize>,
    }

    impl<S: Strategy> Drop for Node<S> {
        fn drop(&mut self) {
            self.drops
                .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        }
    }

    fn handles_to_itself_dropped_inside_its_own_with<S: Strategy>() {
        use std::sync::atomic::Ordering::Relaxed;
        let drops = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let node = || {
            Shared::<S, Node<S>>::new(Node {
                next: Locked::new(None),
                drops: drops.clone(),
            })
        };
        Context::<S>::enter(|cx| {
            // A cycle of one: the node holds a handle to itself.
            let a = node();
            let me = a.share(cx.token());
            a.next.with(cx, |next, _| *next = Some(me));
            a.next.with(cx, |next, _| *next = None);
            assert_eq!(drops.load(Relaxed), 0);
            a.next.with(cx, |next, _| assert!(next.is_none()));
            drop(a);
            assert_eq!(drops.load(Relaxed), 1);

            // A cycle of two, `b` held only by `a`: dropping it inside `a`'s `with` frees `b`,
            // whose destructor gives up a handle to `a`, the object being used.
            let a = node();
            let b = node();
            let to_a = a.share(cx.token());
            b.next.with(cx, |next, _| *next = Some(to_a));
            a.next.with(cx, |next, _| *next = Some(b));
            a.next.with(cx, |next, _| {
                *next = None;
            });
            assert_eq!(drops.load(Relaxed), 2);
            a.next.with(cx, |next, _| assert!(next.is_none()));
            drop(a);
            assert_eq!(drops.load(Relaxed), 3);
        });
    }

    #[test]
    fn dropping_handles_to_an_object_inside_its_own_with() {
        handles_to_itself_dropped_inside_its_own_with::<GlobalLock>();
        handles_to_itself_dropped_inside_its_own_with::<Biased>();
        handles_to_itself_dropped_inside_its_own_with::<Atomic>();
    }

    /// A value dropped without the GIL is deferred; whichever thread drains it holds the GIL,
    /// so its destructor cannot enter a context of the GIL (nor, while the draining thread is in
    /// a context, any context).
    #[test]
    fn a_deferred_destructor_cannot_enter_a_context_of_the_gil() {
        use std::sync::atomic::{AtomicU8, Ordering::SeqCst};
        static OUTCOME: AtomicU8 = AtomicU8::new(0);
        struct TriesOnDrop;
        impl Drop for TriesOnDrop {
            fn drop(&mut self) {
                let entered = std::panic::catch_unwind(|| Context::<GlobalLock>::enter(|_| ()));
                OUTCOME.store(if entered.is_ok() { 1 } else { 2 }, SeqCst);
            }
        }
        let handle = Shared::<GlobalLock, TriesOnDrop>::new(TriesOnDrop);
        std::thread::spawn(move || drop(handle)).join().unwrap();
        Context::<GlobalLock>::enter(|_| ()); // drains the pool, if no thread did before
        assert_eq!(OUTCOME.load(SeqCst), 2);
    }

    /// Under `Biased`, a handle dropped last on another thread is handed to the owner, which
    /// frees the object at its next safe point, not inside a `with`: at a `checkpoint`, inside
    /// the context, where the destructor cannot enter a context either.
    #[test]
    fn a_handed_over_destructor_inside_with_cannot_enter_a_context() {
        use std::sync::atomic::{AtomicU8, Ordering::SeqCst};
        static OUTCOME: AtomicU8 = AtomicU8::new(0);
        struct TriesOnDrop;
        impl Drop for TriesOnDrop {
            fn drop(&mut self) {
                let entered = std::panic::catch_unwind(|| Context::<Biased>::enter(|_| ()));
                OUTCOME.store(if entered.is_ok() { 1 } else { 2 }, SeqCst);
            }
        }
        let handle = Shared::<Biased, TriesOnDrop>::new(TriesOnDrop);
        let cell = Locked::<Biased, Vec<Shared<Biased, u8>>>::new(Vec::new());
        std::thread::spawn(move || drop(handle)).join().unwrap();
        Context::<Biased>::enter(|cx| {
            cell.with(cx, |items, _| items.push(Shared::new(1))); // does not drain the inbox
            assert_eq!(OUTCOME.load(SeqCst), 0);
            cx.checkpoint(); // drains it
        });
        assert_eq!(OUTCOME.load(SeqCst), 2);
    }

    /// The validator's report on a lock-order cycle through an object's lock names the line of
    /// the `with` call, as it names the line of a field lock's `lock`: not a line inside this
    /// module, which would leave the user to guess which `with` it was.
    #[test]
    fn a_lock_order_report_names_the_line_of_with() {
        use crate::field_lock::FieldLock;
        static INNER: LockClass = LockClass::new("object::tests::Inner.value");
        if !crate::field_lock::VALIDATION_ENABLED {
            return;
        }
        let inner = FieldLock::new(0);
        let cell = Locked::<Biased, i32>::new(0);
        let first = line!() + 1;
        Context::<Biased>::enter(|cx| cell.with(cx, |_, _| *inner.lock(&INNER) += 1));
        let second = line!() + 3;
        let payload = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            let _inner = inner.lock(&INNER);
            Context::<Biased>::enter(|cx| cell.with(cx, |_, _| ()));
        }))
        .expect_err("the opposite order closes a cycle");
        let message = message(&*payload);
        for line in [first, second] {
            let at = format!("{}:{line}:", file!());
            assert!(
                message.contains(&at),
                "the report does not name the `with` at {at}: {message}"
            );
        }
    }

    /// Under `Biased`, an allocation inside `with` (`Shared::new`) drains this thread's inbox of
    /// objects handed over by other threads, and runs their destructors while the object's lock
    /// is held. A destructor that takes a lock then nests it in the object's lock, an order the
    /// user never wrote: against a thread that holds that lock and calls `with` on the object, a
    /// deadlock (a validator panic in debug builds, inside `Shared::new`). The GIL's pending pool
    /// is drained only at acquisition, where no field lock may be held; the inbox should be
    /// drained only where none is either.
    #[test]
    fn handed_over_destructors_do_not_run_under_an_objects_lock() {
        use std::sync::atomic::{AtomicUsize, Ordering::SeqCst};
        static HELD: AtomicUsize = AtomicUsize::new(usize::MAX);
        struct RecordsHeldLocks;
        impl Drop for RecordsHeldLocks {
            fn drop(&mut self) {
                HELD.store(crate::field_lock::held_count(), SeqCst);
            }
        }
        if !crate::field_lock::VALIDATION_ENABLED {
            return; // `held_count` is 0 without the validator
        }
        let handle = Shared::<Biased, RecordsHeldLocks>::new(RecordsHeldLocks);
        std::thread::spawn(move || drop(handle)).join().unwrap();
        let cell = Locked::<Biased, Vec<Shared<Biased, u8>>>::new(Vec::new());
        Context::<Biased>::enter(|cx| cell.with(cx, |items, _| items.push(Shared::new(1))));
        crate::refcount::merge_deferred();
        assert_eq!(
            HELD.load(SeqCst),
            0,
            "a handed-over destructor ran while this thread held a field lock"
        );
    }
}
