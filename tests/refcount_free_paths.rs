//! Every way an `AtomicRc` object is freed frees it once, as its own type, and counts it down
//! once in its type's live count (kept in the type's `free`, `free::<T, C: Census>`, since the
//! header lost that field): owner drop, hand-over to the inbox, `merge_deferred`, owner exit,
//! `Weak` races, the cycle collector, panicking destructors, `LocalRc`, immortal objects, and the
//! biased fallback to atomic. Written by a review of the 48-byte header; each value holds a
//! canary that its destructor checks and overwrites.
//!
//! Every test uses its own `#[atomic_rc]` types, so that the per-type live counts do not see
//! the other tests, which run in parallel.

#![allow(dead_code, reason = "the canaries are read by their `Drop`")]
#![allow(
    clippy::many_single_char_names,
    reason = "objects named by their place in a scenario: a, b, c"
)]

mod common;

use std::cell::RefCell;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{mpsc, Barrier, Mutex};

use gilkit::refcount::{collect_cycles, merge_deferred, AtomicRc, LocalRc, Mode, Trace, Visitor};
use gilkit::stats::live;

/// Scales the iteration counts down under Miri.
fn iters(default: usize) -> usize {
    common::stress_iters().unwrap_or(if cfg!(miri) {
        default / 100 + 2
    } else {
        default
    })
}

const MAGIC: u64 = 0x5EED_F00D_CAFE_BEEF;

/// A value that checks it is dropped once, as the type it was made as: its `Drop` reads its
/// magic word (a wrong `T` or a freed block reads something else) and then poisons it.
struct Canary {
    magic: u64,
    drops: &'static AtomicUsize,
}

impl Canary {
    fn new(drops: &'static AtomicUsize) -> Self {
        Self {
            magic: MAGIC,
            drops,
        }
    }
    fn check(&self) {
        assert_eq!(self.magic, MAGIC, "a use of a freed or mistyped value");
    }
}

impl Drop for Canary {
    fn drop(&mut self) {
        assert_eq!(
            self.magic, MAGIC,
            "a double drop, or a drop as the wrong type"
        );
        self.magic = 0xDEAD;
        self.drops.fetch_add(1, Ordering::Relaxed);
    }
}

// --- 1. Owner drop, hand-over, merge_deferred, owner exit ---------------------------------------

#[gilkit::atomic_rc(biased)]
struct BiasedA {
    canary: Canary,
}

#[test]
fn biased_live_count_through_owner_drop_hand_over_and_merge_deferred() {
    static DROPS: AtomicUsize = AtomicUsize::new(0);
    assert_eq!(live::<BiasedA>(), 0);
    // Owner drop (fast free).
    let a = BiasedA {
        canary: Canary::new(&DROPS),
    }
    .into_handle();
    assert_eq!(AtomicRc::mode(&a), Mode::Biased);
    assert_eq!(live::<BiasedA>(), 1);
    drop(a);
    assert_eq!(live::<BiasedA>(), 0);
    assert_eq!(DROPS.load(Ordering::Relaxed), 1);

    // Non-owner last drop: handed to the inbox, freed by merge_deferred.
    let b = BiasedA {
        canary: Canary::new(&DROPS),
    }
    .into_handle();
    std::thread::spawn(move || {
        b.canary.check();
        drop(b);
    })
    .join()
    .unwrap();
    assert_eq!(live::<BiasedA>(), 1, "handed over, not freed yet");
    merge_deferred();
    assert_eq!(live::<BiasedA>(), 0);
    merge_deferred();
    assert_eq!(live::<BiasedA>(), 0);
    assert_eq!(DROPS.load(Ordering::Relaxed), 2);

    // Handed over, freed by the next biased allocation (the drain in `allocate`).
    let c = BiasedA {
        canary: Canary::new(&DROPS),
    }
    .into_handle();
    std::thread::spawn(move || drop(c)).join().unwrap();
    let d = AtomicRc::with_mode(0_u8, Mode::Biased); // uncounted, but drains
    assert_eq!(live::<BiasedA>(), 0);
    drop(d);
    assert_eq!(DROPS.load(Ordering::Relaxed), 3);
    assert_eq!(live::<BiasedA>(), 0);
}

#[gilkit::atomic_rc(biased)]
struct ExitA {
    canary: Canary,
    index: usize,
}

