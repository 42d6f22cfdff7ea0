//! The typed handles: [`AtomicRc`], [`Weak`] and [`LocalRc`].

use std::alloc::{self, Layout};
use std::fmt;
use std::marker::PhantomData;
#[cfg(loom)]
use std::mem::ManuallyDrop;
use std::ops::Deref;
use std::ptr::{self, NonNull};

use super::collect::{self, Entry, Trace, Visitor};
#[cfg(loom)]
use super::header::Merge;
use super::header::{Biased, Header, Local, Meta, Mode};
use super::owner;
use crate::stats::Tracked;
use crate::sync::acquire_fence;
#[cfg(loom)]
use crate::sync::atomic::fence;
use crate::sync::atomic::Ordering;

/// An object: the header first, so that a `NonNull<Header>` points to it too. A hybrid or biased
/// object's allocation has its owner's fields (`Local` or `Biased`) in front of it (see
/// `layout`).
#[repr(C)]
struct Inner<T> {
    header: Header,
    value: T,
}

/// The layout of an object's allocation in `mode`, and the offset of its `Inner<T>` there.
///
/// A hybrid object has its `Local` right in front of the header, and a biased object its
/// `Biased` (which ends with a `Local`): at negative offsets that are the same for every type, so
/// that the count operations, which know no type, find them. Its `Inner<T>` starts at the first
/// multiple of both alignments past the prefix. The other modes have no prefix: their object is
/// `Arc`'s two counts, one pointer, and the value.
fn layout<T>(mode: Mode) -> (Layout, usize) {
    let inner = Layout::new::<Inner<T>>();
    let prefix = match mode {
        Mode::Hybrid => Layout::new::<Local>(),
        Mode::Biased => Layout::new::<Biased>(),
        Mode::Atomic | Mode::Immortal => return (inner, 0),
    };
    let align = inner.align().max(prefix.align());
    let offset = prefix.size().next_multiple_of(align);
    let layout = offset
        .checked_add(inner.size())
        .and_then(|size| Layout::from_size_align(size, align).ok())
        .expect("a hybrid or biased object fits in `isize::MAX` bytes");
    (layout, offset)
}

/// A shared handle with an atomic reference count: `Arc`, plus a [`Mode`] chosen per object.
///
/// The value is shared immutably; mutate it through types that synchronize themselves (atomics,
/// locks). See the [module docs](super) for the four modes and the biased merge protocol.
///
/// ```
/// # use gil_runtime as gilkit;
/// use gilkit::refcount::AtomicRc;
/// use std::sync::atomic::{AtomicU32, Ordering};
///
/// let hits = AtomicRc::new(AtomicU32::new(0));
/// let workers: Vec<_> = (0..2)
///     .map(|_| {
///         let hits = hits.clone();
///         std::thread::spawn(move || hits.fetch_add(1, Ordering::Relaxed))
///     })
///     .collect();
/// workers.into_iter().for_each(|w| drop(w.join().unwrap()));
/// assert_eq!(hits.load(Ordering::Relaxed), 2);
/// ```
pub struct AtomicRc<T> {
    ptr: NonNull<Inner<T>>,
    _owns: PhantomData<Inner<T>>,
}

/// A handle that does not keep the value alive; [`Weak::upgrade`] gets a strong one back.
///
/// ```
/// # use gil_runtime as gilkit;
/// use gilkit::refcount::AtomicRc;
///
/// let strong = AtomicRc::new("value");
/// let weak = AtomicRc::downgrade(&strong);
/// assert_eq!(weak.upgrade().as_deref(), Some(&"value"));
/// drop(strong);
/// assert!(weak.upgrade().is_none());
/// ```
pub struct Weak<T> {
    ptr: NonNull<Inner<T>>,
    _owns: PhantomData<Inner<T>>,
}

