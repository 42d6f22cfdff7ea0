//! The raw mechanism: the header in front of every object, and the count protocol on it.
//!
//! The typed handles in `handle.rs` only decide *when* to call these; the orderings and the
//! merge live here. See the module docs of `refcount` for the protocol.

use std::ptr::{self, NonNull};

use super::owner;
use crate::sync::atomic::{AtomicUsize, Ordering};
use crate::sync::{acquire_fence, UnsafeCell};

/// How an object's handles count it. Chosen when the object is made; it never changes.
///
/// ```
/// # use gil_runtime as gilkit;
/// use gilkit::refcount::{AtomicRc, Mode};
///
/// let rc = AtomicRc::with_mode(1, Mode::Immortal);
/// assert_eq!(AtomicRc::mode(&rc), Mode::Immortal);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Mode {
    /// One atomic count, with `Arc`'s orderings.
    Atomic = 0,
    /// hybrid-rc's contract: every [`AtomicRc`](super::AtomicRc) counts atomically, as in
    /// `Atomic`, and the [`LocalRc`](super::LocalRc)s of the thread that made the object count in
    /// a plain local count, and hold one atomic count between them. No list, no merge, no inbox:
    /// the smallest object with an `Rc`-cost handle (8 bytes more than `Atomic` for a value
    /// aligned to 8 or less; see [`AtomicRc::block_size`](super::AtomicRc::block_size)).
    Hybrid = 1,
    /// A non-atomic count for the thread that made the object, an atomic one for the others.
    Biased = 2,
    /// No counting at all; the object is never freed.
    Immortal = 3,
}

/// The bits of `Header::meta` that hold the mode.
const MODE_BITS: usize = 0b11;
/// The bit of the mode that is clear in the two modes whose strong handles count atomically,
/// `Atomic` and `Hybrid`, so that their clone and drop test one bit.
const NOT_ATOMIC_BIT: usize = 0b10;

/// The `MERGED` bit of a biased object's shared word.
pub(crate) const MERGED: usize = 1;
/// The bit of a biased object's shared word that says a `Weak` was ever made of it (PEP 703's
/// `_Py_REF_MAYBE_WEAKREF`): set by `downgrade`, never cleared. It keeps the owner's fast free
/// off (see `unreachable_by_others`).
pub(crate) const MAYBE_WEAK: usize = 1 << 1;
/// One reference in a biased object's shared word (counts start at bit 2, above the flags).
pub(crate) const SHARED_ONE: usize = 1 << 2;
/// The owner's local count once it has merged: -2 in 32-bit two's complement. Negative, so that
/// both local fast paths take it to their slow paths with one sign test (`increment_owner`,
/// `decrement_local`), and not -1, so that an increment of it stays negative.
pub(crate) const LOCAL_MERGED: u32 = u32::MAX - 1;
/// The most an owner's merge adds to a biased shared word, whose count is shifted by two.
const MAX_COUNT: usize = (isize::MAX as usize) >> 2;
/// An atomic or hybrid strong count aborts past this, `Arc`'s limit. The increment's test is
/// then the sign of the new count, so it compiles to `Arc`'s `lock inc` and a branch on its
/// flags; with `MAX_COUNT` it took a `lock xadd` and a shift of the old count, and an atomic
/// `AtomicRc`'s clone+drop 1.14-1.15x `Arc`'s, against 0.98-1.00x this way
/// (`benches/ratios.rs`, three runs of each build, alternated).
const MAX_ATOMIC: usize = isize::MAX as usize;
/// The magnitude a biased shared count never reaches: an upgrade above it aborts, and so does a
/// non-owner's increment once the word's sign is set (`increment_shared`), below `-MAX_SHARED`.
/// A negative count that is not an overflow (a non-owner's drop after the owner's inbox closed,
/// `decrement_shared`) is at least minus the owner's local count, so on a 64-bit target (an
/// owner counts to `i32::MAX`) the two cannot be mistaken for each other. On a 32-bit one, a
/// non-owner's increment aborts after 2^28 handles were dropped by non-owners between the close
/// and the merge. A merge whose sum passes the word's range aborts (`merge`).
const MAX_SHARED: isize = isize::MAX >> 3;