#[gilkit::atomic_rc(biased)]
#[repr(align(64))]
struct ExitB {
    canary: Canary,
}

#[gilkit::atomic_rc(biased)]
struct ExitZst;

/// An owner makes many objects of three types (one over-aligned, one zero-sized), drops a
/// scattered half of them (each a `swap_remove` that moves another object's slot), hands the
/// rest to another thread and exits: the exit merge, the non-owner drops and the hand-overs
/// free every object once, each through its own type's `free`.
#[test]
fn owner_exit_with_many_objects_of_several_types() {
    static DROPS: AtomicUsize = AtomicUsize::new(0);
    let n = iters(20_000);
    let (tx, rx) = mpsc::channel::<(Vec<ExitARc>, Vec<ExitBRc>, Vec<ExitZstRc>)>();
    let (back_tx, back_rx) = mpsc::channel::<()>();
    let owner = std::thread::spawn(move || {
        let mut a: Vec<_> = (0..n)
            .map(|index| {
                ExitA {
                    canary: Canary::new(&DROPS),
                    index,
                }
                .into_handle()
            })
            .collect();
        let mut b: Vec<_> = (0..n / 4)
            .map(|_| {
                ExitB {
                    canary: Canary::new(&DROPS),
                }
                .into_handle()
            })
            .collect();
        let z: Vec<_> = (0..n / 4).map(|_| ExitZst.into_handle()).collect();
        assert!(b.iter().all(|b| std::ptr::addr_of!(**b) as usize % 64 == 0));
        // Drop every third one, from the middle out: many slots move.
        let mut i = a.len() / 2;
        while i < a.len() {
            drop(a.swap_remove(i));
            i += 3;
        }
        let mut i = 0;
        while i < b.len() {
            drop(b.swap_remove(i));
            i += 5;
        }
        // Each object left is checked through its own handle.
        for (k, x) in a.iter().enumerate() {
            x.canary.check();
            let _ = k;
        }
        // Clones counted in the owner's local count, to be dropped elsewhere after the exit.
        let a2: Vec<_> = a.iter().map(AtomicRc::clone).collect();
        let b2: Vec<_> = b.iter().map(AtomicRc::clone).collect();
        let z2: Vec<_> = z.iter().map(AtomicRc::clone).collect();
        tx.send((a2, b2, z2)).unwrap();
        // Wait until the other thread dropped half of them (hand-overs into the open inbox).
        back_rx.recv().unwrap();
        drop(z);
        (a.len(), b.len())
    });
    let (mut a2, mut b2, z2) = rx.recv().unwrap();
    let (left_a, left_b) = (a2.len(), b2.len());
    assert_eq!(live::<ExitZst>(), n / 4);
    // Half dropped before the owner exits (handed over), half after (below zero, then merged).
    let late_a = a2.split_off(a2.len() / 2);
    let late_b = b2.split_off(b2.len() / 2);
    drop(a2);
    drop(b2);
    back_tx.send(()).unwrap();
    assert_eq!(owner.join().unwrap(), (left_a, left_b));
    // The owner kept `a` and `b` until its exit: those objects are alive through `late_*` only.
    for x in &late_a {
        x.canary.check();
        assert!(x.index < n);
    }
    assert_eq!(live::<ExitA>(), late_a.len());
    assert_eq!(live::<ExitB>(), late_b.len());
    drop(z2);
    assert_eq!(live::<ExitZst>(), 0);
    let late = late_a.len() + late_b.len();
    std::thread::spawn(move || drop((late_a, late_b)))
        .join()
        .unwrap();
    assert_eq!(live::<ExitA>(), 0);
    assert_eq!(live::<ExitB>(), 0);
    assert_eq!(DROPS.load(Ordering::Relaxed), n + n / 4);
    let _ = late;
}

// --- 2. Slot races: the owner churns its list while others count ------------------------------

#[gilkit::atomic_rc(biased)]
struct Churn {
    canary: Canary,
}