/// A handle to a [hybrid](Mode::Hybrid) or [biased](Mode::Biased) object that only its owner
/// thread can hold: it is neither `Send` nor `Sync`, so its clone and drop count in the owner's
/// local count with plain integer operations and no check of the thread, as `Rc` does.
///
/// [`AtomicRc::to_local`] makes one on the owner thread; [`LocalRc::to_shared`] makes an
/// [`AtomicRc`] to hand to other threads. Both conversions are explicit, and both handles count
/// the same object. In hybrid mode the local handles hold one atomic count between them: the
/// first `to_local` takes it and the last local drop gives it back, each with one atomic RMW.
///
/// ```
/// # use gil_runtime as gilkit;
/// use gilkit::refcount::{AtomicRc, Mode};
///
/// let shared = AtomicRc::with_mode(vec![1, 2, 3], Mode::Hybrid);
/// let local = AtomicRc::to_local(&shared).expect("this thread made it"); // one atomic add
/// let more = local.clone(); // a plain increment
/// assert_eq!(AtomicRc::strong_count(&shared), 3);
/// drop((local, more)); // a plain decrement, then one atomic sub
/// assert_eq!(AtomicRc::strong_count(&shared), 1);
/// ```
///
/// ```
/// # use gil_runtime as gilkit;
/// use gilkit::refcount::{AtomicRc, LocalRc, Mode};
///
/// let shared = AtomicRc::with_mode(String::from("node"), Mode::Biased);
/// let local = AtomicRc::to_local(&shared).expect("this thread made it");
/// let copies: Vec<LocalRc<String>> = (0..3).map(|_| local.clone()).collect(); // plain increments
/// let elsewhere = LocalRc::to_shared(&copies[0]);
/// std::thread::spawn(move || assert_eq!(*elsewhere, "node")).join().unwrap();
/// // Another thread cannot make one:
/// std::thread::spawn(move || assert!(AtomicRc::to_local(&shared).is_none())).join().unwrap();
/// ```
///
/// ```compile_fail,E0277
/// # use gil_runtime as gilkit;
/// use gilkit::refcount::{AtomicRc, Mode};
/// let shared = AtomicRc::with_mode(1_u64, Mode::Biased);
/// let local = AtomicRc::to_local(&shared).unwrap();
/// std::thread::spawn(move || drop(local)); // `LocalRc` is not `Send`
/// ```
pub struct LocalRc<T> {
    ptr: NonNull<Inner<T>>,
    /// Owns a `T` as `AtomicRc` does, and is tied to this thread (`!Send`, `!Sync`).
    _owns: PhantomData<(Inner<T>, *const ())>,
}

// SAFETY: as `Arc<T>`: the handles share `&T` across threads and the last one drops the `T`
// on whichever thread it is, so `T: Send + Sync`. The counts are atomic, and the local count of
// a hybrid or biased object is only touched by its owner thread (see the module docs).
unsafe impl<T: Send + Sync> Send for AtomicRc<T> {}
// SAFETY: as above.
unsafe impl<T: Send + Sync> Sync for AtomicRc<T> {}
// SAFETY: as above; a `Weak` may become an `AtomicRc` on any thread.
unsafe impl<T: Send + Sync> Send for Weak<T> {}
// SAFETY: as above.
unsafe impl<T: Send + Sync> Sync for Weak<T> {}

impl<T> AtomicRc<T> {
    /// Moves `value` into a new object in [`Mode::Atomic`], as `Arc::new`.
    ///
    /// ```
    /// # use gil_runtime as gilkit;
    /// let rc = gilkit::refcount::AtomicRc::new(7);
    /// assert_eq!(*rc, 7);
    /// ```
    pub fn new(value: T) -> Self {
        Self::allocate::<Uncounted>(value, Mode::Atomic)
    }

    /// Moves `value` into a new object counted in `mode`. A hybrid or biased object is owned by
    /// the calling thread; a thread that owns nothing (past the 2^32 - 2 thread ids, or a biased
    /// object on a thread that is exiting) makes an atomic one instead. For a hybrid object of a
    /// `T` that is not `'static`, see [`AtomicRc::new_hybrid`].
    ///
    /// An immortal object is never freed: `value` is never dropped and its memory is leaked.
    ///
    /// `T` must be `'static`: a biased object's last drop on another thread hands it to the owner
    /// thread, which drops the value later (at its next biased allocation, `merge_deferred`, or
    /// its exit, which for a scoped thread comes after `scope` has returned), when whatever `T`
    /// borrowed may be gone. [`AtomicRc::new`] has no such bound: an atomic object is dropped
    /// where its last handle is.
    ///
    /// ```
    /// # use gil_runtime as gilkit;
    /// use gilkit::refcount::{AtomicRc, Mode};
    ///
    /// let rc = AtomicRc::with_mode([0_u8; 4], Mode::Biased);
    /// assert_eq!(AtomicRc::mode(&rc), Mode::Biased);
    /// ```
    ///
    /// ```compile_fail,E0597
    /// # use gil_runtime as gilkit;
    /// use gilkit::refcount::{AtomicRc, Mode};
    ///
    /// let local = String::from("borrowed");
    /// let rc = AtomicRc::with_mode(&local, Mode::Biased); // its drop may be deferred
    /// ```
    pub fn with_mode(value: T, mode: Mode) -> Self
    where
        T: 'static,
    {
        Self::allocate::<Uncounted>(value, mode)
    }

    /// Moves `value` into a new object in [`Mode::Atomic`] that the cycle collector tracks:
    /// [`collect_cycles`](super::collect_cycles) frees it if only reference cycles keep it alive.
    ///
    /// The collector's list holds a weak count of every tracked object: when the last handle
    /// goes, the value is dropped at once, but its memory is returned at the next
    /// `collect_cycles`.
    ///
    /// ```
    /// # use gil_runtime as gilkit;
    /// use gilkit::refcount::{AtomicRc, Trace, Visitor};
    ///
    /// struct Leaf;
    /// impl Trace for Leaf {
    ///     fn trace(&self, _: &mut Visitor<'_>) {}
    ///     fn clear(&self) {}
    /// }
    /// let leaf = AtomicRc::new_collected(Leaf);
    /// assert_eq!(gilkit::refcount::collect_cycles(), 0); // held from outside: not garbage
    /// drop(leaf);
    /// ```
    pub fn new_collected(value: T) -> Self
    where
        T: Trace,
    {
        Self::allocate_collected::<Uncounted>(value)
    }

