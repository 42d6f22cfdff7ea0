use std::marker::PhantomData;
use std::ptr::NonNull;

use super::pool::Deferred;
use super::{held, state, DefaultDomain, Domain, Gil};
use crate::sync::UnsafeCell;

/// A shared handle whose reference count is a plain integer, changed only under the GIL of
/// domain `D` (by default, [`DefaultDomain`]).
///
/// - Cloning needs the token ([`GilRc::clone_ref`]); there is no `Clone`, so an increment is
///   never deferred.
/// - Dropping on a thread that holds the GIL decrements at once. Dropping anywhere else pushes
///   the decrement to a pending pool that the next acquisition of the GIL drains, so no object
///   leaks and no count is ever touched without the GIL.
///
/// ```
/// # use gil_runtime as gilkit;
/// use gilkit::{GilCell, GilRc};
///
/// let shared = GilRc::new(GilCell::new(0_u32));
/// let other = gilkit::with_gil(|g| shared.clone_ref(g));
/// std::thread::spawn(move || drop(other)).join().unwrap(); // deferred: no GIL on that thread
/// gilkit::with_gil(|g| {
///     *shared.get_mut(g) += 1;
///     assert_eq!(GilRc::count(&shared, g), 1); // the acquisition drained the deferred decref
/// });
/// ```
pub struct GilRc<T, D: Domain = DefaultDomain> {
    ptr: NonNull<Inner<T>>,
    _owns: PhantomData<Inner<T>>,
    /// Invariant in `D`: a handle of one domain never coerces to another's.
    _domain: PhantomData<fn(D) -> D>,
}

struct Inner<T> {
    /// Touched only by the thread that holds the GIL.
    count: UnsafeCell<usize>,
    value: T,
}

// SAFETY: the count is only changed under the GIL (or deferred through the pool); the value is
// shared like an `Arc<T>`'s, so `T: Send + Sync` is needed, as for `Arc`.
unsafe impl<T: Send + Sync, D: Domain> Send for GilRc<T, D> {}
// SAFETY: as above.
unsafe impl<T: Send + Sync, D: Domain> Sync for GilRc<T, D> {}

impl<T: Send + Sync + 'static> GilRc<T> {
    /// Moves `value` into a new handle of the default domain with a count of one. No token is
    /// needed. [`GilRc::new_in`] makes a handle of another domain.
    ///
    /// A drop without the GIL defers the decrement to whichever thread acquires the GIL next,
    /// and that thread may run `T`'s destructor, at any later time. So `T` must be `Send + Sync`
    /// even for a handle that never leaves its thread, and `'static`: a deferred destructor may
    /// run after whatever `T` borrowed is gone.
    ///
    /// ```compile_fail,E0277
    /// # use gil_runtime as gilkit;
    /// let _ = gilkit::GilRc::new(std::rc::Rc::new(1)); // `Rc` is neither `Send` nor `Sync`
    /// ```
    ///
    /// ```compile_fail,E0597
    /// # use gil_runtime as gilkit;
    /// let local = String::from("borrowed");
    /// let _ = gilkit::GilRc::new(&local); // its destructor may outlive `local`
    /// ```
    pub fn new(value: T) -> Self {
        Self::new_unbounded(value)
    }
}

impl<T: Send + Sync + 'static, D: Domain> GilRc<T, D> {
    /// Moves `value` into a new handle of domain `D` (the one the handle's type names), counted
    /// under that domain's GIL, with the bounds of [`GilRc::new`].
    ///
    /// ```
    /// # use gil_runtime as gilkit;
    /// use gilkit::{Domain, GilRc};
    /// gilkit::domain!(pub Physics);
    /// let speed: GilRc<f64, Physics> = GilRc::new_in(9.8);
    /// assert_eq!(Physics::with_gil(|p| GilRc::count(&speed, p)), 1);
    /// ```
    pub fn new_in(value: T) -> Self {
        Self::new_unbounded(value)
    }
}

impl<T, D: Domain> GilRc<T, D> {
    /// `new` without its bounds, for callers that proved `T: Send + Sync` another way.
    pub(crate) fn new_unbounded(value: T) -> Self {
        let inner = Box::new(Inner {
            count: UnsafeCell::new(1),
            value,
        });
        Self {
            ptr: NonNull::from(Box::leak(inner)),
            _owns: PhantomData,
            _domain: PhantomData,
        }
    }

