//! The lock-order validator's fast paths (the inline held stack, `SPILLED`, the per-thread
//! `RECENT` cache) give the reports the validator gave before them: guards dropped in any order,
//! more locks held than the inline stack holds, `lock_fields` and `lock_next` across it, panics at
//! any depth, hundreds of classes through the cache, and thread-local destructors. Written by a
//! review that compared each test against the validator before the fast paths (745e4ea).
//!
//! Every test uses classes of its own, so that the orders one records reach no other test.
//!
//! One difference is deliberate (section 8): a thread-local destructor that runs after the
//! thread's first field lock was taken now has its lock orders checked; before, the held stack
//! could already be torn down there, and nothing was checked.
//!
//! Not under loom, where the validator is compiled out (and locks cannot be `static`).
#![cfg(not(loom))]

mod common;

use std::cell::RefCell;
use std::collections::BTreeSet;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::{mpsc, Barrier, Mutex};
use std::thread;

use gilkit::field_lock::{
    held_count, lock_fields, FieldGuard, FieldLock, Handle, LockClass, RwFieldLock,
    VALIDATION_ENABLED,
};
use gilkit::per_field_lock;

/// The message of the panic of `f`, if it panicked.
fn report(f: impl FnOnce()) -> Option<String> {
    let payload = catch_unwind(AssertUnwindSafe(f)).err()?;
    Some(common::panic_message(&*payload))
}

/// A small deterministic generator (xorshift64*), so that a failure replays.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    fn below(&mut self, n: usize) -> usize {
        usize::try_from(self.next() % n as u64).unwrap()
    }
}

// ---------------------------------------------------------------------------------------------
// 1. The held stack against a model: random takes, out-of-order drops, probes, across the
//    inline/spilled boundary.
// ---------------------------------------------------------------------------------------------

/// The class graph as the validator keeps it: edges `from -> to`, between indices of one array.
#[derive(Default)]
struct Model {
    edges: BTreeSet<(usize, usize)>,
}

impl Model {
    fn path(&self, from: usize, to: usize) -> bool {
        let mut seen = BTreeSet::from([from]);
        let mut stack = vec![from];
        while let Some(c) = stack.pop() {
            for &(a, b) in &self.edges {
                if a == c {
                    if b == to {
                        return true;
                    }
                    if seen.insert(b) {
                        stack.push(b);
                    }
                }
            }
        }
        false
    }

    /// What taking `j` while holding `held` (oldest first, one class per lock) reports, updating
    /// the graph as the validator does: the edges entered before the one that closes a cycle stay.
    fn take(&mut self, held: &[usize], j: usize) -> Option<&'static str> {
        if held.contains(&j) {
            return Some("the same lock again");
        }
        for &h in held {
            if self.edges.contains(&(h, j)) {
                continue;
            }
            if self.path(j, h) {
                return Some("lock order cycle");
            }
            self.edges.insert((h, j));
        }
        None
    }
}

