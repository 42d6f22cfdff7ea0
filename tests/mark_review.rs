//! A review of the owner's merged mark at -2 (`LOCAL_MERGED`, b0177e8): the local fast paths
//! store first and test the sign (clone: the new count; drop: the old one), and the slow paths
//! take the step back. Safe code only. What the other review files do not do:
//!
//! 1. Local handles alive across a merge *inside* the thread (the owner's local count reaches 0
//!    through handles cloned elsewhere and sent back, while a `LocalRc` still lives), then
//!    counted at the mark: every clone goes -2 -> -1 -> -2, every drop -2 -> -3 -> -2, with the
//!    exact `strong_count` checked after each step, and the free at the last handle only.
//! 2. Values whose `Drop` runs inside the owner's slow path (fast free and merge-path free)
//!    and reenters it: drops local handles of other objects, makes, clones and frees biased
//!    objects, drains the inbox (freeing more objects in it), upgrades its own `Weak`.
//! 3. The owner's exit: thread-local destructors before and after the exit merge that make
//!    new biased objects, clone local handles of them and hand them on to a thread-local that
//!    is first touched *during* the thread's destruction (so that it may outlive the merge),
//!    with the exact count checked on the owner at each step.

mod common;

use std::cell::RefCell;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{mpsc, Arc};

use gilkit::refcount::{merge_deferred, AtomicRc, LocalRc, Mode, Weak};

use common::{Canary, Rng};

fn iters(native: usize, miri: usize) -> usize {
    if cfg!(miri) {
        miri
    } else {
        native
    }
}

enum Handle {
    Local(LocalRc<Canary>),
    Shared(AtomicRc<Canary>),
}

impl Handle {
    fn check(&self) {
        match self {
            Handle::Local(l) => l.check(),
            Handle::Shared(s) => s.check(),
        }
    }
}

/// Scenario 1: a `LocalRc` that lives through an in-thread merge (local count 0 reached through
/// handles counted in the shared word and sent back), then counts at the mark. `strong_count` is
/// exact on the owner before and after the merge, so it is checked against the handles alive
/// after every operation.
#[test]
fn local_handles_alive_across_an_in_thread_merge_count_at_the_mark() {
    let mut rng = Rng::new(0x9E37_79B9_7F4A_7C15);
    for round in 0..iters(40, 3) {
        let drops = Arc::new(AtomicUsize::new(0));
        let rc = AtomicRc::with_mode(Canary::new(&drops), Mode::Biased);
        let weak = AtomicRc::downgrade(&rc);
        let local = AtomicRc::to_local(&rc).expect("the owner"); // local 2
        let k = 2 + round % 3;
        // Another thread makes `k` clones (shared +k) and sends them back with `rc`.
        let (clones, rc) = std::thread::spawn(move || {
            let clones: Vec<_> = (0..k).map(|_| rc.clone()).collect();
            (clones, rc)
        })
        .join()
        .expect("no panic");
        let mut handles: Vec<Handle> = vec![Handle::Local(local), Handle::Shared(rc)];
        handles.extend(clones.into_iter().map(Handle::Shared));
        assert_eq!(weak.strong_count(), handles.len(), "unmerged, owner's view");
        // Drop two `AtomicRc`s (counted 2 in local): the second takes local to 0 and merges,
        // with the `LocalRc` alive.
        let mut merged = false;
        while !merged {
            let i = 1 + rng.below(handles.len() - 1);
            if let Handle::Shared(_) = handles[i] {
                drop(handles.swap_remove(i));
                let probe = LocalRc::to_shared(match &handles[0] {
                    Handle::Local(l) => l,
                    Handle::Shared(_) => unreachable!(),
                });
                merged = AtomicRc::to_local(&probe).is_none();
                drop(probe);
                assert_eq!(weak.strong_count(), handles.len());
            }
        }
        assert_eq!(drops.load(Ordering::Relaxed), 0);
        // At the mark: random clones, conversions and drops, counted in the shared word.
        for _ in 0..iters(200, 20) {
            let i = rng.below(handles.len());
            handles[i].check();
            match rng.below(5) {
                0 | 1 => {
                    let new = match &handles[i] {
                        Handle::Local(l) => Handle::Local(l.clone()),
                        Handle::Shared(s) => Handle::Shared(s.clone()),
                    };
                    handles.push(new);
                }
                2 => {
                    let new = match &handles[i] {
                        Handle::Local(l) => Handle::Shared(LocalRc::to_shared(l)),
                        Handle::Shared(s) => {
                            assert!(AtomicRc::to_local(s).is_none(), "merged: no local handle");
                            Handle::Shared(s.clone())
                        }
                    };
                    handles.push(new);
                }
                _ if handles.len() > 1 => drop(handles.swap_remove(i)),
                _ => {}
            }
            assert_eq!(weak.strong_count(), handles.len(), "merged: exact");
            assert_eq!(drops.load(Ordering::Relaxed), 0);
        }
        // Drop all but one local handle, then the last one: freed then, once.
        while handles.len() > 1 {
            let i = rng.below(handles.len());
            drop(handles.swap_remove(i));
            assert_eq!(drops.load(Ordering::Relaxed), 0);
            assert_eq!(weak.strong_count(), handles.len());
        }
        let last = handles.pop().expect("one left");
        let up = weak.upgrade().expect("alive");
        drop(last);
        assert_eq!(drops.load(Ordering::Relaxed), 0);
        drop(up);
        assert_eq!(drops.load(Ordering::Relaxed), 1);
        assert!(weak.upgrade().is_none());
        assert_eq!(weak.strong_count(), 0);
    }
}