    /// A new handle to the same object: increments the count under the GIL.
    ///
    /// Aborts the process if the count overflows `usize` (only handles leaked with `mem::forget`
    /// can get there), as `Rc` does: the count has already wrapped, and unwinding would drop
    /// handles against it.
    #[must_use]
    pub fn clone_ref(&self, _gil: &Gil<D>) -> Self {
        // Increment first, check after (as `Rc` does): one `inc` of the count in memory.
        // SAFETY: this handle holds a count; `_gil` proves this thread holds the GIL, the only
        // place counts change, and no reference to a count outlives one of these calls.
        let overflowed = unsafe { count_of(self.ptr) }.with_mut(|c| unsafe {
            *c = (*c).wrapping_add(1);
            *c == 0
        });
        if overflowed {
            count_overflow();
        }
        Self {
            ptr: self.ptr,
            _owns: PhantomData,
            _domain: PhantomData,
        }
    }

    /// The number of handles to this object.
    pub fn count(this: &Self, _gil: &Gil<D>) -> usize {
        // SAFETY: as in `clone_ref`.
        unsafe { count_of(this.ptr) }.with(|c| unsafe { *c })
    }

    /// Whether two handles point to the same object.
    pub fn ptr_eq(this: &Self, other: &Self) -> bool {
        this.ptr == other.ptr
    }

    #[cfg(loom)]
    /// Gives up this handle's count without the GIL: the data race the GIL exists to prevent.
    /// Only the loom negative control calls it.
    #[doc(hidden)]
    pub fn __decref_without_gil(this: Self) {
        let ptr = this.ptr;
        std::mem::forget(this);
        // SAFETY: not sound: that is the point of the negative control that calls it.
        unsafe { decref(ptr) }
    }
}

/// The count of an object, reached through the raw pointer: never through a `&Inner<T>`, which
/// would also borrow the value.
///
/// # Safety
/// The caller holds a count of the object, and the borrow ends before it gives that count up.
unsafe fn count_of<'a, T>(ptr: NonNull<Inner<T>>) -> &'a UnsafeCell<usize> {
    // SAFETY: as the caller promises, the object is alive.
    unsafe { &*std::ptr::addr_of!((*ptr.as_ptr()).count) }
}

/// Decrements the count, freeing the object at zero.
///
/// # Safety
/// The caller holds the GIL and gives up one count of `ptr`, which is alive.
#[cold]
fn count_overflow() -> ! {
    std::process::abort()
}

unsafe fn decref<T>(ptr: NonNull<Inner<T>>) {
    // SAFETY: the caller holds the GIL and a count, so the object is alive and the count ours.
    let last = unsafe { count_of(ptr) }.with_mut(|c| unsafe {
        *c -= 1;
        *c == 0
    });
    if last {
        // SAFETY: the count reached zero, so this was the last handle; the box came from `new`.
        drop(unsafe { Box::from_raw(ptr.as_ptr()) });
    }
}

/// `decref` behind a type-erased pointer, for the pending pool.
unsafe fn decref_erased<T>(object: NonNull<()>) {
    // SAFETY: `object` came from a `GilRc<T, D>` in `Drop`, pushed to `D`'s pool, and the pool
    // calls this once, under `D`'s GIL.
    unsafe { decref::<T>(object.cast()) }
}

impl<T, D: Domain> Drop for GilRc<T, D> {
    fn drop(&mut self) {
        if held::<D>() {
            // SAFETY: this thread holds the GIL of the handle's domain, and this handle owns one
            // count.
            unsafe { decref(self.ptr) }
        } else {
            state::<D>().pool.push([Deferred {
                object: self.ptr.cast(),
                decref: decref_erased::<T>,
            }]);
        }
    }
}

impl<T, D: Domain> std::ops::Deref for GilRc<T, D> {
    type Target = T;
    fn deref(&self) -> &T {
        // SAFETY: the object lives while this handle holds its count, which it gives up only
        // when dropped, after every borrow of `self`.
        unsafe { &*std::ptr::addr_of!((*self.ptr.as_ptr()).value) }
    }
}

impl<T: std::fmt::Debug, D: Domain> std::fmt::Debug for GilRc<T, D> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        std::fmt::Debug::fmt(&**self, f)
    }
}
