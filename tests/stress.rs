//! Stress tests on real threads, bounded in iterations and in time, checking invariants: counts
//! are exact, every object is freed, no handle outlives its object.
//!
//! The normal test command runs the short form. `GIL_STRESS_ITERS` raises the iteration count;
//! `scripts/tsan.sh` runs these under the thread sanitizer.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::thread;
use std::time::{Duration, Instant};

use gil::{GilCell, GilRc};

/// Iterations per thread, and a wall-clock bound that stops early on a slow machine.
fn budget() -> (usize, Duration) {
    let iters = std::env::var("GIL_STRESS_ITERS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(20_000);
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
                    gil::with_gil(|g| {
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
    gil::with_gil(|g| {
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
    gil::with_gil(|_| {});
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
