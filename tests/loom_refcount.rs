//! loom models of `gilkit::refcount`: every count protocol is freed exactly once, never used after
//! the free, and never leaked. Each model has its negative control beside it: the same scenario
//! with the protection removed, which loom must catch (a `#[should_panic]` test).
//!
//! Run: `RUSTFLAGS="--cfg loom" cargo test --release --target-dir target/loom -p gilkit --test loom_refcount`
//! (the test command does, with no preemption bound).
#![cfg(loom)]

use gilkit::refcount::{AtomicRc, LocalRc, Mode};
use loom::cell::UnsafeCell;
use loom::sync::atomic::{AtomicUsize, Ordering};
use loom::thread;
use std::mem::ManuallyDrop;

/// The shared value: a cell that one thread writes and the free reads (so loom checks that the
/// free happens after every use), a drop counter that catches a double free at once, and a loom
/// `Arc` that loom reports as leaked at the end of an execution if the value was never freed.
struct Probe {
    drops: &'static AtomicUsize,
    data: UnsafeCell<usize>,
    leak_check: ManuallyDrop<loom::sync::Arc<()>>,
}

// SAFETY: each model writes `data` from one thread only, and the free reads it; loom checks
// that these accesses are ordered.
unsafe impl Sync for Probe {}

impl Probe {
    fn new() -> (Self, &'static AtomicUsize) {
        let drops: &'static AtomicUsize = Box::leak(Box::new(AtomicUsize::new(0)));
        (
            Self {
                drops,
                data: UnsafeCell::new(0),
                leak_check: ManuallyDrop::new(loom::sync::Arc::new(())),
            },
            drops,
        )
    }

    /// A use of the object that the free must happen after.
    fn write(&self) {
        // SAFETY: in every model only one thread writes, and loom checks it against the free.
        self.data.with_mut(|d| unsafe { *d += 1 });
    }
}

impl Drop for Probe {
    fn drop(&mut self) {
        if thread::panicking() {
            // A model already failed; a second panic (or a second drop of the loom `Arc`) would
            // abort the test process.
            return;
        }
        // First, before touching anything else: a second drop is a double free.
        assert_eq!(self.drops.fetch_add(1, Ordering::Relaxed), 0, "double free");
        // SAFETY: loom reports a causality violation if this read is not ordered after `write`.
        self.data.with(|d| unsafe { assert!(*d <= 1) });
        // SAFETY: dropped once: a second drop of the probe panicked above.
        unsafe { ManuallyDrop::drop(&mut self.leak_check) };
    }
}

fn assert_freed_once(drops: &AtomicUsize) {
    assert_eq!(
        drops.load(Ordering::Relaxed),
        1,
        "leaked: the object was never freed"
    );
}

// --- atomic mode: clones and drops on three threads ---------------------------------------------

fn clones_and_drops(drop_fn: fn(AtomicRc<Probe>)) {
    loom::model(move || {
        let (probe, drops) = Probe::new();
        let rc = AtomicRc::new(probe);
        let writer = rc.clone();
        let other = rc.clone();
        let t1 = thread::spawn(move || {
            writer.write();
            drop_fn(writer);
        });
        let t2 = thread::spawn(move || {
            drop(other.clone());
            drop_fn(other);
        });
        drop_fn(rc);
        t1.join().unwrap();
        t2.join().unwrap();
        assert_freed_once(drops);
    });
}

#[test]
fn clones_and_drops_on_three_threads_free_once() {
    clones_and_drops(drop);
}

#[test]
#[should_panic(expected = "Causality violation")]
fn control_relaxed_decrement_without_fence_frees_before_a_use() {
    clones_and_drops(AtomicRc::__drop_relaxed_no_fence);
}

/// Drops only (no clones race the decrements), so the lost updates of the broken decrement
/// leak instead of freeing early: loom must find the leak.
fn drops_only(drop_fn: fn(AtomicRc<Probe>)) {
    loom::model(move || {
        let (probe, drops) = Probe::new();
        let rc = AtomicRc::new(probe);
        let (a, b) = (rc.clone(), rc.clone());
        let t1 = thread::spawn(move || drop_fn(a));
        let t2 = thread::spawn(move || drop_fn(b));
        drop_fn(rc);
        t1.join().unwrap();
        t2.join().unwrap();
        assert_freed_once(drops);
    });
}

#[test]
fn drops_on_three_threads_free_once() {
    drops_only(drop);
}