/// The owner makes and drops biased objects in a scattered order (each drop a `swap_remove`
/// that rewrites another object's `slot`) while other threads clone, drop, and read the
/// `mode`, `strong_count` and value of shared handles to the same objects, beside the slot.
#[test]
fn slot_rewrites_race_non_owner_counting() {
    static DROPS: AtomicUsize = AtomicUsize::new(0);
    let rounds = iters(2_000);
    let workers = 3;
    let (txs, rxs): (Vec<_>, Vec<_>) = (0..workers).map(|_| mpsc::channel::<ChurnRc>()).unzip();
    let readers: Vec<_> = rxs
        .into_iter()
        .map(|rx| {
            std::thread::spawn(move || {
                let mut held = Vec::new();
                for handle in rx {
                    handle.canary.check();
                    assert_eq!(AtomicRc::mode(&handle), Mode::Biased);
                    assert!(AtomicRc::strong_count(&handle) >= 1);
                    let copy = handle.clone();
                    let weak = AtomicRc::downgrade(&copy);
                    held.push(handle);
                    if held.len() > 8 {
                        // Drop from the front: some are the last handle (a hand-over).
                        drop(held.remove(0));
                    }
                    drop(copy);
                    if let Some(up) = weak.upgrade() {
                        up.canary.check();
                    }
                }
                drop(held);
            })
        })
        .collect();
    let mut mine: Vec<ChurnRc> = Vec::new();
    let mut seed = 0x1234_5678_u64;
    for round in 0..rounds {
        let object = Churn {
            canary: Canary::new(&DROPS),
        }
        .into_handle();
        txs[round % workers].send(object.clone()).unwrap();
        mine.push(object);
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        if mine.len() > 16 {
            let i = usize::try_from(seed % mine.len() as u64).unwrap();
            drop(mine.swap_remove(i));
        }
        if round % 64 == 0 {
            merge_deferred();
        }
    }
    drop(txs);
    for r in readers {
        r.join().unwrap();
    }
    drop(mine);
    merge_deferred();
    assert_eq!(live::<Churn>(), 0);
    assert_eq!(DROPS.load(Ordering::Relaxed), rounds);
}

// --- 3. Weak upgrade races --------------------------------------------------------------------

#[gilkit::atomic_rc]
struct WeakAtomic {
    canary: Canary,
}

#[gilkit::atomic_rc(biased)]
struct WeakBiased {
    canary: Canary,
}

#[test]
fn weak_upgrades_race_the_last_drop() {
    static DROPS_A: AtomicUsize = AtomicUsize::new(0);
    static DROPS_B: AtomicUsize = AtomicUsize::new(0);
    let n = iters(2_000);
    for _ in 0..n {
        let a = WeakAtomic {
            canary: Canary::new(&DROPS_A),
        }
        .into_handle();
        let b = WeakBiased {
            canary: Canary::new(&DROPS_B),
        }
        .into_handle();
        let (wa, wb) = (AtomicRc::downgrade(&a), AtomicRc::downgrade(&b));
        let b_shared = b.clone();
        let barrier = std::sync::Arc::new(Barrier::new(2));
        let go = std::sync::Arc::clone(&barrier);
        let t = std::thread::spawn(move || {
            go.wait();
            for _ in 0..4 {
                if let Some(x) = wa.upgrade() {
                    x.canary.check();
                }
                if let Some(x) = wb.upgrade() {
                    x.canary.check();
                }
            }
            drop(b_shared);
            (wa, wb)
        });
        barrier.wait();
        drop(a);
        drop(b);
        let (wa, wb) = t.join().unwrap();
        merge_deferred();
        assert!(wa.upgrade().is_none());
        assert!(wb.upgrade().is_none());
        drop((wa, wb));
    }
    assert_eq!(live::<WeakAtomic>(), 0);
    assert_eq!(live::<WeakBiased>(), 0);
    assert_eq!(DROPS_A.load(Ordering::Relaxed), n);
    assert_eq!(DROPS_B.load(Ordering::Relaxed), n);
}

// --- 4. The cycle collector -----------------------------------------------------------------

/// The collector's tests run one at a time: it misjudges objects changed while it runs.
static COLLECTOR: Mutex<()> = Mutex::new(());

#[gilkit::atomic_rc(collect)]
struct Node {
    next: Mutex<Option<NodeRc>>,
    canary: Canary,
    panics: bool,
}

impl Trace for Node {
    fn trace(&self, visitor: &mut Visitor<'_>) {
        if let Some(next) = &*self.next.lock().unwrap() {
            visitor.visit(next);
        }
    }
    fn clear(&self) {
        let next = self.next.lock().unwrap().take();
        drop(next);
    }
}

impl Drop for Node {
    fn drop(&mut self) {
        assert!(!self.panics, "a node's destructor panics");
    }
}

