//! An adversarial review of `Mode::Hybrid` (fd30b78..6e1e367): every `AtomicRc` counts as
//! `Arc`'s, and the owner thread's `LocalRc`s count in a plain 32-bit local count right in front
//! of the header and hold *one* strong count between them (taken by `to_local` at 0 -> 1, given
//! back by the drop at 1 -> 0); `#[atomic_rc(hybrid)]` structs need not be `'static`. The same
//! change moved the biased owner's local count to the same place (`Biased { slot, local }`), so
//! biased objects are attacked beside hybrid ones.
//!
//! Safe code only (the public API and `#[atomic_rc(hybrid)]`). The real checks are Miri (Stacked
//! and Tree Borrows, several seeds: use after free, double free, leaks, races on the local
//! count) and the thread sanitizer; each test also asserts what it can see: drop counts, the
//! canary in every value read, `strong_count` answers against a model, `Weak`s after the free.
//!
//! Not reachable from here: threads past the 2^32 - 2 owner ids (the counter is private; see
//! `threads_started_after_the_ids_ran_out_own_nothing` in the runtime's unit tests).

#![allow(
    clippy::items_after_statements,
    reason = "each test declares its own types and statics, so that parallel tests share no count"
)]

mod common;

use std::cell::{Cell, RefCell};
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{mpsc, Arc, Barrier};
use std::thread;

use common::{Canary, Rng};
use gilkit::refcount::{merge_deferred, AtomicRc, LocalRc, Mode, Weak};
use gilkit::stats::live;

/// Iterations: `GIL_STRESS_ITERS` if set, else `native`, or `miri` under Miri.
fn iters(native: usize, miri: usize) -> usize {
    common::stress_iters().unwrap_or(if cfg!(miri) { miri } else { native })
}

/// A new hybrid object holding a canary that counts into `drops`.
fn canary(drops: &Arc<AtomicUsize>) -> AtomicRc<Canary> {
    let rc = AtomicRc::with_mode(Canary::new(drops), Mode::Hybrid);
    assert_eq!(AtomicRc::mode(&rc), Mode::Hybrid);
    rc
}

fn drops() -> Arc<AtomicUsize> {
    Arc::new(AtomicUsize::new(0))
}

fn count(drops: &AtomicUsize) -> usize {
    drops.load(Ordering::Relaxed)
}

// --- strong counts, seen from the owner and from elsewhere -------------------------------------

/// What another thread answers for `strong_count`, through a clone and through a `Weak`.
fn seen_elsewhere<T: Send + Sync + 'static>(rc: &AtomicRc<T>) -> (usize, usize) {
    let there = rc.clone();
    let weak = AtomicRc::downgrade(rc);
    thread::spawn(move || {
        assert!(AtomicRc::to_local(&there).is_none(), "not the owner");
        // The clone sent here counts one itself.
        (AtomicRc::strong_count(&there) - 1, weak.strong_count() - 1)
    })
    .join()
    .unwrap()
}

/// A random walk over the owner's operations (`to_local`, clones and drops of both handles,
/// `to_shared`, `downgrade`/`upgrade`) against a model: the owner sees every handle, another
/// thread sees the local handles as one; the object is freed exactly when the last handle of
/// either kind goes, not before, and a `Weak` then finds nothing. Attacks the 0 -> 1 and
/// 1 -> 0 transitions of the local count, in every order with the shared handles.
#[test]
fn strong_count_follows_a_model_of_random_walks() {
    // Not `iters`: a model test, whose size a stress count need not scale.
    let (rounds, steps): (u64, usize) = if cfg!(miri) { (6, 40) } else { (200, 200) };
    for seed in 0..rounds {
        let mut rng = Rng::new(seed + 1);
        let drops = drops();
        let first = canary(&drops);
        let weak = AtomicRc::downgrade(&first);
        let mut shared = vec![first];
        let mut local: Vec<LocalRc<Canary>> = Vec::new();
        let mut weaks = vec![weak.clone()];
        for step in 0..steps {
            match rng.below(8) {
                0 | 1 if !shared.is_empty() => {
                    let i = rng.below(shared.len());
                    local.push(AtomicRc::to_local(&shared[i]).expect("the owner"));
                }
                2 if !local.is_empty() => local.push(local[rng.below(local.len())].clone()),
                3 if !local.is_empty() => shared.push(LocalRc::to_shared(&local[0])),
                4 if !shared.is_empty() => shared.push(shared[0].clone()),
                5 if local.len() + shared.len() > 1 && !local.is_empty() => {
                    drop(local.swap_remove(rng.below(local.len())));
                }
                6 if local.len() + shared.len() > 1 && !shared.is_empty() => {
                    drop(shared.swap_remove(rng.below(shared.len())));
                }
                7 => {
                    let w = &weaks[rng.below(weaks.len())];
                    shared.push(w.upgrade().expect("a handle is alive"));
                    weaks.push(AtomicRc::downgrade(shared.last().unwrap()));
                }
                _ => {}
            }
            let total = shared.len() + local.len();
            assert_eq!(weak.strong_count(), total, "seed {seed}, step {step}");
            if let Some(rc) = shared.first() {
                rc.check();
                assert_eq!(AtomicRc::strong_count(rc), total);
                if step % 50 == 0 {
                    let others = shared.len() + usize::from(!local.is_empty());
                    assert_eq!(seen_elsewhere(rc), (others, others));
                }
            }
            for l in &local {
                l.check();
            }
        }
        assert_eq!(count(&drops), 0);
        // The last handle is a local one or a shared one, as the walk left them.
        let last_local = rng.chance(50);
        if last_local && !local.is_empty() {
            drop(shared);
            let keep = local.pop().unwrap();
            drop(local);
            assert_eq!(count(&drops), 0);
            assert_eq!(weak.strong_count(), 1);
            drop(keep);
        } else {
            drop(local);
            drop(shared);
        }
        assert_eq!(count(&drops), 1);
        assert!(weaks.iter().all(|w| w.upgrade().is_none()));
        assert_eq!(weak.strong_count(), 0);
    }
}

