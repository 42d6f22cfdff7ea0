//! The objects, the workloads, and how each strategy runs them.

use std::hint::black_box;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering::Relaxed};
use std::sync::Arc;
use std::thread;
use std::time::{Duration, Instant};

use gilkit::field_lock::CachePadded;
use gilkit::refcount::{AtomicRc, Mode};
use gilkit::{global_lock, per_field_lock, Domain, Gil};

/// Fields per object: thread `i` of a disjoint-fields run updates field `i % FIELDS`.
pub const FIELDS: usize = 4;
/// Operations between two looks at the stop flag.
const BATCH: u64 = 32;

/// One kind of work, run by every strategy that can run it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Workload {
    /// A bare field increment: the per-access cost of each strategy.
    Access,
    /// A bare increment of the thread's own field: short critical sections on disjoint fields,
    /// where locks that share a cache line slow each other down (false sharing).
    AccessDisjoint,
    /// CPU work added to field 0, under the strategy's lock: every thread updates the same field.
    CpuSame,
    /// CPU work added to the thread's own field, under the strategy's lock for that field.
    CpuDisjoint,
    /// An increment, then a short block (a sleep); the lock is released during it where allowed.
    Io,
    /// One CPU-bound thread and one I/O-bound thread; records the I/O thread's wait for the lock.
    Mixed,
    /// Clone and drop a handle to one shared object.
    Churn,
    /// Make a two-object reference cycle, touch it, drop it (a way out: `--ways-out`): counts
    /// alone leak it, so `atomic-rc` runs its cycle collector every [`COLLECT_EVERY`](crate::collect::COLLECT_EVERY) ops, and
    /// `dumpster` its tracing one. Records each collection's pause.
    Cycles,
    /// [`tasks::IO_MANY`](crate::tasks::IO_MANY) waiters, each an increment then a
    /// [`tasks::IO_MANY_BLOCK`](crate::tasks::IO_MANY_BLOCK) block (a way out: `--ways-out`):
    /// threads under the GIL (released across the block) against tasks on one thread.
    IoMany,
    /// minipy (`examples/minipy`) running `fib.py`: an interpreter thread per lab thread, each
    /// op a `fib(20)`. The interpreter's objects under the GIL (`gil`), free-threaded with a lock
    /// per object and biased counts (`biased`), or with atomic counts (`atomic-rc`).
    Interp,
}

impl Workload {
    /// Whether it belongs to the seed's other ways out, run with `--ways-out` (or `--quick`).
    pub fn is_way_out(self) -> bool {
        matches!(self, Self::Cycles | Self::IoMany)
    }
}