#[test]
fn collector_frees_garbage_cycles_counted_once_also_when_a_destructor_panics() {
    static DROPS: AtomicUsize = AtomicUsize::new(0);
    let _alone = COLLECTOR
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    let cycles = iters(200);
    for panics in [false, true] {
        let before = DROPS.load(Ordering::Relaxed);
        for i in 0..cycles {
            let make = |p: bool| {
                Node {
                    next: Mutex::new(None),
                    canary: Canary::new(&DROPS),
                    panics: p,
                }
                .into_handle()
            };
            let a = make(panics && i == cycles / 2);
            let b = make(false);
            let c = make(false); // two panicking drops in one collection would abort, as in std
            *a.next.lock().unwrap() = Some(b.clone());
            *b.next.lock().unwrap() = Some(c.clone());
            *c.next.lock().unwrap() = Some(a.clone());
        }
        assert_eq!(live::<Node>(), 3 * cycles);
        // A live one, held from outside, is not collected.
        let kept = Node {
            next: Mutex::new(None),
            canary: Canary::new(&DROPS),
            panics: false,
        }
        .into_handle();
        *kept.next.lock().unwrap() = Some(kept.clone());
        // A panic comes after the clear, so those were cleared; a new run goes on.
        for _ in 0..(3 * cycles + 2) {
            if catch_unwind(collect_cycles).is_ok() {
                break;
            }
        }
        assert_eq!(live::<Node>(), 1, "panics: {panics}");
        assert_eq!(
            DROPS.load(Ordering::Relaxed) - before,
            3 * cycles,
            "panics: {panics}"
        );
        kept.next.lock().unwrap().take();
        drop(kept);
        assert_eq!(live::<Node>(), 0);
        let _ = catch_unwind(collect_cycles);
        assert_eq!(live::<Node>(), 0);
    }
}

/// `AtomicRc::new_collected` of an `#[atomic_rc(collect)]` type counts nothing.
#[gilkit::atomic_rc(collect)]
struct Leaf {
    canary: Canary,
}

