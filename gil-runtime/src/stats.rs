//! Live-object accounting: how many objects of each `#[atomic_rc]` type are alive.
//!
//! Every `#[atomic_rc]` type carries one [`LiveCounter`], bumped when a handle allocates an object
//! and dropped when the object is freed. That is one relaxed atomic add per allocation and one per
//! free, never per clone or drop of a handle, so it is always on.
//!
//! ```
//! # use gil_runtime as gilkit;
//! # // What `#[gilkit::atomic_rc]` adds to the struct, written out (the runtime cannot use the macro).
//! # impl gilkit::stats::Tracked for Leaf {
//! #     fn __live() -> &'static gilkit::stats::LiveCounter {
//! #         static LIVE: gilkit::stats::LiveCounter = gilkit::stats::LiveCounter::new();
//! #         &LIVE
//! #     }
//! # }
//! # impl Leaf {
//! #     fn into_handle(self) -> gilkit::refcount::AtomicRc<Self> {
//! #         gilkit::refcount::AtomicRc::__new_counted(self)
//! #     }
//! # }
//! // #[gilkit::atomic_rc]
//! struct Leaf {
//!     value: u32,
//! }
//!
//! let before = gilkit::stats::live::<Leaf>();
//! let leaf = Leaf { value: 1 }.into_handle();
//! assert_eq!(gilkit::stats::live::<Leaf>(), before + 1);
//! drop(leaf);
//! assert_eq!(gilkit::stats::live::<Leaf>(), before);
//! ```

use crate::sync::stat::{AtomicUsize, Ordering};

/// The number of live objects of one type. `const`-constructible, so it can live in a `static`.
///
/// ```
/// # use gil_runtime as gilkit;
/// use gilkit::stats::LiveCounter;
///
/// static LIVE: LiveCounter = LiveCounter::new();
/// assert_eq!(LIVE.get(), 0);
/// ```
#[derive(Debug, Default)]
pub struct LiveCounter(AtomicUsize);

impl LiveCounter {
    /// A counter at zero.
    ///
    /// ```
    /// # use gil_runtime as gilkit;
    /// assert_eq!(gilkit::stats::LiveCounter::new().get(), 0);
    /// ```
    #[must_use]
    pub const fn new() -> Self {
        Self(AtomicUsize::new(0))
    }

    /// The number of objects allocated and not yet freed. A snapshot: other threads may change it.
    ///
    /// ```
    /// # use gil_runtime as gilkit;
    /// let counter = gilkit::stats::LiveCounter::new();
    /// assert_eq!(counter.get(), 0);
    /// ```
    #[must_use]
    pub fn get(&self) -> usize {
        self.0.load(Ordering::Relaxed)
    }

    pub(crate) fn allocated(&self) {
        self.0.fetch_add(1, Ordering::Relaxed);
    }

    pub(crate) fn freed(&self) {
        self.0.fetch_sub(1, Ordering::Relaxed);
    }
}

/// A type whose live objects are counted: `#[atomic_rc]` implements it.
///
/// A generic type has one counter for all its instantiations.
///
/// ```
/// # use gil_runtime as gilkit;
/// # // What `#[gilkit::atomic_rc]` adds to the struct, written out (the runtime cannot use the macro).
/// # impl gilkit::stats::Tracked for Counted {
/// #     fn __live() -> &'static gilkit::stats::LiveCounter {
/// #         static LIVE: gilkit::stats::LiveCounter = gilkit::stats::LiveCounter::new();
/// #         &LIVE
/// #     }
/// # }
/// # impl Counted {
/// #     fn into_handle(self) -> gilkit::refcount::AtomicRc<Self> {
/// #         gilkit::refcount::AtomicRc::__new_counted(self)
/// #     }
/// # }
/// // #[gilkit::atomic_rc]
/// struct Counted(u8);
///
/// fn live_of<T: gilkit::stats::Tracked>() -> usize {
///     gilkit::stats::live::<T>()
/// }
/// assert_eq!(live_of::<Counted>(), 0);
/// ```
pub trait Tracked {
    /// The counter of this type.
    #[doc(hidden)]
    fn __live() -> &'static LiveCounter;
}

/// The number of live objects of type `T`: allocated through its handle and not yet freed.
///
/// A generic `#[atomic_rc]` struct has one counter for all its instantiations (a `static` in a
/// generic impl is shared), so `live::<Foo<A>>()` also counts `Foo<B>` objects.
///
/// ```
/// # use gil_runtime as gilkit;
/// # // What `#[gilkit::atomic_rc]` adds to the struct, written out (the runtime cannot use the macro).
/// # impl gilkit::stats::Tracked for Node {
/// #     fn __live() -> &'static gilkit::stats::LiveCounter {
/// #         static LIVE: gilkit::stats::LiveCounter = gilkit::stats::LiveCounter::new();
/// #         &LIVE
/// #     }
/// # }
/// # impl Node {
/// #     fn into_handle(self) -> gilkit::refcount::AtomicRc<Self> {
/// #         gilkit::refcount::AtomicRc::__new_counted(self)
/// #     }
/// # }
/// // #[gilkit::atomic_rc]
/// struct Node(u32);
///
/// let a = Node(1).into_handle();
/// let b = a.clone(); // a clone is the same object
/// assert_eq!(gilkit::stats::live::<Node>(), 1);
/// drop((a, b));
/// assert_eq!(gilkit::stats::live::<Node>(), 0);
/// ```
#[must_use]
pub fn live<T: Tracked + ?Sized>() -> usize {
    T::__live().get()
}