/// `to_local` and `to_shared` in long round trips, each converting the other's result, with the
/// original handle dropped early: no count is lost or gained on the way.
#[test]
fn round_trips_between_local_and_shared_handles() {
    let drops = drops();
    let mut rc = canary(&drops);
    let weak = AtomicRc::downgrade(&rc);
    for _ in 0..iters(1000, 30) {
        let local = AtomicRc::to_local(&rc).unwrap();
        rc = LocalRc::to_shared(&local); // drops the previous shared handle first
        assert_eq!(AtomicRc::strong_count(&rc), 2);
        let again = AtomicRc::to_local(&rc).unwrap();
        assert_eq!(AtomicRc::strong_count(&rc), 3);
        drop(local);
        assert_eq!(seen_elsewhere(&rc), (2, 2));
        drop(again);
        assert_eq!(AtomicRc::strong_count(&rc), 1);
    }
    // Only a local handle left: it alone keeps the object.
    let local = AtomicRc::to_local(&rc).unwrap();
    drop(rc);
    assert_eq!(weak.strong_count(), 1);
    let back = LocalRc::to_shared(&local);
    drop(local);
    assert_eq!(weak.strong_count(), 1);
    back.check();
    drop(back);
    assert_eq!(count(&drops), 1);
    assert_eq!(weak.strong_count(), 0);
}

// --- races --------------------------------------------------------------------------------------

/// A `Weak` upgraded in a loop on another thread while the owner drops its last shared handle
/// and then its last local one: the object is freed exactly once, by whichever handle is last,
/// and no upgrade revives it or reads it freed (the canary).
#[test]
fn weak_upgrade_races_the_last_local_drop() {
    let drops = drops();
    let rounds = iters(300, 4);
    for _ in 0..rounds {
        let rc = canary(&drops);
        let weak = AtomicRc::downgrade(&rc);
        let start = Arc::new(Barrier::new(2));
        let racer = {
            let start = Arc::clone(&start);
            thread::spawn(move || {
                start.wait();
                let mut seen = 0_usize;
                while let Some(up) = weak.upgrade() {
                    up.check();
                    assert!(AtomicRc::to_local(&up).is_none(), "not the owner");
                    seen += 1;
                }
                assert_eq!(weak.strong_count(), 0);
                seen
            })
        };
        let local = AtomicRc::to_local(&rc).unwrap();
        let more = local.clone();
        start.wait();
        drop(rc);
        drop(more);
        local.check();
        drop(local);
        racer.join().unwrap();
    }
    assert_eq!(count(&drops), rounds);
}

/// The last local handle and the last shared handles dropped at once on several threads, with
/// `Weak`s dropped there too: one free, and the block returned once (Miri's leak and double free
/// checks).
#[test]
fn the_last_local_and_shared_drops_race() {
    let drops = drops();
    let rounds = iters(300, 3);
    let threads = if cfg!(miri) { 2 } else { 4 };
    for _ in 0..rounds {
        let rc = canary(&drops);
        let local = AtomicRc::to_local(&rc).unwrap();
        let start = Arc::new(Barrier::new(threads + 1));
        let holders: Vec<_> = (0..threads)
            .map(|_| {
                let (mine, weak, start) =
                    (rc.clone(), AtomicRc::downgrade(&rc), Arc::clone(&start));
                thread::spawn(move || {
                    start.wait();
                    mine.check();
                    drop(weak.upgrade());
                    drop(mine);
                    drop(weak);
                })
            })
            .collect();
        drop(rc);
        start.wait();
        let copy = local.clone();
        drop(local);
        drop(copy);
        for h in holders {
            h.join().unwrap();
        }
    }
    assert_eq!(count(&drops), rounds);
}

/// The owner takes and gives back the local handles' count in a loop (0 -> 1 -> 0) while other
/// threads clone, upgrade, downgrade and drop shared handles, and read `strong_count`: the local
/// count is touched by the owner only (the sanitizer and Miri's race detector would see a read
/// of it elsewhere), and the shared count never reaches zero early.
#[test]
fn owner_churns_its_local_count_while_others_churn_theirs() {
    let drops = drops();
    let rc = canary(&drops);
    let spins = iters(5000, 15);
    thread::scope(|s| {
        for _ in 0..if cfg!(miri) { 2 } else { 3 } {
            let mine = rc.clone();
            s.spawn(move || {
                let weak = AtomicRc::downgrade(&mine);
                for _ in 0..spins {
                    let up = weak.upgrade().expect("held");
                    up.check();
                    assert!(AtomicRc::strong_count(&up) >= 2);
                    assert!(weak.strong_count() >= 1);
                    drop((up, mine.clone()));
                }
            });
        }
        for _ in 0..spins {
            let local = AtomicRc::to_local(&rc).unwrap();
            assert!(AtomicRc::strong_count(&rc) >= 2);
            let out = LocalRc::to_shared(&local);
            drop(local);
            drop(out);
        }
    });
    assert_eq!(AtomicRc::strong_count(&rc), 1);
    drop(rc);
    assert_eq!(count(&drops), 1);
}

