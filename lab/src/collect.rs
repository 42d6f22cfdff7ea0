//! The seed's first way out: garbage collection instead of reference counts, with crates from
//! the registry. `dumpster` shares the objects; `crossbeam-epoch` stands for the reclamation side
//! alone; `#[atomic_rc(immortal)]` is measured beside them.
//!
//! **Why `dumpster` (2.1).** It is the one maintained collector on crates.io whose handle is
//! `Send + Sync` (`dumpster::sync::Gc`) and collects concurrently, with an `Arc`-like API, so it
//! can share the lab's object between threads as the counts do. The others were checked with
//! `cargo info` and their docs: `gc` 0.5, `gc-arena` 0.7, `bacon_rajan_cc` 0.4 and `rust-cc` 0.6
//! are single-threaded (their handles are not `Send`), and `shredder` 0.2 (concurrent) has had
//! no release since 2021.
//!
//! **What `dumpster` still counts.** Rust cannot find the roots on the stacks, so no collector
//! in the registry traces from them: `dumpster` keeps a count in every allocation (clone and drop
//! are atomic read-modify-writes on it, plus two global counters on every drop) and traces only
//! to find what the counts cannot free, the cycles. So it is the seed's "garbage collection" as
//! Rust can have it: a tracing collector for cycles on top of counts, not counts replaced. The
//! lab measures what that costs; it does not claim a collector without counts.
//!
//! **Epoch reclamation** (`crossbeam-epoch` 0.9) is the other half of a tracing collector's
//! promise: readers take no count at all. A reader pins the epoch, loads the shared pointer and
//! unpins; memory unlinked by a writer is freed once every pinned reader has moved on. It knows
//! nothing of cycles (a program says what is unlinked), so it runs on churn only.

use std::hint::black_box;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering::Acquire, Ordering::Relaxed};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use gilkit::refcount::{AtomicRc, Mode, Trace, Visitor};

use crate::workloads::{timed, until_stopped, Params, Plain, Sample, Strategy, FIELDS};

/// Ops of the cycles workload between two calls of a thread's collector: each op leaves one
/// two-object cycle, so each call finds `2 * COLLECT_EVERY` objects per thread.
pub const COLLECT_EVERY: u64 = 1024;
/// Ops between two looks at the stop flag (a multiple of nothing in particular; it divides
/// [`COLLECT_EVERY`]).
const BATCH: u64 = 32;

/// A node of the cycles workload under counts: the lab's fields, and a link to the next node.
#[derive(Default)]
pub struct RcNode {
    fields: [AtomicU64; FIELDS],
    next: Mutex<Option<AtomicRc<RcNode>>>,
}

impl Trace for RcNode {
    fn trace(&self, visitor: &mut Visitor<'_>) {
        if let Some(next) = &*lock(&self.next) {
            visitor.visit(next);
        }
    }

    fn clear(&self) {
        lock(&self.next).take();
    }
}

/// The same node under `dumpster`: the same fields, the same link, the same `std` mutex.
#[derive(dumpster::Trace, Default)]
pub struct GcNode {
    fields: [AtomicU64; FIELDS],
    next: Mutex<Option<dumpster::sync::Gc<GcNode>>>,
}

/// Locks a node's link; a poisoned link is still a link.
fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// What both kinds of node offer the workload.
trait Node: Sized + Clone {
    /// A new node with no link.
    fn make() -> Self;
    /// Sets the node's link.
    fn link(&self, to: &Self);
    /// Adds to field 0.
    fn touch(&self);
}

impl Node for AtomicRc<RcNode> {
    fn make() -> Self {
        AtomicRc::new_collected(RcNode::default())
    }
    fn link(&self, to: &Self) {
        *lock(&self.next) = Some(to.clone());
    }
    fn touch(&self) {
        self.fields[0].fetch_add(1, Relaxed);
    }
}

impl Node for dumpster::sync::Gc<GcNode> {
    fn make() -> Self {
        dumpster::sync::Gc::new(GcNode::default())
    }
    fn link(&self, to: &Self) {
        *lock(&self.next) = Some(to.clone());
    }
    fn touch(&self) {
        self.fields[0].fetch_add(1, Relaxed);
    }
}

/// One op of the cycles workload: two nodes linked to each other, touched, and let go.
fn cycle<N: Node>() {
    let (a, b) = (N::make(), N::make());
    a.link(&b);
    b.link(&a);
    black_box(&a).touch();
}