#[test]
#[should_panic(expected = "leaked")]
fn control_decrement_as_load_and_store_loses_updates() {
    drops_only(AtomicRc::__drop_not_atomic);
}

// --- Weak::upgrade racing the last strong drop --------------------------------------------------

fn upgrade_races_last_drop(upgrade: fn(&gilkit::refcount::Weak<Probe>) -> Option<AtomicRc<Probe>>) {
    loom::model(move || {
        let (probe, drops) = Probe::new();
        let rc = AtomicRc::new(probe);
        let weak = AtomicRc::downgrade(&rc);
        let t = thread::spawn(move || {
            // Never dropped while a control's model unwinds: its object may be freed already.
            let weak = ManuallyDrop::new(weak);
            if let Some(strong) = upgrade(&weak) {
                let strong = ManuallyDrop::new(strong);
                strong.write();
                drop(ManuallyDrop::into_inner(strong));
            }
            drop(ManuallyDrop::into_inner(weak));
        });
        drop(rc);
        t.join().unwrap();
        assert_freed_once(drops);
    });
}

#[test]
fn weak_upgrade_racing_the_last_strong_drop_never_revives() {
    upgrade_races_last_drop(gilkit::refcount::Weak::upgrade);
}

#[test]
#[should_panic]
#[allow(
    clippy::should_panic_without_expect,
    reason = "loom reports a use after free (a causality violation) or a leak or double free, whichever interleaving it explores first"
)]
fn control_upgrade_check_then_increment_revives_a_freed_object() {
    upgrade_races_last_drop(gilkit::refcount::Weak::__upgrade_check_then_act);
}

// --- biased mode ---------------------------------------------------------------------------------

/// The owner (this thread) and a non-owner (which upgraded a `Weak`, so it counts in the shared
/// word) drop concurrently: loom runs both orders, and the upgrade racing the owner's merge.
fn owner_and_non_owner_drop(owner_drop: fn(AtomicRc<Probe>)) {
    loom::model(move || {
        let (probe, drops) = Probe::new();
        let rc = AtomicRc::with_mode(probe, Mode::Biased);
        let weak = AtomicRc::downgrade(&rc);
        let t = thread::spawn(move || {
            if let Some(strong) = weak.upgrade() {
                strong.write();
            }
        });
        owner_drop(rc);
        t.join().unwrap();
        assert_freed_once(drops);
    });
}

#[test]
fn biased_owner_and_non_owner_drop_in_either_order() {
    owner_and_non_owner_drop(drop);
}

/// Without the flag, a non-owner's last drop cannot free (a leak), and a merge that frees leaves
/// the word looking unmerged, so a `Weak` can still upgrade (a use after free): loom finds one.
#[test]
#[should_panic]
#[allow(
    clippy::should_panic_without_expect,
    reason = "loom reports a use after free (a causality violation) or a leak or double free, whichever interleaving it explores first"
)]
fn control_merge_without_the_flag_leaks_or_revives() {
    owner_and_non_owner_drop(AtomicRc::__drop_merge_without_flag);
}

/// The lost update either hides a decrement (a leak) or an upgrade (a free while the upgraded
/// handle is in use, which loom reports as a causality violation).
#[test]
#[should_panic]
#[allow(
    clippy::should_panic_without_expect,
    reason = "loom reports a use after free (a causality violation) or a leak or double free, whichever interleaving it explores first"
)]
fn control_merge_as_load_and_store_loses_an_update() {
    owner_and_non_owner_drop(AtomicRc::__drop_merge_not_atomic);
}

/// A non-owner drops the last reference, one the owner counted locally: it cannot count below
/// zero, so it hands the reference to the owner's inbox; the owner's `merge_deferred`, racing
/// the hand-over, or its second call after the join, drops it locally and frees the object.
fn non_owner_last_drop(non_owner_drop: fn(AtomicRc<Probe>)) {
    loom::model(move || {
        let (probe, drops) = Probe::new();
        let rc = AtomicRc::with_mode(probe, Mode::Biased);
        rc.write();
        let sent = rc.clone(); // counted in the owner's local count
        let t = thread::spawn(move || non_owner_drop(sent));
        drop(rc);
        gilkit::refcount::merge_deferred();
        t.join().unwrap();
        gilkit::refcount::merge_deferred();
        assert_freed_once(drops);
    });
}

