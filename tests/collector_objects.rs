//! The collector over `Locked` objects (`Shared::new_collected`, `Trace for Locked<Atomic, T>`),
//! with safe code only; written by a review.
//!
//! Each test runs alone (`SERIAL`): the collector sees every collected object of the process.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use gilkit::object::{Atomic, Context, Locked, Shared, Traverse};
use gilkit::refcount::{Trace, Visitor};

mod common;

static SERIAL: Mutex<()> = Mutex::new(());

fn serial() -> std::sync::MutexGuard<'static, ()> {
    SERIAL
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

struct Node(Vec<Shared<Atomic, Locked<Atomic, Node>>>, Arc<AtomicUsize>);

impl Drop for Node {
    fn drop(&mut self) {
        self.1.fetch_add(1, Ordering::SeqCst);
    }
}

impl Traverse<Atomic> for Node {
    fn traverse(&self, visitor: &mut Visitor<'_>) {
        self.0.iter().for_each(|n| n.visit(visitor));
    }
    fn clear(&mut self) {
        self.0.clear();
    }
}

fn node(drops: &Arc<AtomicUsize>) -> Shared<Atomic, Locked<Atomic, Node>> {
    Shared::new_collected(Locked::new(Node(Vec::new(), drops.clone())))
}

/// Runs `f` on a thread; `Some(result)` if it finished within `secs`, `None` if it hung (the
/// thread is left behind).
fn within<R: Send + 'static>(
    secs: u64,
    f: impl FnOnce() -> R + Send + 'static,
) -> Option<std::thread::Result<R>> {
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        let r = std::panic::catch_unwind(std::panic::AssertUnwindSafe(f));
        let _ = tx.send(r);
    });
    rx.recv_timeout(Duration::from_secs(secs)).ok()
}

/// Inside `with` (the object's lock held), the free function `refcount::collect_cycles` is
/// reachable, and locks the same object in `trace`: `with`'s promise "cannot lock another
/// object (the context is borrowed)" does not cover the collector's locks. With the validator
/// (debug builds) it panics ("tries to take the same lock again"; the location it names is
/// `handle.rs`, not the caller's); in release builds it self-deadlocks. Not UB.
#[test]
#[cfg_attr(
    not(debug_assertions),
    ignore = "without the validator (release builds) this self-deadlocks: the documented limit"
)]
fn collect_inside_with_relocks_the_held_object() {
    let _s = serial();
    let outcome = within(30, || {
        Context::<Atomic>::enter(|cx| {
            let drops = Arc::new(AtomicUsize::new(0));
            let a = node(&drops);
            a.with(cx, |_, _| gilkit::refcount::collect_cycles())
        })
    });
    match outcome {
        None => panic!("self-deadlock: collect_cycles inside with() never returned"),
        Some(Err(_)) => {} // the validator refused it: fine
        Some(Ok(n)) => panic!("returned {n} while the lock was held?"),
    }
}

/// `Trace::clear` of `Locked<Atomic, T>` is public: safe code can call it on a reachable
/// object (clearing its links), also inside that object's own `with`: the validator panics in
/// debug builds; release builds self-deadlock. Not UB.
#[test]
#[cfg_attr(
    not(debug_assertions),
    ignore = "without the validator (release builds) this self-deadlocks: the documented limit"
)]
fn trace_clear_inside_with_self_deadlocks() {
    let _s = serial();
    let outcome = within(30, || {
        Context::<Atomic>::enter(|cx| {
            let drops = Arc::new(AtomicUsize::new(0));
            let a = node(&drops);
            let a2 = a.share(cx.token());
            a.with(cx, move |_, _| Trace::clear(&*a2));
        });
    });
    match outcome {
        None => panic!("self-deadlock: Trace::clear inside with() never returned"),
        Some(Err(_)) => {}
        Some(Ok(())) => panic!("re-locked a held lock?"),
    }
}

/// The documented limit: the collector running while other threads link, unlink and drop
/// tracked objects (and make new ones, so `track` sweeps) may clear live links, but must stay
/// memory-safe: every node is dropped exactly once in the end (also under the sanitizer and Miri).
#[test]
fn collector_racing_mutators_frees_each_node_once() {
    let _s = serial();
    let rounds = common::stress_iters().map_or(300, |n| n.min(300));
    let drops = Arc::new(AtomicUsize::new(0));
    let made = Arc::new(AtomicUsize::new(0));
    let shared_root = Context::<Atomic>::enter(|_| node(&drops));
    made.fetch_add(1, Ordering::SeqCst);
    std::thread::scope(|s| {
        for t in 0..2 {
            let (drops, made, root) = (&drops, &made, &shared_root);
            s.spawn(move || {
                Context::<Atomic>::enter(|cx| {
                    for i in 0..rounds {
                        let a = node(drops);
                        let b = node(drops);
                        made.fetch_add(2, Ordering::SeqCst);
                        let (ab, ba) = (b.share(cx.token()), a.share(cx.token()));
                        a.with(cx, |n, _| n.0.push(ab));
                        b.with(cx, |n, _| n.0.push(ba)); // a <-> b
                        if (i + t) % 3 == 0 {
                            let keep = a.share(cx.token());
                            root.with(cx, |n, _| {
                                n.0.push(keep);
                                if n.0.len() > 4 {
                                    n.0.remove(0);
                                }
                            });
                        }
                        drop((a, b));
                    }
                });
            });
        }
        s.spawn(|| {
            for _ in 0..rounds / 4 {
                Context::<Atomic>::enter(Context::collect_cycles);
            }
        });
    });
    Context::<Atomic>::enter(|cx| {
        shared_root.with(cx, |n, _| n.0.clear());
        drop(shared_root);
        while cx.collect_cycles() > 0 {}
    });
    assert_eq!(drops.load(Ordering::SeqCst), made.load(Ordering::SeqCst));
}