fn stack_against_model(classes: &'static [LockClass], seed: u64, steps: usize) {
    let n = classes.len();
    let locks: Vec<FieldLock<usize>> = (0..n).map(FieldLock::new).collect();
    let mut guards: Vec<Option<FieldGuard<'_, usize>>> = (0..n).map(|_| None).collect();
    let mut held: Vec<usize> = Vec::new(); // oldest first
    let mut model = Model::default();
    let mut rng = Rng(seed);
    let mut reports = 0;
    for step in 0..steps {
        match rng.below(10) {
            // Take a lock above every held one, sometimes by `try_lock`, which checks nothing
            // and records no order.
            0..=3 => {
                let top = held.iter().max().map_or(0, |&m| m + 1);
                if top < n {
                    let j = top + rng.below((n - top).min(4));
                    if rng.below(5) == 0 {
                        guards[j] = Some(locks[j].try_lock(&classes[j]).expect("free"));
                        held.push(j);
                    } else if !VALIDATION_ENABLED || model.take(&held, j).is_none() {
                        guards[j] = Some(locks[j].lock(&classes[j]));
                        held.push(j);
                    } else {
                        // A probe made an order against the index order: this one is refused.
                        let got = report(|| drop(locks[j].lock(&classes[j])));
                        assert!(
                            got.is_some_and(|g| g.contains("lock order cycle")),
                            "step {step}"
                        );
                        reports += 1;
                    }
                }
            }
            // Drop any held guard, not only the newest.
            4..=6 => {
                if !held.is_empty() {
                    let i = if rng.below(3) == 0 {
                        held.len() - 1
                    } else {
                        rng.below(held.len())
                    };
                    let j = held.remove(i);
                    drop(guards[j].take().expect("held"));
                }
            }
            // Probe any lock, held or not: the report must be the model's; the lock is let go
            // at once when it was taken.
            _ => {
                let j = rng.below(n);
                let expected = if VALIDATION_ENABLED {
                    model.take(&held, j)
                } else {
                    None
                };
                if expected == Some("the same lock again")
                    || !VALIDATION_ENABLED && held.contains(&j)
                {
                    // Relocking would deadlock with the validator off: probe with `try_lock`.
                    assert!(locks[j].try_lock(&classes[j]).is_none());
                    if !VALIDATION_ENABLED {
                        continue;
                    }
                }
                let got = report(|| drop(locks[j].lock(&classes[j])));
                match (expected, got) {
                    (None, None) => {}
                    (Some(e), Some(g)) if g.contains(e) => reports += 1,
                    (e, g) => panic!("step {step}: probe {j} holding {held:?}: {e:?} != {g:?}"),
                }
            }
        }
        let expected = if VALIDATION_ENABLED { held.len() } else { 0 };
        assert_eq!(held_count(), expected, "step {step}, holding {held:?}");
    }
    drop(guards);
    assert_eq!(held_count(), 0);
    if VALIDATION_ENABLED {
        assert!(reports > 0, "the probes met no violation: a weak test");
    }
}

/// The random walks' length.
fn steps() -> usize {
    scaled(6000)
}

/// `n` repetitions, or a hundredth of them under Miri, which runs them a thousand times slower.
fn scaled(n: usize) -> usize {
    if cfg!(miri) {
        n / 100
    } else {
        n
    }
}

#[test]
fn the_held_stack_matches_a_model_through_random_takes_drops_and_probes() {
    static DEEP: [LockClass; 24] = [const { LockClass::new("Model.deep") }; 24];
    stack_against_model(&DEEP, 0x9e37_79b9_7f4a_7c15, steps());
}

#[test]
fn the_held_stack_matches_a_model_with_few_locks_around_the_inline_size() {
    static NINE: [LockClass; 10] = [const { LockClass::new("Model.nine") }; 10];
    stack_against_model(&NINE, 12345, steps());
}

// ---------------------------------------------------------------------------------------------
// 2. Guards out of order, more than 8 held, read locks taken twice by `try_read`.
// ---------------------------------------------------------------------------------------------

#[test]
fn a_read_lock_held_twice_through_try_read_is_released_once_per_guard() {
    static R: [LockClass; 12] = [const { LockClass::new("Twice.r") }; 12];
    let locks: Vec<RwFieldLock<()>> = (0..12).map(|_| RwFieldLock::new(())).collect();
    let on = usize::from(VALIDATION_ENABLED);
    for depth in [0, 6, 7, 8, 9, 11] {
        // `depth` other locks first, so that the two entries of one lock sit on both sides of
        // the inline stack's end.
        let before: Vec<_> = (0..depth).map(|i| locks[i].read(&R[i])).collect();
        let first = locks[depth].read(&R[depth]);
        let second = locks[depth].try_read(&R[depth]).expect("shared");
        assert_eq!(held_count(), (depth + 2) * on);
        drop(first);
        assert_eq!(held_count(), (depth + 1) * on);
        if VALIDATION_ENABLED {
            // One entry is left: a third reader is refused, as before.
            let r = report(|| drop(locks[depth].read(&R[depth])));
            assert!(r.expect("refused").contains("the same lock again"));
        }
        drop(second);
        assert_eq!(held_count(), depth * on);
        // Now it is not held: reading it again is the order seen before.
        drop(locks[depth].read(&R[depth]));
        drop(before);
        assert_eq!(held_count(), 0);
    }
}

