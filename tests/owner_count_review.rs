//! A review of the biased owner's "store first, then one sign test" count (`increment_owner`,
//! `decrement_local`, `decrement_slow`'s take-back, `LocalRc::drop` through
//! `release_local_slow`) and of the GIL's split acquisition (`acquire_unchecked` /
//! `acquire_contended`), with safe code only.
//!
//! 1. A model of the protocol (owner's local count, shared count, merge, inbox) run against
//!    random sequences of every handle operation on the owner and on another thread: every
//!    `strong_count` (owner's exact view, non-owner's view), every `to_local`, every upgrade
//!    and the moment of the free must match the model.
//! 2. The same sequences ended by the owner's exit, with local handles kept in thread-locals
//!    whose destructors run before or after the exit merge and count there.
//! 3. Graphs of biased objects holding `LocalRc`, `AtomicRc` and `Weak` edges to each other,
//!    freed from inside each other's destructors, with panicking destructors, new biased
//!    objects and `merge_deferred` inside destructors, and at the owner's exit.
//! 4. The GIL: the guard, its stats, the held-domain record and the pending pool drain on the
//!    uncontended and the contended path, also when a drained destructor panics.

#![allow(
    clippy::too_many_lines,
    reason = "each scenario is one sequence that reads best in one piece"
)]

mod common;

use std::cell::RefCell;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::atomic::{AtomicBool, AtomicU32, AtomicUsize, Ordering};
use std::sync::{mpsc, Arc, Mutex};
use std::thread::JoinHandle;

use gilkit::refcount::{merge_deferred, AtomicRc, LocalRc, Mode, Weak};

use common::{Canary, Rng, MAGIC};

/// Keeps the expected panics of this file (destructors that panic on purpose, refused nested
/// acquisitions) off stderr; any other panic is reported as usual.
fn quiet_expected_panics() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        let default = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            let message = common::panic_message(info.payload());
            let expected = [
                "panics in its destructor",
                "a deferred destructor panics",
                "gil: ",
            ];
            if !expected.iter().any(|e| message.contains(e)) {
                default(info);
            }
        }));
    });
}

/// Scales an iteration count down under Miri. (Not `GIL_STRESS_ITERS`: these are not stress
/// tests, and the scripts' values are made for loops far cheaper than a round here.)
fn iters(native: usize, miri: usize) -> usize {
    if cfg!(miri) {
        miri
    } else {
        native
    }
}

/// Another thread that runs closures on request: the non-owner of every object here.
struct Remote {
    tx: Option<mpsc::Sender<Box<dyn FnOnce() + Send>>>,
    thread: Option<JoinHandle<()>>,
}

impl Remote {
    fn new() -> Self {
        let (tx, rx) = mpsc::channel::<Box<dyn FnOnce() + Send>>();
        let thread = std::thread::spawn(move || {
            for job in rx {
                job();
            }
        });
        Self {
            tx: Some(tx),
            thread: Some(thread),
        }
    }

    fn run<R: Send + 'static>(&self, job: impl FnOnce() -> R + Send + 'static) -> R {
        let (done, result) = mpsc::sync_channel(1);
        self.tx
            .as_ref()
            .unwrap()
            .send(Box::new(move || {
                let _ = done.send(job());
            }))
            .unwrap();
        result.recv().expect("the remote job panicked")
    }
}

impl Drop for Remote {
    fn drop(&mut self) {
        drop(self.tx.take());
        if let Some(thread) = self.thread.take() {
            let joined = thread.join();
            if !std::thread::panicking() {
                joined.unwrap();
            }
        }
    }
}

// --- 1. The protocol's model against random sequences ------------------------------------------

/// What the sequences reached, so that a run shows it covered the paths under review.
#[derive(Clone, Copy)]
enum Reached {
    Steps,
    /// `to_local` refused: merged.
    ToLocalRefused,
    /// A local count that reached zero (the owner's last local reference: `decrement_slow`).
    LocalZero,
    /// An owner count operation on a merged object (`increment_slow` / `decrement_slow`'s
    /// shared path).
    OwnerOpWhenMerged,
    /// A non-owner drop handed to the inbox.
    HandOver,
    /// A drain that dropped a reference of an object merged meanwhile.
    DrainMerged,
    /// Freed by an owner drop, by a non-owner drop, by a drain.
    FreedByOwner,
    FreedByRemote,
    FreedByDrain,
}

static REACHED: [AtomicUsize; 9] = [const { AtomicUsize::new(0) }; 9];

fn reached(what: Reached) {
    REACHED[what as usize].fetch_add(1, Ordering::Relaxed);
}

/// What the protocol says about one biased object whose owner is alive.
#[derive(Debug, Clone, Default)]
struct Model {
    /// The owner's local count (the references handed to its inbox included).
    local: usize,
    /// The shared count.
    shared: isize,
    merged: bool,
    /// References handed to the owner's inbox, not yet dropped.
    pending: usize,
    freed: bool,
}

