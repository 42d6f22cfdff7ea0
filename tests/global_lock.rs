//! The GIL and `#[global_lock]` through the public API.

mod common;
use common::panic_message;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Barrier};
use std::thread;
use std::time::Duration;

use gilkit::{global_lock, GilCell, GilRc, TryAcquireError};

/// A bank account behind the GIL.
#[global_lock]
#[derive(Debug, Default)]
pub struct Account {
    /// Balance in cents.
    pub balance: i64,
    pub(crate) owner: String,
}

#[global_lock(constructor = with_values)]
struct Pair<T: Clone, const N: usize>(T, [u8; N]);

#[global_lock(crate = ::gilkit)]
struct Borrowed<'a> {
    name: &'a str,
}

/// The tests share one process-wide GIL; the ones that count statistics or time must not
/// interleave with the others.
static SERIAL: std::sync::Mutex<()> = std::sync::Mutex::new(());

fn serial() -> std::sync::MutexGuard<'static, ()> {
    SERIAL
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

#[test]
fn named_struct_keeps_attributes_and_gets_a_constructor() {
    let _s = serial();
    let acct = Account::new(100, "ada".to_owned());
    gilkit::with_gil(|g| {
        *acct.balance.get_mut(g) -= 30;
        acct.owner.get_mut(g).push('!');
        assert_eq!(*acct.balance.get(g), 70);
        assert_eq!(acct.owner.get(g), "ada!");
        let (balance, owner) = acct.fields_mut(g);
        *balance += 1;
        owner.clear();
        assert_eq!(*acct.balance.get(g), 71);
    });
    // The derives were kept and apply to the protected fields.
    let _ = format!("{:?}", Account::default());
}

#[test]
fn tuple_and_generic_structs_work() {
    let _s = serial();
    let pair = Pair::<String, 2>::with_values("x".to_owned(), [1, 2]);
    let borrowed = Borrowed::new("static");
    gilkit::with_gil(|g| {
        pair.0.get_mut(g).push('y');
        pair.1.get_mut(g)[0] = 9;
        assert_eq!(pair.0.get(g), "xy");
        assert_eq!(pair.1.get(g), &[9, 2]);
        assert_eq!(*borrowed.name.get(g), "static");
    });
}

#[test]
fn reacquiring_on_the_holding_thread_is_an_error_not_a_deadlock() {
    let _s = serial();
    let g = gilkit::acquire();
    assert_eq!(
        gilkit::try_acquire().unwrap_err(),
        TryAcquireError::AlreadyHeld
    );
    let panic = std::panic::catch_unwind(|| drop(gilkit::acquire())).unwrap_err();
    assert!(
        panic_message(&*panic).contains("already holds the GIL"),
        "{}",
        panic_message(&*panic)
    );
    drop(g);
    assert!(gilkit::try_acquire().is_ok());
}

#[test]
fn try_acquire_reports_another_holder() {
    let _s = serial();
    let g = gilkit::acquire();
    let seen = thread::spawn(|| gilkit::try_acquire().map(drop))
        .join()
        .unwrap();
    assert_eq!(seen, Err(TryAcquireError::WouldBlock));
    drop(g);
}

#[test]
fn get_mut2_borrows_two_cells_and_rejects_overlap() {
    let _s = serial();
    let (a, b) = (GilCell::new(1), GilCell::new(2));
    gilkit::with_gil(|g| {
        let (x, y) = g.get_mut2(&a, &b);
        std::mem::swap(x, y);
        assert_eq!((*a.get(g), *b.get(g)), (2, 1));
        let same = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            let _ = g.get_mut2(&a, &a);
        }));
        assert!(same.is_err(), "the same cell twice must be refused");
        // Two zero-sized cells at one address may be one cell: refused too (two `&mut` to one
        // zero-sized token would break its uniqueness).
        let (unit_a, unit_b) = (GilCell::new(()), GilCell::new(()));
        let units = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            let _ = g.get_mut2(&unit_a, &unit_b);
        }));
        assert_eq!(
            units.is_err(),
            std::ptr::eq(&unit_a, &unit_b),
            "zero-sized cells are refused exactly when they share an address"
        );
    });
}