    /// As [`AtomicRc::new_collected`], counting the object in `T`'s live count: what
    /// `#[atomic_rc(collect)]` calls.
    #[doc(hidden)]
    pub fn __new_collected_counted(value: T) -> Self
    where
        T: Trace + Tracked,
    {
        Self::allocate_collected::<Counted<T>>(value)
    }

    fn allocate_collected<C: Census>(value: T) -> Self
    where
        T: Trace,
    {
        let this = Self::allocate::<C>(value, Mode::Atomic);
        increment_weak(&this.header().weak); // the registry's: keeps the memory, not the value
        collect::track(Entry {
            object: this.ptr.cast(),
            trace: trace_erased::<T>,
            clear: clear_erased::<T>,
            release_weak: release_weak_erased::<T>,
        });
        this
    }

    /// As [`AtomicRc::new`], counting the object in `T`'s live count: what `#[atomic_rc]` calls.
    #[doc(hidden)]
    pub fn __new_counted(value: T) -> Self
    where
        T: Tracked,
    {
        Self::allocate::<Counted<T>>(value, Mode::Atomic)
    }

    /// As [`AtomicRc::with_mode`], counting the object in `T`'s live count: what
    /// `#[atomic_rc(biased)]` and `#[atomic_rc(immortal)]` call.
    #[doc(hidden)]
    pub fn __with_mode_counted(value: T, mode: Mode) -> Self
    where
        T: Tracked + 'static,
    {
        Self::allocate::<Counted<T>>(value, mode)
    }

    /// Moves `value` into a new object in [`Mode::Hybrid`], owned by the calling thread (or in
    /// [`Mode::Atomic`] on a thread past the 2^32 - 2 thread ids, which owns nothing).
    ///
    /// Unlike [`AtomicRc::with_mode`], no `'static` bound: a hybrid object is dropped where its
    /// last handle is, as an atomic one, never later. (Its [`LocalRc`]s cannot leave the owner
    /// thread, and a thread-local, where they could outlive a scope, holds `'static` types only.)
    ///
    /// ```
    /// # use gil_runtime as gilkit;
    /// use gilkit::refcount::{AtomicRc, LocalRc, Mode};
    ///
    /// let text = String::from("borrowed");
    /// let rc = AtomicRc::new_hybrid(text.as_str());
    /// assert_eq!(AtomicRc::mode(&rc), Mode::Hybrid);
    /// let local = AtomicRc::to_local(&rc).unwrap();
    /// std::thread::scope(|s| {
    ///     let there = LocalRc::to_shared(&local);
    ///     s.spawn(move || assert_eq!(*there, "borrowed"));
    /// });
    /// drop((rc, local)); // freed here, before `text`
    /// ```
    pub fn new_hybrid(value: T) -> Self {
        Self::allocate::<Uncounted>(value, Mode::Hybrid)
    }

    /// As [`AtomicRc::new_hybrid`], counting the object in `T`'s live count: what
    /// `#[atomic_rc(hybrid)]` calls.
    #[doc(hidden)]
    pub fn __new_hybrid_counted(value: T) -> Self
    where
        T: Tracked,
    {
        Self::allocate::<Counted<T>>(value, Mode::Hybrid)
    }

    /// Makes the object; `C` says whether its type's live count counts it.
    fn allocate<C: Census>(value: T, mode: Mode) -> Self {
        let mode = if mode == Mode::Hybrid && !owner::can_own() {
            Mode::Atomic
        } else {
            mode
        };
        if mode == Mode::Biased {
            // The owner is active: a good moment to take back what other threads handed it.
            // Before the new object exists: the drain runs destructors, and one that panics must
            // not leave the new object without a handle.
            owner::drain_inbox();
        }
        let mut ptr = place::<T, C>(value, mode);
        if mode == Mode::Biased {
            match owner::register(header_of(ptr)) {
                // SAFETY: the object is biased and not shared yet, and this thread is its owner.
                Some(slot) => unsafe {
                    Header::biased(header_of(ptr))
                        .slot
                        .with_mut(|place| *place = slot);
                },
                // A thread that is exiting owns nothing: the object is made again, atomic.
                // SAFETY: not shared yet, and never used again.
                None => ptr = place::<T, C>(unsafe { unplace(ptr) }, Mode::Atomic),
            }
        }
        C::allocated();
        #[cfg(miri)]
        if mode == Mode::Immortal {
            extern "Rust" {
                /// Miri's: marks an allocation as reachable, like a `static`, for its leak check.
                fn miri_static_root(ptr: *const u8);
            }
            // SAFETY: the pointer is to a live allocation, as Miri asks; an immortal object is
            // leaked on purpose and is, in effect, a `static`.
            unsafe { miri_static_root(ptr.as_ptr().cast()) };
        }
        Self {
            ptr,
            _owns: PhantomData,
        }
    }