/// A lock strategy or a baseline.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Strategy {
    /// Baseline: plain fields, one thread, no synchronization.
    Unsync,
    /// Baseline: one `std::sync::Mutex` around the whole object.
    StdMutex,
    /// Baseline: a bare `parking_lot::Mutex` per field.
    ParkingLot,
    /// Baseline for `access-disjoint`: a bare `parking_lot::Mutex` per field, each on a cache
    /// line of its own (`CachePadded`).
    ParkingLotPadded,
    /// `#[per_field_lock]`: a lock per field, through the generated API.
    PerField,
    /// `#[per_field_lock(padded)]` (`access-disjoint` only): each field's lock on a cache line
    /// of its own.
    PerFieldPadded,
    /// `#[global_lock]`: the GIL is held while working and blocking.
    Gil,
    /// `CPython` beside `gil` (`lab/cpython.py`): pure-Python work, the GIL held.
    Cpython,
    /// `#[global_lock]` with the work (or the block) done while the GIL is released.
    GilReleased,
    /// `CPython` beside `gil-released`: the work in C with the GIL released (`hashlib.sha256`),
    /// or the block in `time.sleep`.
    CpythonReleased,
    /// `#[global_lock]` under `SwitchPolicy::Priority` (mixed only): a thread back from I/O gets
    /// the GIL at the holder's next checkpoint (bpo-7946's fix of the convoy effect).
    GilPriority,
    /// `#[global_lock(domain = ..)]` (CPU-bound on disjoint data only): thread `i` works in GIL
    /// domain `i % DOMAINS`, on an object of its own, as PEP 684's per-interpreter GIL.
    GilDomains,
    /// `#[atomic_rc]`: no lock; fields are atomics, the handle has `Arc`'s atomic count.
    AtomicRc,
    /// `#[atomic_rc(biased)]` (churn only): the thread that made the object counts without atomics.
    Biased,
    /// `#[atomic_rc(biased)]`'s owner handle, `LocalRc` (churn only, one thread: it cannot leave
    /// its owner): plain counts with no thread check.
    BiasedLocal,
    /// `#[atomic_rc(hybrid)]`'s owner handle, `LocalRc` (churn only, one thread): plain counts,
    /// and the object 8 bytes larger than an atomic one, where a biased one is 24.
    HybridLocal,
    /// Baseline for churn: `std::sync::Arc`.
    Arc,
    /// Baseline for churn: `std::rc::Rc`, one thread.
    Rc,
    /// `#[atomic_rc(immortal)]` (churn only): clone and drop never touch the count (PEP 683).
    Immortal,
    /// A way out: `dumpster`'s concurrent garbage collector (`dumpster::sync::Gc`) on churn and
    /// cycles. See [`crate::collect`] for why this crate, and what it still counts.
    Dumpster,
    /// A way out, the reclamation side alone (churn only): `crossbeam-epoch`. Each op pins the
    /// epoch and loads the shared pointer, in place of a clone, then unpins, in place of a drop.
    Epoch,
    /// A way out (CPU-bound on disjoint data only): the work in worker processes, each this
    /// binary again with its own copy of the object, the ops sent back over a pipe. The thread
    /// count is the number of processes. See [`crate::procs`].
    Processes,
    /// A way out (I/O, many waits, mixed): tasks on tokio's current-thread runtime, one thread,
    /// no GIL. The thread count is the number of tasks; in the mixed workload the CPU-bound task
    /// yields after every op. See [`crate::tasks`].
    Async,
    /// As `async` (mixed only), but the CPU-bound task yields only every
    /// [`tasks::HOG_OPS`](crate::tasks::HOG_OPS) ops: the convoy, by another name.
    AsyncConvoy,
}

impl Strategy {
    /// Whether this strategy can run `workload` on `threads` threads.
    pub fn runs(self, workload: Workload, threads: usize) -> bool {
        use Strategy as S;
        let single_threaded = matches!(self, S::Unsync | S::Rc | S::BiasedLocal | S::HybridLocal);
        if single_threaded && (threads > 1 || workload == Workload::Mixed) {
            return false;
        }
        match self {
            S::Immortal | S::Epoch => workload == Workload::Churn,
            S::Dumpster => matches!(workload, Workload::Churn | Workload::Cycles),
            S::Processes => workload == Workload::CpuDisjoint,
            S::Async => matches!(workload, Workload::Io | Workload::IoMany | Workload::Mixed),
            S::AsyncConvoy => workload == Workload::Mixed,
            _ if workload == Workload::Cycles => self == S::AtomicRc,
            _ if workload == Workload::Interp => matches!(self, S::Gil | S::Biased | S::AtomicRc),
            _ if workload == Workload::IoMany => self == S::GilReleased,
            S::Cpython => matches!(workload, Workload::CpuDisjoint | Workload::Mixed),
            S::GilDomains => workload == Workload::CpuDisjoint,
            S::PerFieldPadded | S::ParkingLotPadded => workload == Workload::AccessDisjoint,
            S::BiasedLocal | S::HybridLocal => workload == Workload::Churn,
            _ if workload == Workload::AccessDisjoint => {
                matches!(self, S::PerField | S::ParkingLot)
            }
            S::CpythonReleased => matches!(workload, Workload::CpuDisjoint | Workload::Io),
            _ => match workload {
                Workload::Access => !matches!(
                    self,
                    S::GilReleased | S::GilPriority | S::Biased | S::Arc | S::Rc
                ),
                Workload::CpuSame | Workload::CpuDisjoint | Workload::Io => {
                    !matches!(self, S::GilPriority | S::Biased | S::Arc | S::Rc)
                }
                Workload::Mixed => !matches!(self, S::Biased | S::Arc | S::Rc),
                Workload::Churn => {
                    matches!(self, S::Gil | S::AtomicRc | S::Biased | S::Arc | S::Rc)
                }
                Workload::AccessDisjoint
                | Workload::Cycles
                | Workload::IoMany
                | Workload::Interp => {
                    unreachable!("matched above")
                }
            },
        }
    }

