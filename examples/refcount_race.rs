//! Why reference counts need protection: a count updated by two threads without an atomic
//! read-modify-write loses updates.
//!
//! The "unsynchronized" counter is an `AtomicU64` updated with a separate `load` and `store`
//! (both `Relaxed`): no undefined behaviour, but exactly the lost-update race of a plain `n += 1`
//! on a shared count. Two threads each add 1 a million times; the total comes up short. With one
//! `fetch_add`, and with `AtomicRc` clone/drop pairs, nothing is lost. On a single core the race
//! may not show; the program then says so.
//!
//! Run with `cargo run --release --example refcount_race`.

use std::sync::atomic::{AtomicU64, Ordering};
use std::thread;

use gilkit::refcount::AtomicRc;

const PER_THREAD: u64 = 1_000_000;

/// Runs `op` `PER_THREAD` times on each of two threads, starting together.
fn hammer(op: impl Fn() + Sync) {
    let start = std::sync::Barrier::new(2);
    thread::scope(|s| {
        for _ in 0..2 {
            s.spawn(|| {
                start.wait();
                for _ in 0..PER_THREAD {
                    op();
                }
            });
        }
    });
}

fn main() {
    let racy = AtomicU64::new(0);
    hammer(|| {
        let seen = racy.load(Ordering::Relaxed);
        racy.store(seen + 1, Ordering::Relaxed); // another thread may have stored in between
    });
    let racy = racy.into_inner();
    let lost = 2 * PER_THREAD - racy;
    println!(
        "load+store counter: {racy} of {} ({lost} updates lost)",
        2 * PER_THREAD
    );
    if lost == 0 {
        println!("  (no update lost this time: the threads did not overlap, e.g. on one core)");
    }

    let atomic = AtomicU64::new(0);
    hammer(|| {
        atomic.fetch_add(1, Ordering::Relaxed);
    });
    let atomic = atomic.into_inner();
    println!(
        "fetch_add counter:  {atomic} of {} (0 lost)",
        2 * PER_THREAD
    );
    assert_eq!(atomic, 2 * PER_THREAD);

    let shared = AtomicRc::new(());
    hammer(|| drop(shared.clone()));
    let count = AtomicRc::strong_count(&shared);
    println!(
        "AtomicRc after {} clone+drop pairs: count {count} (exact)",
        2 * PER_THREAD
    );
    assert_eq!(count, 1);
}
