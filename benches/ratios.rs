//! Every per-operation ratio the README quotes, each side timed in the same process in alternating
//! rounds (A, B, B, A), so that drift on a shared machine hits both sides alike.
//!
//! Run with `cargo bench --bench ratios` (about 4 s once built). For each pair it prints the
//! median of the per-round ratios (B's time over A's, lower is faster for B) and their range; run
//! it three times and quote the spread of the medians. A round times a batch of operations on
//! each side, twice; `black_box` keeps each operation from being folded away.
//!
//! The two-thread rows run on the first two cores this process may use, or on the two that
//! `RATIOS_CORES` names (`RATIOS_CORES=0,8 cargo bench --bench ratios`), to time a machine's cores
//! near each other and far apart.
//!
//! With `--features lock-order-validation` the field-lock rows include the lock-order validator
//! (the first line says which build it is): the validator's cost is a row's ratio in that build
//! over the same row's ratio in the plain one. tracing-mutex, the peer crate that checks lock
//! orders, is timed alike in both builds.

use std::hint::black_box;
use std::rc::Rc;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{mpsc, Arc};
use std::time::{Duration, Instant};

use gilkit::field_lock::lock_fields;
use gilkit::refcount::{AtomicRc, Mode};
use gilkit::{global_lock, per_field_lock, DefaultDomain, Domain, GilCell};
/// tracing-mutex's `parking_lot` mutex that checks lock orders in every build.
use tracing_mutex::parkinglot::tracing::Mutex as TracingMutex;

/// Rounds per pair; each round times both sides twice.
const ROUNDS: usize = 21;
/// How long one batch of one side should take, roughly.
const BATCH: Duration = Duration::from_millis(2);

/// Two counters behind a lock each.
#[per_field_lock]
struct Pair {
    a: u64,
    b: u64,
}

/// One counter behind the GIL.
#[global_lock]
struct Counter {
    value: u64,
}

/// The nanoseconds per operation of `op`, run `n` times.
fn per_op(n: u64, op: &mut dyn FnMut()) -> f64 {
    let start = Instant::now();
    for _ in 0..n {
        op();
    }
    #[allow(
        clippy::cast_precision_loss,
        reason = "a count of operations, far below 2^52"
    )]
    let n = n as f64;
    start.elapsed().as_secs_f64() * 1e9 / n
}

/// How many operations of `op` fill about one batch.
fn batch_size(op: &mut dyn FnMut()) -> u64 {
    let mut n = 1_000;
    loop {
        let start = Instant::now();
        for _ in 0..n {
            op();
        }
        if start.elapsed() >= BATCH / 4 {
            return n * 4;
        }
        n *= 2;
    }
}

/// The median and range of `b`'s time over `a`'s, per round (A, B, B, A).
fn ratio(a: &mut dyn FnMut(), b: &mut dyn FnMut()) -> (f64, f64, f64) {
    let (na, nb) = (batch_size(a), batch_size(b));
    let mut ratios: Vec<f64> = (0..ROUNDS)
        .map(|_| {
            let a1 = per_op(na, a);
            let b1 = per_op(nb, b);
            let b2 = per_op(nb, b);
            let a2 = per_op(na, a);
            (b1 + b2) / (a1 + a2)
        })
        .collect();
    ratios.sort_by(f64::total_cmp);
    (ratios[ROUNDS / 2], ratios[0], ratios[ROUNDS - 1])
}

/// Two threads, each doing `op` `n` times at once, each on a core of its own where this machine
/// has two: the wall time per operation, from the first thread's start to the last one's end.
///
/// Left to the scheduler, the two threads sometimes share one core for a whole round: each then
/// runs alone for its time slice, and the round times an uncontended lock (10–12 ns an operation
/// here, against 20–30 ns on two cores). That flipped whole rounds, for either side, between the
/// two modes, and the row's ratio between 0.4 and 2.9.
fn per_op_on_two_threads(n: u64, op: &(dyn Fn() + Sync)) -> f64 {
    let spans = on_two_pinned_threads(|_| {
        let began = Instant::now();
        for _ in 0..n {
            op();
        }
        (began, Instant::now())
    });
    let began = spans.iter().map(|span| span.0).min().unwrap();
    let ended = spans.iter().map(|span| span.1).max().unwrap();
    #[allow(
        clippy::cast_precision_loss,
        reason = "a count of operations, far below 2^52"
    )]
    let n = (2 * n) as f64;
    (ended - began).as_secs_f64() * 1e9 / n
}