/// How the owner merges. Anything but `Correct` is a deliberately broken protocol, used only
/// by the loom negative controls.
#[derive(Clone, Copy, PartialEq, Eq)]
#[cfg_attr(
    not(loom),
    allow(dead_code, reason = "the broken variants serve the loom controls")
)]
pub(crate) enum Merge {
    Correct,
    /// Adds the local count but never sets `MERGED`: a non-owner's last drop cannot see it.
    WithoutFlag,
    /// Reads and writes the shared word with a plain load and store instead of one RMW.
    NotAtomic,
    /// (A non-owner's drop) hands the reference to the owner's inbox even after the owner
    /// closed it at exit, so that nobody ever drops it.
    IgnoreClosedInbox,
    /// (A non-owner's drop) counts below zero instead of handing over to an open inbox, so the
    /// object waits for the owner's exit.
    NoHandOver,
    /// (The owner's last local drop) reads the shared word with `Relaxed` in the fast path, so
    /// the free is not ordered after the non-owners' uses.
    FastFreeRelaxed,
    /// (The owner's last local drop) frees in the fast path even if a `Weak` was made, which
    /// may upgrade the freed object.
    FastFreeIgnoringWeak,
}

/// What an object's type knows, one `static` per type and census (`handle::place` makes it
/// with a `const` block): the header points to it, so that it takes one word in every object.
/// Aligned to 4 at least, so that the header can keep the mode in the pointer's two low bits.
#[repr(C, align(4))]
pub(crate) struct Meta {
    /// Drops the value, tells the type's live count if it has one (`stats::Tracked`), and gives
    /// up the strong handles' weak count. Type-erased, so that the owner's exit can free objects
    /// of any type.
    pub(crate) free: unsafe fn(NonNull<Header>),
}

/// The header of every object (`#[repr(C)]` first field of `handle::Inner`): `Arc`'s two counts
/// and one pointer, 24 bytes. A hybrid object also has a `Local` in front of it, a biased object
/// a `Biased`.
#[repr(C)]
pub(crate) struct Header {
    /// `Atomic`: the strong count. `Hybrid`: the strong count, in which the owner's `LocalRc`s
    /// hold one count together. `Biased`: the shared word. `Immortal`: unused.
    pub(crate) strong: AtomicUsize,
    /// The number of `Weak`s, plus one held by all strong handles together (as in `Arc`).
    pub(crate) weak: AtomicUsize,
    /// The object's `Meta`, its address moved up by the `Mode` (`MODE_BITS`), so that reading
    /// the mode, on every clone and drop, takes no second load.
    meta: *const Meta,
}

// SAFETY: the counts are atomics, and `meta` points to a `static` `Meta`, which holds function
// pointers only and is never written: any thread may read it. (Without these, `*const Meta`
// would show up in the errors users get for a `LocalRc` sent to another thread.)
unsafe impl Send for Header {}
// SAFETY: as above.
unsafe impl Sync for Header {}

/// The owner's fields of a hybrid or biased object: the 8 bytes right in front of its header
/// (see `handle::layout`), so that the local count lies at the same place in both modes and a
/// `LocalRc` counts in it with no test of the mode. Reached only through `Header::local`.
#[repr(C)]
pub(crate) struct Local {
    /// The owner thread's id (never reused: see `owner::current`).
    pub(crate) owner: u32,
    /// The owner's count, read and written only on the owner thread. Biased: the owner's
    /// references, or `LOCAL_MERGED`. Hybrid: the owner's `LocalRc`s, which hold one atomic count
    /// between them while there are any.
    pub(crate) count: UnsafeCell<u32>,
}

impl Local {
    /// The owner's fields of a new object made on this thread, with `count` local references.
    #[inline]
    pub(crate) fn new(count: u32) -> Self {
        Self {
            owner: owner::current(),
            count: UnsafeCell::new(count),
        }
    }

    /// Runs `f` on the local count if this thread is the owner and has not merged.
    fn with_count<R>(&self, f: impl FnOnce(&mut u32) -> R) -> Option<R> {
        if !owner::is_current(self.owner) {
            return None;
        }
        // SAFETY: this is the owner thread, the only one that touches `count`, and no reference
        // to it outlives this call (nothing in `f` reenters).
        self.count.with_mut(|count| unsafe {
            let count = &mut *count;
            (*count != LOCAL_MERGED).then(|| f(count))
        })
    }
}

/// The owner's fields of a biased object, right in front of its header: its `Local`, and in
/// front of that its slot in the owner's list. Reached only through `Header::biased`.
#[repr(C)]
pub(crate) struct Biased {
    /// The index of this object in the owner's list of unmerged objects; read and written only
    /// on the owner thread.
    pub(crate) slot: UnsafeCell<u32>,
    /// The owner and its count.
    pub(crate) local: Local,
}

impl Biased {
    /// The owner's fields of a new object made on this thread, with its one handle.
    #[inline]
    pub(crate) fn new() -> Self {
        Self {
            slot: UnsafeCell::new(0),
            local: Local::new(1),
        }
    }
}