// --- thread exits, ids, thread-locals ------------------------------------------------------------

/// An owner's objects are its own for good: after it exits, no other thread (the main one, new
/// ones, which take fresh ids) gets a `LocalRc`, and the handles it left keep counting as `Arc`s.
#[test]
fn a_dead_owners_objects_stay_shared_only() {
    let drops = drops();
    let (rc, weak) = {
        let drops = Arc::clone(&drops);
        thread::spawn(move || {
            let rc = canary(&drops);
            let local = AtomicRc::to_local(&rc).unwrap();
            let out = LocalRc::to_shared(&local);
            (out, AtomicRc::downgrade(&rc))
        })
        .join()
        .unwrap()
    };
    assert_eq!(AtomicRc::strong_count(&rc), 1);
    assert!(AtomicRc::to_local(&rc).is_none());
    for _ in 0..if cfg!(miri) { 2 } else { 16 } {
        let there = rc.clone();
        thread::spawn(move || {
            // This thread's own hybrid objects are local to it, the dead owner's are not.
            let own = AtomicRc::with_mode(1_u8, Mode::Hybrid);
            assert!(AtomicRc::to_local(&own).is_some());
            assert!(AtomicRc::to_local(&there).is_none());
        })
        .join()
        .unwrap();
    }
    drop(rc);
    assert!(weak.upgrade().is_none());
    assert_eq!(count(&drops), 1);
}

/// A value whose drop runs in a thread-local destructor at its owner's exit, and there makes a
/// new hybrid object, converts it both ways, re-takes the local count of an object it holds
/// (0 -> 1 -> 0 during the exit), and sends shared handles out.
struct ExitWork {
    held: AtomicRc<Canary>,
    drops: Arc<AtomicUsize>,
    out: mpsc::Sender<AtomicRc<Canary>>,
}

impl Drop for ExitWork {
    fn drop(&mut self) {
        let local = AtomicRc::to_local(&self.held).expect("still the owner at its exit");
        let made = canary(&self.drops);
        let made_local = AtomicRc::to_local(&made).expect("made on this thread");
        assert_eq!(AtomicRc::strong_count(&made), 2);
        let _ = self.out.send(LocalRc::to_shared(&made_local));
        let _ = self.out.send(LocalRc::to_shared(&local));
        drop((made, made_local, local));
    }
}

thread_local! {
    static EXIT_WORK: RefCell<Option<ExitWork>> = const { RefCell::new(None) };
    static KEPT_LOCAL: RefCell<Vec<LocalRc<Canary>>> = const { RefCell::new(Vec::new()) };
    static KEPT_BIASED: RefCell<Vec<AtomicRc<Canary>>> = const { RefCell::new(Vec::new()) };
}

/// Thread-local destructors at the owner's exit, registered in both orders: local handles given
/// back one by one (the last one frees), exit work that uses the local count after other
/// thread-locals (the biased list among them) are gone, and biased objects beside them. Every
/// object is freed once; nothing is left for the owner to merge.
#[test]
fn thread_local_destructors_at_the_owners_exit() {
    for order in 0..4 {
        let drops = drops();
        let (tx, rx) = mpsc::channel();
        let weaks = {
            let drops = Arc::clone(&drops);
            thread::spawn(move || exit_thread(order, &drops, tx))
                .join()
                .unwrap()
        };
        let sent: Vec<AtomicRc<Canary>> = rx.iter().collect();
        assert_eq!(sent.len(), 3);
        for rc in &sent {
            rc.check();
            assert!(AtomicRc::to_local(rc).is_none());
        }
        drop(sent);
        merge_deferred();
        for weak in &weaks {
            assert!(weak.upgrade().is_none(), "order {order}");
        }
        // Three hybrid, one biased, one made at the exit.
        assert_eq!(count(&drops), 5, "order {order}");
    }
}

fn exit_thread(
    order: usize,
    drops: &Arc<AtomicUsize>,
    out: mpsc::Sender<AtomicRc<Canary>>,
) -> Vec<Weak<Canary>> {
    let only_local = canary(drops);
    let shared_out = canary(drops);
    let held = canary(drops);
    let biased = AtomicRc::with_mode(Canary::new(drops), Mode::Biased);
    let weaks = vec![
        AtomicRc::downgrade(&only_local),
        AtomicRc::downgrade(&shared_out),
        AtomicRc::downgrade(&held),
        AtomicRc::downgrade(&biased),
    ];
    let _ = out.send(shared_out.clone());
    let keep_local = |locals: &mut Vec<LocalRc<Canary>>| {
        locals.push(AtomicRc::to_local(&only_local).unwrap());
        locals.push(AtomicRc::to_local(&only_local).unwrap());
        locals.push(AtomicRc::to_local(&shared_out).unwrap());
        locals.push(AtomicRc::to_local(&biased).unwrap());
    };
    let work = ExitWork {
        held: held.clone(),
        drops: Arc::clone(drops),
        out,
    };
    // The thread-locals are first touched (and their destructors registered) in an order
    // that depends on `order`: the exit runs them in some order of those.
    if order % 2 == 0 {
        KEPT_LOCAL.with(|k| keep_local(&mut k.borrow_mut()));
        EXIT_WORK.with(|w| *w.borrow_mut() = Some(work));
    } else {
        EXIT_WORK.with(|w| *w.borrow_mut() = Some(work));
        KEPT_LOCAL.with(|k| keep_local(&mut k.borrow_mut()));
    }
    if order >= 2 {
        KEPT_BIASED.with(|k| k.borrow_mut().push(biased.clone()));
    }
    drop((only_local, shared_out, held, biased));
    weaks
}