impl Trace for Leaf {
    fn trace(&self, _: &mut Visitor<'_>) {}
    fn clear(&self) {}
}

#[test]
fn plain_constructors_of_a_counted_type_touch_no_counter() {
    static DROPS: AtomicUsize = AtomicUsize::new(0);
    let _alone = COLLECTOR
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    let counted = Leaf {
        canary: Canary::new(&DROPS),
    }
    .into_handle();
    assert_eq!(live::<Leaf>(), 1);
    let plain = [
        AtomicRc::new(Leaf {
            canary: Canary::new(&DROPS),
        }),
        AtomicRc::new_collected(Leaf {
            canary: Canary::new(&DROPS),
        }),
        AtomicRc::with_mode(
            Leaf {
                canary: Canary::new(&DROPS),
            },
            Mode::Biased,
        ),
        AtomicRc::with_mode(
            Leaf {
                canary: Canary::new(&DROPS),
            },
            Mode::Atomic,
        ),
    ];
    assert_eq!(live::<Leaf>(), 1);
    let plain_local = AtomicRc::to_local(&plain[2]).unwrap();
    let shared = LocalRc::to_shared(&plain_local);
    std::thread::spawn(move || drop(shared)).join().unwrap();
    drop(plain);
    drop(plain_local);
    merge_deferred();
    collect_cycles();
    assert_eq!(live::<Leaf>(), 1);
    drop(counted);
    assert_eq!(live::<Leaf>(), 0);
    collect_cycles();
    assert_eq!(live::<Leaf>(), 0);
    assert_eq!(DROPS.load(Ordering::Relaxed), 5);
}

// --- 5. Panicking destructors on every path ----------------------------------------------------

#[gilkit::atomic_rc(biased)]
struct Bomb {
    canary: Canary,
    explode: bool,
}

impl Drop for Bomb {
    fn drop(&mut self) {
        assert!(!self.explode, "boom");
    }
}

#[gilkit::atomic_rc]
struct AtomicBomb {
    canary: Canary,
}

impl Drop for AtomicBomb {
    fn drop(&mut self) {
        panic!("atomic boom");
    }
}

#[test]
fn panicking_destructors_are_counted_once_on_every_path() {
    static DROPS: AtomicUsize = AtomicUsize::new(0);
    let bomb = |explode| {
        Bomb {
            canary: Canary::new(&DROPS),
            explode,
        }
        .into_handle()
    };
    // Owner fast free.
    let a = bomb(true);
    assert!(catch_unwind(AssertUnwindSafe(|| drop(a))).is_err());
    assert_eq!(live::<Bomb>(), 0);
    // Owner drop after a Weak (the merge path).
    let b = bomb(true);
    let wb = AtomicRc::downgrade(&b);
    assert!(catch_unwind(AssertUnwindSafe(|| drop(b))).is_err());
    assert_eq!(live::<Bomb>(), 0);
    assert!(wb.upgrade().is_none());
    // Through a LocalRc.
    let c = bomb(true);
    let lc = AtomicRc::to_local(&c).unwrap();
    drop(c);
    assert!(catch_unwind(AssertUnwindSafe(|| drop(lc))).is_err());
    assert_eq!(live::<Bomb>(), 0);
    // Handed over: several, two of which panic in merge_deferred; the rest are requeued.
    let handles: Vec<_> = (0..6).map(|i| bomb(i == 1 || i == 4)).collect();
    std::thread::spawn(move || drop(handles)).join().unwrap();
    assert_eq!(live::<Bomb>(), 6);
    let mut panics = 0;
    for _ in 0..10 {
        match catch_unwind(merge_deferred) {
            Ok(()) => break,
            Err(_) => panics += 1,
        }
    }
    assert_eq!(panics, 2);
    assert_eq!(live::<Bomb>(), 0);
    // Handed over, drained (with a panic) by a new biased allocation.
    let d = bomb(true);
    std::thread::spawn(move || drop(d)).join().unwrap();
    assert!(catch_unwind(|| drop(AtomicRc::with_mode(1_u8, Mode::Biased))).is_err());
    assert_eq!(live::<Bomb>(), 0);
    // Freed on a non-owner after the owner's exit merge.
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        let e = bomb(true);
        tx.send(e.clone()).unwrap();
    })
    .join()
    .unwrap();
    let e = rx.recv().unwrap();
    assert_eq!(live::<Bomb>(), 1);
    assert!(catch_unwind(AssertUnwindSafe(|| drop(e))).is_err());
    assert_eq!(live::<Bomb>(), 0);
    assert_eq!(DROPS.load(Ordering::Relaxed), 1 + 1 + 1 + 6 + 1 + 1);

    // Atomic, last drop on another thread.
    let f = AtomicBomb {
        canary: Canary::new(&DROPS),
    }
    .into_handle();
    let f2 = f.clone();
    drop(f);
    assert!(std::thread::spawn(move || drop(f2)).join().is_err());
    assert_eq!(live::<AtomicBomb>(), 0);
}

// --- 6. LocalRc and to_shared ------------------------------------------------------------------

#[gilkit::atomic_rc(biased)]
struct LocalObj {
    canary: Canary,
}

#[test]
fn local_handles_and_shared_copies_free_once() {
    static DROPS: AtomicUsize = AtomicUsize::new(0);
    let n = iters(500);
    for i in 0..n {
        let object = LocalObj {
            canary: Canary::new(&DROPS),
        }
        .into_handle();
        let local = AtomicRc::to_local(&object).unwrap();
        let locals: Vec<_> = (0..3).map(|_| local.clone()).collect();
        let shared: Vec<_> = locals.iter().map(LocalRc::to_shared).collect();
        let weak = AtomicRc::downgrade(&shared[0]);
        // Vary which handle goes last.
        match i % 4 {
            0 => {
                drop((object, locals, local));
                std::thread::spawn(move || drop(shared)).join().unwrap();
            }
            1 => {
                std::thread::spawn(move || drop(shared)).join().unwrap();
                drop((object, locals));
                drop(local);
            }
            2 => {
                let t = std::thread::spawn(move || drop(shared));
                drop(local);
                drop(object);
                drop(locals);
                t.join().unwrap();
            }
            _ => {
                drop(object);
                let t = std::thread::spawn(move || {
                    let w = weak;
                    if let Some(s) = w.upgrade() {
                        s.canary.check();
                    }
                    drop(shared);
                    w
                });
                drop(locals);
                drop(local);
                let w = t.join().unwrap();
                merge_deferred();
                assert!(w.upgrade().is_none());
                continue;
            }
        }
        merge_deferred();
        assert!(weak.upgrade().is_none());
    }
    assert_eq!(live::<LocalObj>(), 0);
    assert_eq!(DROPS.load(Ordering::Relaxed), n);
}

