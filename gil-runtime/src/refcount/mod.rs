//! Atomic reference counts without a global lock: [`AtomicRc`] and [`Weak`], in four modes, and
//! [`LocalRc`], the owner thread's handle to a hybrid or biased object.
//!
//! | [`Mode`]    | `AtomicRc` clone / drop on the owner thread | on any other thread | `LocalRc` clone / drop | freed | bytes in front of the header (value aligned to 8 or less) |
//! |-------------|---------------------------------------------|---------------------|------------------------|-------|------------------------------|
//! | `Atomic`    | one atomic RMW, as `Arc`                    | one atomic RMW, as `Arc` | –                 | at count zero   | 0 |
//! | `Hybrid`    | one atomic RMW, as `Arc`                    | one atomic RMW, as `Arc` | a plain add/sub, as `Rc` | at count zero | 8 |
//! | `Biased`    | a plain add/sub, after a check of the thread | one atomic RMW      | a plain add/sub, as `Rc` | after the merge | 16, and an 8-byte entry in the owner's list |
//! | `Immortal`  | nothing                                     | nothing             | –                      | never | 0 |
//!
//! ```
//! # use gil_runtime as gilkit;
//! use gilkit::refcount::{AtomicRc, Mode};
//!
//! let shared = AtomicRc::new(vec![1, 2, 3]);
//! let other = shared.clone();
//! std::thread::spawn(move || assert_eq!(other.len(), 3)).join().unwrap();
//! assert_eq!(AtomicRc::strong_count(&shared), 1);
//!
//! let biased = AtomicRc::with_mode(5_u8, Mode::Biased); // owned by this thread
//! let cheap = biased.clone(); // a non-atomic increment, after a check of the thread
//! let local = AtomicRc::to_local(&biased).unwrap(); // `!Send`: tied to this thread
//! let cheapest = local.clone(); // a non-atomic increment, no check: `Rc`'s cost
//! assert_eq!(*cheapest, 5);
//! ```
//!
//! # Layout
//!
//! Each object is one allocation: a 24-byte header, as `Arc`'s (the strong and the weak count,
//! and a pointer to a `static` per type that holds its destructor, with the mode in the
//! pointer's two low bits), then the value. A hybrid object also has its owner's fields in front
//! of the header (8 bytes: the owner's 32-bit id and the 32-bit local count), and a biased object
//! its slot in the owner's list of unmerged objects in front of those (16 bytes in all, with the
//! padding), and an 8-byte entry in that list until it merges. [`AtomicRc::block_size`] gives
//! the size of the block in each mode.
//!
//! # Atomic mode
//!
//! `Arc`'s protocol: increment with `Relaxed` (a new handle is made from an existing one, so
//! the object is already visible to this thread), decrement with `Release` (publishes this
//! thread's use of the object), and an `Acquire` fence before the free (the freeing thread sees
//! every other thread's use). A [`Weak`] upgrades with a compare-and-swap loop that refuses zero,
//! so it can never revive a freed object.
//!
//! **Overflow**: as `Arc`, the process aborts when a count would pass `isize::MAX` (atomic and
//! hybrid), or, in a biased shared word (its count is shifted by two), when a `Weak`'s upgrade
//! finds more than `isize::MAX / 8`, a non-owner's increment sets the word's sign (at
//! `isize::MAX / 4`), or the owner's merge adds its count past the word's range: a count that
//! high needs handles leaked with `mem::forget`. The owner's local count (hybrid and biased) is
//! the one exception, so that its clone and drop are `Rc`'s instructions: it is 32 bits, so that
//! a hybrid object's prefix takes 8 bytes, and aborts at an increment past `i32::MAX` (2^31
//! local references alive at once: leaked ones, in practice); on a 32-bit target, whose shared
//! word counts to 2^29 - 1, a merge of more local references aborts too. Saturating to
//! immortal, as `CPython` does, was rejected: it turns a bug into a silent leak, and it would
//! cost a load before every increment to keep immortal counts still.
//!
//! # Biased mode (PEP 703; Choi, Shull and Torrellas, PACT 2018)
//!
//! Most objects are only ever touched by the thread that made them. A biased object records that
//! *owner* thread; the owner counts in a non-atomic `local` count, every other thread in an atomic
//! `shared` word. Handles do not know which count they were counted in: a handle cloned on the
//! owner and sent away is dropped on another thread, so `shared` may go negative. Only
//! `local + shared` is the number of handles.
//!
//! The shared word is `shared_count << 2 | MAYBE_WEAK | MERGED`, in wrapping (two's complement)
//! arithmetic. Non-owners add and subtract `1 << 2`, so they never change the flags. `MAYBE_WEAK`
//! is set when a `Weak` is made, and never cleared (it keeps the owner's fast free, below, off).
//!
//! - `local` is read and written by the owner thread only, while the object is *unmerged*. An
//!   `AtomicRc` checks the thread on every clone and drop; a [`LocalRc`] is made only on the owner
//!   thread and cannot leave it (`!Send`, `!Sync`), so it counts with no check. Once merged (the
//!   owner's exit merges while a `LocalRc` in a thread-local may still live), `local` holds the
//!   merged mark, which every local fast path reads as "go the slow way".
//!   Thread ids come from a global counter and are never reused (a thread started after the
//!   2^32 - 2 ids ran out gets none, owns nothing, and makes its biased objects atomic), so no
//!   other thread can ever pass for the owner, not even after it exited.
//! - **Merge**: the owner sets its `local` to a "merged" mark, and then adds `local << 2 | MERGED`
//!   to the shared word in *one* atomic RMW (`Release`, then an `Acquire` fence if it frees). From
//!   then on every thread, the owner included, counts in the shared word only. The owner merges
//!   in two places, both on its own thread:
//!   1. when its `local` count drops to zero (it holds no more local references, so it adds 0);
//!   2. when the owner thread exits, for each object it still counts references of (handles it
//!      cloned and sent away). A thread-local list of these unmerged objects is kept: an object
//!      is added when it is made, and removed (in O(1), by a swap) when its local count merges.
//!      Its destructor merges them all. So an owner that exits first leaves every object merged.
//! - **Hand-over** (PEP 703's queue to the owner): a non-owner decrements with a compare-and-swap.
//!   If the object is unmerged and the shared count would go below zero, the references that
//!   are left are counted in the owner's `local`, which only the owner can read. So instead of
//!   decrementing, the non-owner pushes its reference into the owner thread's *inbox* (a
//!   mutex-protected list, which it finds by the owner's thread id in a global registry: the
//!   object keeps no pointer to it). The owner drops those references
//!   on its own thread, in its local count, whenever it makes a biased object, when it calls
//!   [`merge_deferred`], and at its exit. The exit first *closes* the inbox (under its lock),
//!   then merges, then drops what was handed over; a non-owner that finds the inbox closed
//!   decrements below zero instead, and the exit merge (an RMW after the close) makes up for it.
//! - **Free**: exactly one RMW sees the shared word go to `MERGED` with a count of zero: the
//!   merge itself (its result is `0 | MERGED`), or a later non-owner decrement from `1 << 2 |
//!   MERGED`. Before the merge `MERGED` is clear, so no decrement can see that value; after it
//!   the word changes by RMWs only, so exactly one of them makes the last step. One shortcut,
//!   PEP 703's: when the owner's local count drops to zero and it reads a shared word of 0
//!   (unmerged, no shared references, no `Weak` ever made), no other thread can reach the
//!   object, and the owner frees it with no RMW at all. Most objects die this way, never shared.
//!
//! Why this does not depend on the owner's cooperation: a non-owner never waits for the owner,
//! never reads `local`, and never needs the owner to *run* for memory safety; the references it
//! cannot count stay counted (in `local`, or in the inbox) until the owner merges, which happens
//! at the latest when the owner thread ends, through a thread-local destructor that runs without
//! the user's help. The price: if the owner keeps running but never makes another biased object
//! or calls [`merge_deferred`], an object whose last handle died on another thread is freed only
//! at the owner's exit: never earlier (no use-after-free), never twice, and not past the owner's
//! lifetime. While it waits, [`Weak::upgrade`] may still succeed, which is sound: the value has
//! not been dropped.
//!
//! ```
//! # use gil_runtime as gilkit;
//! use gilkit::refcount::{AtomicRc, Mode};
//!
//! let mut handles = Vec::new();
//! std::thread::scope(|s| {
//!     let owner = s.spawn(|| {
//!         let object = AtomicRc::with_mode(String::from("made on the owner"), Mode::Biased);
//!         (object.clone(), object.clone()) // counted in the owner's local count
//!     });
//!     let (a, b) = owner.join().unwrap(); // the owner exited: its exit merged the count
//!     handles.push(a);
//!     handles.push(b);
//! });
//! let weak = AtomicRc::downgrade(&handles[0]);
//! drop(handles); // the last non-owner drop frees it
//! assert!(weak.upgrade().is_none());
//! ```
//!
//! # Hybrid mode (the `hybrid-rc` crate's contract)
//!
//! A biased object's owner counts *every* handle it holds locally, shareable ones included, so
//! it must find its objects again when it exits (the list) and take back references that other
//! threads cannot count (the inbox). A hybrid object gives up that fast path for `AtomicRc`, and
//! with it the list, the slot, the merge and the inbox:
//!
//! - Every `AtomicRc` counts in the strong count with `Arc`'s protocol, on every thread (the
//!   atomic mode's code: one bit of the mode tells the two apart).
//! - The owner's [`LocalRc`]s count in its 32-bit local count, with plain operations. While
//!   there are any, they hold *one* strong count between them: [`AtomicRc::to_local`] takes it
//!   when the local count goes from 0 to 1, and the drop that takes the local count to 0 gives
//!   it back (an `Arc` decrement, which frees if it was the last). So the strong count is never
//!   zero while a local handle lives, and the free is `Arc`'s: exactly one decrement sees zero.
//! - Only the owner thread touches the local count: a `LocalRc` is made only on the thread whose
//!   id the object holds (ids are never reused), and cannot leave it. When the owner exits,
//!   nothing needs doing: its local handles, also those in thread-locals destroyed late, give
//!   their count back as they go.
//!
//! The cost: an `AtomicRc` on the owner counts atomically (`Arc`'s cost, where a biased one
//! counts plainly), and converting costs an atomic RMW at the first local handle and after the
//! last. The gain: 8 bytes in front of the header instead of 16 and a list entry, no deferred
//! drops, and frees as prompt as `Arc`'s.
//!
//! ```
//! # use gil_runtime as gilkit;
//! use gilkit::refcount::{AtomicRc, Mode};
//!
//! let object = AtomicRc::with_mode(String::from("hybrid"), Mode::Hybrid);
//! let local = AtomicRc::to_local(&object).unwrap(); // the local handles' one atomic count
//! let weak = AtomicRc::downgrade(&object);
//! std::thread::spawn(move || drop(object)).join().unwrap(); // an `Arc` decrement
//! assert_eq!(weak.strong_count(), 1); // the local handles' count
//! drop(local); // the last local handle: gives the count back, and frees here
//! assert!(weak.upgrade().is_none());
//! ```
//!
//! # Immortal mode (PEP 683)
//!
//! Clone and drop never touch the count, and the object is never freed (its memory is leaked on
//! purpose, like a `static`). Good for objects that live as long as the program and are shared
//! by every thread, where even an uncontended atomic RMW on one cache line is a bottleneck.