impl Model {
    fn new() -> Self {
        Self {
            local: 1,
            ..Self::default()
        }
    }
    fn total(&self) -> isize {
        if self.merged {
            self.shared
        } else {
            self.shared + isize::try_from(self.local).unwrap()
        }
    }
    fn note_free(&mut self) {
        assert!(!self.freed, "model: freed twice");
        if self.total() == 0 {
            self.freed = true;
        }
    }
    /// A clone or `to_shared` on the owner, an `AtomicRc` or a `LocalRc`.
    fn owner_inc(&mut self) {
        if self.merged {
            reached(Reached::OwnerOpWhenMerged);
            self.shared += 1;
        } else {
            self.local += 1;
        }
    }
    /// A drop on the owner, of an `AtomicRc` or a `LocalRc`.
    fn owner_dec(&mut self) {
        if self.merged {
            reached(Reached::OwnerOpWhenMerged);
            self.shared -= 1;
        } else {
            self.local -= 1;
            if self.local == 0 {
                reached(Reached::LocalZero);
                self.merged = true;
            }
        }
        self.note_free();
        if self.freed {
            reached(Reached::FreedByOwner);
        }
    }
    /// A drop on another thread while the owner is alive (its inbox open).
    fn remote_dec(&mut self) {
        if self.merged || self.shared > 0 {
            self.shared -= 1;
            self.note_free();
            if self.freed {
                reached(Reached::FreedByRemote);
            }
        } else {
            reached(Reached::HandOver);
            self.pending += 1;
        }
    }
    /// A clone on another thread, or an upgrade anywhere.
    fn shared_inc(&mut self) {
        self.shared += 1;
    }
    fn add_local(&mut self) -> bool {
        if self.merged {
            reached(Reached::ToLocalRefused);
            return false;
        }
        self.local += 1;
        true
    }
    fn drain(&mut self) {
        for _ in 0..std::mem::take(&mut self.pending) {
            if self.merged {
                reached(Reached::DrainMerged);
            }
            self.owner_dec();
            if self.freed {
                reached(Reached::FreedByDrain);
            }
        }
    }
    fn owner_view(&self) -> usize {
        self.total().max(0).unsigned_abs()
    }
    fn remote_view(&self) -> usize {
        if self.merged {
            self.shared.max(0).unsigned_abs()
        } else {
            self.shared.max(0).unsigned_abs() + 1
        }
    }
}

type Obj = AtomicRc<Canary>;

/// The handles the owner holds, by kind.
#[derive(Default)]
struct Held {
    shared: Vec<Obj>,
    locals: Vec<LocalRc<Canary>>,
    weaks: Vec<Weak<Canary>>,
}

impl Held {
    fn strong(&self) -> usize {
        self.shared.len() + self.locals.len()
    }
}

/// Runs `steps` random operations on one object on this (its owner) thread and on `remote`,
/// checking every observable against `model`. Returns with handles possibly still held.
fn run_sequence(
    rng: &mut Rng,
    steps: usize,
    remote: &Remote,
    drops: &Arc<AtomicUsize>,
    held: &mut Held,
    model: &mut Model,
    seed: u64,
) {
    for step in 0..steps {
        if model.freed {
            break;
        }
        reached(Reached::Steps);
        let ctx = |m: &Model| format!("seed {seed} step {step} model {m:?}");
        match rng.below(17) {
            0 | 1 if !held.shared.is_empty() => {
                let i = rng.below(held.shared.len());
                held.shared.push(held.shared[i].clone());
                model.owner_inc();
            }
            2 | 3 if !held.shared.is_empty() => {
                let i = rng.below(held.shared.len());
                drop(held.shared.swap_remove(i));
                model.owner_dec();
            }
            4 if !held.shared.is_empty() => {
                let i = rng.below(held.shared.len());
                let local = AtomicRc::to_local(&held.shared[i]);
                assert_eq!(
                    local.is_some(),
                    model.add_local(),
                    "to_local: {}",
                    ctx(model)
                );
                held.locals.extend(local);
            }
            5 | 6 if !held.locals.is_empty() => {
                let i = rng.below(held.locals.len());
                held.locals.push(held.locals[i].clone());
                model.owner_inc();
            }
            7 | 8 if !held.locals.is_empty() => {
                let i = rng.below(held.locals.len());
                drop(held.locals.swap_remove(i));
                model.owner_dec();
            }
            9 if !held.locals.is_empty() => {
                let i = rng.below(held.locals.len());
                held.shared.push(LocalRc::to_shared(&held.locals[i]));
                model.owner_inc();
            }
            10 if !held.shared.is_empty() => {
                let i = rng.below(held.shared.len());
                held.weaks.push(AtomicRc::downgrade(&held.shared[i]));
            }
            11 if !held.weaks.is_empty() => {
                let i = rng.below(held.weaks.len());
                let up = held.weaks[i].upgrade();
                assert_eq!(up.is_some(), !model.freed, "upgrade: {}", ctx(model));
                if let Some(up) = up {
                    up.check();
                    model.shared_inc();
                    held.shared.push(up);
                }
            }
            12 if !held.shared.is_empty() => {
                // Dropped on the other thread: a shared decrement, or a hand-over to the inbox.
                let sent = held.shared.swap_remove(rng.below(held.shared.len()));
                remote.run(move || drop(sent));
                model.remote_dec();
            }
            13 if !held.shared.is_empty() => {
                // Cloned on the other thread and both sent back; the other thread's view of
                // the count is checked on the way.
                let i = rng.below(held.shared.len());
                let sent = held.shared.swap_remove(i);
                let (a, b, observed) = remote.run(move || {
                    sent.check();
                    let copy = sent.clone();
                    let observed = AtomicRc::strong_count(&copy);
                    (sent, copy, observed)
                });
                model.shared_inc();
                assert_eq!(observed, model.remote_view(), "remote view: {}", ctx(model));
                held.shared.push(a);
                held.shared.push(b);
            }
            14 if !held.weaks.is_empty() => {
                // Upgraded on the other thread, and the strong handle sent back.
                let weak = held.weaks[rng.below(held.weaks.len())].clone();
                let (weak, up) = remote.run(move || {
                    let up = weak.upgrade();
                    (weak, up)
                });
                drop(weak);
                assert_eq!(up.is_some(), !model.freed, "remote upgrade: {}", ctx(model));
                if let Some(up) = up {
                    model.shared_inc();
                    held.shared.push(up);
                }
            }
            15 => {
                merge_deferred();
                model.drain();
            }
            16 => {
                // A new biased object drains the inbox too, and its own counts go through the
                // same fast paths.
                let others = Arc::new(AtomicUsize::new(0));
                let other = AtomicRc::with_mode(Canary::new(&others), Mode::Biased);
                model.drain();
                let local = AtomicRc::to_local(&other).expect("a fresh object is unmerged");
                drop(local.clone());
                drop(other);
                assert_eq!(others.load(Ordering::Relaxed), 0);
                drop(local);
                assert_eq!(others.load(Ordering::Relaxed), 1);
            }
            _ => {}
        }
        // Every step: the views and the free.
        assert_eq!(
            held.strong() + model.pending,
            usize::try_from(model.total()).unwrap(),
            "the model counts the handles held: {}",
            ctx(model)
        );
        if let Some(h) = held.shared.first() {
            assert_eq!(
                AtomicRc::strong_count(h),
                model.owner_view(),
                "owner view: {}",
                ctx(model)
            );
        }
        if let Some(w) = held.weaks.first() {
            assert_eq!(
                w.strong_count(),
                model.owner_view(),
                "weak view: {}",
                ctx(model)
            );
        }
        assert_eq!(
            drops.load(Ordering::Relaxed),
            usize::from(model.freed),
            "freed when the model says: {}",
            ctx(model)
        );
    }
}