// --- 7. Immortal objects -----------------------------------------------------------------------

#[gilkit::atomic_rc(immortal)]
struct Forever {
    canary: Canary,
}

/// An immortal object is counted live when made and stays live (it is never freed); no handle
/// operation moves the count.
#[test]
fn immortal_objects_stay_counted_and_are_never_dropped() {
    static DROPS: AtomicUsize = AtomicUsize::new(0);
    let object = Forever {
        canary: Canary::new(&DROPS),
    }
    .into_handle();
    assert_eq!(live::<Forever>(), 1);
    let weak = AtomicRc::downgrade(&object);
    let copies: Vec<_> = (0..10).map(|_| object.clone()).collect();
    std::thread::spawn(move || drop(copies)).join().unwrap();
    drop(object);
    let again = weak.upgrade().unwrap();
    again.canary.check();
    drop((again, weak));
    assert_eq!(live::<Forever>(), 1);
    assert_eq!(DROPS.load(Ordering::Relaxed), 0);
}

// --- 8. Generic types share one counter; the erased free keeps each instantiation's `T` --------

#[gilkit::atomic_rc(biased)]
struct Generic<V: Send + Sync + 'static> {
    value: V,
    canary: Canary,
}

#[test]
fn generic_instantiations_share_a_counter_and_free_as_their_own_type() {
    static DROPS: AtomicUsize = AtomicUsize::new(0);
    static STRING_DROPS: AtomicUsize = AtomicUsize::new(0);
    struct Noisy(String);
    impl Drop for Noisy {
        fn drop(&mut self) {
            assert_eq!(self.0, "noisy");
            STRING_DROPS.fetch_add(1, Ordering::Relaxed);
        }
    }
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        let a = Generic {
            value: 1_u8,
            canary: Canary::new(&DROPS),
        }
        .into_handle();
        let b = Generic {
            value: Noisy("noisy".into()),
            canary: Canary::new(&DROPS),
        }
        .into_handle();
        let c = Generic {
            value: [7_u64; 9],
            canary: Canary::new(&DROPS),
        }
        .into_handle();
        tx.send((a.clone(), b.clone(), c.clone())).unwrap();
        // The owner exits holding them: the merge, then the last drops elsewhere.
    })
    .join()
    .unwrap();
    let (a, b, c) = rx.recv().unwrap();
    assert_eq!(live::<Generic<u8>>(), 3);
    assert_eq!(live::<Generic<Noisy>>(), 3);
    assert_eq!((a.value, b.value.0.as_str(), c.value[8]), (1, "noisy", 7));
    drop(a);
    drop(b);
    drop(c);
    assert_eq!(live::<Generic<()>>(), 0);
    assert_eq!(DROPS.load(Ordering::Relaxed), 3);
    assert_eq!(STRING_DROPS.load(Ordering::Relaxed), 1);
}

// --- 9. The biased fallback: objects made after the owner's list is gone ----------------------

#[gilkit::atomic_rc(biased)]
struct Late {
    canary: Canary,
}

#[gilkit::atomic_rc(biased)]
struct Trigger {
    canary: Canary,
    /// Made in this object's destructor, which runs inside the owner's exit (its list gone).
    made: &'static Mutex<Vec<(Mode, LateRc)>>,
}

impl Drop for Trigger {
    fn drop(&mut self) {
        let late = Late {
            canary: Canary::new(self.canary.drops),
        }
        .into_handle();
        let mode = AtomicRc::mode(&late);
        // A second one dropped at once, here: freed once, through the fallback header.
        let gone = Late {
            canary: Canary::new(self.canary.drops),
        }
        .into_handle();
        assert_eq!(AtomicRc::mode(&gone), mode);
        let weak = AtomicRc::downgrade(&gone);
        drop(gone);
        assert!(weak.upgrade().is_none());
        self.made.lock().unwrap().push((mode, late));
    }
}

/// Thread-local destructor that makes biased objects after (or before) the owner's exit merge.
struct MakesLate {
    drops: &'static AtomicUsize,
    made: &'static Mutex<Vec<(Mode, LateRc)>>,
}