    /// Bytes of the heap block behind a handle to an object counted in `mode`: the header (two
    /// counts and a pointer, as `Arc`'s), the value, and for a hybrid or biased object the
    /// owner's fields in front (8 or 16 bytes, rounded up to the value's alignment: a value
    /// aligned to 64 starts 64 bytes past the block's start).
    ///
    /// # Panics
    /// If a hybrid or biased object of `T` would not fit in `isize::MAX` bytes, which takes a
    /// value within 16 bytes of that limit (so a 32-bit target): making one panics too, as
    /// `Box::new` does for a value too large.
    ///
    /// ```
    /// # use gil_runtime as gilkit;
    /// use gilkit::refcount::{AtomicRc, Mode};
    ///
    /// let atomic = AtomicRc::<u64>::block_size(Mode::Atomic);
    /// assert!(atomic > std::mem::size_of::<u64>());
    /// assert!(AtomicRc::<u64>::block_size(Mode::Biased) > atomic);
    /// ```
    #[must_use]
    pub fn block_size(mode: Mode) -> usize {
        layout::<T>(mode).0.size()
    }

    /// How this object is counted.
    ///
    /// ```
    /// # use gil_runtime as gilkit;
    /// use gilkit::refcount::{AtomicRc, Mode};
    ///
    /// assert_eq!(AtomicRc::mode(&AtomicRc::new(())), Mode::Atomic);
    /// ```
    #[must_use]
    pub fn mode(this: &Self) -> Mode {
        this.header().mode()
    }

    /// A snapshot of the number of strong handles (other threads may change it at once).
    ///
    /// Immortal objects answer `usize::MAX`. A biased object seen from a thread other than its
    /// owner, before the owner merged, counts the owner's references as one: that thread cannot
    /// read the owner's count. So does a hybrid object seen from another thread: its owner's
    /// `LocalRc`s hold one strong count between them, and only the owner counts them one by one.
    ///
    /// ```
    /// # use gil_runtime as gilkit;
    /// use gilkit::refcount::AtomicRc;
    ///
    /// let a = AtomicRc::new(());
    /// let b = a.clone();
    /// assert_eq!(AtomicRc::strong_count(&b), 2);
    /// ```
    #[must_use]
    pub fn strong_count(this: &Self) -> usize {
        // SAFETY: this handle's count keeps the object alive; the pointer is the handle's own.
        unsafe { Header::strong_count(header_of(this.ptr)) }
    }

    /// Whether two handles point to the same object.
    ///
    /// ```
    /// # use gil_runtime as gilkit;
    /// use gilkit::refcount::AtomicRc;
    ///
    /// let a = AtomicRc::new(1);
    /// assert!(AtomicRc::ptr_eq(&a, &a.clone()));
    /// assert!(!AtomicRc::ptr_eq(&a, &AtomicRc::new(1)));
    /// ```
    #[must_use]
    pub fn ptr_eq(this: &Self, other: &Self) -> bool {
        this.ptr == other.ptr
    }

    /// A new [`Weak`] handle to this object.
    ///
    /// # Panics
    /// Aborts the process if the weak count would overflow, as `Arc` does.
    ///
    /// ```
    /// # use gil_runtime as gilkit;
    /// use gilkit::refcount::AtomicRc;
    ///
    /// let rc = AtomicRc::new(3);
    /// let weak = AtomicRc::downgrade(&rc);
    /// assert_eq!(weak.strong_count(), 1);
    /// ```
    #[must_use]
    pub fn downgrade(this: &Self) -> Weak<T> {
        this.header().note_weak();
        increment_weak(&this.header().weak);
        Weak {
            ptr: this.ptr,
            _owns: PhantomData,
        }
    }

    fn header(&self) -> &Header {
        // SAFETY: the object lives while this handle holds its count. Only the header is
        // borrowed (`Inner` is `repr(C)`, header first), never the value.
        unsafe { header_of(self.ptr).as_ref() }
    }

    #[cfg(loom)]
    fn drop_with(this: Self, merge: Merge) {
        let this = ManuallyDrop::new(this);
        // SAFETY: `this` gives up its count and is never used again.
        if unsafe { Header::decrement(this.ptr.cast(), merge) } {
            // SAFETY: the decrement saw the last count go, and fenced.
            unsafe { Header::free_object(this.ptr.cast()) }
        }
    }