mod collect;
mod handle;
mod header;
mod owner;

#[cfg(loom)]
#[doc(hidden)]
pub use collect::__collect_cycles_ignoring_outside_references;
#[cfg(all(test, not(loom)))]
pub(crate) use collect::COLLECTOR_TESTS;
pub use collect::{collect_cycles, Trace, Visitor};
pub use handle::{AtomicRc, LocalRc, Weak};

#[cfg(all(test, not(loom)))]
mod tests;
pub use header::Mode;

/// Drops, on this thread, the references to its biased objects that other threads handed over.
///
/// A non-owner whose drop would take a biased object's shared count below zero hands its
/// reference to the owner thread instead. The owner takes them back by itself whenever it makes
/// a biased object, and when it exits; a long-lived owner that makes none can call this to free
/// objects that died on other threads sooner. Never needed for correctness.
///
/// ```
/// # use gil_runtime as gilkit;
/// use gilkit::refcount::{AtomicRc, Mode};
///
/// let object = AtomicRc::with_mode(1_u8, Mode::Biased);
/// let weak = AtomicRc::downgrade(&object);
/// std::thread::spawn(move || drop(object)).join().unwrap(); // handed back to this thread
/// assert_eq!(weak.strong_count(), 1);
/// gilkit::refcount::merge_deferred();
/// assert!(weak.upgrade().is_none()); // freed here, on the owner thread
/// ```
pub fn merge_deferred() {
    owner::drain_inbox();
}
#[cfg(loom)]
#[doc(hidden)]
pub use owner::__skip_exit_merge;
pub(crate) use owner::HoldDrains;
