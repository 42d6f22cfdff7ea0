//! The typed locks: [`FieldLock`] and [`RwFieldLock`], each a shim lock plus the validator's
//! bookkeeping in its guards.

use std::fmt;
use std::marker::PhantomData;
use std::ops::{Deref, DerefMut};
use std::panic::Location;

use super::field::{After, Lockable};
use super::order::{self, Held, Site};
use super::LockClass;
use crate::sync::{
    const_unless_loom, Mutex, MutexGuard, RwLock, RwLockReadGuard, RwLockWriteGuard, UnsafeCell,
};

/// Where an acquisition comes from: everything the validator needs except the lock's address.
#[derive(Clone, Copy)]
pub(crate) struct Ctx {
    pub(crate) class: &'static LockClass,
    pub(crate) object: usize,
    pub(crate) group: u64,
    /// The lock of the guard given to `lock_next`; 0 for none.
    pub(crate) after: usize,
    pub(crate) at: &'static Location<'static>,
}

impl Ctx {
    #[inline]
    fn site(self, lock: usize) -> Site {
        Site {
            class: self.class,
            lock,
            object: self.object,
            group: self.group,
            after: self.after,
            at: self.at,
        }
    }

    #[track_caller]
    #[inline]
    fn bare<L>(class: &'static LockClass, lock: &L) -> Self {
        Self {
            class,
            object: std::ptr::from_ref(lock) as usize,
            group: 0,
            after: 0,
            at: Location::caller(),
        }
    }
}

/// The lock of one field: a 1-byte `parking_lot` mutex that guards a [`FieldCell`].
///
/// `#[per_field_lock]` stores each field's lock beside the field, not around it, so that rustc
/// can pack the struct's 1-byte locks together: four `u64` fields and their locks take 40 bytes,
/// where four [`FieldLock`]s (each a lock and a value, 16 bytes) would take 64. The generated
/// accessor pairs the lock with its cell; neither reaches the value on its own.
pub struct RawFieldLock(Mutex<()>);

impl RawFieldLock {
    const_unless_loom! {
        /// An unlocked lock.
        #[must_use]
        pub fn new() -> Self {
            Self(Mutex::new(()))
        }
    }
}

impl Default for RawFieldLock {
    fn default() -> Self {
        Self::new()
    }
}

impl fmt::Debug for RawFieldLock {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("RawFieldLock")
    }
}

/// The value of one field of a `#[per_field_lock]` struct, guarded by the [`RawFieldLock`] that
/// the macro stores beside it.
///
/// Through `&self`, only the field's accessor reaches the value, and only with that lock held.
/// The cell itself gives the value out through `&mut self` ([`get_mut`](Self::get_mut)) or by
/// value ([`into_inner`](Self::into_inner)), which need no lock.
///
/// ```
/// # extern crate gil_runtime as gilkit;
/// # use gil_macros::per_field_lock;
/// # fn main() {
/// #[per_field_lock]
/// struct Counter {
///     hits: u64,
/// }
///
/// impl Counter {
///     /// In the struct's module, the field is a `FieldCell<u64>`.
///     fn reset(&mut self) {
///         *self.hits.get_mut() = 0;
///     }
/// }
///
/// let mut c = Counter::new(5);
/// c.reset();
/// assert_eq!(*c.hits().lock(), 0);
/// # }
/// ```
pub struct FieldCell<T>(UnsafeCell<T>);

// SAFETY: through a shared `&FieldCell`, only a `FieldGuard` reaches the value, and it is made
// while the cell's one lock is held (the contract of `Parts::new`): one thread at a time, as with
// a `Mutex<T>`, which is `Sync` for `T: Send`.
unsafe impl<T: Send> Sync for FieldCell<T> {}

impl<T> FieldCell<T> {
    const_unless_loom! {
        /// Wraps `value`.
        pub fn new(value: T) -> Self {
            Self(UnsafeCell::new(value))
        }
    }

    /// Unwraps the value; owning the cell is proof enough.
    pub fn into_inner(self) -> T {
        self.0.into_inner()
    }

