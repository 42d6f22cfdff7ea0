//! `#[per_field_lock]` and the field locks: access, ordering, the validator, panics.

mod common;
use common::panic_message;

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::Barrier;
use std::thread;

use gilkit::field_lock::{
    held_count, lock_fields, FieldGuard, FieldLock, Handle, LockClass, VALIDATION_ENABLED,
};
use gilkit::per_field_lock;

/// A bank account.
#[per_field_lock]
#[derive(Debug)]
pub struct Account {
    /// The balance, in cents.
    pub balance: i64,
    /// Every change of the balance.
    #[field(rw)]
    pub history: Vec<i64>,
    /// Never changes.
    #[field(no_lock)]
    pub id: u32,
}

fn account(id: u32, balance: i64) -> Account {
    Account::new(balance, Vec::new(), id)
}

#[test]
fn one_field_locks_only_that_field() {
    let a = account(1, 10);
    let balance = a.balance().lock();
    assert!(a.balance().try_lock().is_none(), "the field is locked");
    assert!(a.history().try_write().is_some(), "another field is free");
    assert_eq!(*balance, 10);
    assert_eq!(a.id, 1);
}

#[test]
fn rw_field_allows_many_readers_or_one_writer() {
    let a = account(1, 0);
    let r1 = a.history().read();
    let r2 = a.history().try_read().expect("two readers at once");
    assert!(a.history().try_write().is_none());
    drop((r1, r2));
    a.history().write().push(5);
    assert_eq!(*a.history().read(), [5]);
}

#[test]
fn lock_fields_returns_guards_in_the_callers_order() {
    let a = account(1, 7);
    a.history().write().push(1);
    let (history, balance) = lock_fields((a.history().shared(), a.balance()));
    assert_eq!((history.len(), *balance), (1, 7));
}

#[test]
fn lock_fields_takes_one_object_in_declaration_order() {
    /// Fields named in reverse order of declaration.
    #[per_field_lock]
    struct Ordered {
        first: u8,
        second: u8,
    }
    let o = Ordered::new(1, 2);
    // Named second-first: taken first-second, so the validator records `first -> second`...
    let (second, first) = lock_fields((o.second(), o.first()));
    assert_eq!((*first, *second), (1, 2));
    drop((second, first));
    if VALIDATION_ENABLED {
        // ...and the plain nesting in the opposite order is a cycle.
        let caught = catch_unwind(AssertUnwindSafe(|| {
            let _second = o.second().lock();
            let _first = o.first().lock();
        }));
        let report = panic_message(&*caught.expect_err("second -> first closes a cycle"));
        assert!(
            report.contains("Ordered.first") && report.contains("Ordered.second"),
            "{report}"
        );
    }
}

#[test]
fn opposite_transfers_through_lock_fields_finish_and_conserve_the_sum() {
    let a = account(1, 1_000).into_handle();
    let b = account(2, 1_000).into_handle();
    let start = Barrier::new(2);
    thread::scope(|s| {
        for (from, to) in [(&a, &b), (&b, &a)] {
            let start = &start;
            s.spawn(move || {
                start.wait();
                // Miri runs this file too: a short run there.
                for _ in 0..if cfg!(miri) { 100 } else { 10_000 } {
                    let (mut from, mut to) = lock_fields((from.balance(), to.balance()));
                    *from -= 1;
                    *to += 1;
                }
            });
        }
    });
    // Not `*a.balance().lock() + *b.balance().lock()`: both temporaries live until the end of the
    // statement, which nests two locks of one class, and the validator refuses that.
    let (a, b) = lock_fields((a.balance(), b.balance()));
    assert_eq!(*a + *b, 2_000);
}

#[test]
fn lock_fields_takes_arrays_and_vecs_of_many_objects() {
    let accounts: Vec<Account> = (0..5).map(|i| account(i, 10)).collect();
    let guards = lock_fields([
        accounts[3].balance(),
        accounts[0].balance(),
        accounts[4].balance(),
    ]);
    assert_eq!(guards.len(), 3);
    drop(guards);
    let mut guards = lock_fields(
        accounts
            .iter()
            .rev()
            .map(Account::balance)
            .collect::<Vec<_>>(),
    );
    for g in &mut guards {
        **g += 1;
    }
    drop(guards);
    assert!(accounts.iter().all(|a| *a.balance().lock() == 11));
}