/// A hybrid object made in a thread-local destructor of a thread that had no owner id yet (its
/// first use of the runtime): it gets an id there, owns the object, and its local handles work.
#[test]
fn hybrid_objects_made_in_the_first_destructor_of_a_thread() {
    struct MakesAtExit(mpsc::Sender<(Mode, bool, AtomicRc<u32>)>);
    impl Drop for MakesAtExit {
        fn drop(&mut self) {
            let rc = AtomicRc::with_mode(7_u32, Mode::Hybrid);
            let local = AtomicRc::to_local(&rc);
            let shared = local
                .as_ref()
                .map_or_else(|| rc.clone(), LocalRc::to_shared);
            let _ = self.0.send((AtomicRc::mode(&rc), local.is_some(), shared));
        }
    }
    thread_local! {
        static MAKER: RefCell<Option<MakesAtExit>> = const { RefCell::new(None) };
    }
    let (tx, rx) = mpsc::channel();
    thread::spawn(move || MAKER.with(|m| *m.borrow_mut() = Some(MakesAtExit(tx))))
        .join()
        .unwrap();
    let (mode, had_local, rc) = rx.recv().unwrap();
    assert_eq!(mode, Mode::Hybrid);
    assert!(had_local);
    assert_eq!(*rc, 7);
    assert_eq!(AtomicRc::strong_count(&rc), 1);
    assert!(AtomicRc::to_local(&rc).is_none());
}

// --- local handles inside values: drop re-entrancy --------------------------------------------

/// A hybrid value that holds local handles (so it is neither `Send` nor `Sync`, and its object
/// stays on its owner thread), possibly to itself.
struct Node {
    next: RefCell<Option<LocalRc<Node>>>,
    other: RefCell<Option<AtomicRc<Node>>>,
    canary: Canary,
    /// Run by the value's `Drop`, with the value's own `Weak` and the held handles.
    on_drop: Cell<Option<fn(&Node)>>,
}

impl Node {
    fn new(drops: &Arc<AtomicUsize>) -> AtomicRc<Node> {
        AtomicRc::with_mode(
            Node {
                next: RefCell::new(None),
                other: RefCell::new(None),
                canary: Canary::new(drops),
                on_drop: Cell::new(None),
            },
            Mode::Hybrid,
        )
    }
}

impl Drop for Node {
    fn drop(&mut self) {
        self.canary.check();
        if let Some(f) = self.on_drop.get() {
            f(self);
        }
    }
}

/// A chain of nodes, each holding a local handle to the next, freed by the head's last local
/// handle: every drop in the chain runs inside the previous one's (nested local 1 -> 0
/// transitions and frees), and a self-cycle broken by hand frees too.
#[test]
fn local_handles_inside_values_free_in_chains_and_cycles() {
    let drops = drops();
    // Not `iters`: a stress count would nest the drops deep enough to overflow the stack, as
    // for `Rc`.
    let len = if cfg!(miri) { 5 } else { 50 };
    let nodes: Vec<_> = (0..len).map(|_| Node::new(&drops)).collect();
    for pair in nodes.windows(2) {
        *pair[0].next.borrow_mut() = Some(AtomicRc::to_local(&pair[1]).unwrap());
    }
    let head = AtomicRc::to_local(&nodes[0]).unwrap();
    let weak_tail = AtomicRc::downgrade(nodes.last().unwrap());
    drop(nodes);
    assert_eq!(count(&drops), 0);
    assert_eq!(weak_tail.strong_count(), 1);
    drop(head);
    assert_eq!(count(&drops), len);
    assert!(weak_tail.upgrade().is_none());

    // A node that holds a local handle to itself lives on; taking it out frees the node when
    // the taken handle is the last.
    let drops = self::drops();
    let node = Node::new(&drops);
    let local = AtomicRc::to_local(&node).unwrap();
    *local.next.borrow_mut() = Some(local.clone());
    let weak = AtomicRc::downgrade(&node);
    drop((node, local));
    assert_eq!(weak.strong_count(), 1, "the cycle holds it");
    let up = weak.upgrade().unwrap();
    let taken = up.next.borrow_mut().take();
    drop(up);
    assert_eq!(count(&drops), 0);
    drop(taken);
    assert_eq!(count(&drops), 1);
    assert_eq!(weak.strong_count(), 0);
}