/// Runs `body(i)` on two threads at once, thread `i` pinned to the `i`-th core where this
/// machine has two, both starting together; what each returned.
fn on_two_pinned_threads<R: Send>(body: impl Fn(usize) -> R + Sync) -> Vec<R> {
    let start = std::sync::Barrier::new(2);
    std::thread::scope(|s| {
        let threads: Vec<_> = (0..2)
            .map(|i| {
                let (start, body) = (&start, &body);
                s.spawn(move || {
                    pin_to_core(i);
                    start.wait();
                    body(i)
                })
            })
            .collect();
        threads.into_iter().map(|t| t.join().unwrap()).collect()
    })
}

/// Pins this thread to the `i`-th of [`two_cores`], where this machine has two or more.
fn pin_to_core(i: usize) {
    let cores = core_affinity::get_core_ids().unwrap_or_default();
    if cores.len() >= 2 {
        let core = two_cores()[i];
        let id = *cores
            .iter()
            .find(|id| id.id == core)
            .unwrap_or_else(|| panic!("RATIOS_CORES: this process may not run on core {core}"));
        assert!(core_affinity::set_for_current(id), "pinning to {id:?}");
    }
}

/// The two cores the two-thread rows run on: the first two this process may use, or the two
/// that `RATIOS_CORES` names (as `RATIOS_CORES=0,8`), so that a machine of more cores can time
/// its cores near each other and far apart.
fn two_cores() -> [usize; 2] {
    static CORES: std::sync::OnceLock<[usize; 2]> = std::sync::OnceLock::new();
    *CORES.get_or_init(|| {
        if let Ok(named) = std::env::var("RATIOS_CORES") {
            let cores: Option<Vec<usize>> =
                named.split(',').map(|n| n.trim().parse().ok()).collect();
            return cores
                .and_then(|cores| cores.try_into().ok())
                .unwrap_or_else(|| {
                    panic!("RATIOS_CORES={named:?}: want two core numbers, as 0,8")
                });
        }
        match core_affinity::get_core_ids().unwrap_or_default()[..] {
            [first, second, ..] => [first.id, second.id],
            _ => [0, 0],
        }
    })
}

/// The time a write on one core takes to be seen on the other and answered, the median of
/// `ROUNDS` rounds of two pinned threads passing a counter back and forth: what every hand-over
/// of a contended lock pays at least once. This 2-core virtual machine reads 46-72 ns most of the
/// time, 30-41 ns at times, and 300-650 ns in some periods of seconds to minutes (its two cores
/// placed far apart, it seems), and the GIL row moves with it (below).
fn core_to_core_round_trip() -> f64 {
    const N: u64 = 10_000;
    let mut times: Vec<f64> = (0..ROUNDS)
        .map(|_| {
            let turn = OwnPage(AtomicU64::new(0));
            let took = on_two_pinned_threads(|me| {
                let began = Instant::now();
                for mine in (0..2 * N).skip(me).step_by(2) {
                    while turn.0.load(Ordering::Acquire) != mine {
                        std::hint::spin_loop();
                    }
                    turn.0.store(mine + 1, Ordering::Release);
                }
                began.elapsed()
            });
            let took = took.into_iter().max().unwrap();
            #[allow(
                clippy::cast_precision_loss,
                reason = "a count of round trips, far below 2^52"
            )]
            let n = N as f64;
            took.as_secs_f64() * 1e9 / n
        })
        .collect();
    times.sort_by(f64::total_cmp);
    times[ROUNDS / 2]
}

/// How many places the contended rows move each `parking_lot` mutex through, one per round.
const PLACES: usize = 8;

/// A value on a memory page of its own.
#[repr(align(4096))]
struct OwnPage<T>(T);

