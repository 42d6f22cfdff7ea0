//! Regression tests for soundness findings: each shape once made safe code read freed memory,
//! alias a value being dropped, or lose objects when user code panicked. They pass on their own;
//! their real check is Miri (`bash scripts/miri.sh`, Stacked and Tree Borrows) and
//! the thread sanitizer (`bash scripts/tsan.sh`). The deferred-destructor findings are compile-fail
//! cases instead (`tests/ui/global_lock/handle_of_a_borrowing_*`,
//! `tests/ui/atomic_rc/biased_*_borrowing_*`).

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Mutex, OnceLock};

use gilkit::refcount::{AtomicRc, Mode, Trace, Visitor, Weak};

/// A value that upgrades its own `Weak` while it is being dropped: the upgrade must see the
/// object as gone, without reading the value that `drop_in_place` holds exclusively.
struct UpgradesItselfInDrop {
    me: OnceLock<Weak<UpgradesItselfInDrop>>,
    upgraded: &'static AtomicBool,
}

impl Drop for UpgradesItselfInDrop {
    fn drop(&mut self) {
        let weak = self.me.get().expect("set after allocation");
        self.upgraded
            .store(weak.upgrade().is_some(), Ordering::Relaxed);
        assert_eq!(weak.strong_count(), 0);
    }
}

#[test]
fn a_value_that_upgrades_its_own_weak_in_drop_sees_it_gone() {
    static UPGRADED: AtomicBool = AtomicBool::new(true);
    for mode in [Mode::Atomic, Mode::Biased] {
        UPGRADED.store(true, Ordering::Relaxed);
        let rc = AtomicRc::with_mode(
            UpgradesItselfInDrop {
                me: OnceLock::new(),
                upgraded: &UPGRADED,
            },
            mode,
        );
        rc.me.set(AtomicRc::downgrade(&rc)).unwrap();
        drop(rc);
        assert!(!UPGRADED.load(Ordering::Relaxed), "{mode:?}");
    }
}

/// A value that holds a `Weak` to itself: dropping the value drops that `Weak`, possibly the
/// last weak count, while the allocation is being freed.
struct HoldsItsOwnWeak {
    me: OnceLock<Weak<HoldsItsOwnWeak>>,
}

#[test]
fn a_value_holding_a_weak_to_itself_is_freed_once() {
    for mode in [Mode::Atomic, Mode::Biased] {
        let rc = AtomicRc::with_mode(
            HoldsItsOwnWeak {
                me: OnceLock::new(),
            },
            mode,
        );
        rc.me.set(AtomicRc::downgrade(&rc)).unwrap();
        let outside = AtomicRc::downgrade(&rc);
        drop(rc);
        assert!(outside.upgrade().is_none());
    }
}

/// A value whose destructor writes to it, yields to the other threads, and writes again: a
/// long window in which another thread must not borrow the value.
struct SlowDrop(u64);

impl Drop for SlowDrop {
    fn drop(&mut self) {
        self.0 += 1;
        for _ in 0..4 {
            std::thread::yield_now();
        }
        self.0 += 1;
    }
}

#[test]
fn weak_upgrade_on_another_thread_racing_the_last_drop() {
    // Each round races upgrades on one thread against the last strong drop on another, whose
    // destructor takes its time; Miri explores different interleavings across rounds.
    for round in 0..4 {
        let rc = AtomicRc::new(SlowDrop(round));
        let weak = AtomicRc::downgrade(&rc);
        let upgrader = std::thread::spawn(move || {
            for _ in 0..8 {
                if let Some(strong) = weak.upgrade() {
                    assert!(strong.0 < 4);
                }
                std::thread::yield_now();
            }
        });
        std::thread::yield_now();
        drop(rc);
        upgrader.join().unwrap();
    }
}

/// A node of a cycle whose `trace` panics when asked to.
struct Node {
    next: Mutex<Option<AtomicRc<Node>>>,
    panic_in_trace: &'static AtomicBool,
    panic_in_clear: &'static AtomicBool,
    live: &'static AtomicUsize,
}

impl Node {
    fn new(
        panic_in_trace: &'static AtomicBool,
        panic_in_clear: &'static AtomicBool,
        live: &'static AtomicUsize,
    ) -> AtomicRc<Self> {
        live.fetch_add(1, Ordering::Relaxed);
        AtomicRc::new_collected(Node {
            next: Mutex::new(None),
            panic_in_trace,
            panic_in_clear,
            live,
        })
    }
}