/// Drops what is left in an order chosen by `rng`, on the owner and on the other thread, then
/// upgrades and drains what the inbox kept; checks the free against the model all the way.
fn finish_on_the_owner(
    rng: &mut Rng,
    remote: &Remote,
    drops: &Arc<AtomicUsize>,
    held: &mut Held,
    model: &mut Model,
    seed: u64,
) {
    let check = |model: &Model| {
        assert_eq!(
            drops.load(Ordering::Relaxed),
            usize::from(model.freed),
            "seed {seed}: freed when the model says, {model:?}"
        );
    };
    while held.strong() > 0 {
        let pick = rng.below(3);
        if pick == 0 && !held.locals.is_empty() {
            drop(held.locals.swap_remove(rng.below(held.locals.len())));
            model.owner_dec();
        } else if pick == 1 && !held.shared.is_empty() {
            let sent = held.shared.swap_remove(rng.below(held.shared.len()));
            remote.run(move || drop(sent));
            model.remote_dec();
        } else if !held.shared.is_empty() {
            drop(held.shared.swap_remove(rng.below(held.shared.len())));
            model.owner_dec();
        }
        check(model);
    }
    if !model.freed {
        // What is left is in the inbox: the object lives, and upgrades.
        assert!(model.pending > 0, "seed {seed}: {model:?}");
        for w in &held.weaks {
            let up = w.upgrade().expect("alive until the drain");
            model.shared_inc();
            up.check();
            assert_eq!(AtomicRc::strong_count(&up), model.owner_view());
            drop(up); // on the owner: a local decrement, which may merge
            model.owner_dec();
            check(model);
        }
        merge_deferred();
        model.drain();
    }
    assert!(model.freed, "seed {seed}: {model:?}");
    assert_eq!(drops.load(Ordering::Relaxed), 1, "seed {seed}");
    for w in held.weaks.drain(..) {
        assert!(w.upgrade().is_none());
        assert_eq!(w.strong_count(), 0);
    }
}

