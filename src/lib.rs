//! Lock strategies for shared objects, as Rust attributes: the Python GIL debate, made real.
//!
//! There are three ways to keep shared objects and their reference counts safe, and this crate
//! gives each one as an attribute on your own types:
//!
//! - [`macro@global_lock`]: one global lock, the GIL. Access is free once the GIL is held, and
//!   nothing can deadlock, but CPU-bound threads run one at a time.
//! - [`macro@per_field_lock`]: a lock per field. Threads that touch different fields run in
//!   parallel; several locks are taken in one global order ([`field_lock::lock_fields`]), and a
//!   lock-order validator checks the rest in debug builds. See [`field_lock`].
//! - [`macro@atomic_rc`]: atomic reference counts with no global lock ([`refcount`]): `Arc`'s
//!   orderings, a biased mode whose owner thread counts without atomics, immortal objects, and
//!   live-object accounting ([`stats`]).
//!
//! # `#[global_lock]`
//!
//! Every field is put in a [`GilCell`], reachable only through the [`Gil`] token that
//! [`with_gil`] or [`acquire`] hands out. The macro adds a constructor, `into_handle` (a
//! [`GilRc`], counted under the GIL) and `fields_mut` (every field mutably at once).
//!
//! ```
//! use gil::global_lock;
//!
//! /// A counter shared by every thread.
//! #[global_lock]
//! pub struct Stats {
//!     /// Requests served.
//!     pub requests: u64,
//!     pub(crate) last_path: String,
//! }
//!
//! let stats = Stats::new(0, String::new()).into_handle();
//! let worker = {
//!     let stats = gil::with_gil(|g| stats.clone_ref(g));
//!     std::thread::spawn(move || {
//!         gil::with_gil(|g| {
//!             let (requests, path) = stats.fields_mut(g);
//!             *requests += 1;
//!             *path = "/index".to_owned();
//!         });
//!     })
//! };
//! worker.join().unwrap();
//! gil::with_gil(|g| {
//!     assert_eq!(*stats.requests.get(g), 1);
//!     assert_eq!(stats.last_path.get(g), "/index");
//! });
//! ```
//!
//! The attribute works on named, tuple and generic structs and keeps their attributes, docs and
//! visibility. It takes two optional arguments: `constructor = name` renames `new`, and
//! `crate = path` names the `gil` crate if you renamed it. Every field type must be `Send`:
//! whichever thread holds the GIL may touch it.
//!
//! ```compile_fail,E0277
//! #[gil::global_lock]
//! struct Shared {
//!     name: std::rc::Rc<str>, // error: field type `Rc<str>` ... is not `Send`
//! }
//! ```
//!
//! # `#[atomic_rc]`
//!
//! No global lock: the struct is shared through [`refcount::AtomicRc`] handles, and its fields
//! are shared immutably (mutate through atomics or locks). The macro adds, next to `Name`:
//!
//! - the handle type `NameRc` (an alias of `AtomicRc<Name>`; rename it with `handle = Other`),
//!   one pointer like `Arc`, whose `Deref` reaches the fields;
//! - `Name::into_rc(self)`, which moves the value into a new handle;
//! - a compile-time check that every field is `Send + Sync`, whose error names the field and
//!   suggests an atomic or a lock (fields whose type names a generic parameter are checked
//!   where the handle is sent, as for `Arc<T>`);
//! - live-object accounting, [`stats::live`]`::<Name>()`.
//!
//! Options: `biased` (the thread that calls `into_rc` counts without atomics; see
//! [`refcount`] for the merge protocol), `immortal` (never counted, never freed), `collect`
//! (tracked by the cycle collector, [`refcount::collect_cycles`]; the struct implements
//! [`refcount::Trace`]), `handle = Name`, `crate = path`. Only one of `biased`, `immortal` and
//! `collect` fits at a time. Generics, attributes, docs and visibility are kept.
//!
//! ```
//! use std::sync::atomic::{AtomicU64, Ordering};
//! use std::sync::Mutex;
//!
//! /// A page cache entry, shared by every worker.
//! #[gil::atomic_rc(biased)]
//! pub struct Page {
//!     pub hits: AtomicU64,         // mutated through an atomic
//!     pub body: Mutex<String>,     // or through a lock
//!     pub url: String,             // or never
//! }
//!
//! let page: PageRc = Page { hits: AtomicU64::new(0), body: Mutex::default(), url: "/".into() }
//!     .into_rc();
//! let here = page.clone(); // on the owner thread: a plain increment
//! let weak = gil::refcount::AtomicRc::downgrade(&page);
//! std::thread::spawn(move || {
//!     let there = weak.upgrade().unwrap(); // another thread: the atomic shared count
//!     there.hits.fetch_add(1, Ordering::Relaxed);
//!     there.body.lock().unwrap().push_str("<html>");
//! })
//! .join()
//! .unwrap();
//! assert_eq!(here.hits.load(Ordering::Relaxed), 1);
//! assert_eq!(gil::stats::live::<Page>(), 1);
//! drop((page, here));
//! assert_eq!(gil::stats::live::<Page>(), 0);
//! ```
//!
//! ```compile_fail,E0277
//! #[gil::atomic_rc]
//! struct Shared {
//!     hits: std::cell::Cell<u64>, // error: field `hits` ... has type `Cell<u64>`, which is not `Sync`
//! }
//! ```

/// Shares a struct through atomic, biased or immortal reference counts; see the
/// [crate documentation](crate#atomic_rc).
pub use gil_macros::atomic_rc;
/// Puts every field of a struct behind the GIL; see the [crate documentation](crate#global_lock).
pub use gil_macros::global_lock;
/// Puts every field of a struct behind its own lock; see [`field_lock`] for the documentation.
pub use gil_macros::per_field_lock;
pub use gil_runtime::field_lock;
pub use gil_runtime::{
    acquire, set_switch_interval, switch_interval, try_acquire, with_gil, CellsMut, Gil, GilCell,
    GilGuard, GilRc, GilStats, TryAcquireError, DEFAULT_SWITCH_INTERVAL,
};
pub use gil_runtime::{refcount, stats};

pub use gil_runtime::model;

#[doc(hidden)]
pub use gil_runtime::__private;

/// The README's examples, run as doc tests so that they stay true.
#[doc = include_str!("../README.md")]
#[cfg(doctest)]
pub struct ReadmeDoctests;