    /// Whether it belongs to the seed's other ways out, run with `--ways-out` (or `--quick`).
    /// `immortal` is one of the attribute's modes, but it is measured beside them only.
    pub fn is_way_out(self) -> bool {
        matches!(
            self,
            Self::Immortal
                | Self::Dumpster
                | Self::Epoch
                | Self::Processes
                | Self::Async
                | Self::AsyncConvoy
        )
    }

    /// Whether `lab/cpython.py` measures it, not this process.
    pub fn is_cpython(self) -> bool {
        matches!(self, Self::Cpython | Self::CpythonReleased)
    }

    /// Bytes one shared object of `FIELDS` `u64` fields takes under this strategy: the heap
    /// block (with its counts) plus the handle that points to it, computed from `size_of`;
    /// `None` for `CPython` and for the ways out, whose bytes [`crate::collect::bytes`]
    /// measures with a counting allocator (processes and tasks share no object this way).
    pub fn bytes_per_object(self) -> Option<usize> {
        use std::mem::size_of;
        let handle = size_of::<usize>();
        Some(match self {
            Self::Unsync => size_of::<Plain>(),
            Self::StdMutex => {
                2 * size_of::<usize>() + size_of::<std::sync::Mutex<Plain>>() + handle
            }
            Self::ParkingLot => 2 * size_of::<usize>() + size_of::<BareLocks>() + handle,
            Self::ParkingLotPadded => {
                2 * size_of::<usize>() + size_of::<PaddedBareLocks>() + handle
            }
            Self::PerField => 2 * size_of::<usize>() + size_of::<PerFieldObject>() + handle,
            Self::PerFieldPadded => {
                2 * size_of::<usize>() + size_of::<PaddedPerFieldObject>() + handle
            }
            Self::Gil | Self::GilReleased | Self::GilPriority | Self::GilDomains => {
                size_of::<usize>() + size_of::<GilObject>() + handle
            }
            Self::AtomicRc | Self::Immortal => {
                AtomicRc::<AtomicObject>::block_size(Mode::Atomic) + handle
            }
            // The owner also keeps a pointer to each unmerged object, in its list.
            Self::Biased | Self::BiasedLocal => {
                AtomicRc::<AtomicObject>::block_size(Mode::Biased) + handle + size_of::<usize>()
            }
            Self::HybridLocal => AtomicRc::<AtomicObject>::block_size(Mode::Hybrid) + handle,
            Self::Arc | Self::Rc => 2 * size_of::<usize>() + size_of::<Plain>() + handle,
            Self::Cpython
            | Self::CpythonReleased
            | Self::Dumpster
            | Self::Epoch
            | Self::Processes
            | Self::Async
            | Self::AsyncConvoy => return None,
        })
    }
}

/// The parameters every run shares.
#[derive(Clone, Copy, Debug)]
pub struct Params {
    pub duration: Duration,
    /// Rounds of the xorshift mix per CPU operation.
    pub work: u32,
    /// How long an I/O operation blocks.
    pub block: Duration,
}

/// What one run measured.
#[derive(Debug, Default)]
pub struct Sample {
    pub ops: u64,
    pub elapsed: Duration,
    /// The I/O thread's waits for the lock, in the mixed workload.
    pub waits: Vec<Duration>,
    /// The collections' pauses (cycles), or each worker's start-up (processes).
    pub pauses: Vec<Duration>,
    /// Each worker's private resident memory, in bytes, averaged (processes).
    pub bytes: Option<f64>,
}