/// A value that, when dropped (inside the owner's slow path, on the fast free or after a
/// merge), reenters the owner's counts: drops its local children (nested frees), upgrades its
/// own `Weak` (must fail), makes biased objects and frees them through both paths, and drains
/// the inbox, which frees more objects of this thread.
struct Reenter {
    canary: Canary,
    children: Vec<LocalRc<Reenter>>,
    own: RefCell<Option<Weak<Reenter>>>,
    drain: bool,
}

impl Drop for Reenter {
    fn drop(&mut self) {
        self.canary.check();
        if let Some(own) = self.own.borrow_mut().take() {
            assert!(
                own.upgrade().is_none(),
                "an upgrade of an object being freed"
            );
            assert_eq!(own.strong_count(), 0);
        }
        // Children first, one at a time, each checked alive.
        while let Some(child) = self.children.pop() {
            child.canary.check();
            let copy = child.clone();
            drop(child);
            drop(copy);
        }
        // A fresh biased object: local counts 1..4 and back, the fast free.
        let drops = Arc::clone(&self.canary.drops);
        let fresh = AtomicRc::with_mode(Canary::new(&drops), Mode::Biased);
        let l = AtomicRc::to_local(&fresh).expect("the owner");
        let ls = [l.clone(), l.clone()];
        drop(fresh);
        drop(ls);
        drop(l);
        // Another, with a `Weak`: the merge path.
        let fresh = AtomicRc::with_mode(Canary::new(&drops), Mode::Biased);
        let w = AtomicRc::downgrade(&fresh);
        let l = AtomicRc::to_local(&fresh).expect("the owner");
        drop(fresh);
        drop(l);
        assert!(w.upgrade().is_none());
        if self.drain {
            merge_deferred();
        }
    }
}

fn reenter(
    drops: &Arc<AtomicUsize>,
    depth: usize,
    rng: &mut Rng,
    kept: &mut Vec<AtomicRc<Reenter>>,
    made: &mut usize,
) -> AtomicRc<Reenter> {
    let children = if depth == 0 {
        Vec::new()
    } else {
        (0..2)
            .map(|_| {
                let child = reenter(drops, depth - 1, rng, kept, made);
                let l = AtomicRc::to_local(&child).expect("the owner");
                match rng.below(3) {
                    // Counted once in local, by the child's `LocalRc` only.
                    0 => drop(child),
                    // Counted twice, the `AtomicRc` kept until the tree is built.
                    1 => kept.push(child),
                    // Also a `Weak` to itself, so that its free takes the merge path.
                    _ => {
                        *child.own.borrow_mut() = Some(AtomicRc::downgrade(&child));
                        drop(child);
                    }
                }
                l
            })
            .collect()
    };
    *made += 1;
    AtomicRc::with_mode(
        Reenter {
            canary: Canary::new(drops),
            children,
            own: RefCell::new(None),
            drain: rng.below(2) == 0,
        },
        Mode::Biased,
    )
}