/// Counts on the owner interleaved every way: `AtomicRc` and `LocalRc` clones and drops,
/// `to_local` before and after the merge, `to_shared`, upgrades on both threads, drops and
/// clones on another thread, hand-overs, drains by `merge_deferred` and by a new allocation.
#[test]
fn random_sequences_match_the_model_of_the_protocol() {
    let remote = Remote::new();
    let rounds = iters(400, 10);
    let steps = iters(120, 60);
    for seed in 0..rounds as u64 {
        let mut rng = Rng::new(seed);
        let drops = Arc::new(AtomicUsize::new(0));
        let mut model = Model::new();
        let mut held = Held::default();
        held.shared
            .push(AtomicRc::with_mode(Canary::new(&drops), Mode::Biased));
        // Drains of earlier rounds' objects by the allocation above: nothing of this round.
        run_sequence(
            &mut rng, steps, &remote, &drops, &mut held, &mut model, seed,
        );
        if model.freed {
            assert_eq!(drops.load(Ordering::Relaxed), 1);
            assert_eq!(held.strong(), 0);
            for w in held.weaks.drain(..) {
                assert!(w.upgrade().is_none());
            }
            continue;
        }
        if held.strong() == 0 {
            // Only inbox references left.
            merge_deferred();
            model.drain();
            assert!(model.freed);
            assert_eq!(drops.load(Ordering::Relaxed), 1);
            continue;
        }
        // Drop the rest one by one, with a drain once everything is gone on this side.
        let before = model.clone();
        let mut rest = Held {
            shared: std::mem::take(&mut held.shared),
            locals: std::mem::take(&mut held.locals),
            weaks: std::mem::take(&mut held.weaks),
        };
        if rng.chance(50) {
            // Drain first, so that the owner's last drop frees directly (or the last remote
            // one after the merge).
            merge_deferred();
            model.drain();
            while rest.strong() > 0 {
                if rest.locals.is_empty() {
                    let h = rest.shared.pop().unwrap();
                    if rng.chance(50) {
                        remote.run(move || drop(h));
                        model.remote_dec();
                    } else {
                        drop(h);
                        model.owner_dec();
                    }
                } else {
                    drop(rest.locals.pop());
                    model.owner_dec();
                }
                assert_eq!(
                    drops.load(Ordering::Relaxed),
                    usize::from(model.freed),
                    "seed {seed}: {before:?} -> {model:?}"
                );
            }
            if !model.freed {
                merge_deferred();
                model.drain();
            }
            assert!(model.freed, "seed {seed}: {model:?}");
            assert_eq!(drops.load(Ordering::Relaxed), 1, "seed {seed}");
        } else if model.merged || rest.shared.is_empty() {
            while rest.strong() > 0 {
                if let Some(l) = rest.locals.pop() {
                    drop(l);
                    model.owner_dec();
                }
                if let Some(h) = rest.shared.pop() {
                    drop(h);
                    model.owner_dec();
                }
                assert_eq!(
                    drops.load(Ordering::Relaxed),
                    usize::from(model.freed),
                    "seed {seed}: {before:?} -> {model:?}"
                );
            }
            merge_deferred();
            model.drain();
            assert!(model.freed, "seed {seed}: {model:?}");
            assert_eq!(drops.load(Ordering::Relaxed), 1, "seed {seed}: {model:?}");
        } else {
            // Every owner reference goes to the other thread while unmerged: the last ones are
            // handed over, then drained.
            while let Some(l) = rest.locals.pop() {
                rest.shared.push(LocalRc::to_shared(&l));
                model.owner_inc();
                drop(l);
                model.owner_dec();
            }
            finish_on_the_owner(&mut rng, &remote, &drops, &mut rest, &mut model, seed);
        }
        for w in rest.weaks {
            assert!(w.upgrade().is_none());
        }
    }
    let reached: Vec<usize> = REACHED.iter().map(|r| r.load(Ordering::Relaxed)).collect();
    eprintln!(
        "reached (steps, to_local refused, local zero, owner op when merged, hand-over, drain of \
         a merged object, freed by owner / remote / drain): {reached:?}"
    );
    if !cfg!(miri) {
        assert!(reached.iter().all(|&r| r > 0), "a path was never reached");
    }
}

// --- 2. The same sequences, ended by the owner's exit ------------------------------------------

/// A thread-local that keeps local handles past the end of the owner's closure: its destructor
/// runs before or after the owner's exit merge, uses them there and checks the count.
struct Kept {
    locals: Vec<LocalRc<Canary>>,
    /// The strong handles alive outside this slot when its destructor runs.
    outside: usize,
    /// References in the owner's inbox at the end of the closure.
    pending: usize,
    /// Strong handles this destructor makes and leaves for the test to drop.
    out: Arc<Mutex<Vec<Obj>>>,
    /// Whether the destructor ran before the merge (`to_local` still worked), and the counts it
    /// saw, for the test to check after the join (a panic here would abort).
    seen: Arc<Mutex<Option<(bool, usize, usize)>>>,
}

impl Drop for Kept {
    fn drop(&mut self) {
        let Some(first) = self.locals.first() else {
            return;
        };
        let shared = LocalRc::to_shared(first);
        let again = AtomicRc::to_local(&shared);
        let before_merge = again.is_some();
        let copies: Vec<_> = self.locals.iter().map(Clone::clone).collect();
        let alive = self.outside + 2 * self.locals.len() + 1 + usize::from(before_merge);
        let expected = alive + if before_merge { self.pending } else { 0 };
        let seen = AtomicRc::strong_count(&shared);
        *self.seen.lock().unwrap() = Some((before_merge, seen, expected));
        drop(again);
        drop(copies);
        self.out.lock().unwrap().push(shared);
        self.locals.clear();
    }
}

thread_local! {
    static KEPT: RefCell<Option<Kept>> = const { RefCell::new(None) };
}