/// [`PLACES`] mutexes, each on a page of its own. Where a contended lock lies moves its cost: two
/// identical padded mutexes, each in one place for a whole run, measured 0.83-1.23x each other
/// from run to run, while each run's rounds agreed; each moved through eight pages, one per
/// round, 0.99-1.02x over thirteen runs.
fn mutexes() -> Vec<OwnPage<parking_lot::Mutex<u64>>> {
    (0..PLACES)
        .map(|_| OwnPage(parking_lot::Mutex::new(0)))
        .collect()
}

/// Declares each of the named GIL domains, for [`gil_increments`].
macro_rules! domains {
    ($($name:ident),*) => {
        $(gilkit::domain!(
            /// A GIL of its own: one more place for the contended GIL row.
            $name
        );)*
    };
}
domains!(G1, G2, G3, G4, G5, G6, G7);

/// An increment of a counter behind the GIL of each of [`PLACES`] domains, the default one first,
/// each counter on a page of its own, for [`contended_ratio`]. Where the GIL lies moves its cost
/// as it moves a mutex's: an increment under eight domains (each a `static` of its own and a copy
/// of the code) measured 0.84-1.09x a contended `parking_lot` mutex from domain to domain in one
/// process, and 1.05-1.42x with the cores far apart, the default domain among the slowest (a
/// probe, over hundreds of rounds).
fn gil_increments() -> Vec<Increment<'static>> {
    fn place<D: Domain>() -> Increment<'static> {
        let counter = Box::new(OwnPage(GilCell::<u64, D>::new_in(0)));
        Box::new(move || D::with_gil(|g| *black_box(&counter.0).get_mut(g) += 1))
    }
    let places = vec![
        place::<DefaultDomain>(),
        place::<G1>(),
        place::<G2>(),
        place::<G3>(),
        place::<G4>(),
        place::<G5>(),
        place::<G6>(),
        place::<G7>(),
    ];
    assert_eq!(places.len(), PLACES);
    places
}

/// One place's operation for [`contended_ratio`]; boxed on both sides alike, so that each side's
/// call is one indirect call (a box passed where `&dyn Fn` is wanted would add a second).
type Increment<'a> = Box<dyn Fn() + Sync + 'a>;

/// An increment of each of `mutexes`, for [`contended_ratio`].
fn increments(mutexes: &[OwnPage<parking_lot::Mutex<u64>>]) -> Vec<Increment<'_>> {
    mutexes
        .iter()
        .map(|mutex| Box::new(move || *black_box(&mutex.0).lock() += 1) as Increment<'_>)
        .collect()
}

/// `ratio` for two threads contending: each round times `a`, `b`, `b`, `a` on two threads. Each
/// side is a list of the same operation on data in different places; round `i` takes the
/// `i`-th of each, round robin.
fn contended_ratio(a: &[Increment<'_>], b: &[Increment<'_>]) -> (f64, f64, f64) {
    const N: u64 = 20_000;
    let mut ratios: Vec<f64> = (0..ROUNDS)
        .map(|round| {
            let (a, b) = (&*a[round % a.len()], &*b[round % b.len()]);
            let a1 = per_op_on_two_threads(N, a);
            let b1 = per_op_on_two_threads(N, b);
            let b2 = per_op_on_two_threads(N, b);
            let a2 = per_op_on_two_threads(N, a);
            (b1 + b2) / (a1 + a2)
        })
        .collect();
    ratios.sort_by(f64::total_cmp);
    (ratios[ROUNDS / 2], ratios[0], ratios[ROUNDS - 1])
}

/// Prints the ratio of one pair of [`contended_ratio`].
fn contended_row(what: &str, a: &[Increment<'_>], b: &[Increment<'_>]) {
    let (median, low, high) = contended_ratio(a, b);
    let baseline = "one contended parking_lot::Mutex";
    println!("{what:<52} {baseline:<38} {median:>6.3}x ({low:.3}-{high:.3})");
}

/// Prints one pair's ratio.
fn row(what: &str, baseline: &str, a: &mut dyn FnMut(), b: &mut dyn FnMut()) {
    let (median, low, high) = ratio(a, b);
    println!("{what:<52} {baseline:<38} {median:>6.3}x ({low:.3}-{high:.3})");
}

