//! `Mode::Hybrid`: every `AtomicRc` counts atomically, and the owner's `LocalRc`s count plainly
//! and hold one atomic count between them. Freed at once, by whichever handle is last, on any
//! thread; never deferred, never leaked at the owner's exit.

use std::cell::RefCell;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use gilkit::refcount::{AtomicRc, LocalRc, Mode};

/// Counts its drops, so that a test sees the object freed once.
struct DropCount(Arc<AtomicU64>);

impl Drop for DropCount {
    fn drop(&mut self) {
        self.0.fetch_add(1, Ordering::Relaxed);
    }
}

fn counted() -> (DropCount, Arc<AtomicU64>) {
    let drops = Arc::new(AtomicU64::new(0));
    (DropCount(Arc::clone(&drops)), drops)
}

/// A value aligned to 64 bytes, past the 8 bytes in front of the header.
#[repr(align(64))]
struct Wide(#[allow(dead_code, reason = "only its alignment matters")] u8);

/// Iterations: fewer under Miri, which runs some thousand times slower.
fn iters(native: usize, miri: usize) -> usize {
    if cfg!(miri) {
        miri
    } else {
        native
    }
}

#[test]
fn a_hybrid_object_is_eight_bytes_more_than_an_atomic_one() {
    let atomic = AtomicRc::<[u64; 4]>::block_size(Mode::Atomic);
    assert_eq!(AtomicRc::<[u64; 4]>::block_size(Mode::Hybrid), atomic + 8);
    assert!(AtomicRc::<[u64; 4]>::block_size(Mode::Biased) > atomic + 8);
    // Values aligned past 8 bytes keep their alignment.
    let wide = AtomicRc::with_mode(Wide(1), Mode::Hybrid);
    assert_eq!(std::ptr::from_ref::<Wide>(&wide) as usize % 64, 0);
    assert_eq!(
        std::ptr::from_ref::<Wide>(&*AtomicRc::to_local(&wide).unwrap()) as usize % 64,
        0
    );
}

#[test]
fn local_handles_count_as_one_strong_count() {
    let (value, drops) = counted();
    let rc = AtomicRc::with_mode(value, Mode::Hybrid);
    assert_eq!(AtomicRc::mode(&rc), Mode::Hybrid);
    let local = AtomicRc::to_local(&rc).expect("this thread made it");
    let copies: Vec<LocalRc<DropCount>> = (0..3).map(|_| local.clone()).collect();
    assert_eq!(AtomicRc::strong_count(&rc), 5);
    let shared = LocalRc::to_shared(&copies[0]);
    assert_eq!(AtomicRc::strong_count(&rc), 6);
    drop(rc);
    drop(shared);
    drop(copies);
    assert_eq!(drops.load(Ordering::Relaxed), 0);
    drop(local); // the last handle of any kind: freed here
    assert_eq!(drops.load(Ordering::Relaxed), 1);
}

#[test]
fn the_local_count_is_taken_again_after_the_last_local_handle() {
    let (value, drops) = counted();
    let rc = AtomicRc::with_mode(value, Mode::Hybrid);
    let weak = AtomicRc::downgrade(&rc);
    for _ in 0..3 {
        let local = AtomicRc::to_local(&rc).expect("this thread made it");
        drop(local.clone());
        drop(local);
        assert_eq!(AtomicRc::strong_count(&rc), 1);
    }
    let local = AtomicRc::to_local(&rc).unwrap();
    drop(rc);
    assert_eq!(weak.strong_count(), 1);
    drop(local);
    assert!(weak.upgrade().is_none());
    assert_eq!(drops.load(Ordering::Relaxed), 1);
}

#[test]
fn other_threads_count_atomically_and_free_at_once() {
    let (value, drops) = counted();
    let rc = AtomicRc::with_mode(value, Mode::Hybrid);
    let weak = AtomicRc::downgrade(&rc);
    let elsewhere = rc.clone();
    std::thread::spawn(move || {
        assert!(AtomicRc::to_local(&elsewhere).is_none(), "not the owner");
        let copies: Vec<_> = (0..4).map(|_| elsewhere.clone()).collect();
        assert_eq!(AtomicRc::strong_count(&elsewhere), 6);
        drop(copies);
    })
    .join()
    .unwrap();
    // The last handle dies on another thread: freed there, with nothing handed to the owner.
    std::thread::spawn(move || drop(rc)).join().unwrap();
    assert_eq!(drops.load(Ordering::Relaxed), 1);
    assert!(weak.upgrade().is_none());
}

#[test]
fn an_owner_that_exits_leaves_nothing_behind() {
    let (value, drops) = counted();
    let shared = std::thread::spawn(move || {
        let rc = AtomicRc::with_mode(value, Mode::Hybrid);
        let local = AtomicRc::to_local(&rc).unwrap();
        let out = LocalRc::to_shared(&local);
        drop((rc, local));
        out
    })
    .join()
    .unwrap();
    assert_eq!(AtomicRc::strong_count(&shared), 1);
    drop(shared);
    assert_eq!(drops.load(Ordering::Relaxed), 1);
}

thread_local! {
    static KEPT: RefCell<Vec<LocalRc<DropCount>>> = const { RefCell::new(Vec::new()) };
}

/// Local handles in a thread-local, dropped by its destructor at the owner's exit (with other
/// threads' handles still alive, or not): each gives back its count as it goes.
#[test]
fn local_handles_in_thread_locals_give_their_count_back_at_exit() {
    for other_handle_outlives in [true, false] {
        let (value, drops) = counted();
        let rc = AtomicRc::with_mode(value, Mode::Hybrid);
        let weak = AtomicRc::downgrade(&rc);
        let outside = std::thread::scope(|s| {
            s.spawn(move || {
                let inner = AtomicRc::with_mode(counted().0, Mode::Hybrid);
                let local = AtomicRc::to_local(&inner).unwrap();
                KEPT.with(|kept| kept.borrow_mut().push(local));
                assert!(AtomicRc::to_local(&rc).is_none(), "not the owner");
                other_handle_outlives.then_some(rc)
            })
            .join()
            .unwrap()
        });
        assert_eq!(weak.upgrade().is_some(), other_handle_outlives);
        drop(outside);
        assert_eq!(drops.load(Ordering::Relaxed), 1);
    }
    // The same from the owner's side: its object lives only in its thread-local.
    let (value, drops) = counted();
    let weak = std::thread::spawn(move || {
        let rc = AtomicRc::with_mode(value, Mode::Hybrid);
        KEPT.with(|kept| kept.borrow_mut().push(AtomicRc::to_local(&rc).unwrap()));
        AtomicRc::downgrade(&rc)
    })
    .join()
    .unwrap();
    assert!(weak.upgrade().is_none());
    assert_eq!(drops.load(Ordering::Relaxed), 1);
}

/// A destructor that panics in the last local handle's drop: the panic reaches the caller, and
/// the memory is returned (a `Weak` sees the object gone) as `Arc` does.
#[test]
fn a_panicking_destructor_in_the_last_local_drop() {
    struct Bomb;
    impl Drop for Bomb {
        fn drop(&mut self) {
            panic!("boom");
        }
    }
    let rc = AtomicRc::with_mode(Bomb, Mode::Hybrid);
    let weak = AtomicRc::downgrade(&rc);
    let local = AtomicRc::to_local(&rc).unwrap();
    drop(rc);
    let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| drop(local)));
    assert!(result.is_err());
    assert!(weak.upgrade().is_none());
    assert_eq!(weak.strong_count(), 0);
}