    /// Exclusive access through `&mut`, which needs no locking.
    pub fn get_mut(&mut self) -> &mut T {
        // SAFETY: `&mut self` excludes every other reference to the cell, so no guard of it is
        // alive, and none can be made while the returned borrow lives.
        self.0.with_mut(|p| unsafe { &mut *p })
    }
}

impl<T: Default> Default for FieldCell<T> {
    fn default() -> Self {
        Self::new(T::default())
    }
}

impl<T> From<T> for FieldCell<T> {
    fn from(value: T) -> Self {
        Self::new(value)
    }
}

impl<T> fmt::Debug for FieldCell<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // The value can be read only under its lock, which the cell does not know.
        f.write_str("FieldCell(..)")
    }
}

/// A cell and its one lock, as the accessors pair them.
pub(crate) struct Parts<'a, T> {
    lock: &'a RawFieldLock,
    cell: &'a FieldCell<T>,
}

impl<T> Clone for Parts<'_, T> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<T> Copy for Parts<'_, T> {}

impl<'a, T> Parts<'a, T> {
    /// Pairs `cell` with `lock`.
    ///
    /// # Safety
    /// `lock` is `cell`'s one lock: every pair of `cell`, on any thread and at any time, is made
    /// with the same `lock`.
    #[inline]
    pub(crate) unsafe fn new(lock: &'a RawFieldLock, cell: &'a FieldCell<T>) -> Self {
        Self { lock, cell }
    }

    /// The lock's address: its identity in the validator and in the acquisition order.
    #[inline]
    pub(crate) fn address(self) -> usize {
        std::ptr::from_ref(self.lock) as usize
    }

    #[inline]
    fn guard(self, guard: MutexGuard<'a, ()>, held: Held) -> FieldGuard<'a, T> {
        FieldGuard {
            cell: self.cell,
            _guard: guard,
            held,
            _value: PhantomData,
        }
    }

    /// `always`: with the validator compiled in, rustc left this out of line in a caller in
    /// another crate, which then built the `Ctx` on its stack for the call and the `Site` again
    /// inside it; inlined, a field lock with the validator took 5.6 ns there against 9.0 ns,
    /// where `parking_lot`'s takes 5.2 (two nested, 12.6 ns against 22 ns, and 8.8 ns for two
    /// `parking_lot` mutexes; the probe of docs/MEASUREMENTS.md on an AMD EPYC). Without the
    /// validator it is a few instructions, inlined anyway. The same for `RwFieldLock`'s
    /// `read_in`, `write_in`.
    #[allow(clippy::inline_always, reason = "measured: see above")]
    #[inline(always)]
    pub(crate) fn lock_in(self, ctx: Ctx) -> FieldGuard<'a, T> {
        let site = ctx.site(self.address());
        order::check(&site);
        let guard = self.lock.0.lock();
        self.guard(guard, order::hold(&site))
    }

    #[inline]
    pub(crate) fn try_lock_in(self, ctx: Ctx) -> Option<FieldGuard<'a, T>> {
        let site = ctx.site(self.address());
        let guard = self.lock.0.try_lock()?;
        Some(self.guard(guard, order::hold(&site)))
    }

    pub(crate) fn try_lock_for_in(
        self,
        ctx: Ctx,
        timeout: std::time::Duration,
    ) -> Option<FieldGuard<'a, T>> {
        let site = ctx.site(self.address());
        order::check(&site);
        let guard = self.lock.0.try_lock_for(timeout)?;
        Some(self.guard(guard, order::hold(&site)))
    }

    /// `name(value)`, or `name(<locked>)` while a guard holds the lock. A `try_lock` never
    /// waits, so this one stays out of the validator.
    pub(crate) fn debug(self, name: &str, f: &mut fmt::Formatter<'_>) -> fmt::Result
    where
        T: fmt::Debug,
    {
        match self.lock.0.try_lock() {
            Some(_guard) => {
                // SAFETY: `_guard` holds the cell's one lock (`Parts::new`) until this returns.
                let value = self.cell.0.with(|p| unsafe { &*p });
                f.debug_tuple(name).field(&value).finish()
            }
            None => write!(f, "{name}(<locked>)"),
        }
    }
}