/// Drops that reenter the runtime while the object is being freed by its last local handle:
/// the value's `Drop` upgrades its own `Weak` (must fail), reads `strong_count` through it on the
/// owner (must be 0: the local count was given back), takes a local handle to another object
/// whose only strong handle the value holds (0 -> 1 -> 0 there), and makes new hybrid objects.
#[test]
fn drops_that_reenter_the_runtime_during_the_last_local_drop() {
    thread_local! {
        static SELF_WEAK: RefCell<Option<Weak<Node>>> = const { RefCell::new(None) };
        static REENTERED: Cell<usize> = const { Cell::new(0) };
    }
    fn reenter(node: &Node) {
        SELF_WEAK.with(|w| {
            let weak = w.borrow_mut().take().expect("set");
            assert!(weak.upgrade().is_none(), "revived during its own drop");
            assert_eq!(weak.strong_count(), 0);
        });
        let other = node.other.borrow();
        let other = other.as_ref().expect("set");
        let local = AtomicRc::to_local(other).expect("the owner");
        assert_eq!(AtomicRc::strong_count(other), 2);
        let fresh = AtomicRc::with_mode(3_u8, Mode::Hybrid);
        let fresh_local = AtomicRc::to_local(&fresh).unwrap();
        drop(fresh);
        assert_eq!(*fresh_local, 3);
        drop(local);
        REENTERED.with(|r| r.set(r.get() + 1));
    }
    let drops = drops();
    for last_is_local in [true, false] {
        let node = Node::new(&drops);
        let other = Node::new(&drops);
        let other_weak = AtomicRc::downgrade(&other);
        *node.other.borrow_mut() = Some(other);
        node.on_drop.set(Some(reenter));
        SELF_WEAK.with(|w| *w.borrow_mut() = Some(AtomicRc::downgrade(&node)));
        let local = AtomicRc::to_local(&node).unwrap();
        if last_is_local {
            drop(node);
            drop(local);
        } else {
            drop(local);
            drop(node);
        }
        assert!(other_weak.upgrade().is_none(), "freed with the node");
    }
    assert_eq!(REENTERED.with(Cell::get), 2);
    assert_eq!(count(&drops), 4);
}

// --- panicking destructors ------------------------------------------------------------------

/// Panics once when dropped, if armed.
struct Bomb {
    armed: bool,
    canary: Canary,
}

impl Drop for Bomb {
    fn drop(&mut self) {
        self.canary.check();
        assert!(!self.armed, "boom");
    }
}

/// A value whose fields are dropped on after one of them panics: an armed bomb first, then local
/// and shared handles of other hybrid objects, whose frees run during the unwind.
struct Blast {
    _bomb: Bomb,
    _local: LocalRc<Canary>,
    _shared: AtomicRc<Canary>,
}

/// Panicking destructors on every path: the last local drop, the last shared drop on another
/// thread, and a panic whose unwind drops the value's other fields (local handles that free
/// their objects during the unwind). Each panic reaches its caller, every object is freed once,
/// every block is returned (Miri's leak check), and the owner goes on using hybrid objects.
#[test]
fn panicking_destructors_on_every_path() {
    let drops = drops();
    let bomb = |drops: &Arc<AtomicUsize>| Bomb {
        armed: true,
        canary: Canary::new(drops),
    };

    // The last local drop panics.
    let rc = AtomicRc::with_mode(bomb(&drops), Mode::Hybrid);
    let weak = AtomicRc::downgrade(&rc);
    let local = AtomicRc::to_local(&rc).unwrap();
    drop(rc);
    assert!(catch_unwind(AssertUnwindSafe(|| drop(local))).is_err());
    assert!(weak.upgrade().is_none());
    assert_eq!(weak.strong_count(), 0);

    // The last shared drop panics on another thread, after the owner gave back its local count.
    let rc = AtomicRc::with_mode(bomb(&drops), Mode::Hybrid);
    let weak = AtomicRc::downgrade(&rc);
    drop(AtomicRc::to_local(&rc).unwrap());
    assert!(thread::spawn(move || drop(rc)).join().is_err());
    assert!(weak.upgrade().is_none());

    // The unwind drops the other fields: a local handle (the last of its object) and a shared
    // handle (the last too).
    let inner = canary(&drops);
    let inner_weak = AtomicRc::downgrade(&inner);
    let blast = AtomicRc::with_mode(
        Blast {
            _bomb: bomb(&drops),
            _local: AtomicRc::to_local(&inner).unwrap(),
            _shared: canary(&drops),
        },
        Mode::Hybrid,
    );
    drop(inner);
    let weak = AtomicRc::downgrade(&blast);
    let local = AtomicRc::to_local(&blast).unwrap();
    drop(blast);
    assert!(catch_unwind(AssertUnwindSafe(|| drop(local))).is_err());
    assert!(weak.upgrade().is_none());
    assert!(inner_weak.upgrade().is_none());
    assert_eq!(count(&drops), 5);

    // Nothing is stuck: the owner's hybrid objects go on as before.
    let after = canary(&drops);
    let l = AtomicRc::to_local(&after).unwrap();
    assert_eq!(AtomicRc::strong_count(&after), 2);
    drop((after, l));
    assert_eq!(count(&drops), 6);
}

// --- layouts: zero-sized and highly aligned values --------------------------------------------

/// Marker types of each alignment.
#[derive(Clone, Copy)]
#[repr(align(16))]
struct A16;
#[derive(Clone, Copy)]
#[repr(align(64))]
struct A64;
#[derive(Clone, Copy)]
#[repr(align(4096))]
struct A4096;

/// A value of alignment `A`'s that checks its canary and its address when read.
struct Aligned<A> {
    _align: A,
    canary: Canary,
}