#[test]
fn guards_dropped_in_every_rotation_of_sixteen_leave_an_empty_stack() {
    static S: [LockClass; 16] = [const { LockClass::new("Rot.s") }; 16];
    let locks: Vec<FieldLock<()>> = (0..16).map(|_| FieldLock::new(())).collect();
    let on = usize::from(VALIDATION_ENABLED);
    for rot in 0..16 {
        let mut guards: Vec<_> = locks.iter().zip(&S).map(|(l, c)| Some(l.lock(c))).collect();
        for k in 0..16 {
            let i = (rot + k * 7) % 16; // 7 is prime to 16: a permutation
            drop(guards[i].take());
            assert_eq!(held_count(), (15 - k) * on);
            if VALIDATION_ENABLED && k < 15 {
                // A lock still held is still seen, wherever it sits now.
                let still = (rot + (k + 1) * 7) % 16;
                let r = report(|| drop(locks[still].lock(&S[still])));
                assert!(r.expect("refused").contains("the same lock again"));
            }
        }
    }
}

// ---------------------------------------------------------------------------------------------
// 3. `lock_fields` with many locks, and orders recorded around it.
// ---------------------------------------------------------------------------------------------

#[per_field_lock]
struct Wide {
    a: u64,
    b: u64,
    c: u64,
    d: u64,
    e: u64,
    f: u64,
    g: u64,
    h: u64,
}

#[per_field_lock]
struct Outer {
    x: u64,
}

#[per_field_lock]
struct Later {
    y: u64,
}

#[test]
fn lock_fields_with_eight_fields_vecs_and_arrays_beyond_the_inline_stack() {
    let w = Wide::new(1, 2, 3, 4, 5, 6, 7, 8);
    let out = Outer::new(0);
    let later = Later::new(0);
    let on = usize::from(VALIDATION_ENABLED);
    for _ in 0..3 {
        // Eight fields of one object, named backwards, under one outer lock: 9 held.
        let x = out.x().lock();
        let g = lock_fields((w.h(), w.g(), w.f(), w.e(), w.d(), w.c(), w.b(), w.a()));
        assert_eq!(held_count(), 9 * on);
        assert_eq!((*g.0, *g.7), (8, 1));
        let y = later.y().lock(); // the tenth, after all of them
        drop(x); // the oldest first
        assert_eq!(held_count(), 9 * on);
        drop(g);
        drop(y);
        assert_eq!(held_count(), 0);
    }
    // The declaration order was recorded even while spilled: `h` then `a` is refused...
    if VALIDATION_ENABLED {
        let r = report(|| {
            let _h = w.h().lock();
            let _a = w.a().lock();
        });
        assert!(r.expect("a cycle").contains("lock order cycle"));
        // ...and so is `Later.y` then `Wide.h`, recorded as the tenth lock.
        let r = report(|| {
            let _y = later.y().lock();
            let _h = w.h().lock();
        });
        assert!(r.expect("a cycle").contains("lock order cycle"));
        assert_eq!(held_count(), 0);
    }

    // A `Vec` of 20 locks of one class and an array of 12, inside an outer lock.
    let many: Vec<Wide> = (0..20).map(|i| Wide::new(i, 0, 0, 0, 0, 0, 0, 0)).collect();
    for round in 0..3 {
        let x = out.x().lock();
        let mut guards: Vec<Option<_>> =
            lock_fields(many.iter().rev().map(Wide::a).collect::<Vec<_>>())
                .into_iter()
                .map(Some)
                .collect();
        assert_eq!(held_count(), 21 * on);
        assert_eq!(**guards[0].as_ref().unwrap(), 19);
        for k in 0..20 {
            drop(guards[(k * 3 + round) % 20].take());
        }
        drop(x);
        assert_eq!(held_count(), 0);
        let arr: [&Wide; 12] = std::array::from_fn(|i| &many[i]);
        let g = lock_fields(arr.map(Wide::b));
        assert_eq!(held_count(), 12 * on);
        drop(g);
    }
    // Two locks of one class, each alone, are still refused after all that grouping.
    if VALIDATION_ENABLED {
        let r = report(|| {
            let _one = many[0].a().lock();
            let _two = many[1].a().lock();
        });
        assert!(r.expect("refused").contains("nested outside the ordered"));
        // And a group inside a held lock of the group's class is refused too.
        let r = report(|| {
            let _one = many[0].a().lock();
            let _rest = lock_fields(vec![many[1].a(), many[2].a()]);
        });
        assert!(r.expect("refused").contains("nested outside the ordered"));
        assert_eq!(held_count(), 0);
    }
}