#[test]
fn lock_fields_refuses_the_same_lock_twice() {
    let a = account(1, 0);
    let caught = catch_unwind(AssertUnwindSafe(|| {
        let _ = lock_fields((a.balance(), a.balance()));
    }));
    let report = panic_message(&*caught.expect_err("a lock named twice would deadlock"));
    assert!(
        report.contains("names the same field lock twice"),
        "{report}"
    );
    assert!(a.balance().try_lock().is_some(), "nothing stays locked");
}

#[test]
fn lock_fields_refuses_the_same_lock_twice_among_others() {
    let accounts: Vec<Account> = (0..10).map(|i| account(i, 0)).collect();
    let mut fields: Vec<_> = accounts.iter().map(Account::balance).collect();
    fields.push(accounts[3].balance());
    let caught = catch_unwind(AssertUnwindSafe(|| {
        let _ = lock_fields(fields);
    }));
    let report = panic_message(&*caught.expect_err("a lock named twice in a Vec"));
    assert!(
        report.contains("names the same field lock twice"),
        "{report}"
    );
    let caught = catch_unwind(AssertUnwindSafe(|| {
        let _ = lock_fields((
            accounts[0].balance(),
            accounts[1].history().shared(),
            accounts[0].balance(),
        ));
    }));
    let report = panic_message(&*caught.expect_err("a lock named twice in a tuple"));
    assert!(
        report.contains("names the same field lock twice"),
        "{report}"
    );
    assert_eq!(held_count(), 0);
    assert!(accounts.iter().all(|a| a.balance().try_lock().is_some()));
}

#[test]
fn lock_fields_refuses_the_same_lock_twice_even_with_forged_keys() {
    static CLASS: LockClass = LockClass::new("Forged.x");
    struct Pair {
        x: FieldLock<i32>,
        y: FieldLock<i32>,
    }
    let pair = Pair {
        x: FieldLock::new(0),
        y: FieldLock::new(0),
    };
    // SAFETY: none: this breaks the accessor's contract on purpose. `x` is named with two
    // made-up indices, and `y` with one that sorts between them, so the two keys of `x` are not
    // neighbours in key order. What the contract protects is freedom from deadlock, not memory
    // safety; the duplicate check, which looks at the locks' own addresses, must still panic.
    let (x_first, y_between, x_again) = unsafe {
        (
            pair.x.__gil_field(&pair.x, &CLASS, &pair, 0),
            pair.y.__gil_field(&pair.y, &CLASS, &pair, 1),
            pair.x.__gil_field(&pair.x, &CLASS, &pair, 2),
        )
    };
    let caught = catch_unwind(AssertUnwindSafe(|| {
        let _ = lock_fields((x_first, y_between, x_again));
    }));
    let report = panic_message(&*caught.expect_err("a lock named twice would deadlock"));
    assert!(
        report.contains("names the same field lock twice"),
        "the check before any lock is taken, not the validator's relock check: {report}"
    );
    assert_eq!(held_count(), 0);
    assert!(pair.x.try_lock(&CLASS).is_some() && pair.y.try_lock(&CLASS).is_some());
}

#[test]
fn a_field_accessor_refuses_a_lock_outside_its_object() {
    static CLASS: LockClass = LockClass::new("Forged.y");
    let (lock, elsewhere) = (FieldLock::new(0), [0_u8; 64]);
    // SAFETY: none on purpose: `elsewhere` does not contain `lock`, which the accessor checks.
    let caught = catch_unwind(AssertUnwindSafe(|| unsafe {
        let _ = lock.__gil_field(&lock, &CLASS, &elsewhere, 0);
    }));
    assert!(panic_message(&*caught.expect_err("refused")).contains("not a field of its object"));
}