/// A mutex around one field: a [`RawFieldLock`] and a [`FieldCell`] in one value.
///
/// `#[per_field_lock]` stores the two apart, so that the locks pack together, or in one
/// `FieldLock` with `padded`. You normally reach it through the generated accessors, which pass
/// the field's [`LockClass`] for you. Used by hand, each acquisition names its class:
///
/// ```
/// # use gil_runtime as gilkit;
/// use gilkit::field_lock::{FieldLock, LockClass};
///
/// static HITS: LockClass = LockClass::new("Counter.hits");
/// let hits = FieldLock::new(0_u32);
/// *hits.lock(&HITS) += 1;
/// assert_eq!(hits.into_inner(), 1);
/// ```
///
/// # Panics and poisoning
///
/// A panic while the guard is alive unwinds through the guard's `Drop`, which releases the lock.
/// The lock is **not poisoned** (`parking_lot` has no poisoning): the next thread gets the data as
/// the panicking thread left it, including any half-done update. Keep each critical section
/// consistent on every exit, or check an invariant after taking the lock.
///
/// ```
/// # use gil_runtime as gilkit;
/// use gilkit::field_lock::{FieldLock, LockClass};
///
/// static V: LockClass = LockClass::new("Doc.v");
/// let v = FieldLock::new(vec![1]);
/// let _ = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
///     let mut g = v.lock(&V);
///     g.push(2);
///     panic!("oops");
/// }));
/// assert_eq!(*v.lock(&V), [1, 2]); // released, not poisoned, the push is kept
/// ```
pub struct FieldLock<T> {
    lock: RawFieldLock,
    cell: FieldCell<T>,
}

impl<T> FieldLock<T> {
    const_unless_loom! {
        /// Wraps `value`.
        pub fn new(value: T) -> Self {
            Self {
                lock: RawFieldLock::new(),
                cell: FieldCell::new(value),
            }
        }
    }

    /// Unwraps the value; owning the lock is proof enough.
    pub fn into_inner(self) -> T {
        self.cell.into_inner()
    }

    /// Exclusive access through `&mut`, which needs no locking.
    ///
    /// ```
    /// # use gil_runtime as gilkit;
    /// let mut lock = gilkit::field_lock::FieldLock::new(1);
    /// *lock.get_mut() += 1;
    /// assert_eq!(lock.into_inner(), 2);
    /// ```
    pub fn get_mut(&mut self) -> &mut T {
        self.cell.get_mut()
    }

    #[inline]
    pub(crate) fn parts(&self) -> Parts<'_, T> {
        // SAFETY: a `FieldLock`'s cell is private to it and paired only with its own lock.
        unsafe { Parts::new(&self.lock, &self.cell) }
    }

    /// Locks, blocking until the lock is free. `class` is this lock's class for the validator.
    ///
    /// # Panics
    /// With the validator compiled in, if taking a lock of `class` here closes a cycle in the
    /// order of classes seen so far, or nests a second lock of `class`. The panic comes before
    /// blocking, and names both classes and both places.
    #[track_caller]
    #[inline]
    pub fn lock(&self, class: &'static LockClass) -> FieldGuard<'_, T> {
        self.parts().lock_in(Ctx::bare(class, self))
    }

    /// Locks if the lock is free right now. Never blocks, so it is never an order violation.
    #[track_caller]
    #[inline]
    #[must_use]
    pub fn try_lock(&self, class: &'static LockClass) -> Option<FieldGuard<'_, T>> {
        self.parts().try_lock_in(Ctx::bare(class, self))
    }

    /// Locks, giving up after `timeout`. The validator treats it as a blocking [`lock`](Self::lock).
    /// Under loom, which has no timed locks, the timeout expires at once (a `try_lock`).
    ///
    /// # Panics
    /// As [`lock`](Self::lock).
    #[track_caller]
    #[inline]
    #[must_use]
    pub fn try_lock_for(
        &self,
        class: &'static LockClass,
        timeout: std::time::Duration,
    ) -> Option<FieldGuard<'_, T>> {
        self.parts()
            .try_lock_for_in(Ctx::bare(class, self), timeout)
    }
}