/// `Arc`'s decrement of the strong count (`Atomic` and `Hybrid`): whether it was the last, in
/// which case the `Acquire` fence has been issued. It takes the count, not the header: once the
/// RMW is done, another thread may free the object, and only the atomic is borrowed, as by its
/// own `fetch_sub`.
#[inline]
fn decrement_atomic(strong: &AtomicUsize) -> bool {
    if strong.fetch_sub(1, Ordering::Release) != 1 {
        return false;
    }
    acquire_fence(strong);
    true
}

/// `increment_shared`'s slow path: aborts if the biased shared word, whose sign the increment
/// set, has overflowed rather than counted below zero.
#[cold]
#[inline(never)]
fn check_shared(strong: &AtomicUsize) {
    if shared_count(strong.load(Ordering::Relaxed)) < -MAX_SHARED {
        overflow();
    }
}

#[cold]
fn overflow() -> ! {
    std::process::abort()
}

/// The biased shared word read as two's complement.
#[allow(clippy::cast_possible_wrap, reason = "two's complement on purpose")]
const fn signed(word: usize) -> isize {
    word as isize
}

/// The owner's local count read as two's complement, where the merged mark reads as negative.
#[allow(clippy::cast_possible_wrap, reason = "two's complement on purpose")]
const fn signed_local(count: u32) -> i32 {
    count as i32
}

/// The signed count stored in a biased shared word.
const fn shared_count(word: usize) -> isize {
    signed(word) >> 2
}

impl Header {
    /// The header of a new object counted in `mode`, whose type's operations are `meta`.
    pub(crate) fn new(mode: Mode, meta: &'static Meta) -> Self {
        Self {
            strong: AtomicUsize::new(usize::from(mode != Mode::Biased)),
            weak: AtomicUsize::new(1),
            meta: ptr::from_ref(meta).wrapping_byte_add(mode as usize),
        }
    }

    /// How this object is counted.
    #[inline]
    pub(crate) fn mode(&self) -> Mode {
        match self.meta as usize & MODE_BITS {
            0 => Mode::Atomic,
            1 => Mode::Hybrid,
            2 => Mode::Biased,
            _ => Mode::Immortal,
        }
    }

    /// Whether strong handles count in the atomic `strong` count, as `Arc`'s: `Atomic` and
    /// `Hybrid`. One bit test (`NOT_ATOMIC_BIT`).
    #[inline]
    fn counts_atomically(&self) -> bool {
        self.meta as usize & NOT_ATOMIC_BIT == 0
    }

    /// Whether the object is biased: one compare of the mode bits.
    #[inline]
    fn is_biased(&self) -> bool {
        self.meta as usize & MODE_BITS == Mode::Biased as usize
    }

    /// The place of a biased object's owner fields: right in front of its header, where
    /// `handle::layout` puts them.
    ///
    /// # Safety
    /// `this` is the header of a biased object's allocation, with the provenance of the whole
    /// allocation: a pointer that comes from the allocation (the handles' own), never one made
    /// from a `&Header`, whose range ends at the header.
    #[inline]
    pub(crate) unsafe fn biased_place(this: NonNull<Self>) -> NonNull<Biased> {
        // SAFETY: as the caller promises, the `Biased` lies within the allocation, right in
        // front of the header.
        unsafe { this.cast::<Biased>().sub(1) }
    }

    /// The owner's fields of a biased object.
    ///
    /// # Safety
    /// As `biased_place`, and the object is live (or a weak count keeps its memory).
    #[inline]
    pub(crate) unsafe fn biased<'a>(this: NonNull<Self>) -> &'a Biased {
        // SAFETY: as the caller promises; `handle::place` wrote the `Biased`, which is only
        // ever borrowed shared (its cells are the owner's to write).
        unsafe { Self::biased_place(this).as_ref() }
    }

    /// The place of a hybrid or biased object's `Local`: right in front of its header, where
    /// `handle::layout` puts a hybrid object's, and a biased object's `Biased` ends with it.
    ///
    /// # Safety
    /// As `biased_place`, for a hybrid or biased object.
    #[inline]
    pub(crate) unsafe fn local_place(this: NonNull<Self>) -> NonNull<Local> {
        // SAFETY: as the caller promises, the `Local` lies within the allocation, right in front
        // of the header.
        unsafe { this.cast::<Local>().sub(1) }
    }

