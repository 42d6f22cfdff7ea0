//! Lock strategies for shared objects, as Rust attributes: the Python GIL debate, made real.
//!
//! There are three ways to keep shared objects and their reference counts safe, and this crate
//! gives each one as an attribute on your own types:
//!
//! - [`macro@global_lock`]: one global lock, the GIL. Access is free once the GIL is held, and
//!   no two GIL users can deadlock over data (one lock; [domains](#gil-domains) are taken in one
//!   order), but CPU-bound threads run one at a time.
//! - [`macro@per_field_lock`]: a lock per field. Threads that touch different fields run in
//!   parallel; several locks are taken in one global order ([`field_lock::lock_fields`]), and a
//!   lock-order validator checks the rest in debug builds. See [`field_lock`].
//! - [`macro@atomic_rc`]: atomic reference counts with no global lock ([`refcount`]): `Arc`'s
//!   orderings, a biased mode whose owner thread counts without atomics, a hybrid mode whose
//!   owner handles (`LocalRc`) count without atomics in 8 bytes more than the atomic mode's,
//!   immortal objects, and live-object accounting ([`stats`]).
//!
//! # Quick start
//!
//! ```toml
//! [dependencies]
//! gil = "0.1"
//! ```
//!
//! Put an attribute on your struct; it rewrites the fields and adds a constructor, a handle type
//! and accessors, each documented on the attribute's page ([`macro@global_lock`],
//! [`macro@per_field_lock`], [`macro@atomic_rc`]).
//!
//! # Choosing a strategy
//!
//! | you have | use | cost (the lab, `cargo run --release -p gilkit-lab`, 2 cores) |
//! |---|---|---|
//! | many small objects, mostly one thread at a time, or code that must not deadlock | [`macro@global_lock`] | access as cheap as unsynchronized; CPU-bound threads do not scale (about 1× on 2 threads) unless they release the GIL |
//! | threads that update different fields or objects, CPU-bound | [`macro@per_field_lock`] | a lock per access (tens of times a GIL-held access); scales on disjoint fields (about 1.9× on 2 threads) |
//! | objects that are mostly read, shared by many threads, with interior atomics or locks | [`macro@atomic_rc`] | `Arc`'s clone+drop for atomic counts, a few times `Rc`'s for biased counts on the owner thread, `Rc`'s for the owner's `LocalRc` (biased or hybrid) |
//! | independent subsystems, each happy with a GIL | [domains](#gil-domains) | a GIL each: they run in parallel |
//!
//! # Features
//!
//! - `debug-lock-order-validation` (default): the `#[per_field_lock]` lock-order validator in
//!   debug builds; `default-features = false` leaves it out. `lock-order-validation`: the
//!   validator in every build, release included. Both only turn it on, as features should: one
//!   crate in the graph cannot turn it off for the others.
//! - `deadlock-detection`: a watchdog on `parking_lot`'s deadlock detector
//!   (`field_lock::spawn_deadlock_watchdog`, `field_lock::check_deadlock`).
//!
//! # `#[global_lock]`
//!
//! Every field is put in a [`GilCell`], reachable only through the [`Gil`] token that
//! [`with_gil`] or [`acquire`] hands out. The macro adds a constructor, `into_handle` (a
//! [`GilRc`], counted under the GIL) and `fields_mut` (every field mutably at once).
//!
//! ```
//! use gilkit::global_lock;
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
//!     let stats = gilkit::with_gil(|g| stats.clone_ref(g));
//!     std::thread::spawn(move || {
//!         gilkit::with_gil(|g| {
//!             let (requests, path) = stats.fields_mut(g);
//!             *requests += 1;
//!             *path = "/index".to_owned();
//!         });
//!     })
//! };
//! worker.join().unwrap();
//! gilkit::with_gil(|g| {
//!     assert_eq!(*stats.requests.get(g), 1);
//!     assert_eq!(stats.last_path.get(g), "/index");
//! });
//! ```
//!
//! The attribute works on named, tuple and generic structs (with a `?Sized` last field too) and
//! keeps their attributes, docs and visibility. Its optional arguments: `domain = Name` (see
//! [GIL domains](#gil-domains)), `constructor = name`,
//! `into_handle = name` and `fields_mut = name` rename the generated methods, and `crate = path`
//! names this crate if you renamed it. Every field type must be `Send`: whichever thread
//! holds the GIL may touch it.
//!
//! ```compile_fail,E0277
//! #[gilkit::global_lock]
//! struct Shared {
//!     name: std::rc::Rc<str>, // error: field type `Rc<str>` ... is not `Send`
//! }
//! ```
//!
//! ## GIL domains
//!
//! `#[global_lock(domain = Name)]` puts a struct behind a GIL of its own, declared with
//! [`domain!`]: its own lock, switch interval, statistics and pending pool (the idea of PEP 684's
//! per-interpreter GIL). Threads holding different domains run in parallel. A domain's token,
//! `Gil<Name>`, comes from `Name::with_gil` or `Name::acquire` ([`Domain`] in scope), and reaches
//! only that domain's fields: another domain's token is a type error. A thread holding one domain
//! never waits for another: acquiring a second is refused (a panic), except through
//! [`with_gils`], which takes two in one fixed order, so it cannot deadlock.
//!
//! ```
//! use gilkit::Domain;
//!
//! gilkit::domain!(
//!     /// The physics simulation's objects.
//!     pub Physics
//! );
//!
//! #[gilkit::global_lock(domain = Physics)]
//! pub struct Body {
//!     pub position: f64,
//! }
//!
//! #[gilkit::global_lock] // the default domain
//! pub struct Frame {
//!     pub number: u64,
//! }
//!
//! let (body, frame) = (Body::new(0.0).into_handle(), Frame::new(1).into_handle());
//! let physics = {
//!     let body = Physics::with_gil(|p| body.clone_ref(p));
//!     // Runs beside the thread below: the two domains are two locks.
//!     std::thread::spawn(move || Physics::with_gil(|p| *body.position.get_mut(p) += 9.8))
//! };
//! gilkit::with_gil(|g| *frame.number.get_mut(g) += 1);
//! physics.join().unwrap();
//! // Both at once, in one ordered call.
//! gilkit::with_gils(|g: &mut gilkit::Gil, p: &mut gilkit::Gil<Physics>| {
//!     assert_eq!((*frame.number.get(g), *body.position.get(p)), (2, 9.8));
//! });
//! ```
//!
//! ```compile_fail,E0308
//! gilkit::domain!(pub Physics);
//! #[gilkit::global_lock(domain = Physics)]
//! pub struct Body {
//!     pub position: f64,
//! }
//! let body = Body::new(0.0);
//! gilkit::with_gil(|g| *body.position.get_mut(g) += 1.0); // error: a `Gil`, not a `Gil<Physics>`
//! ```
//!
//! # `#[atomic_rc]`
//!
//! No global lock: the struct is shared through [`refcount::AtomicRc`] handles, and its fields
//! are shared immutably (mutate through atomics or locks). The macro adds, next to `Name`:
//!
//! - the handle type `NameRc` (an alias of `AtomicRc<Name>`; rename it with `handle = Other`),
//!   one pointer like `Arc`, whose `Deref` reaches the fields;
//! - `Name::into_handle(self)`, which moves the value into a new handle;
//! - a compile-time check that every field is `Send + Sync`, whose error names the field and
//!   suggests an atomic or a lock (fields whose type names a generic parameter are checked
//!   where the handle is sent, as for `Arc<T>`);
//! - live-object accounting, [`stats::live`]`::<Name>()`.
//!
//! Options: `biased` (the thread that calls `into_handle` counts without atomics; see
//! [`refcount`] for the merge protocol), `hybrid` (handles count as `Arc`'s, and the local
//! handles of the thread that calls `into_handle`, [`refcount::LocalRc`], as `Rc`'s: the smallest
//! object with a handle at `Rc`'s cost), `immortal` (never counted, never freed), `collect`
//! (tracked by the cycle collector, [`refcount::collect_cycles`]; the struct implements
//! [`refcount::Trace`]), `handle = Name`, `into_handle = name`, `crate = path`. Only one of
//! `biased`, `hybrid`, `immortal` and `collect` fits at a time. Generics (with their defaults, in
//! the handle alias), attributes, docs and visibility are kept.
//!
//! ```
//! use std::sync::atomic::{AtomicU64, Ordering};
//! use std::sync::Mutex;
//!
//! /// A page cache entry, shared by every worker.
//! #[gilkit::atomic_rc(biased)]
//! pub struct Page {
//!     pub hits: AtomicU64,         // mutated through an atomic
//!     pub body: Mutex<String>,     // or through a lock
//!     pub url: String,             // or never
//! }
//!
//! let page: PageRc = Page { hits: AtomicU64::new(0), body: Mutex::default(), url: "/".into() }
//!     .into_handle();
//! let here = page.clone(); // on the owner thread: a plain increment
//! let weak = gilkit::refcount::AtomicRc::downgrade(&page);
//! std::thread::spawn(move || {
//!     let there = weak.upgrade().unwrap(); // another thread: the atomic shared count
//!     there.hits.fetch_add(1, Ordering::Relaxed);
//!     there.body.lock().unwrap().push_str("<html>");
//! })
//! .join()
//! .unwrap();
//! assert_eq!(here.hits.load(Ordering::Relaxed), 1);
//! assert_eq!(gilkit::stats::live::<Page>(), 1);
//! drop((page, here));
//! assert_eq!(gilkit::stats::live::<Page>(), 0);
//! ```
//!
//! ```
//! use gilkit::refcount::{AtomicRc, LocalRc};
//!
//! /// A node of a tree that one thread builds and walks, and now and then hands to others.
//! #[gilkit::atomic_rc(hybrid)]
//! pub struct Node {
//!     pub value: u64,
//!     pub children: Vec<NodeRc>,
//! }
//!
//! let leaf = Node { value: 1, children: Vec::new() }.into_handle();
//! let root = Node { value: 0, children: vec![leaf.clone(), leaf] }.into_handle();
//! let walk = AtomicRc::to_local(&root).unwrap(); // on this thread: `Rc`'s clone and drop
//! let copies: Vec<LocalRc<Node>> = (0..3).map(|_| walk.clone()).collect();
//! let sent = LocalRc::to_shared(&copies[0]); // for another thread: `Arc`'s
//! std::thread::spawn(move || assert_eq!(sent.children.len(), 2)).join().unwrap();
//! assert_eq!(gilkit::stats::live::<Node>(), 2);
//! drop((root, walk, copies));
//! assert_eq!(gilkit::stats::live::<Node>(), 0);
//! ```
//!
//! ```compile_fail,E0277
//! #[gilkit::atomic_rc]
//! struct Shared {
//!     hits: std::cell::Cell<u64>, // error: field `hits` ... has type `Cell<u64>`, which is not `Sync`
//! }
//! ```