/// Scenario 2: frees inside frees inside the owner's slow path, each value's `Drop` reentering it.
#[test]
fn value_drops_reenter_the_owner_count_inside_the_slow_path() {
    let mut rng = Rng::new(0xD1B5_4A32_D192_ED03);
    for _ in 0..iters(30, 2) {
        let drops = Arc::new(AtomicUsize::new(0));
        let mut kept = Vec::new();
        let mut made = 0;
        let root = reenter(&drops, iters(4, 2), &mut rng, &mut kept, &mut made);
        drop(kept);
        let weak = AtomicRc::downgrade(&root);
        let local = AtomicRc::to_local(&root).expect("the owner");
        drop(root);
        drop(local); // the merge path (a `Weak` exists): every node freed inside
        assert!(weak.upgrade().is_none());
        merge_deferred();
        // Every node, and two fresh objects per node's `Drop`.
        assert_eq!(drops.load(Ordering::Relaxed), made * 3);
    }
}

/// A `Send` value whose `Drop` reenters the owner's count as `Reenter` does, for objects whose
/// last reference comes back through the inbox (dropped by `merge_deferred` or by a new biased
/// allocation, inside another value's `Drop`).
struct SendReenter {
    canary: Canary,
    /// A local handle cannot be held (`!Send`): a shared one to an object of the same owner,
    /// counted in its local count.
    next: Option<AtomicRc<SendReenter>>,
}

impl Drop for SendReenter {
    fn drop(&mut self) {
        self.canary.check();
        if let Some(next) = self.next.take() {
            if let Some(l) = AtomicRc::to_local(&next) {
                let c = l.clone();
                drop(next);
                drop(l);
                drop(c);
            } else {
                drop(next);
            }
        }
        let fresh = AtomicRc::with_mode(Canary::new(&self.canary.drops), Mode::Biased);
        drop(AtomicRc::to_local(&fresh));
        drop(fresh);
        merge_deferred();
    }
}

/// 2b. Chains of objects whose last references sit in the owner's inbox: the drain frees one,
/// whose `Drop` drains again and frees the next, through the local slow path each time.
#[test]
fn inbox_drains_inside_drops_inside_the_slow_path() {
    for round in 0..iters(20, 2) {
        let drops = Arc::new(AtomicUsize::new(0));
        let n = iters(6, 3);
        let mut next = None;
        let mut sent = Vec::new();
        let mut locals = Vec::new();
        for _ in 0..n {
            let rc = AtomicRc::with_mode(
                SendReenter {
                    canary: Canary::new(&drops),
                    next: next.take(),
                },
                Mode::Biased,
            );
            locals.push(AtomicRc::to_local(&rc).expect("the owner"));
            sent.push(rc.clone());
            next = Some(rc);
        }
        let head = next.expect("n > 0");
        // Another thread drops every `sent`: each hands over (shared count 0, unmerged).
        std::thread::spawn(move || drop(sent))
            .join()
            .expect("no panic");
        // Now each object is counted in local by: its `LocalRc`, the inbox entry, and the
        // previous object's `next` (or `head`).
        if round % 2 == 0 {
            drop(locals);
            drop(head); // the inbox entries still keep all alive
            assert_eq!(drops.load(Ordering::Relaxed), 0);
            merge_deferred(); // frees the chain from inside the drain, reentering it
        } else {
            drop(head);
            // A new biased object drains; the `LocalRc`s then free the chain from the top.
            drop(AtomicRc::with_mode(Canary::new(&drops), Mode::Biased));
            assert_eq!(drops.load(Ordering::Relaxed), 1);
            while let Some(l) = locals.pop() {
                drop(l);
            }
            merge_deferred();
            // The extra object above.
            drops.fetch_sub(1, Ordering::Relaxed);
        }
        assert_eq!(
            drops.load(Ordering::Relaxed),
            n * 2,
            "each node and its fresh one"
        );
    }
}

/// What a thread-local destructor of the exiting owner keeps: local handles of an object
/// whose other handles are on the main thread, and the number of those.
struct Keeper {
    locals: Vec<LocalRc<Canary>>,
    object: Option<AtomicRc<Canary>>,
    outside: usize,
    drops: Arc<AtomicUsize>,
    hand_on: bool,
}

thread_local! {
    static EARLY: RefCell<Option<Keeper>> = const { RefCell::new(None) };
    static LATE: RefCell<Option<Keeper>> = const { RefCell::new(None) };
    /// First touched during the thread's destruction, from `Keeper::drop`.
    static LATER: RefCell<Vec<LocalRc<Canary>>> = const { RefCell::new(Vec::new()) };
}

/// How many `Keeper` destructors ran before (0) and after (1) the exit merge.
static SEEN: [AtomicUsize; 2] = [AtomicUsize::new(0), AtomicUsize::new(0)];