fn main() {
    println!(
        "lock-order validator: {}",
        if gilkit::field_lock::VALIDATION_ENABLED {
            "on"
        } else {
            "off"
        }
    );
    println!(
        "{:<52} {:<38} {:>7} (min-max over {ROUNDS} rounds)",
        "operation", "baseline", "ratio"
    );

    let mut plain = 0_u64;
    let counter = Counter::new(0);
    {
        let mut guard = gilkit::acquire();
        let g: &mut gilkit::Gil = &mut guard;
        row(
            "GIL-held field access (increment)",
            "unsynchronized increment",
            &mut || *black_box(&mut plain) += 1,
            &mut || *black_box(&counter).value.get_mut(g) += 1,
        );
        // The same access over many objects, each side's loop one call: the one-object row
        // above compiles to the same instructions on both sides and still reads 0.78-1.24x from
        // one build of this bench to the next (where the two closures and counters land); the
        // loop reads 1.00x in each.
        let mut plains = vec![0_u64; OBJECTS];
        let counters: Vec<Counter> = (0..OBJECTS).map(|_| Counter::new(0)).collect();
        row(
            &format!("GIL-held field access, loop over {OBJECTS} objects"),
            &format!("unsynchronized, loop over {OBJECTS}"),
            &mut || {
                for plain in black_box(&mut plains).iter_mut() {
                    *black_box(plain) += 1;
                }
            },
            &mut || {
                for counter in black_box(&counters) {
                    *black_box(counter).value.get_mut(g) += 1;
                }
            },
        );
    }

    locks();
    counts();
}

/// The GIL's and the field locks' rows.
fn locks() {
    let mutex = parking_lot::Mutex::new(0_u64);
    row(
        "uncontended GIL acquire+release",
        "parking_lot::Mutex lock+unlock",
        &mut || drop(black_box(black_box(&mutex).lock())),
        &mut || drop(black_box(gilkit::acquire())),
    );

    // Each contended side's data on cache lines of its own. Unpadded, beside the closures on this
    // stack that both threads read, one mutex took 0.43-2.5x the time of an identical one from
    // round to round (2.06x at the median of one run). The second row is that control: the
    // spread of a ratio that should be 1, against which to read the GIL's.
    let [first, second] = two_cores();
    println!("the two-thread rows run on cores {first} and {second}");
    let round_trip_before = core_to_core_round_trip();
    let (baseline, control) = (mutexes(), mutexes());
    contended_row(
        "2 threads, each acquiring the GIL per increment",
        &increments(&baseline),
        &gil_increments(),
    );
    contended_row(
        "2 threads, another parking_lot::Mutex (noise floor)",
        &increments(&baseline),
        &increments(&control),
    );
    // Measured on both sides of the two rows, since the machine can change mode in between.
    println!(
        "core-to-core round trip (the contended rows' floor): {round_trip_before:.0} ns before \
         them, {:.0} ns after",
        core_to_core_round_trip()
    );

    let pair = Pair::new(0, 0);
    row(
        "per_field_lock lock+increment+unlock",
        "parking_lot::Mutex, the same",
        &mut || *black_box(&mutex).lock() += 1,
        &mut || *black_box(&pair).a().lock() += 1,
    );
    let (m1, m2) = (
        parking_lot::Mutex::new(0_u64),
        parking_lot::Mutex::new(0_u64),
    );
    let mut two_mutexes = || {
        let (mut x, mut y) = (black_box(&m1).lock(), black_box(&m2).lock());
        *x += 1;
        *y += 1;
    };
    row(
        "two fields of one object, nested",
        "two parking_lot::Mutex, fixed order",
        &mut two_mutexes,
        &mut || {
            let mut x = black_box(&pair).a().lock();
            let mut y = black_box(&pair).b().lock();
            *x += 1;
            *y += 1;
        },
    );
    let (from, to) = (Pair::new(0, 0), Pair::new(0, 0));
    row(
        "lock_fields of two objects",
        "two parking_lot::Mutex, fixed order",
        &mut two_mutexes,
        &mut || {
            let (mut x, mut y) = lock_fields((black_box(&from).a(), black_box(&to).a()));
            *x += 1;
            *y += 1;
        },
    );

    let traced = TracingMutex::new(0_u64);
    row(
        "tracing-mutex lock+increment+unlock",
        "parking_lot::Mutex, the same",
        &mut || *black_box(&mutex).lock() += 1,
        &mut || *black_box(&traced).lock() += 1,
    );
    let (t1, t2) = (TracingMutex::new(0_u64), TracingMutex::new(0_u64));
    row(
        "two tracing-mutex, nested",
        "two parking_lot::Mutex, fixed order",
        &mut two_mutexes,
        &mut || {
            let (mut x, mut y) = (black_box(&t1).lock(), black_box(&t2).lock());
            *x += 1;
            *y += 1;
        },
    );
}

