//! The owner's fast free, the weak release without an RMW and the inbox registry by thread id,
//! on real threads (for Miri and the thread sanitizer; the loom models are in `loom_refcount`).
//! Written by a review; its first test is the review's finding, fixed (a `MAYBE_WEAK` flag in
//! the shared word).

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Barrier};
use std::thread;

use gilkit::refcount::{AtomicRc, Mode};

mod common;

fn iters(default: usize) -> usize {
    common::stress_iters().unwrap_or(default)
}

/// Sets its flag when dropped; holds a `Box` so that Miri sees a read after the drop.
struct Flagged {
    dropped: Arc<AtomicBool>,
    data: Box<usize>,
}

impl Drop for Flagged {
    fn drop(&mut self) {
        self.dropped.store(true, Ordering::SeqCst);
    }
}

/// The owner drops its last local reference while a non-owner, holding a handle counted in the
/// shared word, makes a `Weak` from it, drops the handle and upgrades the `Weak`. The fast free
/// may load the weak count (1, no `Weak` yet), then the shared word (0, the handle is gone),
/// and free with no merge: the shared word stays 0 and unmerged, so the upgrade succeeds on the
/// dropped value. Safe code only. The loom model `a_weak_made_from_a_shared_handle_keeps_the_fast_free_off`
/// found the interleaving at once; on real threads it needs luck (the window was two adjacent
/// loads; Miri found it with `-Zmiri-preemption-rate=0.3`), so this runs many rounds with a
/// jittered start and counts the upgrades that returned a dropped value.
#[test]
fn a_weak_made_during_the_owners_last_drop_never_upgrades_a_freed_object() {
    let rounds = iters(20_000);
    let start = Arc::new(Barrier::new(2));
    let (tx, rx) = std::sync::mpsc::channel::<(AtomicRc<Flagged>, Arc<AtomicBool>)>();
    let hits = Arc::new(AtomicUsize::new(0));
    let non_owner = {
        let (start, hits) = (start.clone(), hits.clone());
        thread::spawn(move || {
            for round in 0..rounds {
                let (shared, dropped) = rx.recv().unwrap();
                start.wait();
                for _ in 0..(round % 64) {
                    std::hint::spin_loop();
                }
                let weak = AtomicRc::downgrade(&shared);
                drop(shared);
                if let Some(again) = weak.upgrade() {
                    if dropped.load(Ordering::SeqCst) {
                        hits.fetch_add(1, Ordering::SeqCst);
                        if cfg!(miri) {
                            // A read of the dropped value's `Box`: Miri reports the use after free.
                            assert_eq!(*again.data, 7);
                        }
                    }
                }
                start.wait();
            }
        })
    };
    for round in 0..rounds {
        let dropped = Arc::new(AtomicBool::new(false));
        let rc = AtomicRc::with_mode(
            Flagged {
                dropped: dropped.clone(),
                data: Box::new(7),
            },
            Mode::Biased,
        );
        // Counted in the shared word (an upgrade counts there, also on the owner thread).
        let shared = AtomicRc::downgrade(&rc).upgrade().unwrap();
        tx.send((shared, dropped)).unwrap();
        start.wait();
        for _ in 0..((round / 64) % 64) {
            std::hint::spin_loop();
        }
        drop(rc); // the owner's last local reference: the fast path
        start.wait();
        gilkit::refcount::merge_deferred();
    }
    non_owner.join().unwrap();
    let hits = hits.load(Ordering::SeqCst);
    assert_eq!(
        hits, 0,
        "{hits} of {rounds} upgrades returned a handle to a dropped value"
    );
}

/// Counts its drops.
struct Counted(Arc<AtomicUsize>);

impl Drop for Counted {
    fn drop(&mut self) {
        self.0.fetch_add(1, Ordering::SeqCst);
    }
}

/// Owners that exit at once while non-owners drop their handles (hand-over by thread id,
/// during and after the owner's exit), upgrade and drop `Weak`s, and send handles back and forth
/// between non-owners: every object is dropped exactly once.
#[test]
fn owners_exit_while_non_owners_hand_over() {
    // A thread per owner: a few under Miri, which runs threads slowly.
    let owners = if cfg!(miri) { 4 } else { iters(40).min(40) };
    let drops = Arc::new(AtomicUsize::new(0));
    let (tx, rx) =
        std::sync::mpsc::channel::<Vec<(AtomicRc<Counted>, gilkit::refcount::Weak<Counted>)>>();
    let rx = Arc::new(std::sync::Mutex::new(rx));
    let workers: Vec<_> = (0..2)
        .map(|_| {
            let rx = rx.clone();
            thread::spawn(move || {
                let mut kept = Vec::new();
                loop {
                    let Ok(batch) = rx.lock().unwrap().recv() else {
                        break;
                    };
                    for (i, (rc, weak)) in batch.into_iter().enumerate() {
                        match i % 4 {
                            0 => drop(rc),                   // hand-over (word would go below 0)
                            1 => drop((weak.upgrade(), rc)), // shared copy, then the original
                            2 => kept.push((rc, weak)),      // dropped after its owner is gone
                            _ => {
                                drop(rc);
                                drop(weak.upgrade()); // may find it freed
                            }
                        }
                    }
                }
                drop(kept);
            })
        })
        .collect();
    let owner_threads: Vec<_> = (0..owners)
        .map(|_| {
            let (tx, drops) = (tx.clone(), drops.clone());
            thread::spawn(move || {
                let mut batch = Vec::new();
                for _ in 0..8 {
                    let rc = AtomicRc::with_mode(Counted(drops.clone()), Mode::Biased);
                    let weak = AtomicRc::downgrade(&rc);
                    batch.push((rc.clone(), weak));
                    if let Some(local) = AtomicRc::to_local(&rc) {
                        drop(rc);
                        batch.push((
                            gilkit::refcount::LocalRc::to_shared(&local),
                            AtomicRc::downgrade(&gilkit::refcount::LocalRc::to_shared(&local)),
                        ));
                    }
                }
                tx.send(batch).unwrap();
                // The owner exits now, its handles dropped here or at exit.
            })
        })
        .collect();
    drop(tx);
    for t in owner_threads.into_iter().chain(workers) {
        t.join().unwrap();
    }
    assert_eq!(drops.load(Ordering::SeqCst), owners * 8);
}

/// `release_weak`'s shortcut: `Weak` clones dropped on other threads racing the last strong
/// drop (atomic and biased), so that each side may read 1 or do the RMW.
#[test]
fn weak_clones_race_the_last_strong_drop() {
    let rounds = iters(2_000);
    for round in 0..rounds {
        let drops = Arc::new(AtomicUsize::new(0));
        let mode = if round % 2 == 0 {
            Mode::Atomic
        } else {
            Mode::Biased
        };
        let rc = AtomicRc::with_mode(Counted(drops.clone()), mode);
        let w1 = AtomicRc::downgrade(&rc);
        let w2 = w1.clone();
        let t1 = thread::spawn(move || {
            let w3 = w1.clone();
            drop(w1.upgrade());
            drop(w1);
            w3
        });
        let t2 = thread::spawn(move || drop(w2));
        drop(rc);
        let w3 = t1.join().unwrap();
        t2.join().unwrap();
        assert!(w3.upgrade().is_none());
        drop(w3);
        gilkit::refcount::merge_deferred();
        assert_eq!(drops.load(Ordering::SeqCst), 1);
    }
}