impl<T: Default> Default for FieldLock<T> {
    fn default() -> Self {
        Self::new(T::default())
    }
}

impl<T> From<T> for FieldLock<T> {
    fn from(value: T) -> Self {
        Self::new(value)
    }
}

impl<T: fmt::Debug> fmt::Debug for FieldLock<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.parts().debug("FieldLock", f)
    }
}

/// Exclusive access to the value of a [`FieldLock`] or of a field's [`FieldCell`]; the lock is
/// released when it is dropped.
///
/// To walk a linked structure hand over hand, take the next node's lock with
/// [`FieldGuard::lock_next`] while this guard is held, then drop this one.
#[must_use = "the lock is released as soon as the guard is dropped"]
pub struct FieldGuard<'a, T> {
    /// The value is reached through the cell, never kept as a `&'a mut T`: it is this guard's
    /// alone only until `_guard` unlocks, which comes before `'a` ends.
    cell: &'a FieldCell<T>,
    _guard: MutexGuard<'a, ()>,
    held: Held,
    /// Makes the guard `Sync` only for `T: Sync`, as `&mut T` is: a shared guard shares `&T`.
    _value: PhantomData<&'a mut T>,
}

/// The one step of a hand-over-hand walk, for every kind of guard.
#[track_caller]
#[inline]
fn step<'b, L: Lockable<'b>>(held: &Held, next: L) -> L::Guard {
    next.__lock_after(After::new(held.lock()), Location::caller())
}