#[test]
fn validator_reports_the_opposite_order_on_one_thread() {
    /// Two fields taken in both orders, one after the other, on one thread.
    #[per_field_lock]
    struct Pair {
        left: u8,
        right: u8,
    }
    if !VALIDATION_ENABLED {
        return;
    }
    let p = Pair::new(0, 0);
    {
        let _left = p.left().lock();
        let _right = p.right().lock(); // records Pair.left -> Pair.right
    }
    let line = line!() + 3;
    let caught = catch_unwind(AssertUnwindSafe(|| {
        let _right = p.right().lock();
        let _left = p.left().lock(); // closes the cycle: panics, no deadlock needed
    }));
    let report = panic_message(&*caught.expect_err("the opposite order closes a cycle"));
    assert!(report.contains("lock order cycle"), "{report}");
    assert!(
        report.contains("`per_field_lock::Pair.left`")
            && report.contains("`per_field_lock::Pair.right`"),
        "{report}"
    );
    assert!(
        report.contains(&format!("{}:{line}", file!())),
        "this call site: {report}"
    );
    assert!(
        report.contains(&format!("{}:{}", file!(), line - 5)),
        "the first order: {report}"
    );
    assert_eq!(held_count(), 0, "the panic released the held lock");
    assert!(p.right().try_lock().is_some() && p.left().try_lock().is_some());
}

#[test]
fn validator_refuses_nesting_one_class_outside_lock_fields() {
    if !VALIDATION_ENABLED {
        return;
    }
    let (a, b) = (account(1, 0), account(2, 0));
    let caught = catch_unwind(AssertUnwindSafe(|| {
        let _a = a.balance().lock();
        let _b = b.balance().lock();
    }));
    let report = panic_message(&*caught.expect_err("same class nested"));
    assert!(
        report.contains("two locks of class `per_field_lock::Account.balance`"),
        "{report}"
    );
    assert!(
        report.contains("`FieldGuard::lock_next`"),
        "the hint: {report}"
    );
    // The same two locks through the ordered call are fine.
    let (_a, _b) = lock_fields((a.balance(), b.balance()));
}

#[test]
fn a_panic_while_locked_releases_the_lock_and_keeps_the_data() {
    let a = account(1, 100);
    let caught = catch_unwind(AssertUnwindSafe(|| {
        let mut balance = a.balance().lock();
        *balance -= 30;
        panic!("interrupted halfway through a transfer");
    }));
    assert!(caught.is_err());
    // Released, and not poisoned: the write before the panic stays.
    assert_eq!(*a.balance().try_lock().expect("released"), 70);
    assert_eq!(held_count(), 0);
}

#[test]
fn a_panic_on_another_thread_releases_the_lock() {
    let a = account(1, 100).into_handle();
    let other = a.clone();
    let joined = thread::spawn(move || {
        let (mut balance, mut history) = lock_fields((other.balance(), other.history()));
        *balance = 0;
        history.push(-100);
        panic!("the thread dies holding two field locks");
    })
    .join();
    assert!(joined.is_err());
    let (balance, history) = lock_fields((a.balance(), a.history().shared()));
    assert_eq!((*balance, history.as_slice()), (0, &[-100][..]));
}

/// Generic, with a where clause, derives and a lifetime.
#[per_field_lock(class = "Slot", constructor = create)]
#[derive(Debug)]
pub(crate) struct Generic<'a, T: Clone, const N: usize>
where
    T: Send,
{
    /// A value.
    pub(crate) value: T,
    /// A name that is never changed.
    #[field(no_lock)]
    name: &'a str,
    #[field(rw)]
    items: [u8; N],
}

#[test]
fn generics_attributes_and_arguments_are_kept() {
    let g: Generic<'_, String, 2> = Generic::create("x".to_owned(), "name", [1, 2]);
    assert_eq!(g.value().class().name(), "per_field_lock::Slot.value");
    assert_eq!(g.items().class().name(), "per_field_lock::Slot.items");
    g.value().lock().push('y');
    assert_eq!(*g.value().lock(), "xy");
    assert_eq!(g.name, "name");
    assert_eq!(g.items().read()[1], 2);
    let debug = format!("{g:?}");
    assert!(debug.contains("FieldLock(\"xy\")"), "{debug}");
}