// ---------------------------------------------------------------------------------------------
// 4. Hand-over-hand walks longer than the inline stack.
// ---------------------------------------------------------------------------------------------

#[per_field_lock]
struct Link {
    next: Option<Handle<Link>>,
}

fn chain(n: usize) -> Vec<Handle<Link>> {
    let mut nodes: Vec<Handle<Link>> = Vec::new();
    for _ in 0..n {
        let next = nodes.last().cloned();
        nodes.push(Link::new(next).into_handle());
    }
    nodes.reverse(); // nodes[0] links to nodes[1], ...
    nodes
}

#[test]
fn a_walk_of_fourteen_held_steps_is_checked_across_the_inline_stack() {
    let nodes = chain(14);
    let on = usize::from(VALIDATION_ENABLED);
    for _ in 0..2 {
        let mut run: Vec<FieldGuard<'_, Option<Handle<Link>>>> = vec![nodes[0].next().lock()];
        for node in &nodes[1..] {
            let step = FieldGuard::lock_next(run.last().unwrap(), node.next());
            run.push(step);
        }
        assert_eq!(held_count(), 14 * on);
        // Let go from the oldest end, and keep stepping.
        let mut run: std::collections::VecDeque<_> = run.into();
        for _ in 0..13 {
            drop(run.pop_front());
        }
        assert_eq!(held_count(), on);
        drop(run);
        assert_eq!(held_count(), 0);
    }
    if !VALIDATION_ENABLED {
        return;
    }
    // Walks nodes 0 to 10 keeping every guard, lets go of the one at `gap`, then steps on to
    // node 11 from the guard at `from`.
    let walk_then_step = |gap: Option<usize>, from: usize| {
        report(|| {
            let mut run: Vec<Option<_>> = vec![Some(nodes[0].next().lock())];
            for node in &nodes[1..11] {
                let step =
                    FieldGuard::lock_next(run.last().unwrap().as_ref().unwrap(), node.next());
                run.push(Some(step));
            }
            if let Some(gap) = gap {
                drop(run[gap].take());
            }
            let _bad = FieldGuard::lock_next(run[from].as_ref().unwrap(), nodes[11].next());
        })
    };
    // A step from an older guard, with the newest beyond the inline stack; a gap in the run,
    // in the spilled part; a gap in the inline part.
    for (gap, from) in [(None, 9), (Some(9), 10), (Some(3), 10)] {
        assert!(walk_then_step(gap, from)
            .expect("refused")
            .contains("not one of the consecutive steps"));
    }
    // A plain lock of the walked class inside the walk.
    let r = report(|| {
        let one = nodes[0].next().lock();
        let _two = FieldGuard::lock_next(&one, nodes[1].next());
        let _three = nodes[2].next().lock();
    });
    assert!(r.expect("refused").contains("nested outside the ordered"));
    assert_eq!(held_count(), 0);
}