#[test]
fn biased_last_drop_on_a_non_owner_is_handed_to_the_owner() {
    non_owner_last_drop(drop);
}

/// Without the hand-over the count goes below zero, and only the owner's exit would free the
/// object: `merge_deferred` frees nothing, and the check after it reports the leak.
#[test]
#[should_panic(expected = "leaked")]
fn control_counting_below_zero_without_hand_over_waits_for_the_owner_exit() {
    non_owner_last_drop(AtomicRc::__drop_without_hand_over);
}

/// The owner thread makes the object, sends a clone (counted in its local count) to another
/// thread and exits; that thread clones and drops. The owner's exit (close the inbox, merge)
/// races its drops, including the last one, which hands over to the inbox or, once it is closed,
/// counts below zero for the exit merge to make up.
fn owner_exits_first(skip_exit_merge: bool, last_drop: fn(AtomicRc<Probe>)) {
    loom::model(move || {
        let (probe, drops) = Probe::new();
        let owner = thread::spawn(move || {
            let rc = AtomicRc::with_mode(probe, Mode::Biased);
            rc.write();
            let sent = rc.clone();
            let t = thread::spawn(move || {
                let mine = sent.clone(); // a non-owner clone: the shared word
                drop(sent);
                last_drop(mine);
            });
            drop(rc); // the local count stays 1: `sent`
            if skip_exit_merge {
                gilkit::refcount::__skip_exit_merge();
            }
            t
        });
        let t = owner.join().unwrap();
        t.join().unwrap();
        // No `assert_freed_once` here: loom's `join` returns before the joined thread's locals
        // are destroyed, so the exit merge may still be pending. Loom's leak check of the
        // probe's `Arc`, after every thread has ended, proves the free instead.
        let _ = drops;
    });
}

#[test]
fn biased_owner_thread_exits_first_and_its_exit_merges() {
    owner_exits_first(false, drop);
}

/// A hand-over that ignores the closed inbox, after the owner's exit drained it: nobody drops
/// that reference, and loom reports the leak.
#[test]
#[should_panic(expected = "leaked")]
fn control_hand_over_after_the_owner_exit_leaks() {
    owner_exits_first(false, AtomicRc::__drop_ignoring_closed_inbox);
}

#[test]
#[should_panic(expected = "leaked")]
fn control_owner_exit_without_merge_leaks() {
    owner_exits_first(true, drop);
}

// --- immortal mode ---------------------------------------------------------------------------