/// The object's fields, bare.
#[derive(Default)]
pub struct Plain {
    /// The fields.
    pub fields: [u64; FIELDS],
}

type BareLocks = [parking_lot::Mutex<u64>; FIELDS];

/// The same, each lock on a cache line of its own.
type PaddedBareLocks = [CachePadded<parking_lot::Mutex<u64>>; FIELDS];

/// The shared object under the GIL: one lock for everything, so the fields can be one array.
#[global_lock]
#[derive(Default)]
struct GilObject {
    fields: [u64; FIELDS],
}

/// GIL domains for `gil-domains`: thread `i` uses domain `i % DOMAINS`.
const DOMAINS: usize = 4;
gilkit::domain!(Domain0);
gilkit::domain!(Domain1);
gilkit::domain!(Domain2);
gilkit::domain!(Domain3);

/// The object of one GIL domain.
#[global_lock(domain = D)]
struct DomainObject<D: Domain> {
    fields: [u64; FIELDS],
}

/// CPU work added to an object of domain `D`, with `D`'s GIL held, until `stop`.
fn in_domain<D: Domain>(stop: &AtomicBool, compute: impl Fn() -> u64) -> u64 {
    let obj = DomainObject::<D>::new([0; FIELDS]);
    D::with_gil(|g| {
        until_stopped_gil(g, stop, |g| {
            black_box(&obj.fields).get_mut(g)[0] += compute();
        })
    })
}

/// The shared object with a lock per field, each on a cache line of its own.
#[per_field_lock(padded)]
#[derive(Default)]
struct PaddedPerFieldObject {
    f0: u64,
    f1: u64,
    f2: u64,
    f3: u64,
}

/// The shared object with a lock per field.
#[per_field_lock]
#[derive(Default)]
struct PerFieldObject {
    f0: u64,
    f1: u64,
    f2: u64,
    f3: u64,
}

impl PerFieldObject {
    /// Adds `f()` to field `i`, computing it under that field's lock only.
    fn update(&self, i: usize, f: impl FnOnce() -> u64) {
        /// The guard is an argument, so it is taken before `f` runs. (In `*lock() += f()` the
        /// right-hand side would run first, outside the lock.)
        fn add(mut field: impl std::ops::DerefMut<Target = u64>, f: impl FnOnce() -> u64) {
            *field += f();
        }
        match i % FIELDS {
            0 => add(self.f0().lock(), f),
            1 => add(self.f1().lock(), f),
            2 => add(self.f2().lock(), f),
            _ => add(self.f3().lock(), f),
        }
    }
}

/// The shared object without a lock: `#[atomic_rc]` shares fields immutably, so they are atomics.
#[gilkit::atomic_rc]
#[derive(Default)]
struct AtomicObject {
    fields: [AtomicU64; FIELDS],
}

impl AtomicObject {
    fn add(&self, i: usize, v: u64) {
        self.fields[i % FIELDS].fetch_add(v, Relaxed);
    }
}

/// CPU work that the optimizer cannot remove.
pub fn work(seed: u64, rounds: u32) -> u64 {
    let mut x = seed | 1;
    for _ in 0..rounds {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
    }
    black_box(x)
}

/// Runs `worker(thread index, stop flag)` on `threads` threads for `duration`; sums the ops.
pub fn timed(
    threads: usize,
    duration: Duration,
    worker: impl Fn(usize, &AtomicBool) -> u64 + Sync,
) -> Sample {
    let stop = AtomicBool::new(false);
    let start = Instant::now();
    let ops = thread::scope(|s| {
        let handles: Vec<_> = (0..threads)
            .map(|i| {
                s.spawn({
                    let (stop, worker) = (&stop, &worker);
                    move || worker(i, stop)
                })
            })
            .collect();
        thread::sleep(duration);
        stop.store(true, Relaxed);
        handles
            .into_iter()
            .map(|h| h.join().expect("worker panicked"))
            .sum()
    });
    Sample {
        ops,
        elapsed: start.elapsed(),
        ..Sample::default()
    }
}