impl Drop for Node {
    fn drop(&mut self) {
        self.live.fetch_sub(1, Ordering::Relaxed);
    }
}

impl Trace for Node {
    fn trace(&self, visitor: &mut Visitor<'_>) {
        assert!(
            !self.panic_in_trace.load(Ordering::Relaxed),
            "trace panics on purpose"
        );
        if let Some(next) = &*self.next.lock().unwrap() {
            visitor.visit(next);
        }
    }

    fn clear(&self) {
        assert!(
            !self.panic_in_clear.load(Ordering::Relaxed),
            "clear panics on purpose"
        );
        self.next.lock().unwrap().take();
    }
}

/// Makes a two-node cycle and drops every outside handle.
fn leak_a_cycle(
    panic_in_trace: &'static AtomicBool,
    panic_in_clear: &'static AtomicBool,
    live: &'static AtomicUsize,
) {
    let a = Node::new(panic_in_trace, panic_in_clear, live);
    let b = Node::new(panic_in_trace, panic_in_clear, live);
    *a.next.lock().unwrap() = Some(b.clone());
    *b.next.lock().unwrap() = Some(a);
}

#[test]
fn a_panicking_trace_or_clear_loses_no_tracked_object() {
    static PANIC_IN_TRACE: AtomicBool = AtomicBool::new(false);
    static PANIC_IN_CLEAR: AtomicBool = AtomicBool::new(false);
    static LIVE: AtomicUsize = AtomicUsize::new(0);
    // Other tests of this binary may track objects too; this one only counts its own.
    for flag in [&PANIC_IN_TRACE, &PANIC_IN_CLEAR] {
        leak_a_cycle(&PANIC_IN_TRACE, &PANIC_IN_CLEAR, &LIVE);
        assert_eq!(LIVE.load(Ordering::Relaxed), 2);
        flag.store(true, Ordering::Relaxed);
        assert!(catch_unwind(gilkit::refcount::collect_cycles).is_err());
        flag.store(false, Ordering::Relaxed);
        // Nothing was freed and nothing was lost: the next run still finds and frees the cycle.
        assert_eq!(LIVE.load(Ordering::Relaxed), 2);
        gilkit::refcount::collect_cycles();
        assert_eq!(LIVE.load(Ordering::Relaxed), 0);
    }
}

/// A value whose destructor panics once, when `PANICS` says so.
struct PanicsOnDrop(&'static AtomicBool, &'static AtomicUsize);

impl Drop for PanicsOnDrop {
    fn drop(&mut self) {
        self.1.fetch_sub(1, Ordering::Relaxed);
        assert!(
            !self.0.swap(false, Ordering::Relaxed),
            "drop panics on purpose"
        );
    }
}

#[test]
fn a_panicking_destructor_in_the_owners_inbox_loses_no_other_object() {
    static PANICS: AtomicBool = AtomicBool::new(false);
    static LIVE: AtomicUsize = AtomicUsize::new(0);
    let objects: Vec<_> = (0..3)
        .map(|_| {
            LIVE.fetch_add(1, Ordering::Relaxed);
            AtomicRc::with_mode(PanicsOnDrop(&PANICS, &LIVE), Mode::Biased)
        })
        .collect();
    // Each handle's last drop happens on another thread: handed back to this (the owner) thread.
    std::thread::spawn(move || drop(objects)).join().unwrap();
    assert_eq!(LIVE.load(Ordering::Relaxed), 3);
    PANICS.store(true, Ordering::Relaxed);
    assert!(catch_unwind(AssertUnwindSafe(gilkit::refcount::merge_deferred)).is_err());
    // One destructor ran (and panicked); the others were not lost.
    gilkit::refcount::merge_deferred();
    assert_eq!(LIVE.load(Ordering::Relaxed), 0);
}

/// The `'static` bound on deferred destructors refuses borrows of locals, not lifetime
/// parameters: a struct with one still works when what it borrows lives forever (the positive
/// counterpart of the compile-fail cases).
#[gilkit::global_lock]
struct GilReader<'a> {
    text: &'a str,
}

#[gilkit::atomic_rc(biased)]
struct BiasedReader<'a> {
    text: &'a str,
}