impl Drop for Keeper {
    fn drop(&mut self) {
        let object = self.object.take().expect("set");
        let mut live = self.outside + self.locals.len() + 1;
        assert_eq!(
            AtomicRc::strong_count(&object),
            live,
            "the owner's view is exact"
        );
        let merged = AtomicRc::to_local(&object).is_none();
        SEEN[usize::from(merged)].fetch_add(1, Ordering::Relaxed);
        let mut copies = Vec::new();
        let mut shareds = Vec::new();
        for i in 0..iters(64, 8) {
            let l = &self.locals[i % self.locals.len()];
            l.check();
            copies.push(l.clone());
            live += 1;
            if i % 3 == 0 {
                let s = LocalRc::to_shared(l);
                live += 1;
                let again = AtomicRc::to_local(&s);
                assert_eq!(again.is_none(), merged, "to_local agrees with the merge");
                if let Some(again) = again {
                    copies.push(again);
                    live += 1;
                }
                shareds.push(s);
            }
            assert_eq!(AtomicRc::strong_count(&object), live);
        }
        drop(shareds);
        drop(copies);
        live = self.outside + self.locals.len() + 1;
        assert_eq!(AtomicRc::strong_count(&object), live);
        // A new object made here: biased while this thread's list lives, atomic after.
        let fresh = AtomicRc::with_mode(Canary::new(&self.drops), Mode::Biased);
        if let Some(l) = AtomicRc::to_local(&fresh) {
            let more: Vec<_> = (0..4).map(|_| l.clone()).collect();
            assert_eq!(AtomicRc::strong_count(&fresh), 6);
            if self.hand_on {
                // Into a thread-local first touched now: its destructor may run after the
                // exit merge, with these local handles of an object made during the exit.
                let _ = LATER.try_with(|later| later.borrow_mut().extend(more));
            } else {
                drop(more);
            }
            drop(l);
        } else {
            assert_eq!(
                AtomicRc::mode(&fresh),
                Mode::Atomic,
                "made after the list went"
            );
        }
        drop(fresh);
        drop(std::mem::take(&mut self.locals));
        drop(object);
    }
}

/// Scenario 3: the owner exits with local handles in thread-locals whose destructors run before
/// and after its exit merge (both orders of first touch), and those destructors make new biased
/// objects and hand their local handles on to a thread-local first touched during the exit.
#[test]
fn thread_local_destructors_make_and_hand_on_local_handles_across_the_exit_merge() {
    for round in 0..iters(16, 4) {
        let drops = Arc::new(AtomicUsize::new(0));
        let d = Arc::clone(&drops);
        let early_first = round % 2 == 0;
        let hand_on = round % 4 < 2;
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || {
            if early_first {
                EARLY.with(|_| {});
            }
            let outside = 1 + round % 3;
            let make = |tx: &mpsc::Sender<AtomicRc<Canary>>| {
                let rc = AtomicRc::with_mode(Canary::new(&d), Mode::Biased);
                for _ in 0..outside {
                    tx.send(rc.clone()).expect("main alive");
                }
                let l = AtomicRc::to_local(&rc).expect("the owner");
                Keeper {
                    locals: vec![l.clone(), l],
                    object: Some(rc),
                    outside,
                    drops: Arc::clone(&d),
                    hand_on,
                }
            };
            let early = make(&tx);
            EARLY.with(|s| *s.borrow_mut() = Some(early));
            let late = make(&tx);
            LATE.with(|s| *s.borrow_mut() = Some(late));
        })
        .join()
        .expect("no panic in the owner's thread-local destructors");
        let outside: Vec<AtomicRc<Canary>> = rx.iter().collect();
        // Both objects merged by now (the owner is gone): the count is exact anywhere.
        for rc in &outside {
            rc.check();
        }
        // Fresh objects: one per `Keeper`, freed on the owner's thread.
        assert_eq!(drops.load(Ordering::Relaxed), 2);
        let n = outside.len();
        assert_eq!(AtomicRc::strong_count(&outside[0]), n / 2, "merged: exact");
        assert_eq!(
            AtomicRc::strong_count(&outside[n - 1]),
            n / 2,
            "merged: exact"
        );
        drop(outside);
        assert_eq!(drops.load(Ordering::Relaxed), 4, "each object freed once");
    }
    eprintln!(
        "keepers before the exit merge: {}, after: {}",
        SEEN[0].load(Ordering::Relaxed),
        SEEN[1].load(Ordering::Relaxed)
    );
}
