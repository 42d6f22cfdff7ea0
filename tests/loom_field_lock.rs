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

use gilkit::field_lock::{lock_fields, FieldGuard};
use gilkit::per_field_lock;

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

/// Leaks `value` for the controls (and the lists): a loom `Arc` dropped while loom unwinds from
/// its deadlock report would panic again, and abort the test.
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

/// Two fields: each value in a `FieldCell`, its 1-byte lock in a field beside it.
#[per_field_lock]
struct Split {
    a: u64,
    b: u64,
}

#[test]
fn a_field_locked_apart_from_its_value_loses_no_update() {
    loom::model(|| {
        let p = Split::new(0, 0).into_handle();
        let other = {
            let p = p.clone();
            thread::spawn(move || *p.a().lock() += 1)
        };
        *p.b().lock() += 1;
        *p.a().lock() += 1;
        other.join().unwrap();
        assert_eq!((*p.a().lock(), *p.b().lock()), (2, 1));
    });
}

#[test]
#[should_panic = "Causality violation"]
fn control_a_cell_reached_through_another_fields_lock_races() {
    static CLASS: gilkit::field_lock::LockClass = gilkit::field_lock::LockClass::new("Split.a");
    loom::model(|| {
        let p = Split::new(0, 0).into_handle();
        let other = {
            let p = p.clone();
            thread::spawn(move || *p.a().lock() += 1)
        };
        // SAFETY: not sound, on purpose: `a` paired with `b`'s lock breaks `__gil_field`'s
        // contract (one lock per cell), and loom must report the race on `a`'s cell.
        let wrong = unsafe { p.a.__gil_field(&p.a, &p.__gil_lock_b, &CLASS, &*p, 0) };
        *wrong.lock() += 1;
        other.join().unwrap();
    });
}

/// The links of a node of a doubly linked list, and a count of the walks that passed it.
struct Links {
    prev: Option<&'static Node>,
    next: Option<&'static Node>,
    visits: u8,
}

/// A node of a doubly linked list, with one lock per node: the one around its links. (Nodes are
/// leaked, `&'static`: a list needs links both ways, and the controls must not drop a loom `Arc`
/// while loom unwinds from its deadlock report.)
#[per_field_lock]
struct Node {
    links: Links,
}

/// A doubly linked list of `n` nodes.
fn list(n: usize) -> Vec<&'static Node> {
    let nodes: Vec<&'static Node> = (0..n)
        .map(|_| {
            leak(Node::new(Links {
                prev: None,
                next: None,
                visits: 0,
            }))
        })
        .collect();
    for pair in nodes.windows(2) {
        pair[0].links().lock().next = Some(pair[1]);
        pair[1].links().lock().prev = Some(pair[0]);
    }
    nodes
}

/// Walks from `node` to the end hand over hand, following `next` (or `prev`, backwards), and
/// counts a visit in each node on the way.
fn walk(node: &'static Node, forwards: bool) {
    let mut links = node.links().lock();
    loop {
        links.visits += 1;
        let Some(next) = (if forwards { links.next } else { links.prev }) else {
            return;
        };
        // The next node's lock, then let go of this one (the old guard drops on assignment).
        links = FieldGuard::lock_next(&links, next.links());
    }
}

/// Unlinks the node after `first`, holding three consecutive nodes, taken forwards.
fn unlink_after(first: &'static Node) {
    let mut a = first.links().lock();
    let b_node = a.next.expect("a second node");
    let mut b = FieldGuard::lock_next(&a, b_node.links());
    let c_node = b.next.expect("a third node");
    let mut c = FieldGuard::lock_next(&b, c_node.links());
    a.next = Some(c_node);
    c.prev = Some(first);
    (b.prev, b.next) = (None, None);
}

#[test]
fn walkers_coupling_in_one_direction_never_deadlock() {
    loom::model(|| {
        let nodes = list(3);
        let (a, b, c) = (nodes[0], nodes[1], nodes[2]);
        let t = thread::spawn(move || walk(a, true));
        unlink_after(a);
        t.join().unwrap();
        let visits = |n: &Node| n.links().lock().visits;
        assert_eq!((visits(a), visits(c)), (1, 1), "the walk reached the end");
        assert!(visits(b) <= 1);
        assert!(std::ptr::eq(a.links().lock().next.unwrap(), c));
        assert!(std::ptr::eq(c.links().lock().prev.unwrap(), a));
    });
}

#[test]
#[should_panic = "deadlock"]
fn control_walkers_coupling_in_opposite_directions_deadlock() {
    loom::model(|| {
        let nodes = list(2);
        let (a, b) = (nodes[0], nodes[1]);
        let t = thread::spawn(move || walk(a, true));
        walk(b, false);
        t.join().unwrap();
    });
}

// --- PEP 703's object model: a lock per field, biased counts (`rc = biased`) --------------------

/// A counter shared through biased counts. Its destructor checks that both increments are seen
/// (loom reports a causality violation if the free is not ordered after a thread's use) and
/// counts the frees; the loom `Arc` is reported as leaked if the object is never freed.
#[per_field_lock(rc = biased)]
struct Tally {
    count: u64,
    #[field(no_lock)]
    frees: &'static loom::sync::atomic::AtomicUsize,
    #[field(no_lock)]
    leak_check: std::mem::ManuallyDrop<Arc<()>>,
}

impl Drop for Tally {
    fn drop(&mut self) {
        if thread::panicking() {
            return; // a model already failed: a second panic would abort the test process
        }
        let previous = self
            .frees
            .fetch_add(1, loom::sync::atomic::Ordering::Relaxed);
        assert_eq!(previous, 0, "double free");
        assert_eq!(*self.count.get_mut(), 2, "an increment is lost");
        // SAFETY: dropped once: a second drop panicked above.
        unsafe { std::mem::ManuallyDrop::drop(&mut self.leak_check) };
    }
}

/// The owner thread makes the object and sends a clone away; each thread increments under the
/// field lock and drops its handle, in either order. The non-owner's drop may be the last: it
/// hands its reference to the owner, whose `merge_deferred` frees the object.
fn biased_tally(non_owner_drop: fn(gilkit::refcount::AtomicRc<Tally>)) {
    loom::model(move || {
        let frees = leak(loom::sync::atomic::AtomicUsize::new(0));
        let mine = Tally::new(0, frees, std::mem::ManuallyDrop::new(Arc::new(()))).into_handle();
        let sent = mine.clone();
        let t = thread::spawn(move || {
            *sent.count().lock() += 1;
            non_owner_drop(sent);
        });
        *mine.count().lock() += 1;
        drop(mine);
        gilkit::refcount::merge_deferred();
        t.join().unwrap();
        gilkit::refcount::merge_deferred();
        let frees = frees.load(loom::sync::atomic::Ordering::Relaxed);
        assert_eq!(frees, 1, "leaked: the object was never freed");
    });
}

#[test]
fn field_locks_on_biased_counts_lose_no_update_and_free_once() {
    biased_tally(drop);
}

/// Without the hand-over, the non-owner's last drop counts below zero, and only the owner's exit
/// would free the object: the check after `merge_deferred` reports the leak.
#[test]
#[should_panic = "leaked"]
fn control_biased_field_locks_without_hand_over_leak() {
    biased_tally(gilkit::refcount::AtomicRc::__drop_without_hand_over);
}
