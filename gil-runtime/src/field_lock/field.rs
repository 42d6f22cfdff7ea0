//! Handles to one field of one object, as the generated accessors return them.

use std::fmt;
use std::panic::Location;

use super::lock::{Ctx, Parts};
use super::{
    CachePadded, FieldCell, FieldGuard, FieldLock, FieldReadGuard, FieldWriteGuard, LockClass,
    RawFieldLock, RwFieldLock,
};

/// Where a lock sits in the global acquisition order: by the address of its object, then by the
/// field's place in the declaration, then by the lock's own address.
///
/// The object and the index come from the caller of [`field`] or [`rw_field`], whose contract
/// makes them the same on every call for one lock; the lock's address is always its own.
#[doc(hidden)]
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct OrderKey {
    object: usize,
    index: u32,
    pub(crate) lock: usize,
}

mod sealed {
    pub trait Sealed {}

    /// The seal of [`super::Stored`]: a `T`, or a padded one.
    pub trait Storage<T: ?Sized> {}

    impl<T: ?Sized> Storage<T> for T {}

    impl<T> Storage<T> for super::CachePadded<T> {}
}

/// What the generated accessors pass for a field, its lock and its class: a `T` itself, or a
/// `CachePadded<T>` (with `padded`).
///
/// Sealed: no other type can implement it, as its seal cannot be named outside this crate. So a
/// generic argument bound by `Stored<T>` is the field as the macro declared it, never a stand-in
/// (under `crate = path`) that `Deref`s to another lock of the object: generic arguments get no
/// deref coercion.
#[doc(hidden)]
pub trait Stored<T: ?Sized>: sealed::Storage<T> {
    /// The `T` stored.
    fn __stored(&self) -> &T;
}

impl<T: ?Sized> Stored<T> for T {
    fn __stored(&self) -> &T {
        self
    }
}

impl<T> Stored<T> for CachePadded<T> {
    fn __stored(&self) -> &T {
        self
    }
}

/// What every accessor checks: `field`'s `T`, after checking that it is `this` (the receiver of
/// the accessor's method call, which autoderef may have reached through another type) and lies
/// within `object`; and `object`'s address, for the order key.
#[track_caller]
fn checked<'a, T, F: Stored<T>, O: ?Sized>(this: &T, field: &'a F, object: &O) -> (&'a T, usize) {
    let stored = field.__stored();
    assert!(
        std::ptr::addr_eq(this, stored),
        "gil: a field accessor was given a field that is not its receiver"
    );
    (stored, containing(object, stored))
}

/// The guard that a hand-over-hand step is coupled to (the address of its lock), as only
/// `lock_next` makes it: the type cannot be named outside this crate, so no other caller can
/// claim a coupling that the validator would then let through.
#[doc(hidden)]
pub struct After(usize);

impl After {
    pub(crate) fn new(lock: usize) -> Self {
        Self(lock)
    }
}

/// One field lock, ready to be taken by [`lock_fields`](super::lock_fields) together with others.
///
/// Implemented by [`Field`] (exclusive), [`RwField`] (exclusive) and [`SharedField`] (shared).
pub trait Lockable<'a>: sealed::Sealed {
    /// What taking the lock gives.
    type Guard;

    #[doc(hidden)]
    fn __order_key(&self) -> OrderKey;

    /// Takes the lock as a member of the ordered call `group`.
    ///
    /// # Safety
    /// Only [`lock_fields`](super::lock_fields) calls it, with a `group` it has just made for
    /// this one call. The validator lets locks of one class nest when they share a group; a group
    /// made up by any other caller would let through nesting that it refuses outside
    /// `lock_fields`.
    #[doc(hidden)]
    unsafe fn __lock(self, group: u64, at: &'static Location<'static>) -> Self::Guard;

    /// Takes the lock as the next step of a hand-over-hand walk, coupled to the guard `after`;
    /// only the guards' `lock_next` calls it.
    #[doc(hidden)]
    fn __lock_after(self, after: After, at: &'static Location<'static>) -> Self::Guard;
}