impl<A> Aligned<A> {
    fn check(&self) {
        self.canary.check();
        let at = std::ptr::from_ref(self) as usize;
        assert_eq!(
            at % std::mem::align_of::<Self>(),
            0,
            "a value off its alignment"
        );
    }
}

/// Runs a hybrid object of `value` through every handle operation on the owner and another
/// thread, checking the value in place through each handle kind; the last handle is a local one
/// and a `Weak` returns the block on a third thread.
fn exercise<T: Send + Sync + 'static>(value: T, check: fn(&T)) {
    let rc = AtomicRc::with_mode(value, Mode::Hybrid);
    check(&rc);
    let local = AtomicRc::to_local(&rc).unwrap();
    check(&local);
    let copy = local.clone();
    let shared = LocalRc::to_shared(&copy);
    check(&shared);
    assert_eq!(AtomicRc::strong_count(&rc), 4);
    let weak = AtomicRc::downgrade(&rc);
    thread::spawn(move || {
        check(&shared);
        let up = AtomicRc::downgrade(&shared).upgrade().unwrap();
        assert!(AtomicRc::to_local(&up).is_none());
        drop((shared, up));
    })
    .join()
    .unwrap();
    drop((rc, copy));
    assert_eq!(weak.strong_count(), 1);
    drop(local);
    assert!(weak.upgrade().is_none());
    thread::spawn(move || drop(weak)).join().unwrap();
}

/// Zero-sized values with and without `Drop`, and values aligned to 16, 64 and 4096 (zero-sized
/// too): the owner's fields sit right in front of a header that may be a page into the block.
/// A wrong offset, the prefix reached from the wrong pointer, or a deallocation with another
/// layout shows under Miri. The block grows by the value's alignment, not by 8, once that is
/// above 8.
#[test]
fn zero_sized_and_highly_aligned_values() {
    static UNITS: AtomicUsize = AtomicUsize::new(0);
    struct Unit;
    impl Drop for Unit {
        fn drop(&mut self) {
            UNITS.fetch_add(1, Ordering::Relaxed);
        }
    }
    #[repr(align(4096))]
    struct PageUnit;
    impl Drop for PageUnit {
        fn drop(&mut self) {
            UNITS.fetch_add(1, Ordering::Relaxed);
        }
    }
    fn extra<T>() -> usize {
        AtomicRc::<T>::block_size(Mode::Hybrid) - AtomicRc::<T>::block_size(Mode::Atomic)
    }
    if cfg!(target_pointer_width = "64") {
        assert_eq!(extra::<()>(), 8);
        assert_eq!(extra::<u64>(), 8);
        assert_eq!(extra::<Aligned<A16>>(), 16);
        assert_eq!(extra::<Aligned<A64>>(), 64);
        assert_eq!(extra::<Aligned<A4096>>(), 4096);
        assert_eq!(extra::<PageUnit>(), 4096);
    }
    let drops = drops();
    exercise((), |()| {});
    exercise(Unit, |_| {});
    exercise(PageUnit, |_| {});
    exercise(A4096, |_| {});
    exercise(
        Aligned {
            _align: A16,
            canary: Canary::new(&drops),
        },
        Aligned::check,
    );
    exercise(
        Aligned {
            _align: A64,
            canary: Canary::new(&drops),
        },
        Aligned::check,
    );
    exercise(
        Aligned {
            _align: A4096,
            canary: Canary::new(&drops),
        },
        Aligned::check,
    );
    exercise(
        Aligned {
            _align: (),
            canary: Canary::new(&drops),
        },
        Aligned::check,
    );
    assert_eq!(UNITS.load(Ordering::Relaxed), 2);
    assert_eq!(count(&drops), 4);
}