#[test]
fn nested_cells_overlap() {
    let _s = serial();
    let outer = GilCell::new((GilCell::new(1_u8), 2_u8));
    gilkit::with_gil(|g| {
        let inner_ptr: *const GilCell<u8> = &outer.get(g).0;
        // SAFETY: the pointer comes from a live reference into `outer`, which outlives this use.
        let inner = unsafe { &*inner_ptr };
        let r = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            let _ = g.get_mut2(&outer, inner);
        }));
        assert!(r.is_err(), "a cell inside another overlaps it");
    });
}

struct DropCount(Arc<AtomicUsize>);
impl Drop for DropCount {
    fn drop(&mut self) {
        self.0.fetch_add(1, Ordering::SeqCst);
    }
}

#[test]
fn handles_dropped_without_the_gil_are_freed_at_the_next_acquisition() {
    let _s = serial();
    let drops = Arc::new(AtomicUsize::new(0));
    let handle = GilRc::new(DropCount(drops.clone()));
    let clones: Vec<_> = gilkit::with_gil(|g| (0..4).map(|_| handle.clone_ref(g)).collect());
    let before = gilkit::with_gil(|g| g.stats().deferred_decrefs_drained);
    thread::scope(|s| {
        for c in clones {
            s.spawn(move || drop(c));
        }
    });
    drop(handle);
    assert_eq!(
        drops.load(Ordering::SeqCst),
        0,
        "no decref may run without the GIL"
    );
    gilkit::with_gil(|g| {
        assert_eq!(g.stats().deferred_decrefs_drained - before, 5);
    });
    assert_eq!(drops.load(Ordering::SeqCst), 1, "freed exactly once");
}

#[test]
fn a_handle_dropped_with_the_gil_is_freed_at_once() {
    let _s = serial();
    let drops = Arc::new(AtomicUsize::new(0));
    gilkit::with_gil(|g| {
        let a = GilRc::new(DropCount(drops.clone()));
        let b = a.clone_ref(g);
        assert_eq!(GilRc::count(&a, g), 2);
        assert!(GilRc::ptr_eq(&a, &b));
        drop(a);
        drop(b);
        assert_eq!(drops.load(Ordering::SeqCst), 1);
    });
}

#[test]
fn a_panic_with_the_gil_held_releases_it() {
    let _s = serial();
    let result = thread::spawn(|| gilkit::with_gil(|_| panic!("boom"))).join();
    assert!(result.is_err());
    // Another thread can take the GIL: it was released during unwinding.
    thread::spawn(|| drop(gilkit::try_acquire().expect("GIL released")))
        .join()
        .unwrap();
}

#[test]
fn allow_threads_lets_another_thread_run_and_reacquires_after_a_panic() {
    let _s = serial();
    let counter = Arc::new(GilCell::new(0));
    let barrier = Arc::new(Barrier::new(2));
    gilkit::with_gil(|g| {
        let (c, b) = (counter.clone(), barrier.clone());
        let other = thread::spawn(move || {
            b.wait();
            gilkit::with_gil(|g| *c.get_mut(g) += 1);
        });
        // The other thread can only finish while this one has let go.
        g.allow_threads(|| {
            barrier.wait();
            other.join().unwrap();
        });
        assert_eq!(*counter.get(g), 1);

        let panicked = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            g.allow_threads(|| panic!("inside allow_threads"));
        }));
        assert!(panicked.is_err());
        // Reacquired: the token works, and no other thread can take the GIL.
        *counter.get_mut(g) += 1;
        let seen = thread::spawn(|| gilkit::try_acquire().map(drop))
            .join()
            .unwrap();
        assert_eq!(seen, Err(TryAcquireError::WouldBlock));
    });
}

#[test]
fn a_waiter_gets_the_gil_at_the_holders_checkpoint() {
    let _s = serial();
    gilkit::set_switch_interval(Duration::from_millis(1));
    let order = Arc::new(GilCell::new(Vec::new()));
    let before = gilkit::with_gil(|g| g.stats());
    gilkit::with_gil(|g| {
        let o = order.clone();
        let waiter = thread::spawn(move || gilkit::with_gil(|g| o.get_mut(g).push("waiter")));
        // Spin with checkpoints until the waiter has asked for the GIL and got it.
        while order.get(g).is_empty() {
            thread::sleep(Duration::from_micros(200));
            g.checkpoint();
        }
        order.get_mut(g).push("holder");
        g.allow_threads(|| waiter.join().unwrap());
        let after = g.stats();
        assert!(after.forced_switches > before.forced_switches);
        assert!(after.contended_acquisitions > before.contended_acquisitions);
        assert!(after.wait >= Duration::from_millis(1));
        assert_eq!(order.get(g), &["waiter", "holder"]);
    });
    gilkit::set_switch_interval(gilkit::DEFAULT_SWITCH_INTERVAL);
}