/// Derives that need the wrapped fields to implement them too.
#[per_field_lock]
#[derive(Default)]
struct Defaulted {
    count: u8,
    #[field(rw)]
    names: Vec<String>,
}

#[test]
fn derives_see_the_locked_fields() {
    let d = Defaulted::default();
    assert_eq!((*d.count().lock(), d.names().read().len()), (0, 0));
}

/// The `crate` argument, for crates that rename `gilkit`.
#[per_field_lock(crate = ::gilkit)]
struct Renamed {
    count: u8,
}

#[test]
fn crate_argument_is_used() {
    let r = Renamed::new(1);
    assert_eq!(*r.count().lock(), 1);
}

#[test]
fn bare_field_locks_take_a_class() {
    static TOTAL: LockClass = LockClass::new("Bank.total");
    let total = FieldLock::new(1);
    *total.lock(&TOTAL) += 1;
    assert_eq!(
        *total
            .try_lock_for(&TOTAL, std::time::Duration::from_millis(1))
            .unwrap(),
        2
    );
    let mut total = total;
    *total.get_mut() += 1;
    assert_eq!(total.into_inner(), 3);
}

#[cfg(feature = "deadlock-detection")]
#[test]
fn watchdog_reports_the_threads_of_a_real_deadlock() {
    use std::sync::mpsc;
    use std::time::Duration;

    // Bare locks with a different class per acquisition, so that the validator sees no cycle and
    // the threads really deadlock.
    static A1: LockClass = LockClass::new("Real.a1");
    static B1: LockClass = LockClass::new("Real.b1");
    static A2: LockClass = LockClass::new("Real.a2");
    static B2: LockClass = LockClass::new("Real.b2");
    static A: FieldLock<u8> = FieldLock::new(0);
    static B: FieldLock<u8> = FieldLock::new(0);

    let (tx, rx) = mpsc::channel();
    let watchdog =
        gilkit::field_lock::spawn_deadlock_watchdog(Duration::from_millis(20), move |r| {
            let _ = tx.send(r.clone());
        });
    let barrier: &'static Barrier = Box::leak(Box::new(Barrier::new(2)));
    thread::spawn(move || {
        let _a = A.lock(&A1);
        barrier.wait();
        let _b = B.lock(&B1);
    });
    thread::spawn(move || {
        let _b = B.lock(&B2);
        barrier.wait();
        let _a = A.lock(&A2);
    });
    let report = rx.recv_timeout(Duration::from_secs(10)).expect("a report");
    drop(watchdog);
    assert_eq!(report.cycles.len(), 1);
    assert_eq!(report.cycles[0].len(), 2, "{report}");
    // The two threads stay blocked; the test process exits anyway.
}

/// The validator is compiled in as the features say: in debug builds by default, in every build
/// with `lock-order-validation`, in none without default features, and never under loom. The
/// test command also runs this file with `--no-default-features`, so both sides are checked.
#[test]
fn the_validator_is_compiled_in_as_the_features_say() {
    let expected = cfg!(feature = "lock-order-validation")
        || (cfg!(debug_assertions) && cfg!(feature = "debug-lock-order-validation"));
    assert_eq!(VALIDATION_ENABLED, expected);
}

/// Prints the cost of an uncontended lock+unlock through the generated API against a bare
/// `parking_lot::Mutex`, in whatever build runs it. For the validator's overhead in debug builds:
/// `cargo test --test per_field_lock -- --ignored --nocapture`, then the same with
/// `--no-default-features`, and compare the two ratios.
#[test]
#[ignore = "a measurement, not a test"]
fn measure_uncontended_lock_in_this_build() {
    use std::hint::black_box;
    use std::time::Instant;

    const N: u32 = 2_000_000;
    let time = |f: &dyn Fn()| {
        let start = Instant::now();
        for _ in 0..N {
            f();
        }
        start.elapsed().as_secs_f64() * 1e9 / f64::from(N)
    };
    let mutex = parking_lot::Mutex::new(0_i64);
    let a = account(1, 0);
    let mut best = (f64::MAX, f64::MAX);
    for _ in 0..5 {
        best.0 = best.0.min(time(&|| *black_box(&mutex).lock() += 1));
        best.1 = best.1.min(time(&|| *black_box(&a).balance().lock() += 1));
    }
    println!(
        "validator compiled in: {VALIDATION_ENABLED}; parking_lot::Mutex {:.1} ns, generated API \
         {:.1} ns, ratio {:.2}",
        best.0,
        best.1,
        best.1 / best.0
    );
}