/// How many objects the loops over many objects go through.
const OBJECTS: usize = 64;

/// Clones and drops each of `objects`, in one loop: the shape of a user's code, where the count
/// operations are inlined into a loop of their own (not one call of a closure per operation,
/// whose frame, set up for the operation's slow path, then counts as much as the operation).
fn each<T: Clone>(objects: &[T]) -> impl FnMut() + '_ {
    move || {
        for object in black_box(objects) {
            drop(black_box(black_box(object).clone()));
        }
    }
}

/// The owner thread's rows again, as a loop over [`OBJECTS`] objects a side, allocated between
/// blocks of varied sizes: where one object lands decides how its count and the fields read
/// beside it fall on cache lines, which moves a one-object ratio by tens of percent from one
/// build to the next; this averages over many placements.
fn many_objects() {
    let mut spacers = Vec::new();
    let mut rcs = Vec::new();
    let mut biased = Vec::new();
    let mut hybrid = Vec::new();
    for i in 0..OBJECTS {
        spacers.push(vec![0_u8; 8 + 24 * (i % 7)]);
        rcs.push(Rc::new(0_u64));
        spacers.push(vec![0_u8; 8 + 40 * (i % 5)]);
        biased.push(AtomicRc::with_mode(0_u64, Mode::Biased));
        spacers.push(vec![0_u8; 8 + 56 * (i % 3)]);
        hybrid.push(AtomicRc::with_mode(0_u64, Mode::Hybrid));
    }
    let to_local = |objects: &[AtomicRc<u64>]| -> Vec<_> {
        objects
            .iter()
            .map(|b| AtomicRc::to_local(b).expect("this thread made it"))
            .collect()
    };
    let (locals, hybrid_locals) = (to_local(&biased), to_local(&hybrid));
    row(
        &format!("biased clone+drop, owner thread, loop over {OBJECTS}"),
        &format!("Rc clone+drop, loop over {OBJECTS}"),
        &mut each(&rcs),
        &mut each(&biased),
    );
    row(
        &format!("LocalRc clone+drop, loop over {OBJECTS}"),
        &format!("Rc clone+drop, loop over {OBJECTS}"),
        &mut each(&rcs),
        &mut each(&locals),
    );
    row(
        &format!("LocalRc clone+drop (hybrid), loop over {OBJECTS}"),
        &format!("Rc clone+drop, loop over {OBJECTS}"),
        &mut each(&rcs),
        &mut each(&hybrid_locals),
    );
    drop(spacers);
}

