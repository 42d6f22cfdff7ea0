//! Stress tests on real threads, bounded in iterations and in time, checking invariants: counts
//! are exact, every object is freed, no handle outlives its object.
//!
//! The normal test command runs the short form. `GIL_STRESS_ITERS` raises the iteration count;
//! `scripts/tsan.sh` runs these under the thread sanitizer.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::thread;
use std::time::{Duration, Instant};

use gilkit::{GilCell, GilRc};

mod common;

/// Iterations per thread, and a wall-clock bound that stops early on a slow machine.
fn budget() -> (usize, Duration) {
    let iters = common::stress_iters().unwrap_or(20_000);
    (iters, Duration::from_secs(10))
}

/// Counts itself in `live` while it exists.
struct Counted(Arc<AtomicUsize>);

impl Counted {
    fn new(live: &Arc<AtomicUsize>) -> Self {
        live.fetch_add(1, Ordering::SeqCst);
        Self(live.clone())
    }
}

impl Drop for Counted {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::SeqCst);
    }
}

#[test]
fn gil_counts_are_exact_and_every_handle_is_freed() {
    let (iters, limit) = budget();
    let threads = 4;
    let live = Arc::new(AtomicUsize::new(0));
    let shared = GilRc::new((GilCell::new(0_u64), Counted::new(&live)));
    let done = AtomicUsize::new(0);
    let start = Instant::now();
    thread::scope(|s| {
        for t in 0..threads {
            let (shared, done, live) = (&shared, &done, &live);
            s.spawn(move || {
                let mut kept = Vec::new();
                for i in 0..iters {
                    if start.elapsed() > limit {
                        break;
                    }
                    gilkit::with_gil(|g| {
                        *shared.0.get_mut(g) += 1;
                        kept.push(shared.clone_ref(g));
                        // A fresh object each round, dropped with and without the GIL.
                        let fresh = GilRc::new((GilCell::new(0), Counted::new(live)));
                        let copy = fresh.clone_ref(g);
                        if (i + t) % 2 == 0 {
                            kept.push(fresh);
                        }
                        g.allow_threads(|| drop(copy)); // deferred: no GIL here
                        g.checkpoint();
                    });
                    if i % 8 == 0 {
                        kept.clear(); // dropped without the GIL: deferred
                    }
                    done.fetch_add(1, Ordering::Relaxed);
                }
            });
        }
    });
    let rounds = done.load(Ordering::Relaxed) as u64;
    gilkit::with_gil(|g| {
        assert_eq!(
            *shared.0.get(g),
            rounds,
            "every increment counted exactly once"
        );
        assert_eq!(GilRc::count(&shared, g), 1, "every clone was given back");
    });
    assert_eq!(
        live.load(Ordering::SeqCst),
        1,
        "every other object was freed"
    );
    drop(shared);
    gilkit::with_gil(|_| {});
    assert_eq!(
        live.load(Ordering::SeqCst),
        0,
        "the shared object was freed"
    );
    eprintln!(
        "gil stress: {threads} threads, {rounds} rounds in {:?}",
        start.elapsed()
    );
}

/// Accounts with a lock per field, for the transfer stress test.
#[gilkit::per_field_lock]
struct Account {
    balance: i64,
    transfers: u64,
}

#[test]
fn per_field_transfers_conserve_the_sum_and_count_exactly() {
    let (iters, limit) = budget();
    let threads = 4;
    let accounts: Vec<Account> = (0..3).map(|_| Account::new(1_000, 0)).collect();
    let done = AtomicUsize::new(0);
    let start = Instant::now();
    thread::scope(|s| {
        for t in 0..threads {
            let (accounts, done) = (&accounts, &done);
            s.spawn(move || {
                for i in 0..iters {
                    if start.elapsed() > limit {
                        break;
                    }
                    // Every pair, in both directions: only the ordered multi-lock keeps this
                    // free of deadlock.
                    let (from, to) = (&accounts[(i + t) % 3], &accounts[(i + t + 1 + i % 2) % 3]);
                    let (mut a, mut b) =
                        gilkit::field_lock::lock_fields((from.balance(), to.balance()));
                    *a -= 7;
                    *b += 7;
                    drop((a, b));
                    *from.transfers().lock() += 1;
                    done.fetch_add(1, Ordering::Relaxed);
                }
            });
        }
    });
    let rounds = done.load(Ordering::Relaxed) as u64;
    let sum: i64 = accounts.iter().map(|a| *a.balance().lock()).sum();
    let transfers: u64 = accounts.iter().map(|a| *a.transfers().lock()).sum();
    assert_eq!(sum, 3_000, "the sum of balances is conserved");
    assert_eq!(transfers, rounds, "every transfer counted exactly once");
    eprintln!(
        "per_field_lock stress: {threads} threads, {rounds} transfers in {:?}",
        start.elapsed()
    );
}

/// A node counted by `gilkit::stats::live`, for the reference-count stress test.
#[gilkit::atomic_rc]
struct Node {
    value: u64,
}

/// The same, with biased counts.
#[gilkit::atomic_rc(biased)]
struct BiasedNode {
    value: u64,
}

#[test]
fn atomic_and_biased_handles_are_all_freed() {
    use gilkit::refcount::AtomicRc;
    let (iters, limit) = budget();
    let threads = 4;
    let start = Instant::now();
    let shared = Node { value: 1 }.into_handle();
    let weak = AtomicRc::downgrade(&shared);
    let done = AtomicUsize::new(0);
    // Made on a thread that exits first: the other threads hold references past the owner.
    let biased = thread::spawn(|| BiasedNode { value: 2 }.into_handle())
        .join()
        .unwrap();
    thread::scope(|s| {
        for _ in 0..threads {
            let (shared, weak, biased, done) = (&shared, &weak, &biased, &done);
            s.spawn(move || {
                let mut own = BiasedNode { value: 3 }.into_handle(); // owned by this thread
                for i in 0..iters {
                    if start.elapsed() > limit {
                        break;
                    }
                    let a = shared.clone();
                    let b = weak.upgrade().expect("a strong handle is alive");
                    let c = biased.clone();
                    let d = own.clone();
                    assert_eq!(
                        a.value + b.value + c.value + d.value,
                        7,
                        "no handle outlives its object"
                    );
                    if i % 64 == 0 {
                        own = BiasedNode { value: 3 }.into_handle();
                    }
                    done.fetch_add(1, Ordering::Relaxed);
                }
            });
        }
    });
    assert_eq!(AtomicRc::strong_count(&shared), 1);
    drop((shared, biased));
    assert!(weak.upgrade().is_none());
    assert_eq!(gilkit::stats::live::<Node>(), 0, "every Node was freed");
    assert_eq!(
        gilkit::stats::live::<BiasedNode>(),
        0,
        "every BiasedNode was freed"
    );
    let rounds = done.load(Ordering::Relaxed);
    eprintln!(
        "atomic_rc stress: {threads} threads, {rounds} rounds in {:?}",
        start.elapsed()
    );
}