/// Counts its drops; no leak check, since an immortal object is leaked on purpose.
struct Counted(&'static AtomicUsize);

impl Drop for Counted {
    fn drop(&mut self) {
        self.0.fetch_add(1, Ordering::Relaxed);
    }
}

/// Clones and drops on two threads; `last_drop` is the main thread's drop of the last handle,
/// after the other thread is done (so that a broken one frees nothing that is still in use).
fn immortal_clones_and_drops(last_drop: fn(AtomicRc<Counted>)) {
    loom::model(move || {
        let drops: &'static AtomicUsize = Box::leak(Box::new(AtomicUsize::new(0)));
        let rc = AtomicRc::with_mode(Counted(drops), Mode::Immortal);
        let other = rc.clone();
        let t = thread::spawn(move || drop(other.clone()));
        drop(rc.clone());
        t.join().unwrap();
        last_drop(rc);
        let freed = drops.load(Ordering::Relaxed);
        assert_eq!(freed, 0, "an immortal object was freed");
    });
}

#[test]
fn immortal_clones_and_drops_never_free() {
    immortal_clones_and_drops(drop);
}

/// Counting an immortal object's drops (its count starts at one and is never incremented)
/// frees it at the first drop.
#[test]
#[should_panic(expected = "an immortal object was freed")]
fn control_immortal_drop_that_counts_frees_it() {
    immortal_clones_and_drops(AtomicRc::__drop_immortal_as_atomic);
}

// --- the cycle collector -----------------------------------------------------------------------

/// A node of a collected cycle; its link sits behind a loom mutex, so loom sees the collector's
/// `trace` and `clear` race with the other threads.
struct CcNode {
    next: loom::sync::Mutex<Option<AtomicRc<CcNode>>>,
    probe: Probe,
}

impl gilkit::refcount::Trace for CcNode {
    fn trace(&self, visitor: &mut gilkit::refcount::Visitor<'_>) {
        if let Some(next) = &*self.next.lock().unwrap() {
            visitor.visit(next);
        }
    }

    fn clear(&self) {
        let next = self.next.lock().unwrap().take();
        drop(next); // outside the lock: dropping it may free a node that traces this one
    }
}

/// A two-node cycle; another thread holds an outside handle to one node, checks that its link
/// is intact, and drops it while this thread runs the collector. The collector must not cut a
/// cycle that the outside handle still reaches, and the cycle is freed (by the first run or by
/// a second one after the join) exactly once.
fn collect_while_an_outside_handle_drops(collect: fn() -> usize) {
    loom::model(move || {
        let (pa, da) = Probe::new();
        let (pb, db) = Probe::new();
        let a = AtomicRc::new_collected(CcNode {
            next: loom::sync::Mutex::new(None),
            probe: pa,
        });
        let b = AtomicRc::new_collected(CcNode {
            next: loom::sync::Mutex::new(Some(a.clone())),
            probe: pb,
        });
        *a.next.lock().unwrap() = Some(b.clone());
        let outside = a.clone();
        drop((a, b));
        let t = thread::spawn(move || {
            outside.probe.write();
            assert!(
                outside.next.lock().unwrap().is_some(),
                "the collector cut a live cycle"
            );
        });
        collect();
        t.join().unwrap();
        gilkit::refcount::collect_cycles();
        assert_freed_once(da);
        assert_freed_once(db);
    });
}

#[test]
fn collector_racing_an_outside_drop_frees_the_cycle_once() {
    collect_while_an_outside_handle_drops(gilkit::refcount::collect_cycles);
}

#[test]
#[should_panic(expected = "the collector cut a live cycle")]
fn control_collector_ignoring_outside_references_cuts_a_live_cycle() {
    collect_while_an_outside_handle_drops(
        gilkit::refcount::__collect_cycles_ignoring_outside_references,
    );
}

// --- the owner's local handle --------------------------------------------------------------------

/// The owner (this thread) clones and drops local handles (plain counts, no thread check) and
/// converts between local and shared handles, while a non-owner uses and drops a shared handle
/// (and tries to make a local one, which `make_local` must refuse): freed once, after the use.
fn local_and_shared(make_local: fn(&AtomicRc<Probe>) -> Option<LocalRc<Probe>>) {
    loom::model(move || {
        let (probe, drops) = Probe::new();
        let rc = AtomicRc::with_mode(probe, Mode::Biased);
        let shared = rc.clone();
        let t = thread::spawn(move || {
            if let Some(local) = make_local(&shared) {
                drop(local.clone());
                drop(local);
            }
            shared.write();
            drop(shared);
        });
        let local = AtomicRc::to_local(&rc).expect("the owner makes a local handle");
        let copy = local.clone();
        drop(rc);
        let back = LocalRc::to_shared(&copy);
        drop(local);
        drop(copy);
        drop(back); // the owner's local count is still 1: `shared`, counted here when cloned
        t.join().unwrap();
        // The non-owner's drop may have come first and been handed to this thread's inbox.
        gilkit::refcount::merge_deferred();
        assert_freed_once(drops);
    });
}

#[test]
fn local_handles_on_the_owner_beside_a_shared_one_free_once() {
    local_and_shared(AtomicRc::to_local);
}

/// A local handle made on a non-owner thread counts in the owner's local count from two threads
/// at once: loom reports the race on it.
#[test]
#[should_panic(expected = "Causality violation")]
fn control_a_local_handle_on_another_thread_races_the_owner() {
    local_and_shared(|rc| Some(AtomicRc::__to_local_unchecked(rc)));
}

/// The owner's last local reference is a `LocalRc` (no thread check on its drop), and its drop
/// merges while a non-owner upgrades a `Weak` (counting in the shared word), uses the object and
/// drops it: loom runs the merge before, between and after the non-owner's steps; then the owner
/// upgrades a `Weak` of its own and drops that handle after its merge (a merged owner's decrement
/// must go to the shared word). Freed once, after the use, and never revived. (In
/// `local_and_shared` the merge is always the inbox drain's, never a `LocalRc`'s drop.)
#[test]
fn a_local_handle_merging_races_a_non_owner_upgrade() {
    loom::model(|| {
        let (probe, drops) = Probe::new();
        let rc = AtomicRc::with_mode(probe, Mode::Biased);
        let weak = AtomicRc::downgrade(&rc);
        let mine = weak.clone();
        let t = thread::spawn(move || {
            if let Some(strong) = weak.upgrade() {
                strong.write();
            }
        });
        let local = AtomicRc::to_local(&rc).expect("the owner makes a local handle");
        drop(rc);
        let copy = local.clone();
        drop(local);
        drop(copy); // the owner's last local reference: it merges
                    // After the merge the owner counts in the shared word too, also racing the non-owner.
        if let Some(again) = mine.upgrade() {
            assert!(AtomicRc::to_local(&again).is_none(), "merged");
            drop(again);
        }
        t.join().unwrap();
        assert_freed_once(drops);
    });
}

// --- the owner's fast free (PEP 703): no RMW when nothing else can reach the object ----------------

/// A non-owner clones a handle the owner counted (the copy counts in the shared word), sends the
/// original back, and uses and drops its copy while the owner drops the last two local
/// references. The owner's last drop reads the shared word: the copy (merge instead) or its
/// drop, which the `Acquire` load must order before the free.
fn shared_copy_dies_beside_the_owners_last_drop(owner_drop: fn(AtomicRc<Probe>)) {
    loom::model(move || {
        let (probe, drops) = Probe::new();
        let rc = AtomicRc::with_mode(probe, Mode::Biased);
        let sent = rc.clone(); // counted in the owner's local count
        let slot = loom::sync::Arc::new(loom::sync::Mutex::new(None));
        let back = slot.clone();
        let t = thread::spawn(move || {
            let copy = sent.clone(); // counted in the shared word
            *back.lock().unwrap() = Some(sent);
            copy.write();
            drop(copy);
        });
        let returned = loop {
            if let Some(handle) = slot.lock().unwrap().take() {
                break handle;
            }
            thread::yield_now();
        };
        drop(returned);
        owner_drop(rc); // the owner's last local reference
        t.join().unwrap();
        assert_freed_once(drops);
    });
}

#[test]
fn the_owners_fast_free_comes_after_a_shared_copys_use() {
    shared_copy_dies_beside_the_owners_last_drop(drop);
}

#[test]
#[should_panic(expected = "Causality violation")]
fn control_fast_free_reading_the_shared_word_relaxed_frees_before_a_use() {
    shared_copy_dies_beside_the_owners_last_drop(AtomicRc::__drop_fast_free_relaxed);
}

/// A non-owner upgrades a `Weak`, drops the `Weak`, and then uses and drops the upgraded handle,
/// while the owner drops its last local reference: its fast path must see that a `Weak` was
/// made (the flag in the shared word), whichever order loom runs them in.
fn weak_dropped_before_its_upgrade(owner_drop: fn(AtomicRc<Probe>)) {
    loom::model(move || {
        let (probe, drops) = Probe::new();
        let rc = AtomicRc::with_mode(probe, Mode::Biased);
        let weak = AtomicRc::downgrade(&rc);
        let t = thread::spawn(move || {
            let strong = weak.upgrade();
            drop(weak);
            if let Some(strong) = strong {
                strong.write();
            }
        });
        owner_drop(rc);
        t.join().unwrap();
        assert_freed_once(drops);
    });
}

#[test]
fn the_owners_fast_free_never_races_an_upgrade() {
    weak_dropped_before_its_upgrade(drop);
}

#[test]
#[should_panic]
#[allow(
    clippy::should_panic_without_expect,
    reason = "loom reports a use after free (a causality violation) or a leak or double free, whichever interleaving it explores first"
)]
fn control_fast_free_ignoring_weak_frees_an_object_being_upgraded() {
    weak_dropped_before_its_upgrade(AtomicRc::__drop_fast_free_ignoring_weak);
}