/// A field of an object whose type is `#[per_field_lock]`, guarded by a lock of its own (a
/// [`RawFieldLock`] beside its [`FieldCell`], or a [`FieldLock`] with `padded`).
///
/// The generated accessor of each field returns one. Lock it alone with [`Field::lock`], or
/// together with other fields (of this object or of others) with
/// [`lock_fields`](super::lock_fields).
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
/// let c = Counter::new(0);
/// *c.hits().lock() += 1;
/// assert_eq!(*c.hits().lock(), 1);
/// // The class is `Type.field` after the module path: `rust_out::Counter.hits` here.
/// assert!(c.hits().class().name().ends_with("::Counter.hits"));
/// # }
/// ```
pub struct Field<'a, T> {
    parts: Parts<'a, T>,
    class: &'static LockClass,
    object: usize,
    index: u32,
}

impl<T> Clone for Field<'_, T> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<T> Copy for Field<'_, T> {}

impl<'a, T> Field<'a, T> {
    #[track_caller]
    #[inline]
    fn ctx(&self, group: u64, at: &'static Location<'static>) -> Ctx {
        Ctx {
            class: self.class,
            object: self.object,
            group,
            after: 0,
            at,
        }
    }

    /// Locks this field alone, blocking until it is free.
    ///
    /// # Panics
    /// With the validator compiled in, on a lock-order violation (see
    /// [`FieldLock::lock`]).
    #[track_caller]
    #[inline]
    pub fn lock(self) -> FieldGuard<'a, T> {
        self.parts.lock_in(self.ctx(0, Location::caller()))
    }

    /// Locks this field if it is free right now.
    #[track_caller]
    #[inline]
    #[must_use]
    pub fn try_lock(self) -> Option<FieldGuard<'a, T>> {
        self.parts.try_lock_in(self.ctx(0, Location::caller()))
    }

    /// Locks this field, giving up after `timeout`.
    ///
    /// # Panics
    /// As [`Field::lock`].
    #[track_caller]
    #[inline]
    #[must_use]
    pub fn try_lock_for(self, timeout: std::time::Duration) -> Option<FieldGuard<'a, T>> {
        self.parts
            .try_lock_for_in(self.ctx(0, Location::caller()), timeout)
    }

    /// The field's lock class, `Type.field`.
    #[must_use]
    pub fn class(&self) -> &'static LockClass {
        self.class
    }
}

/// `FieldLock(value)`, or `FieldLock(<locked>)` while a guard holds the field: what a
/// `#[derive(Debug)]` on the struct shows for this field.
impl<T: fmt::Debug> fmt::Debug for Field<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.parts.debug("FieldLock", f)
    }
}

impl<T> sealed::Sealed for Field<'_, T> {}

impl<'a, T> Lockable<'a> for Field<'a, T> {
    type Guard = FieldGuard<'a, T>;

    fn __order_key(&self) -> OrderKey {
        OrderKey {
            object: self.object,
            index: self.index,
            lock: self.parts.address(),
        }
    }

    // Inline, as `Field::lock` is. Out of line, with the validator on, its guard (24 bytes)
    // came back through memory, stored in pieces and read back whole, a store-forwarding stall
    // on each lock: `lock_fields` of two objects took 2.2-2.4x its time without the validator,
    // 1.8x inline (`cargo bench --bench ratios`).
    #[inline]
    unsafe fn __lock(self, group: u64, at: &'static Location<'static>) -> Self::Guard {
        self.parts.lock_in(self.ctx(group, at))
    }

    fn __lock_after(self, after: After, at: &'static Location<'static>) -> Self::Guard {
        self.parts.lock_in(Ctx {
            after: after.0,
            ..self.ctx(0, at)
        })
    }
}

/// A field guarded by a [`RwFieldLock`] (`#[field(rw)]`).
///
/// ```
/// # extern crate gil_runtime as gilkit;
/// # use gil_macros::per_field_lock;
/// # fn main() {
/// #[per_field_lock]
/// struct Config {
///     #[field(rw)]
///     name: String,
/// }
///
/// let c = Config::new("a".to_owned());
/// c.name().write().push('b');
/// assert_eq!(*c.name().read(), "ab");
/// # }
/// ```
pub struct RwField<'a, T> {
    lock: &'a RwFieldLock<T>,
    class: &'static LockClass,
    object: usize,
    index: u32,
}

impl<T> Clone for RwField<'_, T> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<T> Copy for RwField<'_, T> {}