impl Drop for MakesLate {
    fn drop(&mut self) {
        for _ in 0..3 {
            let late = Late {
                canary: Canary::new(self.drops),
            }
            .into_handle();
            let mode = AtomicRc::mode(&late);
            let copy = late.clone();
            if let Some(local) = AtomicRc::to_local(&late) {
                drop(LocalRc::to_shared(&local));
            }
            drop(copy);
            self.made.lock().unwrap().push((mode, late));
        }
    }
}

thread_local! {
    static MAKES_LATE: RefCell<Option<MakesLate>> = const { RefCell::new(None) };
}

#[test]
fn biased_objects_made_during_and_after_the_owners_exit_fall_back_to_atomic_and_count_once() {
    static DROPS: AtomicUsize = AtomicUsize::new(0);
    static MADE: Mutex<Vec<(Mode, LateRc)>> = Mutex::new(Vec::new());
    // (a) From the destructor of an object freed by the exit merge itself: the owner hands a
    //     copy to another thread, whose drop goes to the inbox; the exit then frees it.
    let (tx, rx) = mpsc::channel();
    let (done_tx, done_rx) = mpsc::channel::<()>();
    let owner = std::thread::spawn(move || {
        let t = Trigger {
            canary: Canary::new(&DROPS),
            made: &MADE,
        }
        .into_handle();
        tx.send(t.clone()).unwrap();
        drop(t);
        done_rx.recv().unwrap(); // the other drop is in the inbox now
    });
    let copy = rx.recv().unwrap();
    std::thread::spawn(move || drop(copy)).join().unwrap();
    done_tx.send(()).unwrap();
    owner.join().unwrap();
    assert_eq!(live::<Trigger>(), 0);
    // (b) From thread-local destructors registered before and after the owner's list, and (c)
    //     on a thread whose first biased object is made inside a thread-local destructor.
    for (slot_first, no_biased_before) in [(true, false), (false, false), (true, true)] {
        std::thread::spawn(move || {
            if no_biased_before {
                MAKES_LATE.with(|s| {
                    *s.borrow_mut() = Some(MakesLate {
                        drops: &DROPS,
                        made: &MADE,
                    });
                });
                return;
            }
            if slot_first {
                MAKES_LATE.with(|s| {
                    *s.borrow_mut() = Some(MakesLate {
                        drops: &DROPS,
                        made: &MADE,
                    });
                });
            }
            drop(
                Late {
                    canary: Canary::new(&DROPS),
                }
                .into_handle(),
            );
            if !slot_first {
                MAKES_LATE.with(|s| {
                    *s.borrow_mut() = Some(MakesLate {
                        drops: &DROPS,
                        made: &MADE,
                    });
                });
            }
        })
        .join()
        .unwrap();
    }
    let made = std::mem::take(&mut *MADE.lock().unwrap());
    let modes: Vec<_> = made.iter().map(|(m, _)| *m).collect();
    eprintln!("modes of the late objects: {modes:?}");
    assert_eq!(
        modes[0],
        Mode::Atomic,
        "made inside the exit merge: the fallback"
    );
    assert_eq!(live::<Late>(), made.len());
    for (mode, late) in &made {
        late.canary.check();
        assert_eq!(AtomicRc::mode(late), *mode);
    }
    // Dropped on a thread that owns none of them.
    std::thread::spawn(move || drop(made)).join().unwrap();
    merge_deferred();
    assert_eq!(live::<Late>(), 0);
    assert_eq!(live::<Trigger>(), 0);
}

// --- 10. Re-entrant frees: destructors that make and drop objects while the inbox drains -------

#[gilkit::atomic_rc(biased)]
struct Parent {
    canary: Canary,
    child: Mutex<Option<ChildRc>>,
}

impl Drop for Parent {
    fn drop(&mut self) {
        // A new biased object made inside a drain (its `allocate` drains again).
        let fresh = Child {
            canary: Canary::new(self.canary.drops),
        }
        .into_handle();
        let keep = fresh.clone();
        std::thread::spawn(move || drop(keep)).join().unwrap(); // handed over
        drop(fresh);
    }
}

#[gilkit::atomic_rc(biased)]
struct Child {
    canary: Canary,
}