// ---------------------------------------------------------------------------------------------
// 5. Panics inside critical sections, deep in the stack.
// ---------------------------------------------------------------------------------------------

#[test]
fn panics_at_any_depth_unwind_the_stack_and_later_violations_are_still_reported() {
    static P: [LockClass; 12] = [const { LockClass::new("Panic.p") }; 12];
    let locks: Vec<FieldLock<u32>> = (0..12).map(|_| FieldLock::new(0)).collect();
    let on = usize::from(VALIDATION_ENABLED);
    for depth in 1..=12 {
        let r = report(|| {
            let _gs: Vec<_> = (0..depth).map(|i| locks[i].lock(&P[i])).collect();
            assert_eq!(held_count(), depth * on);
            panic!("inside, {depth} deep");
        });
        assert!(r.unwrap().starts_with("inside"));
        assert_eq!(held_count(), 0);
    }
    if !VALIDATION_ENABLED {
        return;
    }
    // Every reverse pair is a cycle, however often the forward pairs were seen (and cached).
    for _ in 0..3 {
        for i in 0..12 {
            for j in i + 1..12 {
                drop((locks[i].lock(&P[i]), locks[j].lock(&P[j])));
                let r = report(|| {
                    let _j = locks[j].lock(&P[j]);
                    let _i = locks[i].lock(&P[i]);
                });
                assert!(r.expect("a cycle").contains("lock order cycle"), "{i} {j}");
            }
        }
    }
    // A cycle report in the middle of a deep stack, then the same acquisition again.
    for _ in 0..3 {
        let r = report(|| {
            let _gs: Vec<_> = (1..12).map(|i| locks[i].lock(&P[i])).collect();
            let _zero = locks[0].lock(&P[0]);
        });
        assert!(r.expect("a cycle").contains("lock order cycle"));
        assert_eq!(held_count(), 0);
    }
}

// ---------------------------------------------------------------------------------------------
// 6. The cache: many classes, colliding slots, and uses that must not be trusted.
// ---------------------------------------------------------------------------------------------

#[test]
fn hundreds_of_classes_through_the_cache_keep_every_cycle_reported() {
    static HUB: LockClass = LockClass::new("Alias.hub");
    // More classes than the 64 places of the cache: far more, but under Miri, where each new
    // order's cycle search over the graph is slow.
    const CLASSES: usize = if cfg!(miri) { 72 } else { 400 };
    static MANY: [LockClass; CLASSES] = [const { LockClass::new("Alias.n") }; CLASSES];
    let hub = FieldLock::new(());
    let locks: Vec<FieldLock<()>> = (0..MANY.len()).map(|_| FieldLock::new(())).collect();
    // hub -> n for every n, several times (fast path after the first), interleaved with n -> n+1.
    for _ in 0..3 {
        for i in 0..MANY.len() {
            let h = hub.lock(&HUB);
            let a = locks[i].lock(&MANY[i]);
            if i + 1 < MANY.len() {
                drop(locks[i + 1].lock(&MANY[i + 1]));
            }
            drop((a, h));
        }
    }
    if !VALIDATION_ENABLED {
        return;
    }
    let mut rng = Rng(7);
    for _ in 0..scaled(2000) {
        let i = rng.below(MANY.len());
        let j = rng.below(MANY.len());
        let r = report(|| {
            let _n = locks[i].lock(&MANY[i]);
            if j > i {
                // n_i -> n_j: known if j == i + 1, new otherwise, never a cycle.
                drop(locks[j].lock(&MANY[j]));
            }
            let _h = hub.lock(&HUB);
        });
        assert!(r
            .expect("n -> hub closes hub -> n")
            .contains("lock order cycle"));
        assert_eq!(held_count(), 0);
    }
}

