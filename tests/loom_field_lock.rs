//! loom models of the field locks, each with its negative control beside it. They double as the
//! example of model-checking your own `#[per_field_lock]` type: define it, build with
//! `--cfg loom`, and run the scenario inside `loom::model`.
//!
//! Run with `RUSTFLAGS="--cfg loom" cargo test --release --target-dir target/loom --test
//! loom_field_lock` (the test command does, with no preemption bound). The lock-order validator is
//! compiled out under loom, so that the deadlock controls fail on loom's own deadlock report.
#![cfg(loom)]

use loom::cell::UnsafeCell;
use loom::sync::Arc;
use loom::thread;

use gil::field_lock::lock_fields;
use gil::per_field_lock;

/// An account, as a user would write it.
#[per_field_lock]
struct Account {
    balance: i64,
}

/// A transfer through the ordered multi-lock.
fn transfer(from: &Account, to: &Account, amount: i64) {
    let (mut from, mut to) = lock_fields((from.balance(), to.balance()));
    *from -= amount;
    *to += amount;
}

/// The naive transfer: one plain lock after the other, in the caller's order.
fn naive_transfer(from: &Account, to: &Account, amount: i64) {
    let mut from = from.balance().lock();
    let mut to = to.balance().lock();
    *from -= amount;
    *to += amount;
}

#[test]
fn opposite_transfers_through_lock_fields_never_deadlock_and_conserve_the_sum() {
    loom::model(|| {
        let a = Account::new(10).into_handle();
        let b = Account::new(10).into_handle();
        let (a2, b2) = (a.clone(), b.clone());
        let t = thread::spawn(move || transfer(&a2, &b2, 3));
        transfer(&b, &a, 5);
        t.join().unwrap();
        let (a, b) = lock_fields((a.balance(), b.balance()));
        assert_eq!((*a, *b), (12, 8));
        assert_eq!(*a + *b, 20);
    });
}

/// Leaks `value` for the controls: a loom `Arc` dropped while loom unwinds from its deadlock
/// report would panic again, and abort the test.
fn leak<T>(value: T) -> &'static T {
    Box::leak(Box::new(value))
}

#[test]
#[should_panic = "deadlock"]
fn control_opposite_transfers_with_plain_locks_deadlock() {
    loom::model(|| {
        let (a, b) = (leak(Account::new(10)), leak(Account::new(10)));
        let t = thread::spawn(move || naive_transfer(a, b, 3));
        naive_transfer(b, a, 5);
        t.join().unwrap();
    });
}

/// Two fields of one object.
#[per_field_lock]
struct Pair {
    first: u8,
    second: u8,
}

#[test]
fn lock_fields_named_in_reverse_takes_declaration_order() {
    loom::model(|| {
        let p = Pair::new(0, 0).into_handle();
        let p2 = p.clone();
        // Named second-first, taken first-second: compatible with the plain nesting below.
        let t = thread::spawn(move || {
            let (mut second, mut first) = lock_fields((p2.second(), p2.first()));
            *first += 1;
            *second += 1;
        });
        {
            let mut first = p.first().lock();
            let mut second = p.second().lock();
            *first += 1;
            *second += 1;
        }
        t.join().unwrap();
        assert_eq!((*p.first().lock(), *p.second().lock()), (2, 2));
    });
}

#[test]
#[should_panic = "deadlock"]
fn control_plain_nesting_against_declaration_order_deadlocks() {
    loom::model(|| {
        let p = leak(Pair::new(0, 0));
        let t = thread::spawn(move || {
            let (_second, _first) = lock_fields((p.second(), p.first()));
        });
        {
            let _second = p.second().lock();
            let _first = p.first().lock();
        }
        t.join().unwrap();
    });
}

/// A read-mostly field.
#[per_field_lock]
struct Point {
    #[field(rw)]
    xy: (u64, u64),
}

#[test]
fn readers_and_a_writer_of_a_rw_field_never_see_a_torn_value() {
    loom::model(|| {
        let p = Point::new((0, 0)).into_handle();
        let writer = {
            let p = p.clone();
            thread::spawn(move || {
                let mut xy = p.xy().write();
                xy.0 = 1;
                xy.1 = 1;
            })
        };
        let reader = {
            let p = p.clone();
            thread::spawn(move || {
                let xy = p.xy().read();
                assert_eq!(xy.0, xy.1, "torn read");
            })
        };
        let (xy,) = lock_fields((p.xy().shared(),));
        assert_eq!(xy.0, xy.1, "torn read");
        drop(xy);
        writer.join().unwrap();
        reader.join().unwrap();
    });
}

#[test]
#[should_panic = "Causality violation"]
fn control_a_writer_without_the_lock_races_with_a_reader() {
    loom::model(|| {
        let xy = Arc::new(UnsafeCell::new((0_u64, 0_u64)));
        let writer = {
            let xy = xy.clone();
            // SAFETY: not sound, on purpose: loom must report the race.
            thread::spawn(move || xy.with_mut(|p| unsafe { *p = (1, 1) }))
        };
        // SAFETY: as above.
        let (x, y) = xy.with(|p| unsafe { *p });
        assert_eq!(x, y);
        writer.join().unwrap();
    });
}