impl<T> FieldGuard<'_, T> {
    /// Hand over hand (lock coupling): takes `next` while `this` is held, as one step of a walk
    /// along a linked structure. Drop `this` afterwards, and step on from the new guard.
    ///
    /// Outside [`lock_fields`](super::lock_fields), the validator refuses to nest two locks of
    /// one class, and `lock_fields` cannot take the next node of a list: it is known only once
    /// this one is locked. `lock_next` tells the validator that `next` is the lock that the data
    /// behind `this` links to, so that it lets the two nest (lockdep's nesting subclasses serve
    /// the same purpose). `next` is any [`Lockable`]: a [`Field`](super::Field), a
    /// [`RwField`](super::RwField) (taken for writing) or a [`SharedField`](super::SharedField)
    /// (for reading). If its class is not `this`'s, this is a plain nested lock, checked as one.
    ///
    /// This is an associated function, `FieldGuard::lock_next(&guard, next)`, so that it never
    /// shadows a method of `T`.
    ///
    /// ```
    /// # extern crate gil_runtime as gilkit;
    /// # use gil_macros::per_field_lock;
    /// # fn main() {
    /// use gilkit::field_lock::{FieldGuard, Handle};
    ///
    /// #[per_field_lock]
    /// struct Node {
    ///     v: u64,
    ///     next: Option<Handle<Node>>,
    /// }
    ///
    /// /// The sum of the values after the node whose `next` is locked by `guard`.
    /// fn sum_after(guard: FieldGuard<'_, Option<Handle<Node>>>) -> u64 {
    ///     let Some(node) = guard.clone() else { return 0 };
    ///     let next = FieldGuard::lock_next(&guard, node.next()); // the next lock, then...
    ///     drop(guard); // ...let go of this one
    ///     let v = *node.v().lock();
    ///     v + sum_after(next)
    /// }
    ///
    /// let tail = Node::new(3, None).into_handle();
    /// let list = Node::new(1, Some(Node::new(2, Some(tail)).into_handle()));
    /// let first = *list.v().lock();
    /// assert_eq!(first + sum_after(list.next().lock()), 6);
    /// # }
    /// ```
    ///
    /// The walk recurses because the new guard borrows the node, and each frame keeps its node
    /// alive (a loop could not keep a `Handle` and the guard that borrows it from one iteration to
    /// the next). `v` is read in a statement of its own: a guard kept alive across the recursive
    /// step would hold `Node.v` while taking `Node.next`, the opposite of the order `Node.next`
    /// then `Node.v` used just before, and the validator would report that cycle.
    ///
    /// # What makes it deadlock-free, and what the validator cannot see
    ///
    /// Threads that walk a structure hand over hand cannot deadlock on its locks if each step
    /// takes the lock that the link behind the held guard points to, and the structure has no
    /// cycle. A waiting walker holds a run of consecutive nodes and waits for the node that the
    /// newest one links to, and none of those links can change while their locks are held; so
    /// walkers waiting in a circle would be a circle of links, as the structure is at that
    /// moment. Inserting, removing or moving nodes under the locks while others walk is therefore
    /// fine.
    ///
    /// The validator checks what it can see:
    /// - the locks of the class that this thread holds are one run of consecutive steps ending at
    ///   `this`: each taken by `lock_next` on the guard of the one before, released only from the
    ///   oldest end. A walk holds two (the lock it steps from and the one it steps to) or more
    ///   (three, to unlink the middle node of a doubly linked list). Stepping on from an older
    ///   guard, or after letting go of a lock in the middle of the run, could deadlock on a
    ///   structure without a cycle: the link of a released lock may have changed since it was
    ///   followed;
    /// - `lock_fields` never takes several locks of a class walked with `lock_next` at once,
    ///   anywhere in the program: the walk takes them in link order, `lock_fields` in address
    ///   order, and the two can disagree;
    /// - the order of classes, as for any nested lock: the other locks this thread holds are
    ///   recorded before `next`'s class.
    ///
    /// It cannot see the links. That `next` is really the lock the guarded link points to, that
    /// the structure has no cycle, and that no other thread couples the same locks in the
    /// opposite direction (one thread taking A then B, another B then A, can deadlock, and
    /// neither is reported) are the caller's promise, as with lockdep's nesting annotations. Such
    /// a deadlock, once it happens, is reported by the `deadlock-detection` watchdog. A structure
    /// whose links alternate between two classes (nodes of two types linking to each other) is a
    /// cycle of classes, and is reported as one.
    ///
    /// # Panics
    /// With the validator compiled in, before blocking:
    /// - if `next` is `this`'s own lock, or this thread already holds it;
    /// - if `this` and `next` are of one class and this thread holds a lock of that class that is
    ///   not one of the consecutive steps ending at `this`;
    /// - if `this` and `next` are of one class, of which `lock_fields` has taken several locks at
    ///   once somewhere in the program;
    /// - if taking `next` closes a cycle in the order of classes (see
    ///   [`FieldLock::lock`]).
    #[track_caller]
    #[inline]
    pub fn lock_next<'b, L: Lockable<'b>>(this: &Self, next: L) -> L::Guard {
        step(&this.held, next)
    }
}

impl<T> Deref for FieldGuard<'_, T> {
    type Target = T;
    #[inline]
    fn deref(&self) -> &T {
        // SAFETY: this guard holds the cell's one lock (`Parts::new`), so no other guard of the
        // cell is alive, and the cell gives out no other reference through `&`; the borrow ends
        // with `&self`, before the guard unlocks.
        self.cell.0.with(|p| unsafe { &*p })
    }
}

impl<T> DerefMut for FieldGuard<'_, T> {
    #[inline]
    fn deref_mut(&mut self) -> &mut T {
        // SAFETY: as in `deref`; `&mut self` also excludes every other borrow through this guard.
        self.cell.0.with_mut(|p| unsafe { &mut *p })
    }
}

impl<T: fmt::Debug> fmt::Debug for FieldGuard<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&**self, f)
    }
}

impl<T: fmt::Display> fmt::Display for FieldGuard<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&**self, f)
    }
}

/// A read-write lock around one field (`#[field(rw)]`): many readers or one writer.
///
/// A `parking_lot::RwLock` in ordinary builds: a word of state instead of a byte, worth it for a
/// field that is read far more often than written. Panics release it without poisoning, as with
/// [`FieldLock`].
///
/// ```
/// # use gil_runtime as gilkit;
/// use gilkit::field_lock::{LockClass, RwFieldLock};
///
/// static NAMES: LockClass = LockClass::new("Dir.names");
/// let names = RwFieldLock::new(vec!["a"]);
/// names.write(&NAMES).push("b");
/// assert_eq!(names.read(&NAMES).len(), 2);
/// ```
pub struct RwFieldLock<T> {
    raw: RwLock<T>,
}