/// Sequences on an owner thread that then exits with handles counted in its local count (sent
/// out), references in its inbox, and local handles in a thread-local: after the join every
/// handle counts exactly once (the merged count is exact on any thread), and the object is freed
/// at the last drop.
#[test]
fn random_sequences_ended_by_the_owners_exit() {
    let rounds = iters(120, 8);
    let steps = iters(80, 30);
    let mut kept_seen = [0_usize; 2];
    for seed in 0..rounds as u64 {
        let drops = Arc::new(AtomicUsize::new(0));
        let out = Arc::new(Mutex::new(Vec::new()));
        let seen = Arc::new(Mutex::new(None));
        let (drops2, out2, seen2) = (Arc::clone(&drops), Arc::clone(&out), Arc::clone(&seen));
        let owner = std::thread::spawn(move || {
            let mut rng = Rng::new(seed ^ 0xABCD);
            let slot_first = rng.chance(50);
            if slot_first {
                KEPT.with(|k| drop(k.borrow()));
            }
            let remote = Remote::new();
            let mut model = Model::new();
            let mut held = Held::default();
            held.shared
                .push(AtomicRc::with_mode(Canary::new(&drops2), Mode::Biased));
            run_sequence(
                &mut rng, steps, &remote, &drops2, &mut held, &mut model, seed,
            );
            drop(remote);
            if model.freed {
                return (Vec::new(), held.weaks, model);
            }
            if rng.chance(30) {
                merge_deferred();
                model.drain();
            }
            // The model cannot follow the exit, so only the handles are counted from here.
            let outside = held.shared.len();
            KEPT.with(|k| {
                *k.borrow_mut() = Some(Kept {
                    locals: std::mem::take(&mut held.locals),
                    outside,
                    pending: model.pending,
                    out: out2,
                    seen: seen2,
                });
            });
            (held.shared, held.weaks, model)
        });
        let (shared, weaks, model) = owner.join().expect("no panic on the owner");
        if model.freed {
            assert_eq!(drops.load(Ordering::Relaxed), 1);
            continue;
        }
        if let Some((before_merge, seen, expected)) = *seen.lock().unwrap() {
            kept_seen[usize::from(before_merge)] += 1;
            assert_eq!(
                seen, expected,
                "seed {seed}: the count in a thread-local destructor (before the merge: \
                 {before_merge}), {model:?}"
            );
        }
        let mut all: Vec<Obj> = shared;
        all.append(&mut out.lock().unwrap());
        if all.is_empty() {
            // The exit dropped the last references (locals, inbox).
            assert_eq!(drops.load(Ordering::Relaxed), 1, "seed {seed}: {model:?}");
            continue;
        }
        assert_eq!(drops.load(Ordering::Relaxed), 0, "seed {seed}: {model:?}");
        // Merged: every thread's count is exact.
        assert_eq!(
            AtomicRc::strong_count(&all[0]),
            all.len(),
            "seed {seed}: after the exit, {model:?}"
        );
        assert!(AtomicRc::to_local(&all[0]).is_none());
        for w in &weaks {
            assert_eq!(w.strong_count(), all.len());
        }
        // Half dropped here, the rest on another thread.
        let half = all.split_off(all.len() / 2);
        drop(all);
        std::thread::spawn(move || drop(half)).join().unwrap();
        assert_eq!(drops.load(Ordering::Relaxed), 1, "seed {seed}: {model:?}");
        for w in weaks {
            assert!(w.upgrade().is_none());
        }
    }
    eprintln!("thread-local destructors after / before the exit merge: {kept_seen:?}");
}

// --- 3. Graphs freed from inside destructors ---------------------------------------------------

/// An edge of a graph node.
enum Edge {
    Local(LocalRc<LNode>),
    Shared(AtomicRc<LNode>),
    Weak(Weak<LNode>),
}

/// A node of a graph that stays on its owner thread: strong edges go to higher ids only (no
/// cycles), weak edges anywhere.
struct LNode {
    id: usize,
    magic: u64,
    drops: Arc<Vec<AtomicU32>>,
    edges: RefCell<Vec<Edge>>,
    panics: bool,
    /// Makes a biased object and takes it to a local handle in its destructor.
    allocates: bool,
}

impl Drop for LNode {
    fn drop(&mut self) {
        assert_eq!(self.magic, MAGIC, "node {} dropped twice", self.id);
        self.magic = 0xDEAD;
        self.drops[self.id].fetch_add(1, Ordering::Relaxed);
        for edge in self.edges.borrow().iter() {
            match edge {
                Edge::Weak(w) => {
                    // A target being freed right now (an ancestor) does not upgrade; one that
                    // upgrades is alive.
                    if let Some(up) = w.upgrade() {
                        assert_eq!(up.magic, MAGIC, "upgraded a dropped node {}", up.id);
                        assert_eq!(self.drops[up.id].load(Ordering::Relaxed), 0);
                        // A local handle of it, dropped at once: may be its last local count.
                        drop(AtomicRc::to_local(&up));
                        drop(up);
                    }
                }
                Edge::Local(l) => assert_eq!(l.magic, MAGIC),
                Edge::Shared(s) => assert_eq!(s.magic, MAGIC),
            }
        }
        if self.allocates {
            let fresh = AtomicRc::with_mode(7_u64, Mode::Biased);
            if let Some(l) = AtomicRc::to_local(&fresh) {
                let c = l.clone();
                drop(fresh);
                drop(l);
                drop(c);
            }
        }
        assert!(
            !self.panics || std::thread::panicking(),
            "node {} panics in its destructor",
            self.id
        );
        // The edges drop after this, also while unwinding: more frees, from inside this one.
    }
}

/// The owner's handles to the nodes of a graph.
enum Root {
    Local(LocalRc<LNode>),
    Shared(AtomicRc<LNode>),
}