impl<'a, T> RwField<'a, T> {
    #[inline]
    fn ctx(&self, group: u64, at: &'static Location<'static>) -> Ctx {
        Ctx {
            class: self.class,
            object: self.object,
            group,
            after: 0,
            at,
        }
    }

    fn key(&self) -> OrderKey {
        OrderKey {
            object: self.object,
            index: self.index,
            lock: std::ptr::from_ref(self.lock) as usize,
        }
    }

    /// Shared access to this field alone.
    ///
    /// # Panics
    /// As [`Field::lock`].
    #[track_caller]
    #[inline]
    pub fn read(self) -> FieldReadGuard<'a, T> {
        self.lock.read_in(self.ctx(0, Location::caller()))
    }

    /// Exclusive access to this field alone.
    ///
    /// # Panics
    /// As [`Field::lock`].
    #[track_caller]
    #[inline]
    pub fn write(self) -> FieldWriteGuard<'a, T> {
        self.lock.write_in(self.ctx(0, Location::caller()))
    }

    /// Shared access if no writer holds the field right now.
    #[track_caller]
    #[inline]
    #[must_use]
    pub fn try_read(self) -> Option<FieldReadGuard<'a, T>> {
        self.lock.try_read_in(self.ctx(0, Location::caller()))
    }

    /// Exclusive access if nobody holds the field right now.
    #[track_caller]
    #[inline]
    #[must_use]
    pub fn try_write(self) -> Option<FieldWriteGuard<'a, T>> {
        self.lock.try_write_in(self.ctx(0, Location::caller()))
    }

    /// This field for shared access in [`lock_fields`](super::lock_fields); the field itself
    /// stands for exclusive access there.
    #[must_use]
    pub fn shared(self) -> SharedField<'a, T> {
        SharedField(self)
    }

    /// The field's lock class, `Type.field`.
    #[must_use]
    pub fn class(&self) -> &'static LockClass {
        self.class
    }
}

/// `RwFieldLock(value)`, or `RwFieldLock(<locked>)` while a writer holds the field: what a
/// `#[derive(Debug)]` on the struct shows for this field.
impl<T: fmt::Debug> fmt::Debug for RwField<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self.lock, f)
    }
}

impl<T> sealed::Sealed for RwField<'_, T> {}

impl<'a, T> Lockable<'a> for RwField<'a, T> {
    type Guard = FieldWriteGuard<'a, T>;

    fn __order_key(&self) -> OrderKey {
        self.key()
    }

    #[inline]
    unsafe fn __lock(self, group: u64, at: &'static Location<'static>) -> Self::Guard {
        self.lock.write_in(self.ctx(group, at))
    }

    fn __lock_after(self, after: After, at: &'static Location<'static>) -> Self::Guard {
        self.lock.write_in(Ctx {
            after: after.0,
            ..self.ctx(0, at)
        })
    }
}

/// A [`RwField`] to be taken for shared access by [`lock_fields`](super::lock_fields); see
/// [`RwField::shared`].
pub struct SharedField<'a, T>(RwField<'a, T>);

impl<T> sealed::Sealed for SharedField<'_, T> {}

impl<'a, T> Lockable<'a> for SharedField<'a, T> {
    type Guard = FieldReadGuard<'a, T>;

    fn __order_key(&self) -> OrderKey {
        self.0.key()
    }

    #[inline]
    unsafe fn __lock(self, group: u64, at: &'static Location<'static>) -> Self::Guard {
        self.0.lock.read_in(self.0.ctx(group, at))
    }

    fn __lock_after(self, after: After, at: &'static Location<'static>) -> Self::Guard {
        self.0.lock.read_in(Ctx {
            after: after.0,
            ..self.0.ctx(0, at)
        })
    }
}

/// The address of `object`, for the order key; panics unless `lock` lies within it: the
/// generated accessors pass a field of `self`, and a `Deref` that leads a field expression
/// elsewhere must not make up an order key.
#[track_caller]
fn containing<L, O: ?Sized>(object: &O, lock: &L) -> usize {
    let (o, l) = (
        std::ptr::from_ref(object).cast::<u8>() as usize,
        std::ptr::from_ref(lock) as usize,
    );
    let inside = o <= l && l + size_of::<L>() <= o + size_of_val(object);
    assert!(
        inside,
        "gil: a field accessor was given a lock that is not a field of its object"
    );
    o
}