    #[cfg(loom)]
    /// Broken on purpose, for the loom negative controls only: decrements with `Relaxed` and no
    /// `Acquire` fence before the free. Atomic mode only.
    #[doc(hidden)]
    pub fn __drop_relaxed_no_fence(this: Self) {
        let this = ManuallyDrop::new(this);
        if this.header().decrement_relaxed_no_fence() {
            // SAFETY: not sound: the free is not ordered after the other threads' uses.
            unsafe { Header::free_object(this.ptr.cast()) }
        }
    }

    #[cfg(loom)]
    /// Broken on purpose, for the loom negative controls only: decrements with a load and a
    /// store instead of one RMW. Atomic mode only.
    #[doc(hidden)]
    pub fn __drop_not_atomic(this: Self) {
        let this = ManuallyDrop::new(this);
        if this.header().decrement_not_atomic() {
            // SAFETY: not sound: a lost update can make two threads see the last count.
            unsafe { Header::free_object(this.ptr.cast()) }
        }
    }

    #[cfg(loom)]
    /// Broken on purpose, for the loom negative controls only: a biased drop whose merge adds
    /// the owner's count without setting the `MERGED` flag.
    #[doc(hidden)]
    pub fn __drop_merge_without_flag(this: Self) {
        Self::drop_with(this, Merge::WithoutFlag);
    }

    #[cfg(loom)]
    /// Broken on purpose, for the loom negative controls only: a biased drop on a non-owner
    /// thread that hands its reference to the owner's inbox even after the owner closed it.
    #[doc(hidden)]
    pub fn __drop_ignoring_closed_inbox(this: Self) {
        Self::drop_with(this, Merge::IgnoreClosedInbox);
    }

    #[cfg(loom)]
    /// Broken on purpose, for the loom negative controls only: a biased drop on a non-owner
    /// thread that counts below zero instead of handing its reference to the owner.
    #[doc(hidden)]
    pub fn __drop_without_hand_over(this: Self) {
        Self::drop_with(this, Merge::NoHandOver);
    }

    #[cfg(loom)]
    /// Broken on purpose, for the loom negative controls only: drops an immortal object's
    /// handle as if it were counted in atomic mode.
    #[doc(hidden)]
    pub fn __drop_immortal_as_atomic(this: Self) {
        let this = ManuallyDrop::new(this);
        if this.header().decrement_relaxed_no_fence() {
            fence(Ordering::Acquire);
            // SAFETY: not sound: immortal objects must never be freed.
            unsafe { Header::free_object(this.ptr.cast()) }
        }
    }

    #[cfg(loom)]
    /// Broken on purpose, for the loom negative controls only: a biased drop whose fast path
    /// (the owner's last local reference) reads the shared word with `Relaxed`.
    #[doc(hidden)]
    pub fn __drop_fast_free_relaxed(this: Self) {
        Self::drop_with(this, Merge::FastFreeRelaxed);
    }

    #[cfg(loom)]
    /// Broken on purpose, for the loom negative controls only: a biased drop whose fast path
    /// ignores the `MAYBE_WEAK` flag, so it frees even if a `Weak` was made.
    #[doc(hidden)]
    pub fn __drop_fast_free_ignoring_weak(this: Self) {
        Self::drop_with(this, Merge::FastFreeIgnoringWeak);
    }

    #[cfg(loom)]
    /// Broken on purpose, for the loom negative controls only: a biased drop whose merge is a
    /// load and a store instead of one RMW.
    #[doc(hidden)]
    pub fn __drop_merge_not_atomic(this: Self) {
        Self::drop_with(this, Merge::NotAtomic);
    }
}

fn increment_weak(weak: &crate::sync::atomic::AtomicUsize) {
    if weak.fetch_add(1, Ordering::Relaxed) > isize::MAX as usize {
        std::process::abort();
    }
}

/// Which live count an object is counted in: none, or its type's (`stats::Tracked`). Chosen by
/// the constructor and kept in the object's `free`, so the header needs no field for it.
trait Census {
    /// An object was made.
    fn allocated();
    /// An object was freed.
    fn freed();
}

/// Counted nowhere.
enum Uncounted {}

impl Census for Uncounted {
    fn allocated() {}
    fn freed() {}
}

/// Counted in `T`'s live count.
struct Counted<T>(PhantomData<T>);

impl<T: Tracked> Census for Counted<T> {
    fn allocated() {
        T::__live().allocated();
    }
    fn freed() {
        T::__live().freed();
    }
}

/// Drops the value, tells `C` and gives up the weak count that the strong handles held together.
///
/// # Safety
/// `header` is the header of an `Inner<T>` whose last strong count is gone; called once.
#[inline(never)]
unsafe fn free<T, C: Census>(header: NonNull<Header>) {
    /// Tells `C` and gives up the strong handles' weak count when dropped: after the value, also
    /// when its destructor panics, so that the memory is not leaked (std's `Arc` does the same).
    struct Dropped<T, C: Census>(NonNull<Inner<T>>, PhantomData<C>);
    impl<T, C: Census> Drop for Dropped<T, C> {
        fn drop(&mut self) {
            C::freed();
            // SAFETY: the strong handles' weak count is given up here, once; the value is gone.
            unsafe { release_weak::<T>(self.0) }
        }
    }

    let inner = header.cast::<Inner<T>>();
    let _weak = Dropped::<T, C>(inner, PhantomData);
    // SAFETY: the last strong count is gone, so nobody reads the value any more; it is dropped
    // once, by the one caller that saw the count reach zero.
    unsafe { ptr::drop_in_place(ptr::addr_of_mut!((*inner.as_ptr()).value)) };
}