/// Builds a random graph of `n` nodes on this thread; returns the roots and a `Weak` per node.
fn build_graph(
    rng: &mut Rng,
    n: usize,
    drops: &Arc<Vec<AtomicU32>>,
    panics: bool,
) -> (Vec<Root>, Vec<Weak<LNode>>) {
    let mut nodes: Vec<Option<AtomicRc<LNode>>> = (0..n).map(|_| None).collect();
    let mut weaks: Vec<Option<Weak<LNode>>> = (0..n).map(|_| None).collect();
    // Higher ids first, so that strong edges can point to them.
    for id in (0..n).rev() {
        let mut edges = Vec::new();
        for _ in 0..rng.below(4) {
            let to = id + 1 + rng.below(n - id);
            if to < n {
                let target = nodes[to].as_ref().unwrap();
                edges.push(match rng.below(3) {
                    0 => Edge::Local(AtomicRc::to_local(target).expect("unmerged")),
                    1 => Edge::Shared(target.clone()),
                    _ => Edge::Weak(AtomicRc::downgrade(target)),
                });
            }
        }
        let node = AtomicRc::with_mode(
            LNode {
                id,
                magic: MAGIC,
                drops: Arc::clone(drops),
                edges: RefCell::new(edges),
                panics: panics && rng.chance(15),
                allocates: rng.chance(20),
            },
            Mode::Biased,
        );
        weaks[id] = Some(AtomicRc::downgrade(&node));
        nodes[id] = Some(node);
    }
    // Weak edges to lower ids (ancestors, maybe), added once everything exists.
    for node in nodes.iter().flatten() {
        if rng.chance(40) {
            let w = weaks[rng.below(n)].clone().unwrap();
            node.edges.borrow_mut().push(Edge::Weak(w));
        }
    }
    let mut roots = Vec::new();
    for node in nodes.into_iter().map(Option::unwrap) {
        match rng.below(3) {
            0 => {
                roots.push(Root::Local(AtomicRc::to_local(&node).unwrap()));
                drop(node);
            }
            1 => roots.push(Root::Shared(node)),
            _ => {
                roots.push(Root::Local(AtomicRc::to_local(&node).unwrap()));
                roots.push(Root::Shared(node));
            }
        }
    }
    (roots, weaks.into_iter().map(Option::unwrap).collect())
}

/// Nodes freed from each other's destructors, through local and shared handles, with
/// destructors that panic, upgrade `Weak`s to nodes being freed, and make biased objects: each
/// node dropped once, every `Weak` dead at the end (and Miri checks for leaks).
#[test]
fn graphs_of_local_handles_freed_inside_destructors_and_panics() {
    quiet_expected_panics();
    let rounds = iters(300, 8);
    for seed in 0..rounds as u64 {
        let mut rng = Rng::new(seed ^ 0x5151);
        let n = 2 + rng.below(if cfg!(miri) { 6 } else { 14 });
        let drops: Arc<Vec<AtomicU32>> = Arc::new((0..n).map(|_| AtomicU32::new(0)).collect());
        let (mut roots, weaks) = build_graph(&mut rng, n, &drops, true);
        while !roots.is_empty() {
            let root = roots.swap_remove(rng.below(roots.len()));
            let _ = catch_unwind(AssertUnwindSafe(move || match root {
                Root::Local(l) => {
                    if rng_like(l.id) {
                        // A round trip through the shared handle first.
                        let s = LocalRc::to_shared(&l);
                        drop(l);
                        drop(s);
                    } else {
                        drop(l);
                    }
                }
                Root::Shared(s) => drop(s),
            }));
        }
        for (id, d) in drops.iter().enumerate() {
            let d = d.load(Ordering::Relaxed);
            assert_eq!(d, 1, "seed {seed}: node {id} of {n} dropped {d} times");
        }
        for w in weaks {
            assert!(w.upgrade().is_none());
            assert_eq!(w.strong_count(), 0);
        }
    }
}

fn rng_like(id: usize) -> bool {
    id % 3 == 1
}

thread_local! {
    static GRAPH_ROOTS: RefCell<Vec<Root>> = const { RefCell::new(Vec::new()) };
}

/// A graph left at the owner's exit: some roots dropped, some kept in a thread-local (its
/// destructor before or after the exit merge), local edges inside nodes that the merge frees.
/// Every node dropped once by the time the thread is joined.
#[test]
fn graphs_left_at_the_owners_exit() {
    let rounds = iters(150, 6);
    for seed in 0..rounds as u64 {
        let mut rng = Rng::new(seed ^ 0xE817);
        let n = 2 + rng.below(if cfg!(miri) { 6 } else { 14 });
        let drops: Arc<Vec<AtomicU32>> = Arc::new((0..n).map(|_| AtomicU32::new(0)).collect());
        let drops2 = Arc::clone(&drops);
        std::thread::spawn(move || {
            if rng.chance(50) {
                GRAPH_ROOTS.with(|r| drop(r.borrow()));
            }
            let (mut roots, weaks) = build_graph(&mut rng, n, &drops2, false);
            let keep = rng.below(roots.len() + 1);
            for root in roots.drain(keep..) {
                drop(root);
            }
            GRAPH_ROOTS.with(|r| r.borrow_mut().extend(roots));
            for (id, w) in weaks.into_iter().enumerate() {
                if let Some(up) = w.upgrade() {
                    assert_eq!(up.id, id);
                }
            }
        })
        .join()
        .expect("no panic");
        for (id, d) in drops.iter().enumerate() {
            let d = d.load(Ordering::Relaxed);
            assert_eq!(d, 1, "seed {seed}: node {id} of {n} dropped {d} times");
        }
    }
}