    /// The owner's fields of a hybrid or biased object.
    ///
    /// # Safety
    /// As `local_place`, and the object is live (or a weak count keeps its memory).
    #[inline]
    pub(crate) unsafe fn local<'a>(this: NonNull<Self>) -> &'a Local {
        // SAFETY: as the caller promises; `handle::place` wrote the `Local` (alone, or as the
        // last field of a `Biased`), which is only ever borrowed shared (its cell is the
        // owner's to write).
        unsafe { Self::local_place(this).as_ref() }
    }

    /// Counts one more local reference if this thread is the owner of this hybrid or biased
    /// object and a biased one has not merged; whether it did. A hybrid object's first local
    /// reference takes one strong count for all of them.
    ///
    /// # Safety
    /// `this` is the header of a live object, with its allocation's provenance (see `biased`).
    pub(crate) unsafe fn add_local(this: NonNull<Self>) -> bool {
        // SAFETY: the caller's count keeps the object alive.
        let header = unsafe { this.as_ref() };
        let mode = header.mode();
        if mode != Mode::Hybrid && mode != Mode::Biased {
            return false;
        }
        // SAFETY: as the caller promises, for a hybrid or biased object.
        unsafe { Self::local(this) }
            .with_count(|count| {
                if signed_local(*count) == i32::MAX {
                    overflow();
                }
                if *count == 0 && mode == Mode::Hybrid {
                    header.increment_atomic();
                }
                *count += 1;
            })
            .is_some()
    }

    /// Gives up one strong count, and frees the object through its type-erased `free` if it was
    /// the last.
    ///
    /// # Safety
    /// The caller owns one strong count of `object`.
    #[inline]
    pub(crate) unsafe fn release(object: NonNull<Self>) {
        // SAFETY: the caller gives up its count.
        if unsafe { Self::decrement(object, Merge::Correct) } {
            // SAFETY: the decrement saw the last count go, and fenced.
            unsafe { Self::free_object(object) };
        }
    }

    /// Frees an object whose last strong count is gone, through its `free`, which knows the
    /// object's type and census.
    ///
    /// # Safety
    /// This thread saw the last strong count go (and the `Acquire` fence was issued), once.
    #[inline]
    pub(crate) unsafe fn free_object(object: NonNull<Self>) {
        // SAFETY: the header stays valid until `free` releases the last weak count; `free` was set
        // for this object's type when it was made, and the caller's promise is `free`'s.
        unsafe { (object.as_ref().meta().free)(object) }
    }