/// Repeats `op` in batches until `stop` is raised; returns how many ops ran.
pub fn until_stopped(stop: &AtomicBool, mut op: impl FnMut()) -> u64 {
    let mut n = 0;
    while !stop.load(Relaxed) {
        for _ in 0..BATCH {
            op();
        }
        n += BATCH;
    }
    n
}

/// `until_stopped` with the GIL of domain `D` held, letting a waiting thread in once per batch
/// (the eval loop's periodic check in `CPython`).
fn until_stopped_gil<D: Domain>(
    g: &mut Gil<D>,
    stop: &AtomicBool,
    mut op: impl FnMut(&mut Gil<D>),
) -> u64 {
    let mut n = 0;
    while !stop.load(Relaxed) {
        for _ in 0..BATCH {
            op(g);
        }
        n += BATCH;
        g.checkpoint();
    }
    n
}

/// Runs one cell of the lab: `strategy` on `workload` with `threads` threads.
pub fn run(workload: Workload, strategy: Strategy, threads: usize, p: Params) -> Sample {
    match (workload, strategy) {
        (Workload::Cycles, _) => crate::collect::cycles(strategy, threads, p),
        (Workload::Churn, Strategy::Dumpster | Strategy::Epoch | Strategy::Immortal) => {
            crate::collect::churn(strategy, threads, p)
        }
        (Workload::CpuDisjoint, Strategy::Processes) => crate::procs::cpu(threads, p),
        (Workload::Io | Workload::Mixed, Strategy::Async | Strategy::AsyncConvoy) => {
            crate::tasks::run(workload, strategy, threads, p)
        }
        (Workload::IoMany, Strategy::Async) => {
            crate::tasks::run(Workload::Io, strategy, threads, crate::tasks::io_many(p))
        }
        (Workload::IoMany, _) => update(Workload::Io, strategy, threads, crate::tasks::io_many(p)),
        (Workload::Churn, _) => churn(strategy, threads, p),
        (Workload::Interp, _) => crate::minipy::run(strategy, threads, p),
        (Workload::Mixed, _) => mixed(strategy, p),
        (Workload::Access, _) => access(strategy, threads, p),
        (Workload::AccessDisjoint, _) => access_disjoint(strategy, threads, p),
        _ => update(workload, strategy, threads, p),
    }
}

/// Bare increments of field 0: nothing but the cost of reaching the field.
fn access(strategy: Strategy, threads: usize, p: Params) -> Sample {
    match strategy {
        Strategy::Unsync => timed(1, p.duration, |_, stop| {
            let mut obj = Plain::default();
            until_stopped(stop, || black_box(&mut obj.fields)[0] += 1)
        }),
        Strategy::StdMutex => {
            let obj = std::sync::Mutex::new(Plain::default());
            timed(threads, p.duration, |_, stop| {
                until_stopped(stop, || obj.lock().expect("not poisoned").fields[0] += 1)
            })
        }
        Strategy::ParkingLot => {
            let obj: BareLocks = Default::default();
            timed(threads, p.duration, |_, stop| {
                until_stopped(stop, || *obj[0].lock() += 1)
            })
        }
        Strategy::PerField => {
            let obj = PerFieldObject::default();
            timed(threads, p.duration, |_, stop| {
                until_stopped(stop, || obj.update(0, || 1))
            })
        }
        Strategy::AtomicRc => {
            let obj = AtomicObject::default().into_handle();
            timed(threads, p.duration, |_, stop| {
                until_stopped(stop, || obj.add(0, 1))
            })
        }
        Strategy::Gil => {
            let obj = GilObject::default();
            timed(threads, p.duration, |_, stop| {
                gilkit::with_gil(|g| {
                    until_stopped_gil(g, stop, |g| black_box(&obj.fields).get_mut(g)[0] += 1)
                })
            })
        }
        _ => unreachable!("access runs only the strategies above"),
    }
}