#[per_field_lock]
struct Grp {
    next: Option<Handle<Grp>>,
}

#[test]
fn a_use_refused_on_one_thread_is_refused_every_time_while_another_keeps_its_cache() {
    if !VALIDATION_ENABLED {
        return;
    }
    let b = Grp::new(None).into_handle();
    let a = Grp::new(Some(b.clone())).into_handle();
    let (a, b) = (&a, &b);
    let grouped = Barrier::new(2);
    let refused = Barrier::new(2);
    thread::scope(|s| {
        s.spawn(|| {
            // Grouped, many times: cached as known.
            for _ in 0..5 {
                drop(lock_fields((a.next(), b.next())));
            }
            grouped.wait();
            refused.wait();
            for _ in 0..5 {
                drop(lock_fields((b.next(), a.next())));
            }
            assert_eq!(held_count(), 0);
        });
        s.spawn(|| {
            grouped.wait();
            for _ in 0..4 {
                let r = report(|| {
                    let link = a.next().lock();
                    let _step = FieldGuard::lock_next(&link, b.next());
                });
                assert!(r.expect("refused").contains("taken hand over hand"));
                // Grouped here too, then the walk again: still refused.
                drop(lock_fields((a.next(), b.next())));
                drop(lock_fields((b.next(), a.next())));
            }
            refused.wait();
            assert_eq!(held_count(), 0);
        });
    });
}

// ---------------------------------------------------------------------------------------------
// 7. Threads, and a forgotten guard.
// ---------------------------------------------------------------------------------------------

#[test]
fn threads_record_orders_that_another_thread_then_finds() {
    static T: [LockClass; 10] = [const { LockClass::new("Threads.t") }; 10];
    static LOCKS: [FieldLock<u64>; 10] = [const { FieldLock::new(0) }; 10];
    let start = Barrier::new(4);
    thread::scope(|s| {
        for t in 0..4_u64 {
            let start = &start;
            s.spawn(move || {
                start.wait();
                let mut rng = Rng(t + 1);
                for _ in 0..scaled(2000) {
                    // An ascending subset: one global order, no report.
                    let mut guards = Vec::new();
                    for i in 0..10 {
                        if rng.below(2) == 0 {
                            guards.push(LOCKS[i].lock(&T[i]));
                        }
                    }
                    while !guards.is_empty() {
                        let k = rng.below(guards.len());
                        *guards.swap_remove(k) += 1;
                    }
                    assert_eq!(held_count(), 0);
                }
            });
        }
    });
    if VALIDATION_ENABLED {
        // This thread never took them: it finds the orders in the graph.
        let r = report(|| {
            let _nine = LOCKS[9].lock(&T[9]);
            let _zero = LOCKS[0].lock(&T[0]);
        });
        assert!(r.expect("a cycle").contains("lock order cycle"));
    }
}

#[test]
fn a_forgotten_guard_stays_held_for_the_validator_as_before() {
    static F: [LockClass; 10] = [const { LockClass::new("Forgot.f") }; 10];
    static LOCKS: [FieldLock<()>; 10] = [const { FieldLock::new(()) }; 10];
    thread::spawn(|| {
        let on = usize::from(VALIDATION_ENABLED);
        let guards: Vec<_> = (0..9).map(|i| LOCKS[i].lock(&F[i])).collect();
        let mut guards: Vec<Option<_>> = guards.into_iter().map(Some).collect();
        std::mem::forget(guards[4].take()); // its entry stays: the lock stays locked
        std::mem::forget(guards[8].take()); // the spilled one too
        drop(guards);
        assert_eq!(held_count(), 2 * on);
        drop(LOCKS[9].lock(&F[9]));
        if VALIDATION_ENABLED {
            let r = report(|| drop(LOCKS[8].lock(&F[8])));
            assert!(r.expect("refused").contains("the same lock again"));
        }
        assert_eq!(held_count(), 2 * on);
    })
    .join()
    .unwrap();
}