/// Biased objects of the same layouts, whose owner fields moved (`Local` now ends `Biased`, in
/// front of the header), mixed on one thread with hybrid ones and held in each other: a hybrid
/// value holding a biased handle and a biased value holding hybrid handles (local ones too), with
/// last drops on the owner, on other threads (the biased inbox), and at the owner's exit.
#[test]
fn hybrid_and_biased_objects_inside_each_other() {
    struct HoldsBiased {
        biased: AtomicRc<Aligned<A64>>,
    }
    struct HoldsHybrid {
        hybrid: AtomicRc<Aligned<A4096>>,
        local: Option<LocalRc<Canary>>,
    }
    let drops = drops();
    for round in 0..3 {
        let (out, weaks) = {
            let drops = Arc::clone(&drops);
            thread::spawn(move || {
                let biased = AtomicRc::with_mode(
                    Aligned {
                        _align: A64,
                        canary: Canary::new(&drops),
                    },
                    Mode::Biased,
                );
                let hybrid = AtomicRc::with_mode(
                    Aligned {
                        _align: A4096,
                        canary: Canary::new(&drops),
                    },
                    Mode::Hybrid,
                );
                let inner = canary(&drops);
                let holds_biased = AtomicRc::with_mode(
                    HoldsBiased {
                        biased: biased.clone(),
                    },
                    Mode::Hybrid,
                );
                let holds_hybrid = AtomicRc::with_mode(
                    HoldsHybrid {
                        hybrid: hybrid.clone(),
                        local: Some(AtomicRc::to_local(&inner).unwrap()),
                    },
                    Mode::Biased,
                );
                let weaks = (
                    AtomicRc::downgrade(&biased),
                    AtomicRc::downgrade(&hybrid),
                    AtomicRc::downgrade(&inner),
                );
                holds_biased.biased.check();
                holds_hybrid.hybrid.check();
                holds_hybrid.local.as_ref().unwrap().check();
                drop((biased, hybrid, inner));
                let local_hb = AtomicRc::to_local(&holds_biased).unwrap();
                match round {
                    // Everything dropped on the owner, local handles last.
                    0 => {
                        drop((holds_hybrid, holds_biased));
                        drop(local_hb);
                        (None, weaks)
                    }
                    // The hybrid holder leaves (its last drop elsewhere drops a biased handle
                    // on a non-owner: handed to this thread's inbox); the biased holder stays
                    // in a thread-local until the exit.
                    1 => {
                        KEEP_BIASED_HOLDER.with(|k| *k.borrow_mut() = Some(holds_hybrid));
                        let out = LocalRc::to_shared(&local_hb);
                        drop((holds_biased, local_hb));
                        (Some(out), weaks)
                    }
                    // Both holders in thread-locals, only the local handle of the hybrid one.
                    _ => {
                        KEEP_BIASED_HOLDER.with(|k| *k.borrow_mut() = Some(holds_hybrid));
                        KEEP_HYBRID_LOCAL.with(|k| *k.borrow_mut() = Some(local_hb));
                        drop(holds_biased);
                        (None, weaks)
                    }
                }
            })
            .join()
            .unwrap()
        };
        if let Some(out) = out {
            out.biased.check();
            thread::spawn(move || drop(out)).join().unwrap();
        }
        merge_deferred();
        assert!(weaks.0.upgrade().is_none(), "round {round}");
        assert!(weaks.1.upgrade().is_none(), "round {round}");
        assert!(weaks.2.upgrade().is_none(), "round {round}");
        assert_eq!(count(&drops), 3 * (round + 1), "round {round}");
    }
    thread_local! {
        static KEEP_BIASED_HOLDER: RefCell<Option<AtomicRc<HoldsHybrid>>> =
            const { RefCell::new(None) };
        static KEEP_HYBRID_LOCAL: RefCell<Option<LocalRc<HoldsBiased>>> =
            const { RefCell::new(None) };
    }
}

// --- `#[atomic_rc(hybrid)]`: borrowing and generic structs -------------------------------------

/// A hybrid struct that borrows: its `Drop` reads what it borrows, so a value dropped after
/// the borrow ended would read freed memory (Miri).
#[gilkit::atomic_rc(hybrid)]
struct View<'a> {
    text: &'a String,
    seen: &'a AtomicUsize,
}

impl Drop for View<'_> {
    fn drop(&mut self) {
        assert_eq!(self.text, "borrowed");
        self.seen.fetch_add(1, Ordering::Relaxed);
    }
}

/// A generic hybrid struct, with a borrowed and an owned parameter.
#[gilkit::atomic_rc(hybrid)]
struct Pair<'a, T> {
    left: &'a T,
    right: T,
}