/// A bare increment of the thread's own field, each behind its own lock, padded or not.
fn access_disjoint(strategy: Strategy, threads: usize, p: Params) -> Sample {
    /// Increments field `i` of a `#[per_field_lock]` object.
    macro_rules! increment {
        ($obj:expr, $i:expr) => {
            match $i % FIELDS {
                0 => *$obj.f0().lock() += 1,
                1 => *$obj.f1().lock() += 1,
                2 => *$obj.f2().lock() += 1,
                _ => *$obj.f3().lock() += 1,
            }
        };
    }
    match strategy {
        Strategy::ParkingLot => {
            let obj: BareLocks = Default::default();
            timed(threads, p.duration, |i, stop| {
                until_stopped(stop, || *black_box(&obj)[i % FIELDS].lock() += 1)
            })
        }
        Strategy::ParkingLotPadded => {
            let obj: PaddedBareLocks = Default::default();
            timed(threads, p.duration, |i, stop| {
                until_stopped(stop, || *black_box(&obj)[i % FIELDS].lock() += 1)
            })
        }
        Strategy::PerField => {
            let obj = PerFieldObject::default();
            timed(threads, p.duration, |i, stop| {
                until_stopped(stop, || increment!(black_box(&obj), i))
            })
        }
        Strategy::PerFieldPadded => {
            let obj = PaddedPerFieldObject::default();
            timed(threads, p.duration, |i, stop| {
                until_stopped(stop, || increment!(black_box(&obj), i))
            })
        }
        _ => unreachable!("access-disjoint runs only the strategies above"),
    }
}

/// The CPU workloads and I/O: every thread updates fields of one shared object.
fn update(workload: Workload, strategy: Strategy, threads: usize, p: Params) -> Sample {
    let field_of = |i: usize| {
        if workload == Workload::CpuDisjoint {
            i % FIELDS
        } else {
            0
        }
    };
    let compute = |i: usize| match workload {
        Workload::CpuSame | Workload::CpuDisjoint => work(i as u64, p.work),
        _ => 1,
    };
    let block = || {
        if workload == Workload::Io {
            thread::sleep(p.block);
        }
    };
    match strategy {
        Strategy::Unsync => timed(1, p.duration, |i, stop| {
            let mut obj = Plain::default();
            until_stopped(stop, || {
                black_box(&mut obj.fields)[field_of(i)] += compute(i);
                block();
            })
        }),
        Strategy::StdMutex => {
            let obj = std::sync::Mutex::new(Plain::default());
            timed(threads, p.duration, |i, stop| {
                until_stopped(stop, || {
                    // The work is done under the lock: it is the update of shared data.
                    let mut obj = obj.lock().expect("not poisoned");
                    obj.fields[field_of(i)] += compute(i);
                    drop(obj);
                    block();
                })
            })
        }
        Strategy::ParkingLot => {
            let obj: BareLocks = Default::default();
            timed(threads, p.duration, |i, stop| {
                until_stopped(stop, || {
                    let mut field = obj[field_of(i)].lock();
                    *field += compute(i);
                    drop(field);
                    block();
                })
            })
        }
        Strategy::AtomicRc => {
            let obj = AtomicObject::default().into_handle();
            timed(threads, p.duration, |i, stop| {
                until_stopped(stop, || {
                    obj.add(field_of(i), compute(i));
                    block();
                })
            })
        }
        Strategy::PerField => {
            let obj = PerFieldObject::default();
            timed(threads, p.duration, |i, stop| {
                until_stopped(stop, || {
                    obj.update(field_of(i), || compute(i));
                    block();
                })
            })
        }
        Strategy::Gil | Strategy::GilReleased => {
            let released = strategy == Strategy::GilReleased;
            let obj = GilObject::default();
            timed(threads, p.duration, |i, stop| {
                gilkit::with_gil(|g| {
                    until_stopped_gil(g, stop, |g| {
                        let v = if released && workload != Workload::Io {
                            g.allow_threads(|| compute(i))
                        } else {
                            compute(i)
                        };
                        black_box(&obj.fields).get_mut(g)[field_of(i)] += v;
                        if released && workload == Workload::Io {
                            g.allow_threads(block);
                        } else {
                            block();
                        }
                    })
                })
            })
        }
        Strategy::GilDomains => timed(threads, p.duration, |i, stop| match i % DOMAINS {
            0 => in_domain::<Domain0>(stop, || compute(i)),
            1 => in_domain::<Domain1>(stop, || compute(i)),
            2 => in_domain::<Domain2>(stop, || compute(i)),
            _ => in_domain::<Domain3>(stop, || compute(i)),
        }),
        _ => unreachable!("{} does not update this object", crate::name(&strategy)),
    }
}