/// The cycles workload: every thread makes and drops two-object cycles, and calls its collector
/// every [`COLLECT_EVERY`] ops, timing the call (the pause).
///
/// The same on both sides: the node (the lab's four fields and a `Mutex`ed link), the ops, and
/// how often a thread calls its collector. Not the same: `collect_cycles` must not run while
/// other threads change the tracked objects, so `atomic-rc`'s threads hold a read lock of one
/// `parking_lot::RwLock` over each batch of 32 ops, and the collector takes it for writing (a
/// stop-the-world, as `CPython`'s); its pause includes waiting for the others to stop.
/// `dumpster::sync::collect` runs beside the other threads. `dumpster` may also collect inside a
/// drop by itself, when the handles dropped since its last collection outnumber the live ones (its
/// default condition); here it never does, since each dropped cycle leaves as many live handles
/// (the links) as were dropped: without the explicit call, a million such cycles stayed
/// allocated (checked outside the lab; [`bytes`] shows it for 4096).
pub fn cycles(strategy: Strategy, threads: usize, p: Params) -> Sample {
    let world = parking_lot::RwLock::new(());
    let pauses = Mutex::new(Vec::new());
    let mut sample = timed(threads, p.duration, |_, stop| match strategy {
        Strategy::AtomicRc => cycle_loop(
            stop,
            &pauses,
            || world.read(),
            cycle::<AtomicRc<RcNode>>,
            || {
                let _stopped = world.write();
                gilkit::refcount::collect_cycles();
            },
        ),
        Strategy::Dumpster => cycle_loop(
            stop,
            &pauses,
            || (),
            cycle::<dumpster::sync::Gc<GcNode>>,
            dumpster::sync::collect,
        ),
        _ => unreachable!("cycles runs atomic-rc and dumpster only"),
    });
    // What the last collections left (the threads stopped between two calls).
    match strategy {
        Strategy::AtomicRc => drop(gilkit::refcount::collect_cycles()),
        _ => dumpster::sync::collect(),
    }
    sample.pauses = pauses.into_inner().unwrap_or_default();
    sample
}

/// One thread of the cycles workload: batches of `op` under `guard()`, and `collect()` timed
/// every [`COLLECT_EVERY`] ops. Returns the ops.
fn cycle_loop<G>(
    stop: &AtomicBool,
    pauses: &Mutex<Vec<Duration>>,
    guard: impl Fn() -> G,
    op: impl Fn(),
    collect: impl Fn(),
) -> u64 {
    let mut mine = Vec::new();
    let mut n = 0;
    while !stop.load(Relaxed) {
        let held = guard();
        for _ in 0..BATCH {
            op();
        }
        drop(held);
        n += BATCH;
        if n % COLLECT_EVERY == 0 {
            let start = Instant::now();
            collect();
            mine.push(start.elapsed());
        }
    }
    lock(pauses).append(&mut mine);
    n
}

/// Churn for the strategies of this module: clone and drop a handle to one shared object of the
/// lab's four `u64` fields, as the counts' churn does. `epoch` pins and loads instead of cloning
/// (one protection taken and given up per op, as a clone and a drop), and it never frees the
/// object during the run (nothing unlinks it), as the counts never do either.
pub fn churn(strategy: Strategy, threads: usize, p: Params) -> Sample {
    match strategy {
        Strategy::Immortal => {
            let obj = AtomicRc::with_mode(Plain::default(), Mode::Immortal);
            timed(threads, p.duration, |_, stop| {
                until_stopped(stop, || drop(black_box(obj.clone())))
            })
        }
        Strategy::Dumpster => {
            let obj = dumpster::sync::Gc::new([0_u64; FIELDS]);
            timed(threads, p.duration, |_, stop| {
                until_stopped(stop, || drop(black_box(obj.clone())))
            })
        }
        Strategy::Epoch => {
            let obj = crossbeam_epoch::Atomic::new(Plain::default());
            let sample = timed(threads, p.duration, |_, stop| {
                until_stopped(stop, || {
                    let guard = crossbeam_epoch::pin();
                    black_box(obj.load(Acquire, &guard));
                    drop(guard);
                })
            });
            // SAFETY: the threads have ended, so no guard protects the object any more, and this
            // is its only owner.
            drop(unsafe { obj.into_owned() });
            sample
        }
        _ => unreachable!("collect::churn runs immortal, dumpster and epoch only"),
    }
}