/// A handle counted in the shared word makes a `Weak` and drops itself, and the `Weak` upgrades
/// and uses the object, while the owner drops its last local reference (a review's finding: a
/// weak count read apart from the shared word missed this `Weak`, made between the two reads,
/// and the owner freed the object under the upgrade).
fn weak_made_from_a_shared_handle(owner_drop: fn(AtomicRc<Probe>)) {
    loom::model(move || {
        let (probe, drops) = Probe::new();
        let rc = AtomicRc::with_mode(probe, Mode::Biased);
        let shared = AtomicRc::downgrade(&rc).upgrade().expect("alive"); // in the shared word
        let t = thread::spawn(move || {
            let weak = AtomicRc::downgrade(&shared);
            drop(shared);
            if let Some(again) = weak.upgrade() {
                again.write();
            }
        });
        owner_drop(rc);
        t.join().unwrap();
        assert_freed_once(drops);
    });
}

#[test]
fn a_weak_made_from_a_shared_handle_keeps_the_fast_free_off() {
    weak_made_from_a_shared_handle(drop);
}

#[test]
#[should_panic]
#[allow(
    clippy::should_panic_without_expect,
    reason = "loom reports a use after free (a causality violation) or a leak or double free, whichever interleaving it explores first"
)]
fn control_fast_free_ignoring_the_weak_flag_frees_under_an_upgrade() {
    weak_made_from_a_shared_handle(AtomicRc::__drop_fast_free_ignoring_weak);
}