    /// The object's `Meta`.
    fn meta(&self) -> &'static Meta {
        // SAFETY: `meta` is a `&'static Meta` moved up by the mode (`new`), which this takes off.
        unsafe { &*self.meta.wrapping_byte_sub(self.meta as usize & MODE_BITS) }
    }

    /// Counts one more strong handle.
    ///
    /// The fast paths are inline: atomic mode, immortal, a biased non-owner (the shared word)
    /// and a biased owner below the overflow limit. A merged owner and overflow go out of line.
    ///
    /// # Safety
    /// `this` is the header of an object that the caller holds a strong count of, with the
    /// allocation's provenance (see `biased`).
    #[inline]
    pub(crate) unsafe fn increment(this: NonNull<Self>) {
        // SAFETY: the caller's count keeps the object alive.
        let header = unsafe { this.as_ref() };
        // Biased is tested first, so that the compiler lays its path out with one compare before
        // it; tested after the atomic modes, it took two, and a biased owner's clone+drop took
        // 10 % longer than before hybrid existed (`benches/ratios.rs`, the loop over 64 objects:
        // 2.17-2.19x `Rc` against 1.97-2.00x; 1.81-1.86x this way). The atomic modes take two
        // compares, as before.
        if !header.is_biased() {
            if header.counts_atomically() {
                header.increment_atomic();
            }
            return; // immortal: nothing to count
        }
        // SAFETY: as the caller promises, for a biased object.
        if !owner::is_current(unsafe { Self::local(this) }.owner) {
            header.increment_shared();
            return;
        }
        // SAFETY: this is the owner thread, checked just above.
        unsafe { Self::increment_owner(this) };
    }

    /// `Arc`'s increment of the strong count (`Atomic` and `Hybrid`).
    #[inline]
    fn increment_atomic(&self) {
        if self.strong.fetch_add(1, Ordering::Relaxed) > MAX_ATOMIC {
            overflow();
        }
    }

    /// The owner's increment of its local count of a hybrid or biased object: a plain one,
    /// unless a biased owner merged, or the count is full.
    ///
    /// The add is stored first and the new count tested, so that the fast path is `Rc`'s: one
    /// increment in memory and a branch on its sign. Unmerged counts are positive; the sum is
    /// negative if the count was `LOCAL_MERGED` (-2) or `i32::MAX`, the most the owner counts.
    /// The slow path takes the add back.
    ///
    /// # Safety
    /// As `increment`, for a hybrid or biased object whose owner thread is the caller's (a
    /// `LocalRc` calls it with no further check): on any other thread the plain increment races
    /// the owner's. A hybrid object's count is not zero (the caller holds a local reference).
    #[inline]
    pub(crate) unsafe fn increment_owner(this: NonNull<Self>) {
        // SAFETY: as the caller promises: a live hybrid or biased object, and this is the owner
        // thread, the only one that touches `count`.
        let merged_or_full = unsafe { Self::local(this) }.count.with_mut(|local| unsafe {
            let count = (*local).wrapping_add(1);
            *local = count;
            signed_local(count) < 0
        });
        if merged_or_full {
            // SAFETY: as the caller promises.
            unsafe { Self::increment_slow(this) };
        }
    }

    /// The owner's increment of its local count when it was merged or at `i32::MAX`: takes back
    /// the fast path's add, then counts in the shared word, or aborts.
    ///
    /// # Safety
    /// As `increment_owner`.
    #[inline(never)]
    unsafe fn increment_slow(this: NonNull<Self>) {
        // SAFETY: as the caller promises: a live hybrid or biased object, and this is the owner
        // thread, the only one that touches `count`.
        let count = unsafe { Self::local(this) }.count.with_mut(|local| unsafe {
            *local = (*local).wrapping_sub(1);
            *local
        });
        // SAFETY: the caller's count keeps the object alive.
        if count != LOCAL_MERGED || unsafe { this.as_ref() }.mode() != Mode::Biased {
            overflow(); // an unmerged owner count at `i32::MAX`
        }
        // SAFETY: the caller's count keeps the object alive.
        unsafe { this.as_ref() }.increment_shared();
    }

    /// A non-owner's (or a merged owner's) increment of a biased shared word. Its test is the
    /// sign of the new word, as `Arc`'s is, so that it compiles to a `lock add` and a branch on
    /// its flags (a test of the old word took a `lock xadd` and a compare: 1.43-1.46x `Arc` for
    /// a non-owner's clone+drop, against 1.30x this way, three runs of each build).
    #[inline]
    fn increment_shared(&self) {
        let new = self
            .strong
            .fetch_add(SHARED_ONE, Ordering::Relaxed)
            .wrapping_add(SHARED_ONE);
        if signed(new) < 0 {
            check_shared(&self.strong);
        }
    }

    /// Gives up one strong handle. Returns whether the caller must now free the object; if so,
    /// the `Acquire` fence has been issued.
    ///
    /// # Safety
    /// The caller gives up one strong count of this (live) object; `this` has the allocation's
    /// provenance (see `biased`).
    #[inline]
    pub(crate) unsafe fn decrement(this: NonNull<Self>, merge: Merge) -> bool {
        // SAFETY: the caller's count keeps the object alive.
        let header = unsafe { this.as_ref() };
        // Biased first, as in `increment`; an immortal object is never the last.
        if !header.is_biased() {
            return header.counts_atomically() && decrement_atomic(&header.strong);
        }
        // SAFETY: as the caller promises, for a biased object.
        if !owner::is_current(unsafe { Self::local(this) }.owner) {
            // SAFETY: the caller gives up one count of this live object.
            return unsafe { Self::decrement_non_owner(this, merge) };
        }
        // SAFETY: as the caller promises, and this is the owner thread.
        unsafe { Self::decrement_owner(this, merge) }
    }

    /// The owner's decrement of a biased object: a plain one of its local count, unless it is the
    /// owner's last local reference (which merges) or merged. Returns as `decrement` does.
    ///
    /// # Safety
    /// As `decrement`, and the caller is the owner thread of this biased object.
    #[inline]
    pub(crate) unsafe fn decrement_owner(this: NonNull<Self>, merge: Merge) -> bool {
        // SAFETY: as the caller promises.
        if unsafe { Self::decrement_local(this) } && merge == Merge::Correct {
            return false;
        }
        // SAFETY: the caller gives up one count of this live object, and `decrement_local` did
        // not finish.
        unsafe { Self::decrement_slow(this, merge) }
    }

    /// The owner's plain decrement of its local count of a hybrid or biased object; whether that
    /// was all (`false`: the caller must go on with `decrement_slow`, which takes the subtraction
    /// back).
    ///
    /// As in `increment_owner`, the subtraction is stored first: one decrement in memory and a
    /// branch on its flags, as `Rc`'s. It is all when this was not the owner's last local
    /// reference (that one merges, or for a hybrid object gives up the local references' strong
    /// count) and a biased owner has not merged (`LOCAL_MERGED` is negative).
    ///
    /// # Safety
    /// `this` is the header of a live hybrid or biased object, with the allocation's provenance
    /// (see `biased`), and the caller is its owner thread.
    #[inline]
    pub(crate) unsafe fn decrement_local(this: NonNull<Self>) -> bool {
        // SAFETY: as the caller promises: a live hybrid or biased object, and this is the owner
        // thread, the only one that touches `count`.
        unsafe { Self::local(this) }.count.with_mut(|local| unsafe {
            let count = *local;
            *local = count.wrapping_sub(1);
            signed_local(count) > 1
        })
    }

    /// `decrement_slow` for a `LocalRc`, which frees the object if that was the last count.
    ///
    /// # Safety
    /// As `decrement_slow`.
    #[inline(never)]
    pub(crate) unsafe fn release_local_slow(this: NonNull<Self>) {
        // SAFETY: the caller's count keeps the object alive.
        let header = unsafe { this.as_ref() };
        let last = if header.mode() == Mode::Hybrid {
            // `decrement_local` took the count from 1 to 0 (a hybrid count is never merged, and
            // the caller's local reference kept it above 0): the last local reference is gone,
            // and with it the strong count the local references held together.
            decrement_atomic(&header.strong)
        } else {
            // SAFETY: as the caller promises.
            unsafe { Self::decrement_slow(this, Merge::Correct) }
        };
        if last {
            // SAFETY: the decrement saw the last count go, and fenced.
            unsafe { Self::free_object(this) };
        }
    }

    /// The owner's decrement of a biased object that `decrement_local` did not finish: its last
    /// local reference, a merged owner, or a broken `merge` of a negative control. It first takes
    /// back `decrement_local`'s subtraction.
    ///
    /// # Safety
    /// As `decrement`, on the owner thread, after `decrement_local`.
    #[inline(never)]
    unsafe fn decrement_slow(this: NonNull<Self>, merge: Merge) -> bool {
        // SAFETY: the caller's count keeps the object alive.
        let header = unsafe { this.as_ref() };
        // SAFETY: as the caller promises, for a biased object.
        let biased = unsafe { Self::biased(this) };
        // SAFETY: this is the owner thread, the only one that touches `count`.
        biased
            .local
            .count
            .with_mut(|local| unsafe { *local = (*local).wrapping_add(1) });
        let local = biased.local.with_count(|count| {
            *count -= 1;
            if *count == 0 {
                *count = LOCAL_MERGED;
                true
            } else {
                false
            }
        });
        match local {
            // The owner's local count dropped to zero: free at once if nothing else can reach
            // the object, or else merge (adding nothing).
            Some(true) => {
                // SAFETY: this is the owner thread (`with_local` checked), the only one that
                // touches `slot`.
                owner::unregister(biased.slot.with(|slot| unsafe { *slot }));
                if header.unreachable_by_others(merge) {
                    return true;
                }
                // SAFETY: this is the owner, and it just took its last local count off the list.
                unsafe { Self::merge(this, 0, merge) }
            }
            Some(false) => false,
            // SAFETY: the caller gives up one count of this live object.
            None => unsafe { Self::decrement_shared(this, merge) },
        }
    }

    /// PEP 703's fast path, on the owner's last local drop: whether no other thread holds a
    /// handle or a `Weak`, so the owner frees with no RMW: the shared word is 0 (unmerged, no
    /// shared references, and no `Weak` ever made: `MAYBE_WEAK` clear).
    ///
    /// No stale read can hide a handle or a `Weak`. Both are made from a handle the thread
    /// holds (or a `Weak`, made from one), and every handle counted in `local` came back to the
    /// owner through a synchronizing path (sent back, or handed over under the inbox's mutex)
    /// before `local` could reach zero; a handle counted in the shared word keeps it above 0
    /// until its drop, an RMW that comes after the `Weak`'s `MAYBE_WEAK` (an RMW of the same
    /// word, on the same thread) in the word's order. So a 0 read here is later than every
    /// increment and flag, and reading it with `Acquire` synchronizes with the `Release`
    /// decrements of every shared handle: the free comes after their uses. The flag must be in
    /// the same word: a separate weak count, read before or after the shared word, misses a
    /// `Weak` made and its handle dropped between the two reads (a review found it).
    fn unreachable_by_others(&self, merge: Merge) -> bool {
        let order = if merge == Merge::FastFreeRelaxed {
            Ordering::Relaxed
        } else {
            Ordering::Acquire
        };
        let ignored = if merge == Merge::FastFreeIgnoringWeak {
            MAYBE_WEAK
        } else {
            0
        };
        self.strong.load(order) & !ignored == 0
    }

    /// Marks a biased object as having (had) a `Weak`: called by `downgrade`, before the `Weak`
    /// exists. An RMW, so that it stays in every later value of the shared word.
    pub(crate) fn note_weak(&self) {
        if self.mode() == Mode::Biased {
            self.strong.fetch_or(MAYBE_WEAK, Ordering::Relaxed);
        }
    }

    /// A non-owner's decrement of a biased object. Out of line, so that the inline fast paths
    /// of `decrement` (atomic, immortal, the owner's) stay small.
    ///
    /// # Safety
    /// As `decrement`.
    #[inline(never)]
    unsafe fn decrement_non_owner(this: NonNull<Self>, merge: Merge) -> bool {
        // SAFETY: the caller's count keeps the object alive.
        let header = unsafe { this.as_ref() };
        let word = header.strong.load(Ordering::Relaxed);
        // Once merged, always merged: the flag cannot change under a plain `fetch_sub`.
        if word & MERGED != 0 {
            let old = header.strong.fetch_sub(SHARED_ONE, Ordering::Release);
            if old & !MAYBE_WEAK != SHARED_ONE | MERGED {
                return false;
            }
            acquire_fence(&header.strong);
            return true;
        }
        // Unmerged, with a shared count that stays at zero or above: the first turn of
        // `decrement_shared`'s loop (nothing to hand over, and an unmerged object is never freed
        // by a non-owner).
        if shared_count(word) > 0
            && header
                .strong
                .compare_exchange_weak(
                    word,
                    word.wrapping_sub(SHARED_ONE),
                    Ordering::Release,
                    Ordering::Relaxed,
                )
                .is_ok()
        {
            return false;
        }
        // SAFETY: the caller gives up one count of this live object.
        unsafe { Self::decrement_shared(this, merge) }
    }

    /// A decrement of the shared word, by a non-owner or a merged owner.
    ///
    /// Before the merge, a decrement that would take the shared count below zero hands the
    /// reference to the owner's inbox instead (as PEP 703 queues the object to its owner): the
    /// owner drops it on its own thread, in its local count, at its next biased allocation, at
    /// `merge_deferred`, or at its exit. If the inbox is closed (the owner is exiting), the count
    /// goes below zero and the owner's exit merge, which comes after the close, makes up for it.
    ///
    /// # Safety
    /// The caller gives up one strong count of this (live) biased object; `this` has the
    /// allocation's provenance (see `biased`).
    ///
    /// Out of line, so that the inline fast paths of `decrement` stay small enough to need no
    /// saved registers.
    #[inline(never)]
    unsafe fn decrement_shared(this: NonNull<Self>, merge: Merge) -> bool {
        // SAFETY: the caller's count keeps the object alive.
        let header = unsafe { this.as_ref() };
        let mut word = header.strong.load(Ordering::Relaxed);
        let mut inbox_closed = false;
        loop {
            if word & MERGED == 0
                && shared_count(word) <= 0
                && !inbox_closed
                && merge != Merge::NoHandOver
            {
                // SAFETY: the owner's inbox takes over the caller's count on `true`; the object
                // is biased, as the caller promises.
                if unsafe { owner::hand_over(Self::local(this).owner, this, merge) } {
                    return false;
                }
                inbox_closed = true;
            }
            match header.strong.compare_exchange_weak(
                word,
                word.wrapping_sub(SHARED_ONE),
                Ordering::Release,
                Ordering::Relaxed,
            ) {
                Ok(old) if old & !MAYBE_WEAK == SHARED_ONE | MERGED => {
                    acquire_fence(&header.strong);
                    return true;
                }
                Ok(_) => return false,
                Err(actual) => word = actual,
            }
        }
    }

    /// Adds the owner's `local` count to the shared word and sets `MERGED`, in one RMW. Returns
    /// whether the caller must free the object (the fence is done).
    ///
    /// It takes a raw pointer, not `&self`: once the RMW is done, another thread may free the
    /// object while this call is still running, which a reference argument must outlive.
    ///
    /// # Safety
    /// Called on the owner thread of this live, unmerged object, after it set its local count to
    /// `LOCAL_MERGED` and took the object off its list; `local` is the count it had.
    pub(crate) unsafe fn merge(this: NonNull<Self>, local: u32, merge: Merge) -> bool {
        // SAFETY: the object is alive until the RMW below, and only the atomic is borrowed.
        let strong = unsafe { &(*this.as_ptr()).strong };
        let local = usize::try_from(local).unwrap_or(usize::MAX);
        if local > MAX_COUNT {
            overflow(); // the owner counts up to `i32::MAX`; the shared word of a 32-bit target less
        }
        let delta = (local << 2) | MERGED;
        let new = match merge {
            Merge::Correct
            | Merge::IgnoreClosedInbox
            | Merge::NoHandOver
            | Merge::FastFreeRelaxed
            | Merge::FastFreeIgnoringWeak => strong
                .fetch_add(delta, Ordering::Release)
                .wrapping_add(delta),
            Merge::WithoutFlag => strong
                .fetch_add(delta & !MERGED, Ordering::Release)
                .wrapping_add(delta),
            Merge::NotAtomic => {
                let new = strong.load(Ordering::Relaxed).wrapping_add(delta);
                strong.store(new, Ordering::Release);
                new
            }
        };
        // Merged, the count is every handle and handed-over reference: never below zero, unless
        // the sum passed the word's range. Non-owners' clones may take it near the top
        // (`increment_shared` sees the sign, not the range), so the sum is checked here.
        if shared_count(new) < 0 {
            overflow();
        }
        if new & !MAYBE_WEAK != MERGED {
            return false;
        }
        acquire_fence(strong);
        true
    }

    /// Counts one more strong handle for a `Weak`, unless the object is (being) freed.
    pub(crate) fn try_increment(&self) -> bool {
        let mode = self.mode();
        let step = |word: usize| match mode {
            Mode::Atomic | Mode::Hybrid if word == 0 => None,
            Mode::Atomic | Mode::Hybrid if word > MAX_ATOMIC => overflow(),
            Mode::Atomic | Mode::Hybrid => Some(word + 1),
            // Merged with a count of zero: the last handle is gone. Before the merge the object
            // is freed only by the owner's fast path, which finds this `Weak` and merges instead
            // (see `unreachable_by_others`), so counting one more shared reference is sound.
            _ if word & !MAYBE_WEAK == MERGED => None,
            _ if shared_count(word) > MAX_SHARED => overflow(),
            _ => Some(word.wrapping_add(SHARED_ONE)),
        };
        match mode {
            Mode::Immortal => true,
            _ => self
                .strong
                .fetch_update(Ordering::Acquire, Ordering::Relaxed, step)
                .is_ok(),
        }
    }

    /// A snapshot of the number of strong handles; see `AtomicRc::strong_count`.
    ///
    /// # Safety
    /// `this` is the header of an object whose memory the caller keeps (a strong or weak count),
    /// with the allocation's provenance (see `biased`).
    pub(crate) unsafe fn strong_count(this: NonNull<Self>) -> usize {
        // SAFETY: as the caller promises.
        let header = unsafe { this.as_ref() };
        let word = header.strong.load(Ordering::Relaxed);
        match header.mode() {
            Mode::Atomic => word,
            Mode::Immortal => usize::MAX,
            Mode::Hybrid => {
                // SAFETY: as the caller promises, for a hybrid object.
                match unsafe { Self::local(this) }.with_count(|count| *count as usize) {
                    // The local references hold one strong count between them.
                    Some(local) if local > 0 => word - 1 + local,
                    // Another thread cannot see the owner's count: they count as one.
                    _ => word,
                }
            }
            Mode::Biased => {
                let shared = shared_count(word);
                let total = if word & MERGED != 0 {
                    shared
                // SAFETY: as the caller promises, for a biased object.
                } else if let Some(local) =
                    unsafe { Self::local(this) }.with_count(|count| *count as usize)
                {
                    shared.wrapping_add_unsigned(local)
                } else {
                    // Another thread cannot see the owner's count; it is at least one.
                    shared.max(0) + 1
                };
                total.max(0).unsigned_abs()
            }
        }
    }
}

// Negative-control hooks need the broken count operations of the atomic mode too.
#[cfg(loom)]
impl Header {
    /// A decrement with `Relaxed` and no fence: the bug `Arc`'s orderings exist to prevent.
    pub(crate) fn decrement_relaxed_no_fence(&self) -> bool {
        self.strong.fetch_sub(1, Ordering::Relaxed) == 1
    }

    /// A decrement as a load and a store: two threads can both read 2 and both write 1.
    pub(crate) fn decrement_not_atomic(&self) -> bool {
        let old = self.strong.load(Ordering::Acquire);
        self.strong.store(old - 1, Ordering::Release);
        old == 1
    }

    /// An upgrade that checks and then increments, instead of one compare-and-swap.
    pub(crate) fn try_increment_check_then_act(&self) -> bool {
        if self.strong.load(Ordering::Acquire) == 0 {
            return false;
        }
        self.strong.fetch_add(1, Ordering::Acquire);
        true
    }
}