/// Two types named `Account`, in two modules: their lock classes carry the module path.
mod bank_a {
    #[gilkit::per_field_lock]
    pub struct Account {
        pub balance: i64,
    }
}

/// The other `Account`.
mod bank_b {
    #[gilkit::per_field_lock]
    pub struct Account {
        pub balance: i64,
    }
}

#[test]
fn lock_classes_of_two_types_with_one_name_carry_their_module_paths() {
    let (a, b) = (bank_a::Account::new(1), bank_b::Account::new(2));
    assert_eq!(
        a.balance().class().name(),
        "per_field_lock::bank_a::Account.balance"
    );
    assert_eq!(
        b.balance().class().name(),
        "per_field_lock::bank_b::Account.balance"
    );
    if !VALIDATION_ENABLED {
        return;
    }
    {
        let _a = a.balance().lock();
        let _b = b.balance().lock();
    }
    let caught = catch_unwind(AssertUnwindSafe(|| {
        let _b = b.balance().lock();
        let _a = a.balance().lock();
    }));
    let report = panic_message(&*caught.expect_err("the opposite order closes a cycle"));
    assert!(
        report.contains("taking `per_field_lock::bank_a::Account.balance`")
            && report.contains("holding `per_field_lock::bank_b::Account.balance`"),
        "{report}"
    );
}

/// A node of a sorted, singly linked list that threads walk hand over hand.
#[per_field_lock]
struct Node {
    v: u64,
    next: Option<Handle<Node>>,
}

/// The link out of a node, locked.
type Link<'a> = FieldGuard<'a, Option<Handle<Node>>>;

/// Inserts `v` after the node whose link is `link`, keeping the list sorted: steps on hand over
/// hand (the next node's link, then let go of this one) while the next value is smaller.
fn insert_after(mut link: Link<'_>, v: u64) {
    if let Some(next) = link.clone() {
        let next_v = *next.v().lock();
        if next_v < v {
            let step = FieldGuard::lock_next(&link, next.next());
            drop(link);
            return insert_after(step, v);
        }
    }
    let rest = link.take();
    *link = Some(Node::new(v, rest).into_handle());
}

/// Removes `v` after the node whose link is `link`; whether it was there. Unlinks while holding
/// both links, the classic lock-coupling removal.
fn remove_after(mut link: Link<'_>, v: u64) -> bool {
    let Some(next) = link.clone() else {
        return false;
    };
    let next_v = *next.v().lock();
    if next_v > v {
        return false;
    }
    let mut step = FieldGuard::lock_next(&link, next.next());
    if next_v == v {
        *link = step.take();
        return true;
    }
    drop(link);
    remove_after(step, v)
}

/// The values after the node whose link is `link`, walked hand over hand.
fn values_after(link: Link<'_>, out: &mut Vec<u64>) {
    let Some(next) = link.clone() else {
        return;
    };
    let step = FieldGuard::lock_next(&link, next.next());
    drop(link);
    out.push(*next.v().lock());
    values_after(step, out);
}

#[test]
fn threads_walking_a_list_hand_over_hand_finish_with_the_validator_on() {
    const THREADS: u64 = 4;
    // Miri runs this file too: a short run there.
    let per_thread: u64 = if cfg!(miri) { 4 } else { 60 };
    let head = Node::new(0, None).into_handle(); // a sentinel: the list is what follows it
    let start = Barrier::new(usize::try_from(THREADS).unwrap());
    thread::scope(|s| {
        for t in 0..THREADS {
            let (head, start) = (&head, &start);
            s.spawn(move || {
                start.wait();
                // Interleaved values, so that the threads insert and remove next to each other.
                let mine: Vec<u64> = (0..per_thread).map(|i| 1 + t + THREADS * i).collect();
                for &v in mine.iter().rev() {
                    insert_after(head.next().lock(), v);
                }
                for &v in mine.iter().step_by(2) {
                    assert!(remove_after(head.next().lock(), v), "{v} was inserted");
                }
                let mut seen = Vec::new();
                values_after(head.next().lock(), &mut seen);
                assert!(seen.windows(2).all(|w| w[0] < w[1]), "sorted: {seen:?}");
                assert_eq!(held_count(), 0);
            });
        }
    });
    let mut values = Vec::new();
    values_after(head.next().lock(), &mut values);
    let mut expected: Vec<u64> = (0..THREADS)
        .flat_map(|t| (1..per_thread).step_by(2).map(move |i| 1 + t + THREADS * i))
        .collect();
    expected.sort_unstable();
    assert_eq!(values, expected);
}