// ---------------------------------------------------------------------------------------------
// 8. Locks taken in thread-local destructors.
// ---------------------------------------------------------------------------------------------

/// What a thread-local destructor saw: `held_count` after its locks, and the report, if any.
type Seen = (usize, Option<String>);

/// A thread-local whose destructor runs `work` and sends what it saw.
struct AtExit {
    work: fn() -> Seen,
    to: mpsc::Sender<Seen>,
}

impl Drop for AtExit {
    fn drop(&mut self) {
        let _ = self.to.send((self.work)());
    }
}

thread_local! {
    static AT_EXIT: RefCell<Option<AtExit>> = const { RefCell::new(None) };
}

/// On a new thread: `before`, then the registration of a thread-local whose destructor runs
/// `work`, then `after`; what `work` saw when the thread exited.
fn at_thread_exit(before: fn(), work: fn() -> Seen, after: fn()) -> Seen {
    let (to, seen) = mpsc::channel();
    thread::spawn(move || {
        before();
        AT_EXIT.with(|e| *e.borrow_mut() = Some(AtExit { work, to }));
        after();
    })
    .join()
    .unwrap();
    seen.recv().expect("the destructor ran")
}

/// Orders `first` before `second` in the graph (on this thread).
fn order(
    first: (&FieldLock<()>, &'static LockClass),
    second: (&FieldLock<()>, &'static LockClass),
) {
    let a = first.0.lock(first.1);
    drop(second.0.lock(second.1));
    drop(a);
}

static TD_A: LockClass = LockClass::new("Tls.a");
static TD_B: LockClass = LockClass::new("Tls.b");
static TD_LA: FieldLock<()> = FieldLock::new(());
static TD_LB: FieldLock<()> = FieldLock::new(());
static TD_FILL: [LockClass; 8] = [const { LockClass::new("Tls.fill") }; 8];
static TD_LFILL: [FieldLock<()>; 8] = [const { FieldLock::new(()) }; 8];

/// The first `n` filler locks, taken in order.
fn fill(n: usize) -> Vec<FieldGuard<'static, ()>> {
    (0..n).map(|i| TD_LFILL[i].lock(&TD_FILL[i])).collect()
}

/// The thread's first field lock: `SPILLED` registers its destructor here.
fn first_lock() {
    drop(TD_LA.lock(&TD_A));
}

/// Nine locks at once: the thread's first spill.
fn first_spill() {
    let fill = fill(8);
    drop(TD_LA.lock(&TD_A));
    drop(fill);
}

/// In a destructor: `Tls.b` then `Tls.a`, the opposite of the recorded order, after `n` filler
/// locks that are all ordered before both.
fn reverse_after(n: usize) -> Seen {
    let mut count = 0;
    let r = report(|| {
        let _fill = fill(n);
        let _b = TD_LB.lock(&TD_B);
        count = held_count();
        let _a = TD_LA.lock(&TD_A);
    });
    (count, r)
}

fn record_tls_orders() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        order((&TD_LA, &TD_A), (&TD_LB, &TD_B));
        let fill = fill(8);
        order((&TD_LA, &TD_A), (&TD_LB, &TD_B));
        drop(fill);
    });
}

/// The held stack keeps its first 8 entries in a thread-local with no destructor and the rest in
/// `SPILLED`, whose destructor is registered at the thread's first field lock (as the whole stack's
/// was before the fast paths), not at its first 9th: a thread-local registered in between still
/// sees the 9th lock recorded in its destructor, and a cycle through it is reported.
#[test]
fn a_cycle_through_the_ninth_lock_in_a_thread_local_destructor_is_reported() {
    if !VALIDATION_ENABLED {
        return;
    }
    record_tls_orders();
    let (count, r) = at_thread_exit(first_lock, || reverse_after(8), first_spill);
    assert_eq!(count, 9, "8 fillers and `Tls.b` held");
    assert!(
        r.is_some_and(|r| r.contains("lock order cycle")),
        "`Tls.b` then `Tls.a` in a destructor"
    );
}