// --- hybrid mode: the local handles hold one atomic count between them ---------------------------

/// The owner (this thread) makes local handles, clones and drops them and converts back and
/// forth, while a non-owner uses and drops a shared handle (and tries to make a local one, which
/// `make_local` must refuse). The owner's `LocalRc`s hold one strong count together: the last
/// one's drop may be the object's last count, or the non-owner's drop may be.
fn hybrid_local_and_shared(
    local_on_the_owner: fn(&AtomicRc<Probe>) -> Option<LocalRc<Probe>>,
    local_elsewhere: fn(&AtomicRc<Probe>) -> Option<LocalRc<Probe>>,
) {
    loom::model(move || {
        let (probe, drops) = Probe::new();
        let rc = AtomicRc::with_mode(probe, Mode::Hybrid);
        let shared = rc.clone();
        let t = thread::spawn(move || {
            if let Some(local) = local_elsewhere(&shared) {
                drop(local.clone());
                drop(local);
            }
            shared.write();
            drop(shared);
        });
        let local = local_on_the_owner(&rc).expect("the owner makes a local handle");
        drop(rc); // from here on, only the local handles' count keeps the object on this thread
        let copy = local.clone();
        let back = LocalRc::to_shared(&copy);
        drop(local);
        drop(copy); // the last local handle: gives back the local handles' count
        drop(back);
        t.join().unwrap();
        assert_freed_once(drops);
    });
}

#[test]
fn hybrid_local_handles_beside_a_shared_one_free_once() {
    hybrid_local_and_shared(AtomicRc::to_local, AtomicRc::to_local);
}

/// A local handle made on a non-owner thread counts in the owner's local count from two threads
/// at once: loom reports the race on it.
#[test]
#[should_panic(expected = "Causality violation")]
fn control_a_hybrid_local_handle_on_another_thread_races_the_owner() {
    hybrid_local_and_shared(AtomicRc::to_local, |rc| {
        Some(AtomicRc::__to_local_unchecked(rc))
    });
}

/// The owner's first local handle takes no strong count, but the last one's drop gives one back:
/// the object is freed while the non-owner may still use it.
#[test]
#[should_panic]
#[allow(
    clippy::should_panic_without_expect,
    reason = "loom reports a use after free (a causality violation) or a double free, whichever interleaving it explores first"
)]
fn control_hybrid_local_handles_without_their_count_free_too_early() {
    hybrid_local_and_shared(
        |rc| Some(AtomicRc::__to_local_unchecked(rc)),
        AtomicRc::to_local,
    );
}

/// The owner's last local handle gives back the local handles' count while a non-owner upgrades
/// a `Weak`, uses the object and drops it; then the owner makes a local handle again from a
/// `Weak` of its own, if the object still lives (a new first local handle, a new count). Freed
/// once, after the use, and never revived.
#[test]
fn hybrid_last_local_drop_races_a_non_owner_upgrade() {
    loom::model(|| {
        let (probe, drops) = Probe::new();
        let rc = AtomicRc::with_mode(probe, Mode::Hybrid);
        let weak = AtomicRc::downgrade(&rc);
        let mine = weak.clone();
        let t = thread::spawn(move || {
            if let Some(strong) = weak.upgrade() {
                strong.write();
            }
        });
        let local = AtomicRc::to_local(&rc).expect("the owner makes a local handle");
        drop(rc);
        drop(local); // the object's last count, unless the non-owner's upgrade holds one
        if let Some(again) = mine.upgrade() {
            let local = AtomicRc::to_local(&again).expect("still the owner");
            drop(again);
            drop(local);
        }
        t.join().unwrap();
        assert_freed_once(drops);
    });
}