/// Gives up one weak count, deallocating the memory (but not dropping the value) at zero.
///
/// # Safety
/// The caller owns one weak count of `inner`; its value is already dropped if this may be the last.
unsafe fn release_weak<T>(inner: NonNull<Inner<T>>) {
    // SAFETY: the caller's weak count keeps the allocation alive; only the header is borrowed,
    // since the value may be being dropped (this may run inside its `Drop`).
    let weak = unsafe { &header_of(inner).as_ref().weak };
    // The last count, as it mostly is (an object with no `Weak` left): no other can appear, so
    // no RMW is needed. A `Weak` is made from a strong handle or a `Weak`, and every strong
    // handle is gone (with its `Release`, which the free's fence acquired), so a 1 read here is
    // not stale; reading it with `Acquire` orders the drops of the other `Weak`s before the
    // deallocation, as the fence below does for the RMW.
    if weak.load(Ordering::Acquire) != 1 {
        if weak.fetch_sub(1, Ordering::Release) != 1 {
            return;
        }
        acquire_fence(weak);
    }
    // SAFETY: the last count of any kind is gone, and the value was dropped.
    unsafe { deallocate(inner) };
}

/// Moves `value` into a new allocation counted in `mode`, which no handle holds yet.
fn place<T, C: Census>(value: T, mode: Mode) -> NonNull<Inner<T>> {
    let (layout, offset) = layout::<T>(mode);
    // SAFETY: the layout is not zero-sized: it holds a header.
    let Some(start) = NonNull::new(unsafe { alloc::alloc(layout) }) else {
        alloc::handle_alloc_error(layout)
    };
    // SAFETY: `layout` puts an `Inner<T>` at `offset`, aligned for it.
    let inner = unsafe { start.add(offset) }.cast::<Inner<T>>();
    let meta = const { &Meta { free: free::<T, C> } };
    // SAFETY: the memory is new, and the places are within it and aligned (`layout`): the
    // `Inner<T>` at `offset`, and a hybrid object's `Local` or a biased object's `Biased` right
    // in front of it.
    unsafe {
        inner.as_ptr().write(Inner {
            header: Header::new(mode, meta),
            value,
        });
        match mode {
            // No local reference yet: the new handle is an `AtomicRc`.
            Mode::Hybrid => Header::local_place(header_of(inner)).write(Local::new(0)),
            Mode::Biased => Header::biased_place(header_of(inner)).write(Biased::new()),
            Mode::Atomic | Mode::Immortal => {}
        }
    }
    inner
}

/// Moves the value out of an object that `place` made, and frees its memory.
///
/// # Safety
/// No handle to the object exists, and the value was not moved out before.
unsafe fn unplace<T>(inner: NonNull<Inner<T>>) -> T {
    // SAFETY: the value is there, and it is read once (the caller's promise).
    let value = unsafe { ptr::read(ptr::addr_of!((*inner.as_ptr()).value)) };
    // SAFETY: nothing refers to the object, and its value is moved out.
    unsafe { deallocate(inner) };
    value
}

/// Frees an object's memory without dropping its value: drops its header (and a hybrid or biased
/// object's owner fields) and deallocates with the layout its mode had.
///
/// # Safety
/// No count of any kind is left; the value is dropped or moved out.
unsafe fn deallocate<T>(inner: NonNull<Inner<T>>) {
    let header = header_of(inner);
    // SAFETY: the memory is still allocated.
    let mode = unsafe { header.as_ref() }.mode();
    let (layout, offset) = layout::<T>(mode);
    // SAFETY: nobody refers to the object any more; `place` wrote these places, with `layout`.
    unsafe {
        match mode {
            Mode::Hybrid => ptr::drop_in_place(Header::local_place(header).as_ptr()),
            Mode::Biased => ptr::drop_in_place(Header::biased_place(header).as_ptr()),
            Mode::Atomic | Mode::Immortal => {}
        }
        ptr::drop_in_place(header.as_ptr());
        alloc::dealloc(inner.cast::<u8>().sub(offset).as_ptr(), layout);
    }
}

/// The header of an object: the counts are reached through it, never through a `&Inner<T>`,
/// which would also borrow the value while another thread may be dropping it (std's `Arc` and
/// `Weak` do the same).
fn header_of<T>(inner: NonNull<Inner<T>>) -> NonNull<Header> {
    // `Inner` is `repr(C)` with the header first.
    inner.cast()
}