/// A thread-local registered before the thread's first field lock runs its destructor after
/// `SPILLED` is torn down; the 8 inline entries never are, so its lock orders are still checked.
/// (Before the fast paths, the whole stack was gone there and nothing was checked.)
#[test]
fn a_cycle_in_a_thread_local_destructor_after_the_first_lock_is_reported_now() {
    if !VALIDATION_ENABLED {
        return;
    }
    record_tls_orders();
    let (count, r) = at_thread_exit(|| {}, || reverse_after(0), first_lock);
    assert_eq!(count, 1);
    assert!(r.is_some_and(|r| r.contains("lock order cycle")));
}

/// As above, the 9th lock taken in such a destructor is recorded, so relocking it is refused.
/// `lock` would hang on itself were it not; `try_lock_for`, which the validator treats as a
/// blocking lock, shows it without hanging (unrecorded, it would wait out its timeout).
#[test]
fn relocking_the_ninth_lock_in_a_thread_local_destructor_is_refused() {
    if !VALIDATION_ENABLED {
        return;
    }
    record_tls_orders();
    let relock_the_ninth = || {
        let r = report(|| {
            let _fill = fill(8);
            let _b = TD_LB.lock(&TD_B);
            let again = TD_LB.try_lock_for(&TD_B, std::time::Duration::from_millis(50));
            assert!(again.is_none());
        });
        (0, r)
    };
    let (_, r) = at_thread_exit(first_lock, relock_the_ninth, first_spill);
    assert!(r.is_some_and(|r| r.contains("the same lock again")));
}

thread_local! {
    static KEPT: RefCell<Option<KeptGuards>> = const { RefCell::new(None) };
}

/// Guards of static locks kept in a thread-local; its destructor drops them oldest first and
/// notes `held_count` after each.
struct KeptGuards {
    guards: Vec<Option<FieldGuard<'static, ()>>>,
    into: &'static Mutex<Vec<usize>>,
}

impl Drop for KeptGuards {
    fn drop(&mut self) {
        let mut counts = Vec::new();
        for g in &mut self.guards {
            drop(g.take());
            counts.push(held_count());
        }
        *self.into.lock().unwrap() = counts;
    }
}

/// Ten guards kept in a thread-local registered after the thread's first lock and before its
/// first 9th are all counted while its destructor lets them go: 9, 8, ..., 0 (with `SPILLED`
/// registered at the 9th, its two spilled entries were lost: 7, 6, ..., 0, 0, 0).
#[test]
fn guards_kept_in_a_thread_local_are_counted_while_its_destructor_drops_them() {
    static COUNTS: Mutex<Vec<usize>> = Mutex::new(Vec::new());
    static K: [LockClass; 10] = [const { LockClass::new("Kept.k") }; 10];
    static LOCKS: [FieldLock<()>; 10] = [const { FieldLock::new(()) }; 10];
    if !VALIDATION_ENABLED {
        return;
    }
    thread::spawn(|| {
        drop(LOCKS[0].lock(&K[0])); // `SPILLED` registers its destructor here
        KEPT.with(|k| {
            *k.borrow_mut() = Some(KeptGuards {
                guards: Vec::new(),
                into: &COUNTS,
            });
        });
        let guards: Vec<_> = (0..10).map(|i| Some(LOCKS[i].lock(&K[i]))).collect();
        KEPT.with(|k| k.borrow_mut().as_mut().unwrap().guards = guards);
    })
    .join()
    .unwrap();
    assert_eq!(*COUNTS.lock().unwrap(), [9, 8, 7, 6, 5, 4, 3, 2, 1, 0]);
}