// --- 3b. A graph that crosses threads, with drains inside destructors --------------------------

/// A node that other threads may hold: strong edges to higher ids, weak ones anywhere.
struct SNode {
    id: usize,
    canary: Canary,
    drops: Arc<Vec<AtomicUsize>>,
    edges: Mutex<Vec<AtomicRc<SNode>>>,
    weaks: Mutex<Vec<Weak<SNode>>>,
    drains: bool,
}

impl Drop for SNode {
    fn drop(&mut self) {
        self.canary.check();
        assert_eq!(self.drops[self.id].fetch_add(1, Ordering::Relaxed), 0);
        for edge in self.edges.lock().unwrap().iter() {
            edge.canary.check();
        }
        for w in self.weaks.lock().unwrap().iter() {
            if let Some(up) = w.upgrade() {
                up.canary.check();
            }
        }
        if self.drains {
            // On the owner: a drain inside a free (maybe inside a drain); elsewhere: nothing.
            merge_deferred();
        }
    }
}

#[test]
fn a_graph_across_threads_with_drains_inside_destructors() {
    let remote = Remote::new();
    let rounds = iters(200, 6);
    for seed in 0..rounds as u64 {
        let mut rng = Rng::new(seed ^ 0x77);
        let n = 2 + rng.below(if cfg!(miri) { 5 } else { 12 });
        let drops: Arc<Vec<AtomicUsize>> = Arc::new((0..n).map(|_| AtomicUsize::new(0)).collect());
        let canaries = Arc::new(AtomicUsize::new(0));
        let mut nodes: Vec<Option<AtomicRc<SNode>>> = (0..n).map(|_| None).collect();
        let mut weaks = Vec::new();
        for id in (0..n).rev() {
            let mut edges = Vec::new();
            for _ in 0..rng.below(3) {
                let to = id + 1 + rng.below(n - id);
                if to < n {
                    edges.push(nodes[to].as_ref().unwrap().clone());
                }
            }
            let node = AtomicRc::with_mode(
                SNode {
                    id,
                    canary: Canary::new(&canaries),
                    drops: Arc::clone(&drops),
                    edges: Mutex::new(edges),
                    weaks: Mutex::new(Vec::new()),
                    drains: rng.chance(40),
                },
                Mode::Biased,
            );
            weaks.push(AtomicRc::downgrade(&node));
            nodes[id] = Some(node);
        }
        for node in nodes.iter().flatten() {
            if rng.chance(50) {
                let w = weaks[rng.below(n)].clone();
                node.weaks.lock().unwrap().push(w);
            }
        }
        let mut owner_side: Vec<AtomicRc<SNode>> = Vec::new();
        let mut locals: Vec<LocalRc<SNode>> = Vec::new();
        let mut away: Vec<AtomicRc<SNode>> = Vec::new();
        for node in nodes.into_iter().flatten() {
            match rng.below(4) {
                0 => owner_side.push(node),
                1 => {
                    locals.push(AtomicRc::to_local(&node).unwrap());
                    away.push(node);
                }
                2 => {
                    away.push(node.clone());
                    away.push(node);
                }
                _ => {
                    let l = AtomicRc::to_local(&node).unwrap();
                    away.push(LocalRc::to_shared(&l));
                    locals.push(l);
                    owner_side.push(node);
                }
            }
        }
        // Interleave: the owner drops some, the other thread drops (hands over) some.
        while !owner_side.is_empty() || !locals.is_empty() || !away.is_empty() {
            match rng.below(4) {
                0 if !owner_side.is_empty() => {
                    drop(owner_side.swap_remove(rng.below(owner_side.len())));
                }
                1 if !locals.is_empty() => drop(locals.swap_remove(rng.below(locals.len()))),
                2 if !away.is_empty() => {
                    let k = 1 + rng.below(away.len());
                    let batch: Vec<_> = away.drain(..k).collect();
                    remote.run(move || drop(batch));
                }
                _ => merge_deferred(),
            }
        }
        merge_deferred();
        for (id, d) in drops.iter().enumerate() {
            assert_eq!(d.load(Ordering::Relaxed), 1, "seed {seed}: node {id}");
        }
        assert_eq!(canaries.load(Ordering::Relaxed), n);
        for w in weaks {
            assert!(w.upgrade().is_none());
        }
    }
}

// --- 4. The GIL's split acquisition ------------------------------------------------------------

gilkit::domain!(
    /// This file's own GIL, so that its stats see no other test.
    ReviewGil
);

/// Sets a flag when dropped; panics first if asked to.
struct GilProbe {
    dropped: Arc<AtomicBool>,
    panics: bool,
}

impl Drop for GilProbe {
    fn drop(&mut self) {
        self.dropped.store(true, Ordering::SeqCst);
        assert!(!self.panics, "a deferred destructor panics");
    }
}

fn probe(panics: bool) -> (gilkit::GilRc<GilProbe, ReviewGil>, Arc<AtomicBool>) {
    let dropped = Arc::new(AtomicBool::new(false));
    let rc = gilkit::GilRc::new_in(GilProbe {
        dropped: Arc::clone(&dropped),
        panics,
    });
    (rc, dropped)
}