impl<T> RwFieldLock<T> {
    /// Wraps `value`.
    #[cfg(not(loom))]
    pub const fn new(value: T) -> Self {
        Self {
            raw: RwLock::new(value),
        }
    }

    /// Wraps `value`.
    #[cfg(loom)]
    pub fn new(value: T) -> Self {
        Self {
            raw: RwLock::new(value),
        }
    }

    /// Unwraps the value.
    pub fn into_inner(self) -> T {
        self.raw.into_inner()
    }

    /// Exclusive access through `&mut`, which needs no locking.
    ///
    /// ```
    /// # use gil_runtime as gilkit;
    /// let mut lock = gilkit::field_lock::RwFieldLock::new(1);
    /// *lock.get_mut() += 1;
    /// assert_eq!(lock.into_inner(), 2);
    /// ```
    pub fn get_mut(&mut self) -> &mut T {
        self.raw.get_mut()
    }

    /// Shared access, blocking while a writer holds the lock.
    ///
    /// # Panics
    /// As [`FieldLock::lock`], when the validator finds an order violation.
    #[track_caller]
    #[inline]
    pub fn read(&self, class: &'static LockClass) -> FieldReadGuard<'_, T> {
        self.read_in(Ctx::bare(class, self))
    }

    /// Exclusive access, blocking while anyone else holds the lock.
    ///
    /// # Panics
    /// As [`FieldLock::lock`], when the validator finds an order violation.
    #[track_caller]
    #[inline]
    pub fn write(&self, class: &'static LockClass) -> FieldWriteGuard<'_, T> {
        self.write_in(Ctx::bare(class, self))
    }

    /// Shared access if no writer holds the lock right now.
    #[track_caller]
    #[inline]
    #[must_use]
    pub fn try_read(&self, class: &'static LockClass) -> Option<FieldReadGuard<'_, T>> {
        self.try_read_in(Ctx::bare(class, self))
    }

    /// Exclusive access if nobody holds the lock right now.
    #[track_caller]
    #[inline]
    #[must_use]
    pub fn try_write(&self, class: &'static LockClass) -> Option<FieldWriteGuard<'_, T>> {
        self.try_write_in(Ctx::bare(class, self))
    }

    #[allow(clippy::inline_always, reason = "measured: see `Parts::lock_in`")]
    #[inline(always)]
    pub(crate) fn read_in(&self, ctx: Ctx) -> FieldReadGuard<'_, T> {
        let site = ctx.site(std::ptr::from_ref(self) as usize);
        order::check(&site);
        let guard = self.raw.read();
        FieldReadGuard {
            guard,
            held: order::hold(&site),
        }
    }

    #[inline]
    pub(crate) fn try_read_in(&self, ctx: Ctx) -> Option<FieldReadGuard<'_, T>> {
        let site = ctx.site(std::ptr::from_ref(self) as usize);
        let guard = self.raw.try_read()?;
        Some(FieldReadGuard {
            guard,
            held: order::hold(&site),
        })
    }

    #[inline]
    pub(crate) fn try_write_in(&self, ctx: Ctx) -> Option<FieldWriteGuard<'_, T>> {
        let site = ctx.site(std::ptr::from_ref(self) as usize);
        let guard = self.raw.try_write()?;
        Some(FieldWriteGuard {
            guard,
            held: order::hold(&site),
        })
    }

    #[allow(clippy::inline_always, reason = "measured: see `Parts::lock_in`")]
    #[inline(always)]
    pub(crate) fn write_in(&self, ctx: Ctx) -> FieldWriteGuard<'_, T> {
        let site = ctx.site(std::ptr::from_ref(self) as usize);
        order::check(&site);
        let guard = self.raw.write();
        FieldWriteGuard {
            guard,
            held: order::hold(&site),
        }
    }
}

impl<T: Default> Default for RwFieldLock<T> {
    fn default() -> Self {
        Self::new(T::default())
    }
}