#[test]
fn a_static_payload_with_a_lifetime_parameter_still_compiles() {
    static TEXT: &str = "lives forever";
    let handle = GilReader::new(TEXT).into_handle();
    gilkit::with_gil(|g| assert_eq!(*handle.text.get(g), TEXT));
    let plain = gilkit::GilRc::new(String::from("owned"));
    std::thread::spawn(move || drop((handle, plain)))
        .join()
        .unwrap(); // deferred: no GIL there
    gilkit::with_gil(|g| assert!(g.stats().deferred_decrefs_drained >= 2));

    let biased = BiasedReader { text: TEXT }.into_handle();
    let elsewhere = biased.clone();
    std::thread::spawn(move || assert_eq!(elsewhere.text, TEXT))
        .join()
        .unwrap();
    // An atomic object is dropped where its last handle is, so it may borrow a local.
    let local = String::from("borrowed");
    let atomic = AtomicRc::new(&local);
    assert_eq!(biased.text.len() + atomic.len(), 13 + 8);
}

#[test]
fn a_panicking_destructor_drained_while_making_a_biased_object_loses_nothing() {
    static PANICS: AtomicBool = AtomicBool::new(false);
    static LIVE: AtomicUsize = AtomicUsize::new(0);
    LIVE.fetch_add(1, Ordering::Relaxed);
    let boom = AtomicRc::with_mode(PanicsOnDrop(&PANICS, &LIVE), Mode::Biased);
    std::thread::spawn(move || drop(boom)).join().unwrap(); // handed back to this thread
    PANICS.store(true, Ordering::Relaxed);
    // Making a biased object drains this thread's inbox first: the panic comes from there, and
    // no object is left half made.
    let made = catch_unwind(|| {
        LIVE.fetch_add(1, Ordering::Relaxed);
        AtomicRc::with_mode(PanicsOnDrop(&PANICS, &LIVE), Mode::Biased)
    });
    assert!(made.is_err());
    assert_eq!(LIVE.load(Ordering::Relaxed), 0); // both destructors ran: none leaked
}

/// `fields_mut` goes through `Gil::get_mut_many`, which refuses overlapping cells: the generated
/// code holds no `unsafe` whose soundness a `crate = path` could subvert (see the compile-fail
/// case `a_forged_token_cannot_reach_the_fields`).
#[gilkit::global_lock]
struct Wide {
    f0: u8,
    f1: u8,
    f2: u8,
    f3: u8,
    f4: u8,
    f5: u8,
    f6: u8,
    f7: u8,
    f8: u8,
    f9: u8,
    f10: u8,
    f11: u8,
    f12: u8,
    unit: (),
}

#[test]
fn fields_mut_borrows_every_field_and_get_mut_many_refuses_overlaps() {
    let wide = Wide::new(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, ());
    gilkit::with_gil(|g| {
        let fields = wide.fields_mut(g);
        *fields.0 += *fields.12;
        let () = *fields.13;
        assert_eq!(*wide.f0.get(g), 12);
        assert_eq!(*wide.f11.get(g) + *wide.f12.get(g) + *wide.f1.get(g), 24);
        let cell = gilkit::GilCell::new([1_u8; 4]);
        let unit = gilkit::GilCell::new(());
        let twice = catch_unwind(AssertUnwindSafe(|| {
            let _ = g.get_mut_many((&cell, (&unit, &cell)));
        }));
        assert!(twice.is_err(), "the same cell twice must be refused");
        // A zero-sized cell twice too: two `&mut` to one zero-sized token would break the
        // token's uniqueness (ghost-cell's `GhostToken`, for example).
        let token_twice = catch_unwind(AssertUnwindSafe(|| {
            let _ = g.get_mut_many((&unit, &unit));
        }));
        assert!(
            token_twice.is_err(),
            "one zero-sized cell twice must be refused"
        );
        // A zero-sized cell inside another cell: `&mut` to the outer one reaches the inner one.
        let outer = gilkit::GilCell::new((7_u8, gilkit::GilCell::new(())));
        let inner: *const gilkit::GilCell<()> = &outer.get(g).1;
        // SAFETY: `inner` points into `outer`, which outlives this use.
        let inner = unsafe { &*inner };
        let nested = catch_unwind(AssertUnwindSafe(|| {
            let _ = g.get_mut_many((inner, &outer));
        }));
        assert!(
            nested.is_err(),
            "a zero-sized cell inside another must be refused"
        );
    });
}