#[test]
fn destructors_that_make_and_hand_over_objects_inside_a_drain() {
    static DROPS: AtomicUsize = AtomicUsize::new(0);
    let n = iters(100);
    let parents: Vec<_> = (0..n)
        .map(|_| {
            Parent {
                canary: Canary::new(&DROPS),
                child: Mutex::new(Some(
                    Child {
                        canary: Canary::new(&DROPS),
                    }
                    .into_handle(),
                )),
            }
            .into_handle()
        })
        .collect();
    std::thread::spawn(move || drop(parents)).join().unwrap();
    assert_eq!(live::<Parent>(), n);
    for _ in 0..4 {
        merge_deferred();
    }
    assert_eq!(live::<Parent>(), 0);
    assert_eq!(live::<Child>(), 0);
    assert_eq!(DROPS.load(Ordering::Relaxed), 3 * n);
}

// --- 11. per_field_lock(rc = biased) touches no live counter -----------------------------------

#[gilkit::per_field_lock(rc = biased)]
struct Locked {
    value: u64,
    #[field(no_lock)]
    drops: &'static AtomicUsize,
}

impl Drop for Locked {
    fn drop(&mut self) {
        self.drops.fetch_add(1, Ordering::Relaxed);
    }
}

#[test]
fn per_field_lock_rc_objects_free_once() {
    static DROPS: AtomicUsize = AtomicUsize::new(0);
    let n = iters(200);
    for i in 0..n {
        let handle = Locked::new(5, &DROPS).into_handle();
        assert_eq!(AtomicRc::mode(&handle), Mode::Biased);
        let copy = handle.clone();
        let t = std::thread::spawn(move || {
            *copy.value().lock() += 1;
            drop(copy);
        });
        if i % 2 == 0 {
            t.join().unwrap();
            drop(handle);
        } else {
            drop(handle);
            t.join().unwrap();
        }
        merge_deferred();
    }
    assert_eq!(DROPS.load(Ordering::Relaxed), n);
}

// --- 12. The size the commit claims ------------------------------------------------------------

/// The header is `Arc`'s 24 bytes on 64-bit targets (two counts and a pointer): a block of a
/// zero-sized value is the header alone. A biased object has the owner's 16 bytes in front.
#[test]
#[cfg(target_pointer_width = "64")]
fn the_header_is_arcs_24_bytes() {
    assert_eq!(AtomicRc::<()>::block_size(Mode::Atomic), 24);
    assert_eq!(AtomicRc::<()>::block_size(Mode::Immortal), 24);
    assert_eq!(AtomicRc::<u64>::block_size(Mode::Atomic), 32);
    assert_eq!(AtomicRc::<[u64; 4]>::block_size(Mode::Atomic), 56); // 64 with the handle
    assert_eq!(AtomicRc::<()>::block_size(Mode::Biased), 40);
    assert_eq!(AtomicRc::<[u64; 4]>::block_size(Mode::Biased), 72);
}

/// A value aligned past the header sits at its alignment in every mode, also behind a hybrid or
/// biased object's owner fields, and each object is freed with the layout it was made with (Miri
/// checks the deallocation's layout).
#[test]
fn an_over_aligned_value_is_aligned_in_every_mode() {
    #[repr(align(256))]
    struct Wide(u8);
    impl Drop for Wide {
        fn drop(&mut self) {
            WIDE_DROPS.fetch_add(1, Ordering::Relaxed);
        }
    }
    static WIDE_DROPS: AtomicUsize = AtomicUsize::new(0);

    assert_eq!(AtomicRc::<Wide>::block_size(Mode::Atomic), 512);
    assert_eq!(AtomicRc::<Wide>::block_size(Mode::Hybrid), 768);
    assert_eq!(AtomicRc::<Wide>::block_size(Mode::Biased), 768);
    for mode in [Mode::Atomic, Mode::Hybrid, Mode::Biased] {
        let rc = AtomicRc::with_mode(Wide(7), mode);
        assert_eq!(
            std::ptr::from_ref::<Wide>(&rc) as usize % 256,
            0,
            "{mode:?}"
        );
        let local = AtomicRc::to_local(&rc);
        assert_eq!(local.is_some(), mode != Mode::Atomic);
        let weak = AtomicRc::downgrade(&rc);
        let other = rc.clone();
        std::thread::spawn(move || assert_eq!(other.0, 7))
            .join()
            .unwrap();
        drop((rc, local));
        merge_deferred();
        assert!(weak.upgrade().is_none(), "{mode:?}");
    }
    assert_eq!(WIDE_DROPS.load(Ordering::Relaxed), 3);
}