struct PanicOnDrop;
impl Drop for PanicOnDrop {
    fn drop(&mut self) {
        panic!("destructor panics during the drain");
    }
}

#[test]
fn a_panic_during_the_drain_loses_no_other_object() {
    let _s = serial();
    let drops = Arc::new(AtomicUsize::new(0));
    let (bad, good) = (
        GilRc::new(PanicOnDrop),
        GilRc::new(DropCount(drops.clone())),
    );
    thread::spawn(move || {
        drop(bad); // deferred first
        drop(good); // deferred second
    })
    .join()
    .unwrap();
    let first = std::panic::catch_unwind(|| gilkit::with_gil(|_| ()));
    assert!(
        first.is_err(),
        "the destructor's panic reaches the acquiring thread"
    );
    // The GIL was released by the unwinding guard, and the rest of the pool was kept.
    gilkit::with_gil(|_| ());
    assert_eq!(drops.load(Ordering::SeqCst), 1);
}

#[test]
fn releasing_the_gil_while_holding_a_field_lock_is_refused_by_the_validator() {
    #[gilkit::per_field_lock]
    struct Counter {
        value: u64,
    }
    let _s = serial();
    let counter = Counter::new(0);
    gilkit::with_gil(|g| {
        let guard = counter.value().lock();
        let refused =
            std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| g.allow_threads(|| ())));
        assert_eq!(refused.is_err(), gilkit::field_lock::VALIDATION_ENABLED);
        drop(guard);
        g.allow_threads(|| ()); // without field locks, fine
    });
}

#[test]
fn a_panic_while_draining_at_reacquisition_keeps_the_gil_for_the_token() {
    let _s = serial();
    gilkit::with_gil(|g| {
        let panicked = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            g.allow_threads(|| {
                // Dropped without the GIL: deferred, and drained when `allow_threads` takes the
                // GIL back for `g`.
                drop(GilRc::new(PanicOnDrop));
            });
        }));
        assert!(
            panicked.is_err(),
            "the destructor's panic reaches the caller"
        );
        // The token is still backed by the GIL: no other thread can take it.
        let seen = thread::spawn(|| gilkit::try_acquire().map(drop))
            .join()
            .unwrap();
        assert_eq!(seen, Err(TryAcquireError::WouldBlock));
    });
    // Released exactly once, by `with_gil`.
    thread::spawn(|| drop(gilkit::try_acquire().expect("GIL released")))
        .join()
        .unwrap();
}

#[test]
fn taking_the_gil_while_holding_a_field_lock_is_refused_by_the_validator() {
    #[gilkit::per_field_lock]
    struct Counter {
        value: u64,
    }
    let _s = serial();
    let counter = Counter::new(0);
    let guard = counter.value().lock();
    let refused = std::panic::catch_unwind(|| gilkit::with_gil(|_| ()));
    assert_eq!(refused.is_err(), gilkit::field_lock::VALIDATION_ENABLED);
    drop(guard);
    gilkit::with_gil(|_| ());
}

#[test]
#[cfg_attr(miri, ignore = "spawns a process")]
fn a_guard_that_escapes_allow_threads_aborts_the_process() {
    if std::env::var_os("GIL_ESCAPE_CHILD").is_some() {
        // The child: stash a guard acquired while the GIL is released. Giving the GIL back to
        // `g` would make a second token, so the process aborts instead.
        let mut stash = None;
        gilkit::with_gil(|g| g.allow_threads(|| stash = Some(gilkit::acquire())));
        unreachable!("aborted before this");
    }
    let child = std::process::Command::new(std::env::current_exe().unwrap())
        .args([
            "--exact",
            "a_guard_that_escapes_allow_threads_aborts_the_process",
            "--nocapture",
        ])
        .env("GIL_ESCAPE_CHILD", "1")
        .output()
        .unwrap();
    assert!(!child.status.success());
    let stderr = String::from_utf8_lossy(&child.stderr);
    assert!(stderr.contains("outlived the closure"), "{stderr}");
}