/// The header of the object behind `handle`, for the cycle collector's `Visitor`.
pub(crate) fn header_of_handle<T>(handle: &AtomicRc<T>) -> NonNull<Header> {
    header_of(handle.ptr)
}

/// The value of an object, without borrowing its header.
///
/// # Safety
/// The object is alive (the caller holds a strong count), and the borrow ends before that count
/// is given up.
unsafe fn value_of<'a, T>(inner: NonNull<Inner<T>>) -> &'a T {
    // SAFETY: as the caller promises; the place is reached through the raw pointer.
    unsafe { &*ptr::addr_of!((*inner.as_ptr()).value) }
}

/// # Safety
/// `object` is a live `Inner<T>` (the caller holds a strong count).
unsafe fn trace_erased<T: Trace>(object: NonNull<Header>, visitor: &mut Visitor<'_>) {
    // SAFETY: as the caller promises.
    unsafe { value_of::<T>(object.cast()) }.trace(visitor);
}

/// # Safety
/// As `trace_erased`.
unsafe fn clear_erased<T: Trace>(object: NonNull<Header>) {
    // SAFETY: as the caller promises.
    unsafe { value_of::<T>(object.cast()) }.clear();
}

/// # Safety
/// The caller owns one weak count of the `Inner<T>` at `object`.
unsafe fn release_weak_erased<T>(object: NonNull<Header>) {
    // SAFETY: as the caller promises.
    unsafe { release_weak::<T>(object.cast()) }
}

impl<T> AtomicRc<T> {
    /// A [`LocalRc`] to this object, if it is [hybrid](Mode::Hybrid) or [biased](Mode::Biased),
    /// this thread is its owner (the thread that made it), and a biased owner has not merged (it
    /// merges when its last local reference goes, or when it exits); `None` otherwise.
    ///
    /// A hybrid object's first local handle (or the first after the last one was dropped) counts
    /// one atomic increment, for all the local handles together; the others count plain ones.
    ///
    /// # Panics
    /// Aborts the process if the owner's count would pass `i32::MAX`, as `Rc` does at its limit.
    #[must_use]
    pub fn to_local(this: &Self) -> Option<LocalRc<T>> {
        // SAFETY: this handle's count keeps the object alive; the pointer is the handle's own.
        unsafe { Header::add_local(header_of(this.ptr)) }.then(|| LocalRc {
            ptr: this.ptr,
            _owns: PhantomData,
        })
    }

    #[cfg(loom)]
    /// Broken on purpose, for the loom negative controls only: a local handle counted with a
    /// plain increment of the local count and nothing else. No check that this thread is the
    /// owner; and a hybrid object's first local handle takes no atomic count for the local
    /// handles, so their last drop gives up a count nobody took.
    #[doc(hidden)]
    pub fn __to_local_unchecked(this: &Self) -> LocalRc<T> {
        // SAFETY: none; the controls show loom catching what this allows. (The object is hybrid
        // or biased, as the controls make it, and alive while `this` holds its count.)
        unsafe { Header::local(header_of(this.ptr)) }
            .count
            .with_mut(|local| unsafe { *local += 1 });
        LocalRc {
            ptr: this.ptr,
            _owns: PhantomData,
        }
    }
}

impl<T> LocalRc<T> {
    /// A new shareable handle to this object, for other threads (on this thread it counts as
    /// any owner's handle does).
    #[must_use]
    pub fn to_shared(this: &Self) -> AtomicRc<T> {
        // SAFETY: this handle's count keeps the object alive; the pointer is the handle's own.
        unsafe { Header::increment(header_of(this.ptr)) };
        AtomicRc {
            ptr: this.ptr,
            _owns: PhantomData,
        }
    }
}

impl<T> Clone for LocalRc<T> {
    /// A new local handle: a plain increment of the owner's local count.
    #[inline]
    fn clone(&self) -> Self {
        // SAFETY: a local handle is made on the owner thread and cannot leave it (`!Send`,
        // `!Sync`), so this is the owner thread; its count keeps the hybrid or biased object
        // alive, and the pointer is its own.
        unsafe { Header::increment_owner(header_of(self.ptr)) };
        Self {
            ptr: self.ptr,
            _owns: PhantomData,
        }
    }
}

impl<T> Drop for LocalRc<T> {
    #[inline]
    fn drop(&mut self) {
        // SAFETY: this handle gives up its count and is never used again; it was made on the
        // owner thread and cannot leave it (`!Send`, `!Sync`), so this is the owner thread. The
        // pointer is its own.
        if !unsafe { Header::decrement_local(header_of(self.ptr)) } {
            // SAFETY: as above, and `decrement_local` did not finish.
            unsafe { Header::release_local_slow(self.ptr.cast()) }
        }
    }
}

impl<T> Deref for LocalRc<T> {
    type Target = T;

