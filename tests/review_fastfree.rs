//! Review tests (branch `review/fastfree`): the owner's fast free, the weak release without an
//! RMW, the inbox registry by thread id, the collector's sweep, and the collector over `Locked`.
//!
//! The ignored test is a finding; run it with
//! `cargo test --release -p gilkit --test review_fastfree -- --ignored`.

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Barrier};
use std::thread;

use gilkit::refcount::{AtomicRc, Mode};

fn iters(default: usize) -> usize {
    std::env::var("GIL_STRESS_ITERS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
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
/// dropped value. Safe code only. The loom model `loom_review` finds the interleaving at once;
/// on real threads it needs luck (the window is two adjacent loads), so this runs many rounds
/// with a jittered start and reports how many upgrades returned a dropped value.
#[test]
#[ignore = "review finding: fast free races a Weak made after its weak load; upgrade of a freed object"]
fn review_fast_free_lets_a_late_weak_upgrade_a_freed_object() {
    let rounds = iters(200_000);
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
