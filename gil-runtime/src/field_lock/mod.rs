//! A lock per field: the strategy behind `#[per_field_lock]`.
//!
//! Every field of a `#[per_field_lock]` struct has a lock of its own: a 1-byte
//! `parking_lot::Mutex` ([`RawFieldLock`]) stored beside the field's [`FieldCell`], so that the
//! struct's locks pack together, or a [`FieldLock`] (lock and value in one) with `padded`, or,
//! with `#[field(rw)]`, a [`RwFieldLock`]. Threads that touch different fields run in parallel;
//! the price is a lock operation per access, a byte per field (a word per `rw` field), and the
//! risk of deadlock once a thread holds two locks. These tools keep that risk in check:
//!
//! - [`lock_fields`] takes any set of field locks, of one object or of many, in one global order
//!   (object address, then declaration order), whatever order the caller names them in. It cannot
//!   deadlock against itself.
//! - The lock-order validator (on in debug builds, see [`VALIDATION_ENABLED`]) panics at the first
//!   acquisition that would close a cycle in the order of lock classes (`Type.field`), naming both
//!   classes and both call sites, even in a run where no deadlock happened.
//! - [`FieldGuard::lock_next`] walks a linked structure hand over hand (lock the next node, then
//!   let go of this one), which nests two locks of one class in link order; the validator lets it
//!   through, and it cannot deadlock while every walker follows the links of a structure without
//!   a cycle (a promise the validator cannot check: see its docs).
//! - With the `deadlock-detection` feature, `spawn_deadlock_watchdog` reports threads that did
//!   deadlock.
//!
//! ```
//! # extern crate gil_runtime as gilkit;
//! # use gil_macros::per_field_lock;
//! # fn main() {
//! use gilkit::field_lock::lock_fields;
//!
//! #[per_field_lock]
//! pub struct Account {
//!     balance: i64,
//!     #[field(rw)]
//!     history: Vec<i64>,
//!     #[field(no_lock)]
//!     id: u32,
//! }
//!
//! let a = Account::new(100, Vec::new(), 1).into_handle();
//! let b = Account::new(0, Vec::new(), 2).into_handle();
//!
//! // One field: locks only `balance`.
//! *a.balance().lock() -= 10;
//!
//! // Several fields of one object, named in any order, taken in declaration order.
//! let (mut history, mut balance) = lock_fields((a.history(), a.balance()));
//! history.push(-10);
//! *balance += 0;
//! drop((history, balance));
//!
//! // Fields of two objects: taken in address order, so opposite transfers cannot deadlock.
//! let (mut from, mut to) = lock_fields((b.balance(), a.balance()));
//! *from -= 5;
//! *to += 5;
//! drop((from, to));
//!
//! let (a_balance, b_balance) = lock_fields((a.balance(), b.balance()));
//! assert_eq!((*a_balance, *b_balance), (95, -5));
//! assert_eq!(a.id + b.id, 3); // `no_lock` fields are plain, read-only once shared
//! # }
//! ```
//!
//! # Panics and the data
//!
//! A panic while a field lock is held unwinds through the guard, which releases the lock. Field
//! locks are **not poisoned** (`parking_lot` has no poisoning): the next thread sees whatever the
//! panicking thread wrote before it panicked. Make each critical section leave the field valid at
//! every point where it can panic, or re-check the invariant after locking.

mod class;
#[cfg(all(feature = "deadlock-detection", not(loom)))]
mod deadlock;
mod field;
mod lock;
mod multi;
mod order;
mod padded;

pub use class::LockClass;
#[cfg(all(feature = "deadlock-detection", not(loom)))]
pub use deadlock::{
    check_deadlock, spawn_deadlock_watchdog, DeadlockReport, DeadlockedThread, Watchdog,
};
pub use field::{Field, Lockable, RwField, SharedField};
pub use lock::{
    FieldCell, FieldGuard, FieldLock, FieldReadGuard, FieldWriteGuard, RawFieldLock, RwFieldLock,
};
pub use multi::{lock_fields, LockSet};
pub use order::{held_count, VALIDATION_ENABLED};
pub use padded::CachePadded;

#[doc(hidden)]
pub use field::{OrderKey, Stored};

/// A handle that shares a `#[per_field_lock]` object between threads: an `Arc` (loom's, under
/// `--cfg loom`). The generated `into_handle` returns one.
///
/// ```
/// # extern crate gil_runtime as gilkit;
/// # use gil_macros::per_field_lock;
/// # fn main() {
/// #[per_field_lock]
/// struct Hits {
///     count: u64,
/// }
///
/// let hits: gilkit::field_lock::Handle<Hits> = Hits::new(0).into_handle();
/// let other = hits.clone();
/// std::thread::spawn(move || *other.count().lock() += 1).join().unwrap();
/// assert_eq!(*hits.count().lock(), 1);
/// # }
/// ```
pub type Handle<T> = crate::sync::Arc<T>;