impl<T> FieldLock<T> {
    /// The accessor of a `#[per_field_lock(padded)]` field guarded by this lock.
    ///
    /// A method, called as `self.field.__gil_field(..)`, so that the generated `unsafe` block
    /// can only reach this method or one its caller wrote without `unsafe` (a path the caller
    /// chose, through `crate = path`, could name a foreign function or a function pointer).
    /// The field (`field`, this lock or the `CachePadded` around it) and its class come again as
    /// generics bound by [`Stored`], so that they are the real types: under `crate = path`, a
    /// stand-in that `Deref`s to another lock of the object would give that lock a second order
    /// key (and `lock_fields` could deadlock), or one lock two classes.
    ///
    /// # Safety
    /// `object` is the struct that contains this lock as one of its fields (checked), `index`
    /// is that field's place in the struct's declaration, and `class` is that field's class, so
    /// that every call for one lock gives the same order key and class.
    /// [`lock_fields`](super::lock_fields) orders locks by that key, so keys made up by the
    /// caller could make two calls take the same locks in opposite orders, a deadlock that
    /// `lock_fields` promises cannot happen.
    ///
    /// # Panics
    /// If `field` is not this lock, or this lock does not lie within `object`.
    #[doc(hidden)]
    #[inline]
    #[track_caller]
    pub unsafe fn __gil_field<'a, O: ?Sized, F: Stored<Self>, C: Stored<LockClass>>(
        &'a self,
        field: &'a F,
        class: &'static C,
        object: &'a O,
        index: u32,
    ) -> Field<'a, T> {
        let (lock, object) = checked(self, field, object);
        Field {
            parts: lock.parts(),
            class: class.__stored(),
            object,
            index,
        }
    }
}

impl<T> FieldCell<T> {
    /// The accessor of a `#[per_field_lock]` field: this cell, guarded by `lock`. A method, with
    /// the field, its lock and its class as generics bound by [`Stored`], as
    /// [`FieldLock::__gil_field`]. Here a stand-in lock (or a stand-in cell, reached by
    /// autoderef) would pair one cell with two locks, and two threads could hold its value at
    /// once: a review did that through `crate = path`, in safe code.
    ///
    /// # Safety
    /// `lock` is the one lock of `field`: every `Field` of this cell, on any thread and at any
    /// time, is made with this same `lock` (the macro pairs `self.x` with `self.__gil_lock_x` and
    /// nothing else). And as for [`FieldLock::__gil_field`]: `object` is the struct that contains
    /// both (checked), `index` the field's place in the declaration, and `class` its class.
    ///
    /// # Panics
    /// If `field` is not this cell, or the cell or the lock does not lie within `object`.
    #[doc(hidden)]
    #[inline]
    #[track_caller]
    pub unsafe fn __gil_field<
        'a,
        O: ?Sized,
        F: Stored<Self>,
        L: Stored<RawFieldLock>,
        C: Stored<LockClass>,
    >(
        &'a self,
        field: &'a F,
        lock: &'a L,
        class: &'static C,
        object: &'a O,
        index: u32,
    ) -> Field<'a, T> {
        let ((cell, address), lock) = (checked(self, field, object), lock.__stored());
        containing(object, lock);
        Field {
            // SAFETY: `lock` is this cell's one lock, by this function's contract.
            parts: unsafe { Parts::new(lock, cell) },
            class: class.__stored(),
            object: address,
            index,
        }
    }
}

impl<T> RwFieldLock<T> {
    /// The accessor of a `#[per_field_lock]` field guarded by this lock: as
    /// [`FieldLock::__gil_field`].
    ///
    /// # Safety
    /// As for [`FieldLock::__gil_field`].
    ///
    /// # Panics
    /// If `field` is not this lock, or this lock does not lie within `object`.
    #[doc(hidden)]
    #[inline]
    #[track_caller]
    pub unsafe fn __gil_field<'a, O: ?Sized, F: Stored<Self>, C: Stored<LockClass>>(
        &'a self,
        field: &'a F,
        class: &'static C,
        object: &'a O,
        index: u32,
    ) -> RwField<'a, T> {
        let (lock, object) = checked(self, field, object);
        RwField {
            lock,
            class: class.__stored(),
            object,
            index,
        }
    }
}