/// PEP 703's count of a non-owner's references, alone: the least a non-owner's clone+drop of a
/// biased object does, without `AtomicRc`'s tests of the mode and the owner. The clone adds to
/// the shared word (its count shifted by two, as `AtomicRc`'s is); the drop reads the word and
/// takes one off with a compare-and-swap, which refuses to go below zero, since below zero the
/// reference must go to the owner instead (never, in this bench).
struct SharedWord(&'static AtomicUsize);

impl Clone for SharedWord {
    fn clone(&self) -> Self {
        if self.0.fetch_add(4, Ordering::Relaxed).wrapping_add(4) > usize::MAX / 2 {
            std::process::abort();
        }
        Self(self.0)
    }
}

impl Drop for SharedWord {
    /// Out of line, as `AtomicRc`'s non-owner decrement is.
    #[inline(never)]
    fn drop(&mut self) {
        let mut word = self.0.load(Ordering::Relaxed);
        loop {
            if word < 4 {
                std::process::abort(); // below zero: never, in this bench
            }
            match self
                .0
                .compare_exchange_weak(word, word - 4, Ordering::Release, Ordering::Relaxed)
            {
                Ok(_) => return,
                Err(actual) => word = actual,
            }
        }
    }
}

/// The reference counts' rows.
fn counts() {
    let arc = Arc::new(0_u64);
    let rc = Rc::new(0_u64);
    let mut arc_clone = || drop(black_box(black_box(&arc).clone()));
    let atomic = AtomicRc::new(0_u64);
    row(
        "AtomicRc (atomic) clone+drop",
        "Arc clone+drop",
        &mut arc_clone,
        &mut || drop(black_box(black_box(&atomic).clone())),
    );
    let biased = AtomicRc::with_mode(0_u64, Mode::Biased);
    row(
        "biased clone+drop, owner thread",
        "Rc clone+drop",
        &mut || drop(black_box(black_box(&rc).clone())),
        &mut || drop(black_box(black_box(&biased).clone())),
    );
    row(
        "biased clone+drop, owner thread",
        "Arc clone+drop",
        &mut arc_clone,
        &mut || drop(black_box(black_box(&biased).clone())),
    );
    let local = AtomicRc::to_local(&biased).expect("this thread made it");
    row(
        "LocalRc clone+drop (biased, owner thread)",
        "Rc clone+drop",
        &mut || drop(black_box(black_box(&rc).clone())),
        &mut || drop(black_box(black_box(&local).clone())),
    );
    let hybrid = AtomicRc::with_mode(0_u64, Mode::Hybrid);
    row(
        "AtomicRc (hybrid) clone+drop, owner thread",
        "Arc clone+drop",
        &mut arc_clone,
        &mut || drop(black_box(black_box(&hybrid).clone())),
    );
    let hybrid_local = AtomicRc::to_local(&hybrid).expect("this thread made it");
    row(
        "LocalRc clone+drop (hybrid, owner thread)",
        "Rc clone+drop",
        &mut || drop(black_box(black_box(&rc).clone())),
        &mut || drop(black_box(black_box(&hybrid_local).clone())),
    );
    many_objects();

    let immortal = AtomicRc::with_mode(0_u64, Mode::Immortal);
    row(
        "immortal clone+drop",
        "Arc clone+drop",
        &mut arc_clone,
        &mut || drop(black_box(black_box(&immortal).clone())),
    );

    // A biased object whose owner is alive and idle: this thread is not its owner.
    let (to_bench, from_owner) = mpsc::channel();
    let (done, wait) = mpsc::channel::<()>();
    let owner = std::thread::spawn(move || {
        let handle = AtomicRc::with_mode(0_u64, Mode::Biased);
        to_bench
            .send(handle.clone())
            .expect("the bench waits for it");
        wait.recv().expect("the bench says when");
    });
    let foreign = from_owner.recv().expect("the owner sends it");
    row(
        "biased clone+drop, another thread",
        "Arc clone+drop",
        &mut arc_clone,
        &mut || drop(black_box(black_box(&foreign).clone())),
    );
    let word = SharedWord(Box::leak(Box::new(AtomicUsize::new(4))));
    let mut word_clone = || drop(black_box(black_box(&word).clone()));
    row(
        "PEP 703's shared count alone, clone+drop",
        "Arc clone+drop",
        &mut arc_clone,
        &mut word_clone,
    );
    row(
        "biased clone+drop, another thread",
        "PEP 703's shared count alone",
        &mut word_clone,
        &mut || drop(black_box(black_box(&foreign).clone())),
    );
    drop(foreign);
    done.send(()).expect("the owner waits");
    owner.join().expect("the owner does not panic");

    let cell = GilCell::new(0_u64);
    let plain_bytes = std::mem::size_of::<[u64; 4]>();
    println!(
        "\nbytes: GilCell<u64> {}, [u64; 4] {plain_bytes}, AtomicRc<[u64; 4]> block {} (hybrid {}, \
         biased {})",
        std::mem::size_of_val(&cell),
        AtomicRc::<[u64; 4]>::block_size(Mode::Atomic),
        AtomicRc::<[u64; 4]>::block_size(Mode::Hybrid),
        AtomicRc::<[u64; 4]>::block_size(Mode::Biased)
    );
}