impl<T> From<T> for RwFieldLock<T> {
    fn from(value: T) -> Self {
        Self::new(value)
    }
}

impl<T: fmt::Debug> fmt::Debug for RwFieldLock<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.raw.try_read() {
            Some(value) => f.debug_tuple("RwFieldLock").field(&&*value).finish(),
            None => f.write_str("RwFieldLock(<locked>)"),
        }
    }
}

/// Shared access to a [`RwFieldLock`]'s value.
#[must_use = "the lock is released as soon as the guard is dropped"]
pub struct FieldReadGuard<'a, T> {
    guard: RwLockReadGuard<'a, T>,
    held: Held,
}

impl<T> FieldReadGuard<'_, T> {
    /// Hand over hand from a read lock: takes `next` while `this` is held; see
    /// [`FieldGuard::lock_next`], whose rules and promises are the same.
    ///
    /// ```
    /// # extern crate gil_runtime as gilkit;
    /// # use gil_macros::per_field_lock;
    /// # fn main() {
    /// use gilkit::field_lock::{FieldReadGuard, Handle};
    ///
    /// #[per_field_lock]
    /// struct Node {
    ///     #[field(rw)]
    ///     next: Option<Handle<Node>>,
    /// }
    ///
    /// let second = Node::new(None).into_handle();
    /// let first = Node::new(Some(second.clone()));
    /// let guard = first.next().read();
    /// let next = FieldReadGuard::lock_next(&guard, second.next().shared());
    /// drop(guard);
    /// assert!(next.is_none());
    /// # }
    /// ```
    ///
    /// # Panics
    /// As [`FieldGuard::lock_next`].
    #[track_caller]
    #[inline]
    pub fn lock_next<'b, L: Lockable<'b>>(this: &Self, next: L) -> L::Guard {
        step(&this.held, next)
    }
}

impl<T> Deref for FieldReadGuard<'_, T> {
    type Target = T;
    #[inline]
    fn deref(&self) -> &T {
        &self.guard
    }
}

impl<T: fmt::Debug> fmt::Debug for FieldReadGuard<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&**self, f)
    }
}

/// Exclusive access to a [`RwFieldLock`]'s value.
#[must_use = "the lock is released as soon as the guard is dropped"]
pub struct FieldWriteGuard<'a, T> {
    guard: RwLockWriteGuard<'a, T>,
    held: Held,
}

impl<T> FieldWriteGuard<'_, T> {
    /// Hand over hand from a write lock: takes `next` while `this` is held; see
    /// [`FieldGuard::lock_next`], whose rules and promises are the same.
    ///
    /// ```
    /// # extern crate gil_runtime as gilkit;
    /// # use gil_macros::per_field_lock;
    /// # fn main() {
    /// use gilkit::field_lock::{FieldWriteGuard, Handle};
    ///
    /// #[per_field_lock]
    /// struct Node {
    ///     #[field(rw)]
    ///     next: Option<Handle<Node>>,
    /// }
    ///
    /// let second = Node::new(None).into_handle();
    /// let first = Node::new(Some(second.clone()));
    /// let mut guard = first.next().write();
    /// let mut next = FieldWriteGuard::lock_next(&guard, second.next());
    /// *guard = next.take(); // unlink `second`: it linked to nothing
    /// drop((guard, next));
    /// assert!(first.next().read().is_none());
    /// # }
    /// ```
    ///
    /// # Panics
    /// As [`FieldGuard::lock_next`].
    #[track_caller]
    #[inline]
    pub fn lock_next<'b, L: Lockable<'b>>(this: &Self, next: L) -> L::Guard {
        step(&this.held, next)
    }
}

impl<T> Deref for FieldWriteGuard<'_, T> {
    type Target = T;
    #[inline]
    fn deref(&self) -> &T {
        &self.guard
    }
}

impl<T> DerefMut for FieldWriteGuard<'_, T> {
    #[inline]
    fn deref_mut(&mut self) -> &mut T {
        &mut self.guard
    }
}

impl<T: fmt::Debug> fmt::Debug for FieldWriteGuard<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&**self, f)
    }
}