#[test]
fn a_walk_holds_a_run_of_consecutive_steps_and_steps_on_from_the_newest() {
    let fourth = Node::new(4, None).into_handle();
    let third = Node::new(3, Some(fourth.clone())).into_handle();
    let second = Node::new(2, Some(third.clone())).into_handle();
    let first = Node::new(1, Some(second.clone()));
    {
        // A run of three, as to unlink the middle one; then let go from the oldest end.
        let one = first.next().lock();
        let two = FieldGuard::lock_next(&one, second.next());
        let three = FieldGuard::lock_next(&two, third.next());
        drop(one);
        let four = FieldGuard::lock_next(&three, fourth.next());
        drop((two, three));
        assert!(four.is_none());
    }
    if !VALIDATION_ENABLED {
        return;
    }
    let line = line!() + 4;
    let caught = catch_unwind(AssertUnwindSafe(|| {
        let one = first.next().lock();
        let _two = FieldGuard::lock_next(&one, second.next());
        let _three = FieldGuard::lock_next(&one, third.next()); // not from the newest
    }));
    let report = panic_message(&*caught.expect_err("a step from an older guard"));
    assert!(
        report.contains("not one of the consecutive steps")
            && report.contains(&format!("{}:{line}", file!())),
        "{report}"
    );
    let caught = catch_unwind(AssertUnwindSafe(|| {
        let one = first.next().lock();
        let two = FieldGuard::lock_next(&one, second.next());
        let three = FieldGuard::lock_next(&two, third.next());
        drop(two); // a gap: `second`'s link may change from here on
        let _four = FieldGuard::lock_next(&three, fourth.next());
        drop(one);
    }));
    let report = panic_message(&*caught.expect_err("a step after a gap in the run"));
    assert!(
        report.contains("not one of the consecutive steps"),
        "{report}"
    );
    assert_eq!(held_count(), 0);
}

/// A list of its own, so that the orders recorded here reach no other test's classes.
#[per_field_lock]
struct Chain {
    v: u64,
    next: Option<Handle<Chain>>,
}

#[test]
fn a_cycle_between_classes_is_still_reported_around_a_walk() {
    if !VALIDATION_ENABLED {
        return;
    }
    let second = Chain::new(2, None).into_handle();
    let first = Chain::new(1, Some(second.clone()));
    {
        // A step, then the next value read under the next link: `Chain.next` -> `Chain.v`.
        let link = first.next().lock();
        let step = FieldGuard::lock_next(&link, second.next());
        drop(link);
        assert_eq!(*second.v().lock(), 2);
        drop(step);
    }
    // The opposite order with plain locks closes the cycle.
    let caught = catch_unwind(AssertUnwindSafe(|| {
        let _v = first.v().lock();
        let _next = first.next().lock();
    }));
    let report = panic_message(&*caught.expect_err("`Chain.v` -> `Chain.next` closes a cycle"));
    assert!(report.contains("lock order cycle"), "{report}");
    assert!(
        report.contains("taking `per_field_lock::Chain.next`")
            && report.contains("holding `per_field_lock::Chain.v`"),
        "{report}"
    );
    // So does a step taken while holding a value: the step is checked against the other classes
    // held, like any nested lock.
    let step_line = line!() + 4;
    let caught = catch_unwind(AssertUnwindSafe(|| {
        let first_next = first.next().lock();
        let _v = second.v().lock(); // `Chain.next` -> `Chain.v`, as recorded
        let _step = FieldGuard::lock_next(&first_next, second.next()); // `Chain.v` -> `Chain.next`
    }));
    let report = panic_message(&*caught.expect_err("the step closes the cycle"));
    assert!(
        report.contains("lock order cycle") && report.contains(&format!("{}:{step_line}", file!())),
        "{report}"
    );
    assert_eq!(held_count(), 0);
}

