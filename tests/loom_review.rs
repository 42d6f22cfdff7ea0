//! Review models (branch `review/fastfree`): the owner's fast free against a `Weak` that is made
//! *after* the owner's load of the weak count, from a handle counted in the shared word.
//!
//! Run: `RUSTFLAGS="--cfg loom" cargo test --release --target-dir target/loom -p gilkit --test loom_review -- --ignored`
#![cfg(loom)]

use gilkit::refcount::{AtomicRc, Mode};
use loom::cell::UnsafeCell;
use loom::sync::atomic::{AtomicUsize, Ordering};
use loom::thread;
use std::mem::ManuallyDrop;

/// As `loom_refcount`'s probe: a cell the non-owner writes and the free reads, a drop counter,
/// and a loom `Arc` that loom reports as leaked if the value is never freed.
struct Probe {
    drops: &'static AtomicUsize,
    data: UnsafeCell<usize>,
    leak_check: ManuallyDrop<loom::sync::Arc<()>>,
}

// SAFETY: one thread writes `data`, the free reads it; loom checks that they are ordered.
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

    fn write(&self) {
        // SAFETY: only the non-owner writes; loom checks it against the free's read.
        self.data.with_mut(|d| unsafe { *d += 1 });
    }
}

impl Drop for Probe {
    fn drop(&mut self) {
        if thread::panicking() {
            return;
        }
        assert_eq!(self.drops.fetch_add(1, Ordering::Relaxed), 0, "double free");
        // SAFETY: loom reports a causality violation if this is not ordered after `write`.
        self.data.with(|d| unsafe { assert!(*d <= 1) });
        // SAFETY: dropped once (a second drop panicked above).
        unsafe { ManuallyDrop::drop(&mut self.leak_check) };
    }
}

/// The owner holds its only local reference; a non-owner holds a handle counted in the shared
/// word (an upgrade counts there, also on the owner thread) and no `Weak` exists yet. The
/// non-owner makes a `Weak` from its handle, drops the handle, upgrades the `Weak` and uses the
/// object, while the owner drops its last local reference.
///
/// In the sequentially consistent interleaving "owner loads weak (1), non-owner downgrades and
/// drops its handle (shared word 4 -> 0), owner loads the shared word (0)", the fast path frees
/// with no merge; the word stays 0 and unmerged, so the non-owner's upgrade succeeds on the
/// freed object: a use after free (loom: causality violation between the free's read and the
/// write). Neither load order of `unreachable_by_others` can see a `Weak` that is made after the
/// first load and whose handle is gone before the second.
#[test]
#[ignore = "review finding: the owner's fast free misses a Weak made after its weak load (use after free)"]
fn review_fast_free_misses_a_weak_made_between_its_two_loads() {
    loom::model(|| {
        let (probe, drops) = Probe::new();
        let rc = AtomicRc::with_mode(probe, Mode::Biased);
        // A handle counted in the shared word, with no `Weak` left afterwards.
        let shared = {
            let w = AtomicRc::downgrade(&rc);
            w.upgrade().expect("alive")
        };
        let t = thread::spawn(move || {
            let weak = AtomicRc::downgrade(&shared);
            drop(shared);
            if let Some(again) = weak.upgrade() {
                again.write();
            }
        });
        drop(rc); // the owner's last local reference
        t.join().unwrap();
        gilkit::refcount::merge_deferred();
        assert_eq!(drops.load(Ordering::Relaxed), 1, "leaked");
    });
}