/// The I/O thread of the mixed workload under the GIL: it holds the GIL and blocks inside
/// `allow_threads`, as a `CPython` thread in `time.sleep` does. Returns its waits for the GIL.
fn gil_io_thread(obj: &GilObject, stop: &AtomicBool, block: Duration) -> Vec<Duration> {
    let mut waits = Vec::new();
    gilkit::with_gil(|g| {
        while !stop.load(Relaxed) {
            let unblocked = g.allow_threads(|| {
                thread::sleep(block);
                Instant::now()
            });
            waits.push(unblocked.elapsed());
            obj.fields.get_mut(g)[1] += 1;
        }
    });
    waits
}

/// One CPU-bound thread (field 0) and one I/O-bound thread (field 1), for `p.duration`. The ops
/// are the CPU thread's; the waits are how long the I/O thread waited for the lock after each
/// block. Under the GIL, the I/O thread holds it and blocks inside `allow_threads`, as a `CPython`
/// thread in `time.sleep` does.
fn mixed(strategy: Strategy, p: Params) -> Sample {
    let policy = if strategy == Strategy::GilPriority {
        gilkit::SwitchPolicy::Priority
    } else {
        gilkit::SwitchPolicy::Interval
    };
    gilkit::set_switch_policy(policy);
    let stop = AtomicBool::new(false);
    let cpu_ops = AtomicU64::new(0);
    let gil_obj = GilObject::default();
    let std_obj = std::sync::Mutex::new(Plain::default());
    let bare_obj: BareLocks = Default::default();
    let field_obj = PerFieldObject::default();
    let atomic_obj = AtomicObject::default();
    let start = Instant::now();
    let waits = thread::scope(|s| {
        let (stop, cpu_ops) = (&stop, &cpu_ops);
        let (gil_obj, std_obj, bare_obj, field_obj, atomic_obj) =
            (&gil_obj, &std_obj, &bare_obj, &field_obj, &atomic_obj);
        s.spawn(move || {
            let n = match strategy {
                Strategy::Gil | Strategy::GilReleased | Strategy::GilPriority => {
                    gilkit::with_gil(|g| {
                        until_stopped_gil(g, stop, |g| {
                            let v = if strategy == Strategy::GilReleased {
                                g.allow_threads(|| work(0, p.work))
                            } else {
                                work(0, p.work)
                            };
                            gil_obj.fields.get_mut(g)[0] += v;
                        })
                    })
                }
                // The CPU thread works under its lock, as in the CPU-bound workloads.
                Strategy::StdMutex => until_stopped(stop, || {
                    let mut obj = std_obj.lock().expect("not poisoned");
                    obj.fields[0] += work(0, p.work);
                }),
                Strategy::ParkingLot => until_stopped(stop, || {
                    let mut field = bare_obj[0].lock();
                    *field += work(0, p.work);
                }),
                Strategy::PerField => {
                    until_stopped(stop, || field_obj.update(0, || work(0, p.work)))
                }
                Strategy::AtomicRc => until_stopped(stop, || atomic_obj.add(0, work(0, p.work))),
                _ => unreachable!("mixed runs only the strategies above"),
            };
            cpu_ops.store(n, Relaxed);
        });
        let io = s.spawn(move || {
            let mut waits = Vec::new();
            if matches!(
                strategy,
                Strategy::Gil | Strategy::GilReleased | Strategy::GilPriority
            ) {
                return gil_io_thread(gil_obj, stop, p.block);
            }
            while !stop.load(Relaxed) {
                thread::sleep(p.block);
                let asked = Instant::now();
                match strategy {
                    Strategy::StdMutex => {
                        let mut obj = std_obj.lock().expect("not poisoned");
                        waits.push(asked.elapsed());
                        obj.fields[1] += 1;
                    }
                    Strategy::ParkingLot => {
                        let mut field = bare_obj[1].lock();
                        waits.push(asked.elapsed());
                        *field += 1;
                    }
                    Strategy::PerField => {
                        let mut field = field_obj.f1().lock();
                        waits.push(asked.elapsed());
                        *field += 1;
                    }
                    Strategy::AtomicRc => {
                        waits.push(asked.elapsed()); // nothing to wait for
                        atomic_obj.add(1, 1);
                    }
                    _ => unreachable!("mixed runs only the strategies above"),
                }
            }
            waits
        });
        thread::sleep(p.duration);
        stop.store(true, Relaxed);
        io.join().expect("I/O thread panicked")
    });
    gilkit::set_switch_policy(gilkit::SwitchPolicy::Interval);
    Sample {
        ops: cpu_ops.load(Relaxed),
        elapsed: start.elapsed(),
        waits,
        ..Sample::default()
    }
}

