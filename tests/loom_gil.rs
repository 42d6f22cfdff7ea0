//! loom models of the GIL. Each model has its negative control beside it: the same scenario with
//! the protection removed, which loom must catch.
//!
//! Run with `RUSTFLAGS="--cfg loom" cargo test --release --target-dir target/loom --test loom_gil`
//! (the test command does).
#![cfg(loom)]

use loom::sync::atomic::{AtomicUsize, Ordering};
use loom::sync::Arc;
use loom::thread;

use gilkit::__private::hooks;
use gilkit::{GilCell, GilRc};

/// Two threads increment one cell under the GIL: no race, no lost update, and the one that waits
/// is woken (no deadlock).
///
/// Two contenders, not three: a race is between two accesses, and on `with_gil`'s path a third
/// thread meets no shared state of gil's own that a second does not (the `drop_request` it raises
/// is read only by checkpoints, and this model has none); it only multiplies the interleavings of
/// the loom model of the raw lock's waiter queue. With three, the model took 2.9 million
/// executions, about 140 s unbounded; with two, it is exhaustive in 47.
#[test]
fn threads_increment_a_protected_counter_exactly() {
    loom::model(|| {
        let counter = Arc::new(GilCell::new(0));
        let c = counter.clone();
        let t = thread::spawn(move || gilkit::with_gil(|g| *c.get_mut(g) += 1));
        gilkit::with_gil(|g| *counter.get_mut(g) += 1);
        t.join().unwrap();
        assert_eq!(gilkit::with_gil(|g| *counter.get(g)), 2);
    });
}

#[test]
#[should_panic = "Causality violation"]
fn control_threads_increment_without_the_gil_race() {
    loom::model(|| {
        let counter = Arc::new(GilCell::new(0));
        let c = counter.clone();
        // SAFETY: not sound, on purpose: loom must report the race.
        let t = thread::spawn(move || unsafe { *c.get_mut_unchecked() += 1 });
        // SAFETY: as above.
        unsafe { *counter.get_mut_unchecked() += 1 };
        t.join().unwrap();
    });
}

/// Counts its drops in a loom atomic, and holds a loom `Arc` so that loom reports a leak.
struct Tracked {
    drops: Arc<AtomicUsize>,
}

impl Drop for Tracked {
    fn drop(&mut self) {
        self.drops.fetch_add(1, Ordering::SeqCst);
    }
}

#[test]
fn drop_on_a_thread_without_the_gil_is_deferred_and_freed_once() {
    loom::model(|| {
        let drops = Arc::new(AtomicUsize::new(0));
        let handle = GilRc::new(Tracked {
            drops: drops.clone(),
        });
        let other = gilkit::with_gil(|g| handle.clone_ref(g));
        // This thread never holds the GIL: its drop goes to the pending pool.
        let dropper = thread::spawn(move || drop(other));
        // This one holds the GIL, drains the pool when it acquires, and drops the other handle.
        let holder = thread::spawn(move || gilkit::with_gil(|_g| drop(handle)));
        dropper.join().unwrap();
        holder.join().unwrap();
        // Nothing leaks once the GIL has been taken once more.
        gilkit::with_gil(|_g| {});
        assert_eq!(drops.load(Ordering::SeqCst), 1);
    });
}

#[test]
#[should_panic = "Causality violation"]
fn control_decref_without_the_gil_races_with_the_holder() {
    loom::model(|| {
        let drops = Arc::new(AtomicUsize::new(0));
        let handle = GilRc::new(Tracked {
            drops: drops.clone(),
        });
        let other = gilkit::with_gil(|g| handle.clone_ref(g));
        let dropper = thread::spawn(move || GilRc::__decref_without_gil(other));
        let holder = thread::spawn(move || gilkit::with_gil(|_g| drop(handle)));
        dropper.join().unwrap();
        holder.join().unwrap();
    });
}

#[test]
fn allow_threads_lets_a_waiter_run_and_reacquires() {
    loom::model(|| {
        let log = Arc::new(GilCell::new(Vec::new()));
        gilkit::with_gil(|g| {
            let l = log.clone();
            let waiter = thread::spawn(move || gilkit::with_gil(|g| l.get_mut(g).push("waiter")));
            // The waiter can only finish while the GIL is released: no lost wakeup, no deadlock.
            g.allow_threads(|| waiter.join().unwrap());
            log.get_mut(g).push("holder");
            assert_eq!(log.get(g), &["waiter", "holder"]);
        });
    });
}

#[test]
#[should_panic = "deadlock"]
fn control_waiting_for_a_waiter_while_holding_the_gil_deadlocks() {
    loom::model(|| {
        gilkit::with_gil(|_g| {
            let waiter = thread::spawn(|| gilkit::with_gil(|_g| {}));
            waiter.join().unwrap(); // the GIL is never released: loom reports the deadlock
        });
    });
}

/// A holder releases the GIL while a waiter is about to wait for it, or already waits: whatever
/// the interleaving, the waiter is woken (or finds the lock free) and gets the GIL.
#[test]
fn a_release_always_wakes_a_waiter_that_wants_the_gil() {
    loom::model(|| {
        let g = gilkit::acquire();
        let waiter = thread::spawn(|| gilkit::with_gil(|_g| {}));
        drop(g);
        waiter.join().unwrap();
    });
}