/// A class walked hand over hand, then also taken by `lock_fields`.
#[per_field_lock]
struct Walked {
    next: Option<Handle<Walked>>,
}

/// A class taken by `lock_fields`, then also walked hand over hand.
#[per_field_lock]
struct Grouped {
    next: Option<Handle<Grouped>>,
}

#[test]
fn a_class_is_walked_hand_over_hand_or_taken_by_lock_fields_not_both() {
    if !VALIDATION_ENABLED {
        return;
    }
    let second = Walked::new(None).into_handle();
    let first = Walked::new(Some(second.clone()));
    {
        let link = first.next().lock();
        let _step = FieldGuard::lock_next(&link, second.next());
    }
    let caught = catch_unwind(AssertUnwindSafe(|| {
        let _both = lock_fields((first.next(), second.next()));
    }));
    let report = panic_message(&*caught.expect_err("address order against link order"));
    assert!(
        report.contains("locks of class `per_field_lock::Walked.next` are taken hand over hand")
            && report.contains("several at once by `lock_fields`"),
        "{report}"
    );
    // One lock at a time through `lock_fields` nests nothing, and is fine.
    let (one,) = lock_fields((first.next(),));
    drop(one);

    let second = Grouped::new(None).into_handle();
    let first = Grouped::new(Some(second.clone()));
    drop(lock_fields((first.next(), second.next())));
    for _ in 0..2 {
        // Refused every time, not only the first.
        let caught = catch_unwind(AssertUnwindSafe(|| {
            let link = first.next().lock();
            let _step = FieldGuard::lock_next(&link, second.next());
        }));
        let report = panic_message(&*caught.expect_err("link order against address order"));
        assert!(report.contains("Grouped.next"), "{report}");
    }
    assert_eq!(held_count(), 0);
}

/// Two counters, each lock on a cache line of its own.
#[per_field_lock(padded, fields = PaddedPairFields)]
struct PaddedPair {
    a: u64,
    #[field(rw)]
    b: u64,
    #[field(no_lock)]
    id: u8,
}

/// `padded` puts each locked field on a cache line of its own (so two threads locking `a` and
/// `b` never write one line), leaves `no_lock` fields as they are, and keeps the whole API: the
/// accessors, the order `lock_fields` takes them in, the validator and `into_fields`.
#[test]
fn padded_fields_sit_on_separate_cache_lines_and_lock_as_usual() {
    let pair = PaddedPair::new(1, 2, 3);
    let (a, b) = (
        std::ptr::addr_of!(pair.a) as usize,
        std::ptr::addr_of!(pair.b) as usize,
    );
    let line = std::mem::align_of_val(&pair.a);
    assert!(line >= 64, "aligned to {line} bytes");
    assert!(a.abs_diff(b) >= line, "`a` at {a:#x}, `b` at {b:#x}");
    assert!(std::mem::size_of::<PaddedPair>() >= 2 * line);
    thread::scope(|s| {
        s.spawn(|| *pair.a().lock() += 10);
        s.spawn(|| *pair.b().write() += 20);
    });
    let (x, y) = lock_fields((pair.b().shared(), pair.a()));
    assert_eq!((*x, *y), (22, 11));
    drop((x, y));
    let PaddedPairFields { a, b, id } = pair.into_fields();
    assert_eq!((a, b, id), (11, 22, 3));
}

/// Four `u64` fields, as the issue's size target counts them.
#[per_field_lock(fields = FourFields)]
struct Four {
    a: u64,
    b: u64,
    c: u64,
    d: u64,
}

