//! The typed locks: [`FieldLock`] and [`RwFieldLock`], each a shim lock plus the validator's
//! bookkeeping in its guards.

use std::fmt;
use std::ops::{Deref, DerefMut};
use std::panic::Location;

use super::order::{self, Held, Site};
use super::LockClass;
use crate::sync::{Mutex, MutexGuard, RwLock, RwLockReadGuard, RwLockWriteGuard};

/// Where an acquisition comes from: everything the validator needs except the lock's address.
#[derive(Clone, Copy)]
pub(crate) struct Ctx {
    pub(crate) class: &'static LockClass,
    pub(crate) object: usize,
    pub(crate) group: u64,
    pub(crate) at: &'static Location<'static>,
}

impl Ctx {
    #[inline]
    fn site<L>(self, lock: &L) -> Site {
        Site {
            class: self.class,
            lock: std::ptr::from_ref(lock) as usize,
            object: self.object,
            group: self.group,
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
            at: Location::caller(),
        }
    }
}

/// A mutex around one field: a 1-byte `parking_lot::Mutex` in ordinary builds.
///
/// `#[per_field_lock]` wraps every field in one; you normally reach it through the generated
/// accessors, which pass the field's [`LockClass`] for you. Used by hand, each acquisition names
/// its class:
///
/// ```
/// # use gil_runtime as gil;
/// use gil::field_lock::{FieldLock, LockClass};
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
/// # use gil_runtime as gil;
/// use gil::field_lock::{FieldLock, LockClass};
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
    raw: Mutex<T>,
}

impl<T> FieldLock<T> {
    /// Wraps `value`.
    #[cfg(not(loom))]
    pub const fn new(value: T) -> Self {
        Self {
            raw: Mutex::new(value),
        }
    }

    /// Wraps `value`.
    #[cfg(loom)]
    pub fn new(value: T) -> Self {
        Self {
            raw: Mutex::new(value),
        }
    }

    /// Unwraps the value; owning the lock is proof enough.
    pub fn into_inner(self) -> T {
        self.raw.into_inner()
    }

    /// Exclusive access through `&mut`, which needs no locking.
    ///
    /// ```
    /// # use gil_runtime as gil;
    /// let mut lock = gil::field_lock::FieldLock::new(1);
    /// *lock.get_mut() += 1;
    /// assert_eq!(lock.into_inner(), 2);
    /// ```
    pub fn get_mut(&mut self) -> &mut T {
        self.raw.get_mut()
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
        self.lock_in(Ctx::bare(class, self))
    }

    /// Locks if the lock is free right now. Never blocks, so it is never an order violation.
    #[track_caller]
    #[inline]
    #[must_use]
    pub fn try_lock(&self, class: &'static LockClass) -> Option<FieldGuard<'_, T>> {
        self.try_lock_in(Ctx::bare(class, self))
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
        self.try_lock_for_in(Ctx::bare(class, self), timeout)
    }

    #[inline]
    pub(crate) fn lock_in(&self, ctx: Ctx) -> FieldGuard<'_, T> {
        let site = ctx.site(self);
        order::check(&site);
        let guard = self.raw.lock();
        FieldGuard {
            guard,
            _held: order::hold(&site),
        }
    }

    #[inline]
    pub(crate) fn try_lock_in(&self, ctx: Ctx) -> Option<FieldGuard<'_, T>> {
        let site = ctx.site(self);
        let guard = self.raw.try_lock()?;
        Some(FieldGuard {
            guard,
            _held: order::hold(&site),
        })
    }

    pub(crate) fn try_lock_for_in(
        &self,
        ctx: Ctx,
        timeout: std::time::Duration,
    ) -> Option<FieldGuard<'_, T>> {
        let site = ctx.site(self);
        order::check(&site);
        let guard = self.raw.try_lock_for(timeout)?;
        Some(FieldGuard {
            guard,
            _held: order::hold(&site),
        })
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
        match self.raw.try_lock() {
            Some(value) => f.debug_tuple("FieldLock").field(&&*value).finish(),
            None => f.write_str("FieldLock(<locked>)"),
        }
    }
}

/// Exclusive access to a [`FieldLock`]'s value; the lock is released when it is dropped.
#[must_use = "the lock is released as soon as the guard is dropped"]
pub struct FieldGuard<'a, T> {
    guard: MutexGuard<'a, T>,
    _held: Held,
}

impl<T> Deref for FieldGuard<'_, T> {
    type Target = T;
    #[inline]
    fn deref(&self) -> &T {
        &self.guard
    }
}

impl<T> DerefMut for FieldGuard<'_, T> {
    #[inline]
    fn deref_mut(&mut self) -> &mut T {
        &mut self.guard
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
/// # use gil_runtime as gil;
/// use gil::field_lock::{LockClass, RwFieldLock};
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
    /// # use gil_runtime as gil;
    /// let mut lock = gil::field_lock::RwFieldLock::new(1);
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

    #[inline]
    pub(crate) fn read_in(&self, ctx: Ctx) -> FieldReadGuard<'_, T> {
        let site = ctx.site(self);
        order::check(&site);
        let guard = self.raw.read();
        FieldReadGuard {
            guard,
            _held: order::hold(&site),
        }
    }

    #[inline]
    pub(crate) fn try_read_in(&self, ctx: Ctx) -> Option<FieldReadGuard<'_, T>> {
        let site = ctx.site(self);
        let guard = self.raw.try_read()?;
        Some(FieldReadGuard {
            guard,
            _held: order::hold(&site),
        })
    }

    #[inline]
    pub(crate) fn try_write_in(&self, ctx: Ctx) -> Option<FieldWriteGuard<'_, T>> {
        let site = ctx.site(self);
        let guard = self.raw.try_write()?;
        Some(FieldWriteGuard {
            guard,
            _held: order::hold(&site),
        })
    }

    #[inline]
    pub(crate) fn write_in(&self, ctx: Ctx) -> FieldWriteGuard<'_, T> {
        let site = ctx.site(self);
        order::check(&site);
        let guard = self.raw.write();
        FieldWriteGuard {
            guard,
            _held: order::hold(&site),
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
    _held: Held,
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
    _held: Held,
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