/// Bytes per object, measured with the counting allocator: the heap bytes asked for by
/// `COUNT` objects, over `COUNT`, plus the handle that points to each (`size_of`). Not
/// counted: what `malloc` adds around each block.
pub struct Bytes {
    /// Each strategy's object of the churn workload (the lab's four `u64` fields).
    pub churn: Vec<(Strategy, f64)>,
    /// `atomic-rc` (collected) and `dumpster`: one node of the cycles workload (the same fields
    /// and a link), with the collector's registry entry where it keeps one.
    pub node: Vec<(Strategy, f64)>,
    /// Bytes still allocated per two-object cycle after its handles were dropped: `(what, bytes)`,
    /// for counts alone, the collected counts before and after `collect_cycles`, and `dumpster`
    /// before and after `dumpster::sync::collect`.
    pub leaked: Vec<(&'static str, f64)>,
}

/// Objects made for each memory figure.
const COUNT: usize = 4096;

/// Bytes per object of `make`'s objects, with handles of type `H`.
fn per_object<H>(make: impl Fn() -> H) -> f64 {
    let mut keep = Vec::with_capacity(COUNT);
    let ((), grown) = crate::memory::heap_growth(|| keep.extend((0..COUNT).map(|_| make())));
    drop(keep);
    #[allow(clippy::cast_precision_loss, reason = "byte counts far below 2^52")]
    let heap = grown as f64 / COUNT as f64;
    #[allow(clippy::cast_precision_loss, reason = "a type's size")]
    let handle = std::mem::size_of::<H>() as f64;
    heap + handle
}

/// Bytes still allocated per cycle after making `COUNT` cycles with `op` and then running
/// `after`.
fn left_per_cycle(op: impl Fn(), after: impl FnOnce()) -> f64 {
    let ((), grown) = crate::memory::heap_growth(|| {
        for _ in 0..COUNT {
            op();
        }
        after();
    });
    #[allow(clippy::cast_precision_loss, reason = "byte counts far below 2^52")]
    let per = grown as f64 / COUNT as f64;
    per
}

/// A node counted without the collector: its cycles leak for good.
struct PlainNode {
    _fields: [AtomicU64; FIELDS],
    next: Mutex<Option<AtomicRc<PlainNode>>>,
}

/// Measures [`Bytes`]; call it while no cell runs. It leaks `COUNT` two-object cycles of
/// uncollected counts on purpose (about a megabyte), which is what it shows.
pub fn bytes() -> Bytes {
    use std::sync::Arc;
    let churn = vec![
        (
            Strategy::AtomicRc,
            per_object(|| AtomicRc::new(Plain::default())),
        ),
        (
            Strategy::Biased,
            per_object(|| AtomicRc::with_mode(Plain::default(), Mode::Biased)),
        ),
        (
            Strategy::Immortal,
            // Immortal objects are never freed: these stay, as every immortal object does.
            per_object(|| AtomicRc::with_mode(Plain::default(), Mode::Immortal)),
        ),
        (Strategy::Arc, per_object(|| Arc::new(Plain::default()))),
        (
            Strategy::Dumpster,
            per_object(|| dumpster::sync::Gc::new([0_u64; FIELDS])),
        ),
        (
            Strategy::Epoch,
            per_object(|| crossbeam_epoch::Atomic::new(Plain::default())),
        ),
    ];
    // The registry may hold entries of earlier objects: empty it first, so that its growth is
    // this measurement's.
    gilkit::refcount::collect_cycles();
    let node = vec![
        (
            Strategy::AtomicRc,
            per_object(<AtomicRc<RcNode> as Node>::make),
        ),
        (
            Strategy::Dumpster,
            per_object(<dumpster::sync::Gc<GcNode> as Node>::make),
        ),
    ];
    gilkit::refcount::collect_cycles();
    dumpster::sync::collect();
    let plain_cycle = || {
        let make = || {
            AtomicRc::new(PlainNode {
                _fields: Default::default(),
                next: Mutex::new(None),
            })
        };
        let (a, b) = (make(), make());
        *lock(&a.next) = Some(b.clone());
        *lock(&b.next) = Some(a.clone());
    };
    let leaked = vec![
        ("counts alone", left_per_cycle(plain_cycle, || ())),
        (
            "atomic-rc, collected, before collect_cycles",
            left_per_cycle(cycle::<AtomicRc<RcNode>>, || ()),
        ),
        ("atomic-rc, after collect_cycles", {
            // Outside the count: clear the previous line's cycles, then return their memory.
            gilkit::refcount::collect_cycles();
            gilkit::refcount::collect_cycles();
            left_per_cycle(cycle::<AtomicRc<RcNode>>, || {
                // The first call clears the cycles; the second returns their memory, which the
                // registry's weak counts kept (see `AtomicRc::new_collected`).
                gilkit::refcount::collect_cycles();
                gilkit::refcount::collect_cycles();
            })
        }),
        (
            "dumpster, no call",
            left_per_cycle(cycle::<dumpster::sync::Gc<GcNode>>, || ()),
        ),
        ("dumpster, after dumpster::sync::collect", {
            dumpster::sync::collect();
            left_per_cycle(cycle::<dumpster::sync::Gc<GcNode>>, dumpster::sync::collect)
        }),
    ];
    Bytes {
        churn,
        node,
        leaked,
    }
}