/// Each mutex field's 1-byte lock sits beside its value, so the four locks pack into one word:
/// 40 bytes, where four `FieldLock<u64>` take 64. Every lock is still its own: holding three
/// leaves the fourth free, and the values come back out unchanged.
#[test]
fn the_locks_of_a_struct_pack_together() {
    assert_eq!(std::mem::size_of::<Four>(), 40);
    assert_eq!(
        std::mem::size_of::<gilkit::field_lock::FieldLock<u64>>(),
        16
    );
    let four = Four::new(1, 2, 3, 4);
    let (a, b, c) = lock_fields((four.a(), four.b(), four.c()));
    thread::scope(|s| {
        s.spawn(|| *four.d().try_lock().expect("`d` has a lock of its own") += 40);
    });
    assert!(four.a().try_lock().is_none());
    drop((a, b, c));
    *four.a().lock() += 10;
    let FourFields { a, b, c, d } = four.into_fields();
    assert_eq!((a, b, c, d), (11, 2, 3, 44));
}

/// In the struct's module a mutex field is a `FieldCell`: reached through `&mut` or by value
/// without a lock, never through `&`.
#[test]
fn the_module_reaches_a_cell_through_mut_or_by_value() {
    let mut four = Four::new(1, 2, 3, 4);
    *four.a.get_mut() += 1;
    assert_eq!(*four.a().lock(), 2);
    assert_eq!(four.b.into_inner(), 2);
}

/// `#[derive(Debug)]`, also inside `cfg_attr`, on generic types: each mutex field shows as
/// `FieldLock(value)`, or `FieldLock(<locked>)` while held, never as a cell and a lock.
#[per_field_lock]
#[derive(Default)]
#[cfg_attr(all(), derive(Debug))]
struct Shown<T: Send> {
    value: T,
    #[field(rw)]
    names: Vec<&'static str>,
    #[field(no_lock)]
    id: u8,
}

#[test]
fn derived_debug_shows_each_field_as_its_lock() {
    let shown = Shown::new(7_u16, vec!["a"], 1);
    assert_eq!(
        format!("{shown:?}"),
        r#"Shown { value: FieldLock(7), names: RwFieldLock(["a"]), id: 1 }"#
    );
    let held = shown.names().write();
    assert!(format!("{shown:?}").contains("names: RwFieldLock(<locked>)"));
    drop(held);
    let held = shown.value().lock();
    assert!(format!("{shown:?}").contains("value: FieldLock(<locked>)"));
    assert_eq!(shown.id, 1);
    drop(held);
    assert_eq!(held_count(), 0);
    let empty: Shown<String> = Shown::default();
    assert!(format!("{empty:#?}").contains("FieldLock(\n"));
}

/// `rc = biased` with a destructor that locks the object's own fields: whichever thread drops
/// last (the owner, another thread, or another thread whose drop is handed to the owner), the
/// value is dropped once, with every update seen.
#[per_field_lock(rc = biased)]
struct LocksItselfInDrop {
    hits: u64,
    #[field(no_lock)]
    drops: &'static std::sync::atomic::AtomicUsize,
}

impl Drop for LocksItselfInDrop {
    fn drop(&mut self) {
        assert_eq!(*self.hits().lock(), 2, "an update is lost");
        self.drops.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
    }
}

#[test]
fn rc_biased_destructor_that_locks_its_fields_runs_once_whoever_drops_last() {
    use std::sync::atomic::{AtomicUsize, Ordering::SeqCst};
    static DROPS: AtomicUsize = AtomicUsize::new(0);
    for owner_drops_first in [false, true] {
        DROPS.store(0, SeqCst);
        let owner = LocksItselfInDrop::new(0, &DROPS).into_handle();
        let sent = owner.clone();
        *owner.hits().lock() += 1;
        let worker = thread::spawn(move || {
            *sent.hits().lock() += 1;
            sent
        });
        let sent = worker.join().unwrap();
        if owner_drops_first {
            drop(owner);
            thread::spawn(move || drop(sent)).join().unwrap();
        } else {
            thread::spawn(move || drop(sent)).join().unwrap();
            drop(owner);
        }
        gilkit::refcount::merge_deferred();
        assert_eq!(
            DROPS.load(SeqCst),
            1,
            "owner_drops_first: {owner_drops_first}"
        );
    }
}