/// Every thread clones and drops handles to one shared object.
fn churn(strategy: Strategy, threads: usize, p: Params) -> Sample {
    match strategy {
        Strategy::Gil => {
            let obj = GilObject::default().into_handle();
            timed(threads, p.duration, |_, stop| {
                gilkit::with_gil(|g| {
                    until_stopped_gil(g, stop, |g| drop(black_box(obj.clone_ref(g))))
                })
            })
        }
        Strategy::AtomicRc => {
            let obj = AtomicRc::new(Plain::default());
            timed(threads, p.duration, |_, stop| {
                until_stopped(stop, || drop(black_box(obj.clone())))
            })
        }
        Strategy::Biased => {
            // Thread 0 makes the object, so it is the owner; the other threads are not.
            let shared = std::sync::OnceLock::new();
            let made = std::sync::Barrier::new(threads);
            timed(threads, p.duration, |i, stop| {
                if i == 0 {
                    let _ = shared.set(AtomicRc::with_mode(Plain::default(), Mode::Biased));
                }
                made.wait();
                let obj = shared.get().expect("made by thread 0");
                until_stopped(stop, || drop(black_box(obj.clone())))
            })
        }
        Strategy::Arc => {
            let obj = Arc::new(Plain::default());
            timed(threads, p.duration, |_, stop| {
                until_stopped(stop, || drop(black_box(Arc::clone(&obj))))
            })
        }
        Strategy::BiasedLocal => timed(1, p.duration, |_, stop| {
            let obj = AtomicRc::with_mode(Plain::default(), Mode::Biased);
            let local = AtomicRc::to_local(&obj).expect("this thread made it");
            until_stopped(stop, || drop(black_box(local.clone())))
        }),
        Strategy::HybridLocal => timed(1, p.duration, |_, stop| {
            let obj = AtomicRc::with_mode(Plain::default(), Mode::Hybrid);
            let local = AtomicRc::to_local(&obj).expect("this thread made it");
            until_stopped(stop, || drop(black_box(local.clone())))
        }),
        Strategy::Rc => timed(1, p.duration, |_, stop| {
            let obj = std::rc::Rc::new(Plain::default());
            until_stopped(stop, || drop(black_box(std::rc::Rc::clone(&obj))))
        }),
        _ => unreachable!("churn runs only the strategies above"),
    }
}