//!
//! # Model checking your own types
//!
//! [`model::model`] runs a scenario exhaustively under loom when built with `--cfg loom`, and as
//! a bounded stress run otherwise; spawn with [`model::thread::spawn`] and share with
//! [`model::sync::Arc`] (or its `Mutex`, `RwLock` and atomics) so that loom sees your threads.
//! gilkit brings loom along under that cfg; declare the cfg in your `Cargo.toml`, and add loom
//! yourself only if you call it directly:
//!
//! ```toml
//! [lints.rust]
//! unexpected_cfgs = { level = "warn", check-cfg = ["cfg(loom)"] }
//!
//! # only to name loom's own items:
//! [target.'cfg(loom)'.dev-dependencies]
//! loom = "0.7"
//! ```
//!
//! Then run `RUSTFLAGS="--cfg loom" cargo test --release --target-dir target/loom` (its own
//! target directory, so the normal build is kept). In a library, put the model in `tests/`; in a
//! binary crate, in a `#[cfg(test)]` module of the binary, and add `--bin name`
//! (`tests/user_program` in the repository is such a crate). loom explores every interleaving by
//! default; `LOOM_MAX_PREEMPTIONS=3` bounds the search for a large model (no longer exhaustive).
//! Under loom:
//!
//! - declare a `static` `GilCell` or field lock with [`model::statics!`]: a plain `static` does
//!   not compile under loom (loom's cells have no `const` constructor), and each execution must
//!   start from the initial value, which `statics!` gives;
//! - a deadlock that loom finds is reported as a panic, and loom's own objects must not be
//!   dropped while it unwinds: a model that expects one (a negative control) should leak its
//!   objects (`std::mem::forget`) or own none.
//!
//! ```
//! use gilkit::model::{self, sync::Arc, thread};
//!
//! #[gilkit::global_lock]
//! struct Counter {
//!     value: u64,
//! }
//!
//! model::model(|| {
//!     let counter = Arc::new(Counter::new(0));
//!     let c = counter.clone();
//!     let t = thread::spawn(move || gilkit::with_gil(|g| *c.value.get_mut(g) += 1));
//!     gilkit::with_gil(|g| *counter.value.get_mut(g) += 1);
//!     t.join().unwrap();
//!     assert_eq!(gilkit::with_gil(|g| *counter.value.get(g)), 2);
//! });
//! ```
//!
//! # Pitfalls
//!
//! - **Waiting for a thread that waits for the GIL, while holding it, hangs.** `handle.join()`,
//!   a channel `recv()` or a barrier inside `with_gil`, on a thread that needs the GIL, waits
//!   forever: release it first, `g.allow_threads(|| handle.join())`.
//! - **`with_gil` does not nest.** Acquiring again on the holding thread panics (`PyO3`'s
//!   `Python::with_gil` is re-entrant; here a second token would allow two `&mut` to one field).
//!   Take the token as a parameter and pass it down: `fn step(world: &World, g: &mut gilkit::Gil)`.
//! - **Guards across `.await`.** A [`GilGuard`] or a field guard held across an `.await` on a
//!   single-threaded executor (a tokio `LocalSet`) lets another task on the same thread acquire
//!   again: the GIL panics ("already holds the GIL"), and a field lock can hang (release builds,
//!   without the validator). clippy's `await_holding_lock` does not know these types; name them in
//!   `clippy.toml`: `await-holding-invalid-types = ["gilkit::GilGuard", "gilkit::field_lock::FieldGuard",
//!   "gilkit::field_lock::FieldReadGuard", "gilkit::field_lock::FieldWriteGuard"]`.
//! - **A biased object's `strong_count` on its owner thread** also counts handles dropped by other
//!   threads and not merged yet: a snapshot, never a basis for a decision (as for `Arc`). Seen
//!   from another thread, a biased or hybrid object counts its owner's local references as one.
//! - **A generic `#[per_field_lock]` struct** has one lock class per field for all its
//!   instantiations: the validator sees `Pair<A>.x` and `Pair<B>.x` as one class, so nesting them
//!   is reported as a cycle; take both with [`field_lock::lock_fields`], or name distinct
//!   wrapper types.
//! - **Domains:** `GilCell::new` and `GilRc::new` make values of the default domain; in another
//!   domain use `GilCell::new_in` / `GilRc::new_in` (or the attribute's constructor). A thread
//!   holding one domain cannot acquire another except with [`with_gils`].
//!
//! # What the attributes keep, and what they refuse
//!
//! The attributes take any legitimate struct, as a derive would; `tests/ui-pass/hostile/`
//! holds the proof (`#![no_implicit_prelude]`, shadowed std names, raw identifiers, structs made
//! by `macro_rules!`, generic defaults, strict and `forbid` lint sets).
//!
//! - **Privacy.** A generated item reaches no further than the fields it hands out: the
//!   constructor and `fields_mut` take the narrowest visibility among the struct and its fields
//!   (private when two restricted paths do not nest), and at most `pub(crate)` for a
//!   `#[non_exhaustive]` struct; an accessor of `#[per_field_lock]` is no more visible than its
//!   field. `into_handle`, which hands out no field, keeps the struct's visibility.
//! - **Field attributes.** `#[cfg]` gates every generated piece that names the field
//!   (`#[global_lock]` writes `fields_mut` once per combination of the fields' conditions, up to
//!   four). Doc comments and `#[deprecated]` reach the field's accessor, so callers are warned;
//!   the generated code itself names a deprecated field without a warning.
//!   `#[cfg_attr(predicate, field(rw))]` is honoured, one such `cfg_attr` per field.
//! - **Names.** Constructor parameters are named `__gil_<field>`, so a `const` or unit struct
//!   named like a field changes nothing; generated lifetimes and helpers avoid the struct's own
//!   names. Every generated name can be changed but `into_fields` (a field of that name is refused when `fields =` asks for it): `into_handle =` (all three), `constructor =`
//!   (`#[global_lock]`, `#[per_field_lock]`), `fields_mut =` and `debug =` (`#[global_lock]`),
//!   `class = "Name"` (`#[per_field_lock]`), `handle =` (`#[atomic_rc]`). A `#[per_field_lock]` field whose accessor would
//!   take a generated method's name is an error that names the option. A method or type of your
//!   own with a generated name, in an impl block the attribute cannot see, gets rustc's
//!   "duplicate definitions" error pointing at the attribute: rename with the same options.
//! - **Lock classes** are `module::path::Type.field`, so two types with one name in two modules
//!   are told apart in the validator's reports.
//! - **Refused, with an error on your code that says what to do:** `derive(Clone)`, `Copy`,
//!   `PartialEq`, `Eq`, `PartialOrd`, `Ord` and `Hash` on `#[global_lock]` and
//!   `#[per_field_lock]` structs (their fields are behind the GIL or their locks; a derive written
//!   *above* the attribute is expanded after it and cannot be seen, so write the attribute first),
//!   `repr(packed)` on the same two (their code borrows every field), and unsized fields under
//!   `#[per_field_lock]` and `#[atomic_rc]` (their locks and handles hold the value inline).

#![cfg_attr(docsrs, feature(doc_cfg))]

#[doc = include_str!("../docs/attributes/atomic_rc.md")]
pub use gil_macros::atomic_rc;
#[doc = include_str!("../docs/attributes/global_lock.md")]
pub use gil_macros::global_lock;
#[doc = include_str!("../docs/attributes/per_field_lock.md")]
pub use gil_macros::per_field_lock;
pub use gil_runtime::domain;
pub use gil_runtime::field_lock;
pub use gil_runtime::{
    acquire, acquire_gils, set_switch_interval, set_switch_policy, switch_interval, switch_policy,
    try_acquire, with_gil, with_gils, CellsMut, DefaultDomain, Domain, Gil, GilCell, GilGuard,
    GilRc, GilStats, SwitchPolicy, TryAcquireError, DEFAULT_SWITCH_INTERVAL,
};
pub use gil_runtime::{object, refcount, stats};

pub use gil_runtime::model;

#[doc(hidden)]
pub use gil_runtime::__private;

/// The README's examples, run as doc tests so that they stay true.
#[doc = include_str!("../README.md")]
#[cfg(doctest)]
pub struct ReadmeDoctests;