/// Zero-sized values, and values whose destructor uses local handles of other hybrid objects.
#[test]
fn zero_sized_and_nested_values() {
    let unit = AtomicRc::with_mode((), Mode::Hybrid);
    let local = AtomicRc::to_local(&unit).unwrap();
    drop(unit);
    drop(local);

    let (value, drops) = counted();
    let inner = AtomicRc::with_mode(value, Mode::Hybrid);
    let inner_local = AtomicRc::to_local(&inner).unwrap();
    let outer = AtomicRc::with_mode(inner, Mode::Hybrid);
    let outer_local = AtomicRc::to_local(&outer).unwrap();
    drop(outer);
    assert_eq!(drops.load(Ordering::Relaxed), 0);
    drop(outer_local); // drops `inner`'s `AtomicRc`; the local handle still holds it
    assert_eq!(drops.load(Ordering::Relaxed), 0);
    drop(inner_local);
    assert_eq!(drops.load(Ordering::Relaxed), 1);
}

/// Many threads clone and drop shared handles while the owner makes and drops local handles,
/// taking and giving back their count each round: freed exactly once, at the end. (For the
/// thread sanitizer and Miri.)
#[test]
fn churn_on_several_threads() {
    let (value, drops) = counted();
    let rc = AtomicRc::with_mode(value, Mode::Hybrid);
    std::thread::scope(|s| {
        for _ in 0..3 {
            let mine = rc.clone();
            s.spawn(move || {
                for _ in 0..iters(10_000, 20) {
                    drop(mine.clone());
                }
            });
        }
        for _ in 0..iters(10_000, 20) {
            let local = AtomicRc::to_local(&rc).unwrap();
            let copy = local.clone();
            drop(LocalRc::to_shared(&copy));
            drop((local, copy));
        }
    });
    let local = AtomicRc::to_local(&rc).unwrap();
    drop(rc);
    assert_eq!(drops.load(Ordering::Relaxed), 0);
    drop(local);
    assert_eq!(drops.load(Ordering::Relaxed), 1);
}