#[test]
#[should_panic = "deadlock"]
fn control_a_release_that_wakes_nobody_strands_the_waiter() {
    loom::model(|| {
        let g = gilkit::acquire();
        let waiter = thread::spawn(|| gilkit::with_gil(|_g| {}));
        hooks::release_without_waking(g);
        waiter.join().unwrap();
    });
}

/// A waiter woken by a release can find the GIL taken again (the holder took it back first), and
/// goes back to sleep; unlocks wake no second waiter while a woken one is on its way. Whatever
/// the interleaving, the next release wakes it again: a woken waiter that looks at the lock
/// clears the waking bit.
///
/// The holder takes the GIL back with `try_acquire`, never waiting: with `acquire`, both threads
/// could wait on the raw lock's mutex and condition variable, and the model took 276 s instead of
/// 6. Two threads waiting for one another are in `threads_increment_a_protected_counter_exactly`;
/// a stranded waiter needs only a release that finds the bit set, which this model has.
fn released_twice_while_a_waiter_waits(waiter: fn()) {
    let g = gilkit::acquire();
    let waiter = thread::spawn(waiter);
    drop(g);
    drop(gilkit::try_acquire());
    waiter.join().unwrap();
}

#[test]
fn a_waiter_woken_too_late_is_woken_again() {
    loom::model(|| released_twice_while_a_waiter_waits(|| gilkit::with_gil(|_g| {})));
}

#[test]
#[should_panic = "deadlock"]
fn control_a_woken_waiter_that_leaves_the_waking_bit_set_is_stranded() {
    loom::model(|| {
        released_twice_while_a_waiter_waits(|| {
            hooks::waiting_without_clearing_waking(|| gilkit::with_gil(|_g| {}));
        });
    });
}

/// The holder logs, checkpoints, and logs again, while a waiter whose switch interval expires at
/// any point asks for the GIL. Returns the log and whether the checkpoint switched.
fn checkpoint_scenario(checkpoint: fn(&mut gilkit::Gil)) -> (Vec<&'static str>, bool) {
    let log = Arc::new(GilCell::new(Vec::new()));
    let mut g = gilkit::acquire();
    let l = log.clone();
    let waiter = thread::spawn(move || gilkit::with_gil(|g| l.get_mut(g).push("waiter")));
    log.get_mut(&mut g).push("holder");
    let before = g.stats().forced_switches;
    checkpoint(&mut g);
    let switched = g.stats().forced_switches > before;
    log.get_mut(&mut g).push("holder");
    drop(g);
    waiter.join().unwrap();
    let log = gilkit::with_gil(|g| log.get(g).clone());
    (log, switched)
}

#[test]
fn checkpoint_hands_the_gil_to_the_waiter_that_asked() {
    // Outside the model: some execution must reach the switch, or the model proves nothing.
    static SWITCHES_SEEN: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);
    loom::model(|| {
        let (log, switched) = checkpoint_scenario(gilkit::Gil::checkpoint);
        if switched {
            SWITCHES_SEEN.store(true, std::sync::atomic::Ordering::Relaxed);
            assert_eq!(
                log,
                ["holder", "waiter", "holder"],
                "the holder took the GIL straight back"
            );
        } else {
            assert_eq!(log, ["holder", "holder", "waiter"]);
        }
    });
    assert!(SWITCHES_SEEN.load(std::sync::atomic::Ordering::Relaxed));
}

#[test]
#[should_panic = "deadlock"]
fn control_a_forced_switch_that_wakes_nobody_deadlocks() {
    loom::model(|| {
        let mut g = gilkit::acquire();
        let waiter = thread::spawn(|| gilkit::with_gil(|_g| {}));
        hooks::checkpoint_without_waking(&mut g); // lets go, waits for the waiter, wakes nobody
        drop(g);
        waiter.join().unwrap();
    });
}

/// Two waiters and a holder that checkpoints: the forced switch waits for *a* waiter to take
/// the GIL (whichever wakes first) and never blocks for good, whichever of them asked.
///
/// Bounded at 4 preemptions: three threads on the raw lock's mutex and two condition variables
/// cannot be made smaller without losing the second waiter, which is the point, and the search
/// grows tenfold per bound (0.4 s at 3, 4.8 s at 4, 48 s at 5; unbounded did not finish in 10
/// minutes). The two-thread models above are unbounded.
#[test]
fn a_forced_switch_with_two_waiters_never_blocks_for_good() {
    let mut builder = loom::model::Builder::new();
    builder.preemption_bound = Some(4);
    builder.check(|| {
        let mut g = gilkit::acquire();
        let waiters: Vec<_> = (0..2)
            .map(|_| thread::spawn(|| gilkit::with_gil(|_g| {})))
            .collect();
        g.checkpoint();
        drop(g);
        for w in waiters {
            w.join().unwrap();
        }
    });
}

#[test]
#[should_panic = "the holder took the GIL straight back"]
fn control_an_unfair_checkpoint_takes_the_gil_straight_back() {
    loom::model(|| {
        let (log, switched) = checkpoint_scenario(hooks::unfair_checkpoint);
        if switched {
            assert_eq!(
                log,
                ["holder", "waiter", "holder"],
                "the holder took the GIL straight back"
            );
        }
    });
}