/// Holds `ReviewGil` on another thread while `f` runs here, and lets go 30 ms after `f` began
/// (so that `f`'s acquisition waits).
fn while_held_elsewhere<R>(f: impl FnOnce() -> R) -> R {
    use gilkit::Domain;
    let (held_tx, held_rx) = mpsc::channel();
    let (go_tx, go_rx) = mpsc::channel::<()>();
    let holder = std::thread::spawn(move || {
        let g = ReviewGil::acquire();
        held_tx.send(()).unwrap();
        go_rx.recv().unwrap();
        std::thread::sleep(std::time::Duration::from_millis(30));
        drop(g);
    });
    held_rx.recv().unwrap();
    go_tx.send(()).unwrap();
    let r = f();
    holder.join().unwrap();
    r
}

/// `acquire` taken without and with contention: one acquisition counted each time, a wait only
/// for the contended one, the record of the held domain set (a second acquisition refused) and
/// cleared at the release, and the pending pool drained on both paths, also when a drained
/// destructor panics (the GIL released, the rest left pending for the next acquisition).
#[test]
fn gil_acquisition_uncontended_and_contended() {
    use gilkit::{Domain, TryAcquireError};
    quiet_expected_panics();
    let stats = || ReviewGil::try_acquire().expect("nobody holds it").stats();
    let s0 = stats(); // counts itself
    assert!(s0.acquisitions >= 1);

    // Uncontended: counted, no wait, the record set.
    {
        let g = ReviewGil::acquire();
        let s = g.stats();
        assert_eq!(s.acquisitions, s0.acquisitions + 1);
        assert_eq!(s.contended_acquisitions, s0.contended_acquisitions);
        assert_eq!(s.wait, s0.wait);
        assert_eq!(
            ReviewGil::try_acquire().unwrap_err(),
            TryAcquireError::AlreadyHeld
        );
        assert_eq!(
            gilkit::try_acquire().unwrap_err(),
            TryAcquireError::OtherDomainHeld
        );
        assert!(catch_unwind(|| drop(ReviewGil::acquire())).is_err());
        assert!(catch_unwind(|| drop(gilkit::acquire())).is_err());
        drop(g);
    }
    assert!(gilkit::try_acquire().is_ok(), "the record was cleared");

    // Uncontended, with a pending decref: drained by the acquisition.
    let (rc, dropped) = probe(false);
    drop(rc); // without the GIL: pending
    assert!(!dropped.load(Ordering::SeqCst));
    let s1 = stats(); // (try_acquire drains too)
    assert!(dropped.load(Ordering::SeqCst));
    let (rc, dropped) = probe(false);
    drop(rc);
    {
        let g = ReviewGil::acquire();
        assert!(dropped.load(Ordering::SeqCst), "drained by the fast path");
        let s = g.stats();
        assert_eq!(s.acquisitions, s1.acquisitions + 1);
        assert_eq!(s.deferred_decrefs_drained, s1.deferred_decrefs_drained + 1);
        assert_eq!(s.contended_acquisitions, s1.contended_acquisitions);
    }

    // Contended: counted once, with a wait; the pool is drained by the waiter. Retried a few
    // times in case the holder let go before this thread tried.
    let mut contended = false;
    for _ in 0..5 {
        let before = stats();
        let (rc, dropped) = probe(false);
        let (g, drained) = while_held_elsewhere(move || {
            drop(rc); // pending: this thread does not hold the GIL
            let g = ReviewGil::acquire();
            let drained = dropped.load(Ordering::SeqCst);
            (g, drained)
        });
        assert!(drained, "drained by the acquisition");
        let s = g.stats();
        assert!(ReviewGil::try_acquire().unwrap_err() == TryAcquireError::AlreadyHeld);
        drop(g);
        assert_eq!(s.acquisitions, before.acquisitions + 2); // the holder's, and this one
        assert_eq!(
            s.deferred_decrefs_drained,
            before.deferred_decrefs_drained + 1
        );
        assert!(s.contended_acquisitions <= before.contended_acquisitions + 1);
        if s.contended_acquisitions == before.contended_acquisitions + 1 {
            assert!(s.wait > before.wait);
            contended = true;
            break;
        }
    }
    assert!(contended, "never saw a contended acquisition");

    // A drained destructor that panics, on both paths: the GIL is released on the way out and
    // the decref after it stays pending until the next acquisition.
    for contended_path in [false, true] {
        let (bomb, bomb_dropped) = probe(true);
        let (after, after_dropped) = probe(false);
        let result = if contended_path {
            while_held_elsewhere(move || {
                drop(bomb);
                drop(after);
                catch_unwind(|| drop(ReviewGil::acquire()))
            })
        } else {
            drop(bomb);
            drop(after);
            catch_unwind(|| drop(ReviewGil::acquire()))
        };
        assert!(result.is_err(), "the destructor's panic");
        assert!(bomb_dropped.load(Ordering::SeqCst));
        assert!(!after_dropped.load(Ordering::SeqCst), "left pending");
        let g = ReviewGil::try_acquire().expect("released by the unwind");
        assert!(
            after_dropped.load(Ordering::SeqCst),
            "drained at the next acquisition"
        );
        drop(g);
        assert!(gilkit::try_acquire().is_ok(), "the record was cleared");
    }
}