/// Non-`'static` hybrid objects spread over scoped threads: each scoped thread owns some and
/// keeps local handles to them until it ends, and the last handles die anywhere in the scope.
/// Every value is dropped before the borrowed data is (its `Drop` reads it), and the live counts
/// return to zero.
#[test]
fn borrowing_hybrid_structs_over_scoped_threads() {
    let rounds = iters(20, 2);
    for _ in 0..rounds {
        let text = String::from("borrowed");
        let seen = AtomicUsize::new(0);
        let from_owners: Vec<ViewRc<'_>> = thread::scope(|s| {
            let owners: Vec<_> = (0..if cfg!(miri) { 2 } else { 4 })
                .map(|i| {
                    let (text, seen) = (&text, &seen);
                    s.spawn(move || {
                        let view = View { text, seen }.into_handle();
                        let local = AtomicRc::to_local(&view).unwrap();
                        let copies: Vec<_> = (0..i).map(|_| local.clone()).collect();
                        let out = LocalRc::to_shared(&copies.first().unwrap_or(&local).clone());
                        drop(view);
                        assert_eq!(local.text, "borrowed");
                        out
                    })
                })
                .collect();
            let views: Vec<_> = owners.into_iter().map(|h| h.join().unwrap()).collect();
            // Half die on other scoped threads, half are returned out of the scope.
            let (here, there): (Vec<_>, Vec<_>) =
                views.into_iter().enumerate().partition(|(i, _)| i % 2 == 0);
            s.spawn(move || drop(there));
            here.into_iter().map(|(_, v)| v).collect()
        });
        for view in &from_owners {
            assert!(AtomicRc::to_local(view).is_none(), "its owner ended");
        }
        let half = from_owners.len();
        drop(from_owners);
        assert_eq!(seen.load(Ordering::Relaxed), 2 * half);
        drop(text);
    }
    assert_eq!(live::<View<'_>>(), 0);

    // Generic: a borrowed `Canary` and an owned one, in several instantiations.
    let drops = drops();
    let borrowed = Canary::new(&drops);
    let pair = Pair {
        left: &borrowed,
        right: Canary::new(&drops),
    }
    .into_handle();
    let unit = Pair {
        left: &(),
        right: (),
    }
    .into_handle();
    assert_eq!(AtomicRc::mode(&pair), Mode::Hybrid);
    assert_eq!(
        live::<Pair<'_, ()>>(),
        2,
        "one counter for every instantiation"
    );
    let local = AtomicRc::to_local(&pair).unwrap();
    thread::scope(|s| {
        let there = pair.clone();
        s.spawn(move || {
            there.left.check();
            there.right.check();
        });
    });
    drop((pair, unit));
    assert_eq!(count(&drops), 0);
    local.left.check();
    drop(local);
    assert_eq!(count(&drops), 1);
    assert_eq!(live::<Pair<'_, Canary>>(), 0);
    drop(borrowed);
}

// --- the local count's limit --------------------------------------------------------------------

/// The local count stops at `i32::MAX` on every path that counts in it (hybrid: `to_local`,
/// `LocalRc::clone`; biased: those, `AtomicRc::clone` and `LocalRc::to_shared` on the owner):
/// reached with real clones (2^31 of them, so only in release builds), one more aborts instead
/// of wrapping, and the count at the limit answers right. A child process per path.
#[test]
#[cfg_attr(miri, ignore = "spawns processes")]
#[cfg_attr(debug_assertions, ignore = "2^31 clones: run with --release")]
fn the_local_count_aborts_at_its_limit_on_every_path() {
    const CHILD: &str = "GILKIT_HYBRID_REVIEW_LIMIT";
    const CASES: [&str; 8] = [
        "hybrid LocalRc::clone",
        "hybrid to_local",
        "biased LocalRc::clone",
        "biased to_local",
        "biased AtomicRc::clone",
        "biased LocalRc::to_shared",
        "hybrid at the limit, no more",
        "biased at the limit, no more",
    ];
    if let Some(case) = std::env::var_os(CHILD) {
        // On a thread of its own, so that its exit (the biased exit merge) runs in the child.
        let case = case.into_string().unwrap();
        thread::spawn(move || limit_child(&case)).join().unwrap();
        return;
    }
    for case in CASES {
        let child = std::process::Command::new(std::env::current_exe().unwrap())
            .args([
                "--exact",
                "the_local_count_aborts_at_its_limit_on_every_path",
            ])
            .args(["--nocapture", "--include-ignored"])
            .env(CHILD, case)
            .output()
            .unwrap();
        let stdout = String::from_utf8_lossy(&child.stdout);
        let stderr = String::from_utf8_lossy(&child.stderr);
        if case.ends_with("no more") {
            assert!(
                child.status.success() && stdout.contains("child passed"),
                "{case}: {stdout}{stderr}"
            );
        } else {
            assert!(
                !child.status.success()
                    && !stdout.contains("not aborted")
                    && !stderr.contains("panicked"),
                "{case}: {stdout}{stderr}"
            );
        }
    }
}

/// The child of `the_local_count_aborts_at_its_limit_on_every_path`: one case.
fn limit_child(case: &str) {
    let mode = if case.starts_with("hybrid") {
        Mode::Hybrid
    } else {
        Mode::Biased
    };
    let rc = AtomicRc::with_mode(0_u8, mode);
    let local = AtomicRc::to_local(&rc).unwrap();
    // The local count: 1 (hybrid) or 2 (biased: the `AtomicRc` counts there too).
    let start = if mode == Mode::Hybrid { 1 } else { 2 };
    for _ in start..i32::MAX {
        std::mem::forget(local.clone());
    }
    let full = usize::try_from(i32::MAX).unwrap();
    // Hybrid: the `AtomicRc` and the local handles; biased: all local.
    let expected = if mode == Mode::Hybrid { full + 1 } else { full };
    assert_eq!(AtomicRc::strong_count(&rc), expected, "{case}");
    match case {
        "hybrid LocalRc::clone" | "biased LocalRc::clone" => std::mem::forget(local.clone()),
        "hybrid to_local" | "biased to_local" => std::mem::forget(AtomicRc::to_local(&rc)),
        "biased AtomicRc::clone" => std::mem::forget(rc.clone()),
        "biased LocalRc::to_shared" => std::mem::forget(LocalRc::to_shared(&local)),
        "biased at the limit, no more" => {
            // At the limit: a drop makes room for one owner clone, whose drop on another
            // thread goes to the inbox and comes back; this thread's exit, after this function,
            // merges the count, near its limit, without aborting.
            drop(local);
            let out = rc.clone();
            thread::spawn(move || drop(out)).join().unwrap();
            merge_deferred();
            assert_eq!(AtomicRc::strong_count(&rc), expected - 1);
            std::mem::forget(rc);
            println!("child passed");
            return;
        }
        _ => {
            // At the limit: a drop makes room for one `to_local`, and shared handles still
            // count (atomically).
            drop(local);
            assert_eq!(AtomicRc::strong_count(&rc), expected - 1);
            let local = AtomicRc::to_local(&rc).unwrap();
            let shared = LocalRc::to_shared(&local);
            assert_eq!(AtomicRc::strong_count(&rc), expected + 1);
            drop(shared);
            std::mem::forget(local);
            println!("child passed");
            return;
        }
    }
    println!("not aborted");
}

/// The handles of a borrowing hybrid struct are `Send` and `Sync` when its fields are, as an
/// `Arc`'s: what lets the scoped threads above share them.
#[test]
fn handles_of_borrowing_structs_are_send_and_sync() {
    fn assert_send_sync<T: Send + Sync>() {}
    assert_send_sync::<ViewRc<'static>>();
    assert_send_sync::<Weak<View<'static>>>();
    assert_send_sync::<PairRc<'static, u8>>();
}