    #[inline]
    fn deref(&self) -> &T {
        // SAFETY: the object lives while this handle holds its count, which it gives up only
        // when dropped, after every borrow of `self`.
        unsafe { value_of(self.ptr) }
    }
}

impl<T: fmt::Debug> fmt::Debug for LocalRc<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&**self, f)
    }
}

impl<T> Clone for AtomicRc<T> {
    /// A new handle to the same object: `Relaxed` increment, a plain one on a biased owner
    /// thread, nothing at all for an immortal object.
    ///
    /// Aborts the process if the count would overflow, as `Arc` does.
    #[inline]
    fn clone(&self) -> Self {
        // SAFETY: this handle's count keeps the object alive; the pointer is the handle's own.
        unsafe { Header::increment(header_of(self.ptr)) };
        Self {
            ptr: self.ptr,
            _owns: PhantomData,
        }
    }
}

impl<T> Drop for AtomicRc<T> {
    #[inline]
    fn drop(&mut self) {
        // SAFETY: this handle gives up its count and is never used again.
        unsafe { Header::release(self.ptr.cast()) }
    }
}

impl<T> Deref for AtomicRc<T> {
    type Target = T;

    #[inline]
    fn deref(&self) -> &T {
        // SAFETY: the object lives while this handle holds its count, which it gives up only
        // when dropped, after every borrow of `self`.
        unsafe { value_of(self.ptr) }
    }
}

impl<T> AsRef<T> for AtomicRc<T> {
    fn as_ref(&self) -> &T {
        self
    }
}

impl<T: fmt::Debug> fmt::Debug for AtomicRc<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&**self, f)
    }
}

impl<T> Weak<T> {
    /// A strong handle to the object, or `None` if its last strong handle is gone.
    ///
    /// One compare-and-swap loop that never moves a count up from zero, so it cannot revive an
    /// object that is being freed.
    ///
    /// ```
    /// # use gil_runtime as gilkit;
    /// use gilkit::refcount::AtomicRc;
    ///
    /// let rc = AtomicRc::new(5);
    /// let weak = AtomicRc::downgrade(&rc);
    /// assert_eq!(weak.upgrade().map(|rc| *rc), Some(5));
    /// ```
    #[must_use]
    pub fn upgrade(&self) -> Option<AtomicRc<T>> {
        self.header().try_increment().then(|| AtomicRc {
            ptr: self.ptr,
            _owns: PhantomData,
        })
    }

    /// A snapshot of the number of strong handles; 0 once the value is dropped. See
    /// [`AtomicRc::strong_count`].
    ///
    /// ```
    /// # use gil_runtime as gilkit;
    /// use gilkit::refcount::AtomicRc;
    ///
    /// let rc = AtomicRc::new(());
    /// let weak = AtomicRc::downgrade(&rc);
    /// drop(rc);
    /// assert_eq!(weak.strong_count(), 0);
    /// ```
    #[must_use]
    pub fn strong_count(&self) -> usize {
        // SAFETY: this handle's weak count keeps the memory; the pointer is the handle's own.
        unsafe { Header::strong_count(header_of(self.ptr)) }
    }

    /// Whether two weak handles point to the same object.
    ///
    /// ```
    /// # use gil_runtime as gilkit;
    /// use gilkit::refcount::AtomicRc;
    ///
    /// let rc = AtomicRc::new(0);
    /// let (a, b) = (AtomicRc::downgrade(&rc), AtomicRc::downgrade(&rc));
    /// assert!(a.ptr_eq(&b));
    /// ```
    #[must_use]
    pub fn ptr_eq(&self, other: &Self) -> bool {
        self.ptr == other.ptr
    }

    fn header(&self) -> &Header {
        // SAFETY: the allocation (header included) lives while this handle holds a weak count.
        // Only the header is borrowed: the value may be being dropped on another thread, or by
        // the very `Drop` that calls this.
        unsafe { header_of(self.ptr).as_ref() }
    }

    #[cfg(loom)]
    /// Broken on purpose, for the loom negative controls only: checks the count, then
    /// increments it, instead of one compare-and-swap. Atomic mode only.
    #[doc(hidden)]
    #[must_use]
    pub fn __upgrade_check_then_act(&self) -> Option<AtomicRc<T>> {
        self.header()
            .try_increment_check_then_act()
            .then(|| AtomicRc {
                ptr: self.ptr,
                _owns: PhantomData,
            })
    }
}

impl<T> Clone for Weak<T> {
    fn clone(&self) -> Self {
        increment_weak(&self.header().weak);
        Self {
            ptr: self.ptr,
            _owns: PhantomData,
        }
    }
}

impl<T> Drop for Weak<T> {
    fn drop(&mut self) {
        // SAFETY: this handle gives up its weak count and is never used again. If it was the
        // last, the strong handles gave up theirs, so the value is already dropped.
        unsafe { release_weak(self.ptr) }
    }
}

impl<T> fmt::Debug for Weak<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("(Weak)")
    }
}
