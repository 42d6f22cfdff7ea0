//! A review of the 24-byte header (1c22958): `Arc`'s two counts and a pointer to a `static`
//! `Meta` with the mode in its two low bits, a biased object's owner fields (`Biased`) in a
//! prefix *in front of* the header, reached with `this.cast::<Biased>().sub(1)`, 32-bit owner
//! ids, and the allocation layout per mode (`handle::layout`). Safe code only (and
//! `#[atomic_rc]`); the real checks are Miri (Stacked and Tree Borrows: provenance of the
//! prefix, the deallocation's layout, leaks) and the thread sanitizer.
//!
//! What the other files do not do: zero-sized values (with and without `Drop`, and
//! page-aligned ones, whose value lies at the very end of the block) in every mode;
//! page-aligned values (a 4096-byte gap between the owner's fields and the header); objects of
//! those layouts made in thread-local destructors on both sides of the owner's exit (the
//! fallback to atomic frees a biased block first), made and dropped inside each other's
//! destructors, panicking, collected, and spread over scoped threads and many threads.
//!
//! Checked against two mutations of the runtime, in a scratch copy: the prefix reached from a
//! `NonNull::from(&Header)` in `Header::increment` fails these tests under Stacked Borrows (not
//! under Tree Borrows, which allows accesses outside a reference's range: only the Stacked run
//! guards that invariant), and a deallocation with `Inner<T>`'s layout in every mode fails them
//! under both.

#![allow(
    clippy::items_after_statements,
    reason = "each test declares its own types and statics, so that parallel tests share no count"
)]

mod common;

use std::cell::RefCell;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{mpsc, Arc, Barrier, Mutex};
use std::thread;
use std::time::{Duration, Instant};

use gilkit::refcount::{collect_cycles, merge_deferred, AtomicRc, LocalRc, Mode, Trace, Visitor};
use gilkit::stats::live;

const MODES: [Mode; 3] = [Mode::Atomic, Mode::Biased, Mode::Immortal];

/// Iterations: `GIL_STRESS_ITERS` if set, else `native`, or `miri` under Miri.
fn iters(native: usize, miri: usize) -> usize {
    common::stress_iters().unwrap_or(if cfg!(miri) { miri } else { native })
}

/// Threads for the tests that spread objects over many threads.
fn threads() -> usize {
    if cfg!(miri) {
        3
    } else {
        8
    }
}

const MAGIC: u64 = 0x1A70_0715_BEEF_F00D;

/// A page-aligned marker: a field of this type makes its struct page-aligned.
#[derive(Clone, Copy)]
#[repr(align(4096))]
struct Page;

/// A 32-byte-aligned marker: the value is aligned past `Biased` (12 bytes, 16 with the padding
/// in front) but not past a page.
#[derive(Clone, Copy)]
#[repr(align(32))]
struct Line;

/// A value with alignment `A`'s that checks, when read and when dropped, that it is alive and
/// where it should be, and counts its drops.
struct Probe<A> {
    _align: A,
    magic: u64,
    drops: Arc<AtomicUsize>,
}

impl<A: Copy> Probe<A> {
    fn new(align: A, drops: &Arc<AtomicUsize>) -> Self {
        Self {
            _align: align,
            magic: MAGIC,
            drops: Arc::clone(drops),
        }
    }

    fn check(&self) {
        assert_eq!(self.magic, MAGIC, "a read of a dropped value");
        let align = std::mem::align_of::<Self>();
        assert_eq!(
            std::ptr::from_ref(self) as usize % align,
            0,
            "a value off its alignment"
        );
    }
}

impl<A> Drop for Probe<A> {
    fn drop(&mut self) {
        assert_eq!(self.magic, MAGIC, "a double drop");
        self.magic = 0xDEAD;
        self.drops.fetch_add(1, Ordering::Relaxed);
    }
}

/// Runs one object of `value`'s type in `mode` through every handle operation, on this thread
/// and another, and checks the value's address, the mode, the counts, and that a `Weak` outlives
/// the value (dropped on a third thread); the caller counts the drops.
fn exercise<T: Send + Sync + 'static>(value: T, mode: Mode, check: fn(&T)) {
    let rc = AtomicRc::with_mode(value, mode);
    assert_eq!(AtomicRc::mode(&rc), mode);
    check(&rc);
    let align = std::mem::align_of::<T>();
    assert_eq!(std::ptr::from_ref::<T>(&rc) as usize % align, 0, "{mode:?}");
    let weak = AtomicRc::downgrade(&rc);
    let local = AtomicRc::to_local(&rc);
    assert_eq!(local.is_some(), mode == Mode::Biased, "{mode:?}");
    if let Some(local) = &local {
        let copy = local.clone();
        let shared = LocalRc::to_shared(&copy);
        check(&shared);
        assert_eq!(AtomicRc::strong_count(&rc), 4);
        drop((copy, shared));
    }
    let expected = match mode {
        Mode::Immortal => usize::MAX,
        _ => 1 + usize::from(local.is_some()),
    };
    assert_eq!(AtomicRc::strong_count(&rc), expected, "{mode:?}");
    // Another thread clones, downgrades, upgrades and drops; its last drop of a biased object
    // goes to this thread's inbox.
    let sent = rc.clone();
    thread::spawn(move || {
        check(&sent);
        let weak = AtomicRc::downgrade(&sent);
        let again = weak.upgrade().expect("alive");
        check(&again);
        assert!(weak.strong_count() >= 1);
        drop((sent, again, weak));
    })
    .join()
    .unwrap();
    merge_deferred();
    drop(local);
    assert!(weak.upgrade().is_some());
    drop(rc);
    merge_deferred();
    if mode == Mode::Immortal {
        assert_eq!(weak.strong_count(), usize::MAX);
        check(&weak.upgrade().expect("immortal"));
    } else {
        assert!(weak.upgrade().is_none(), "{mode:?}");
        assert_eq!(weak.strong_count(), 0);
    }
    // The `Weak` outlives the value, and its last drop, on another thread, frees the block.
    let copy = weak.clone();
    drop(weak);
    thread::spawn(move || drop(copy)).join().unwrap();
}

/// Zero-sized values, with and without `Drop`, in every mode: the block is the header alone (24
/// bytes, 40 with a biased object's owner fields), the value's place is one past the header, and
/// each object is dropped once (immortal ones never), with its `Weak` outliving it.
#[test]
fn zero_sized_values_in_every_mode() {
    static DROPS: AtomicUsize = AtomicUsize::new(0);
    struct Unit;
    impl Drop for Unit {
        fn drop(&mut self) {
            DROPS.fetch_add(1, Ordering::Relaxed);
        }
    }
    if cfg!(target_pointer_width = "64") {
        assert_eq!(AtomicRc::<Unit>::block_size(Mode::Atomic), 24);
        assert_eq!(AtomicRc::<Unit>::block_size(Mode::Immortal), 24);
        assert_eq!(AtomicRc::<Unit>::block_size(Mode::Biased), 40);
    }
    for mode in MODES {
        exercise((), mode, |()| {});
        exercise(Unit, mode, |_| {});
    }
    assert_eq!(
        DROPS.load(Ordering::Relaxed),
        2,
        "atomic and biased, once each"
    );
}

/// Page-aligned values in every mode: the value sits at 4096 past the header's start, and a
/// biased object's owner fields lie 12 bytes before a header at 4096 into its block, so a wrong
/// offset, a prefix reached from the wrong pointer, or a deallocation with another mode's
/// layout shows under Miri.
#[test]
fn page_aligned_values_in_every_mode() {
    let drops = Arc::new(AtomicUsize::new(0));
    if cfg!(target_pointer_width = "64") {
        // `Inner`: the header at 0, the value at 4096 (its 4096 bytes and the rest padding).
        assert_eq!(AtomicRc::<Probe<Page>>::block_size(Mode::Atomic), 8192);
        assert_eq!(AtomicRc::<Probe<Page>>::block_size(Mode::Immortal), 8192);
        // The owner's fields at 4084, the header at 4096.
        assert_eq!(
            AtomicRc::<Probe<Page>>::block_size(Mode::Biased),
            4096 + 8192
        );
        assert_eq!(AtomicRc::<Probe<Line>>::block_size(Mode::Atomic), 64);
        assert_eq!(AtomicRc::<Probe<Line>>::block_size(Mode::Biased), 96);
    }
    for mode in MODES {
        exercise(Probe::new(Page, &drops), mode, Probe::check);
        exercise(Probe::new(Line, &drops), mode, Probe::check);
        exercise(Probe::new((), &drops), mode, Probe::check);
    }
    assert_eq!(
        drops.load(Ordering::Relaxed),
        6,
        "atomic and biased, once each"
    );
}

/// A page-aligned zero-sized value: its place is the end of the block (`Inner` is one page,
/// header included), in every mode, with and without `Drop`.
#[test]
fn page_aligned_zero_sized_values_in_every_mode() {
    static DROPS: AtomicUsize = AtomicUsize::new(0);
    #[repr(align(4096))]
    struct PageUnit;
    impl Drop for PageUnit {
        fn drop(&mut self) {
            DROPS.fetch_add(1, Ordering::Relaxed);
        }
    }
    if cfg!(target_pointer_width = "64") {
        assert_eq!(AtomicRc::<PageUnit>::block_size(Mode::Atomic), 4096);
        assert_eq!(AtomicRc::<PageUnit>::block_size(Mode::Biased), 8192);
        assert_eq!(AtomicRc::<Page>::block_size(Mode::Biased), 8192);
    }
    for mode in MODES {
        exercise(PageUnit, mode, |_| {});
        exercise(Page, mode, |_| {});
    }
    assert_eq!(DROPS.load(Ordering::Relaxed), 2);
}

/// Biased objects of every layout whose owner exits while other threads hold copies (counted in
/// its local count) and `Weak`s: the exit merge reaches each prefix from its list, and the last
/// holders, on other threads, free each block with its biased layout; a `Weak` kept on a third
/// thread outlives everything.
#[test]
fn owners_exit_with_objects_of_every_layout_held_elsewhere() {
    let drops = Arc::new(AtomicUsize::new(0));
    let rounds = iters(20, 2);
    for _ in 0..rounds {
        let made = {
            let drops = Arc::clone(&drops);
            thread::spawn(move || {
                let page = AtomicRc::with_mode(Probe::new(Page, &drops), Mode::Biased);
                let line = AtomicRc::with_mode(Probe::new(Line, &drops), Mode::Biased);
                let unit = AtomicRc::with_mode(Probe::new((), &drops), Mode::Biased);
                let zst = AtomicRc::with_mode(Page, Mode::Biased);
                // Local handles alive at the exit: the merge adds them.
                let locals = (
                    AtomicRc::to_local(&page).unwrap(),
                    AtomicRc::to_local(&line).unwrap(),
                );
                let out = (page.clone(), line.clone(), unit.clone(), zst.clone());
                let weaks = (
                    AtomicRc::downgrade(&page),
                    AtomicRc::downgrade(&line),
                    AtomicRc::downgrade(&unit),
                    AtomicRc::downgrade(&zst),
                );
                drop((page, line, unit, zst, locals));
                (out, weaks)
            })
            .join()
            .unwrap()
        };
        let ((page, line, unit, zst), weaks) = made;
        page.check();
        line.check();
        unit.check();
        assert_eq!(
            AtomicRc::strong_count(&page),
            1,
            "merged at the owner's exit"
        );
        assert_eq!(AtomicRc::mode(&zst), Mode::Biased);
        let keeper = thread::spawn(move || {
            // Upgrades race the drops on the main thread.
            for _ in 0..3 {
                if let Some(p) = weaks.0.upgrade() {
                    p.check();
                }
                drop(weaks.2.upgrade());
            }
            weaks
        });
        drop((page, line, unit, zst));
        let weaks = keeper.join().unwrap();
        assert!(weaks.0.upgrade().is_none());
        assert!(weaks.1.upgrade().is_none());
        assert!(weaks.2.upgrade().is_none());
        assert!(weaks.3.upgrade().is_none());
        thread::spawn(move || drop(weaks)).join().unwrap();
    }
    assert_eq!(drops.load(Ordering::Relaxed), 3 * rounds);
}

/// What a thread-local destructor made: the mode it got and the objects (sent to the main
/// thread, which checks and frees them).
type Made = (
    Mode,
    AtomicRc<Probe<Page>>,
    AtomicRc<Probe<()>>,
    AtomicRc<()>,
);

/// A thread-local whose destructor makes biased objects of several layouts: biased if the
/// owner's list still exists (or is first made now), atomic if its exit already ran (the
/// fallback places the value in a biased block, frees that block and places it again).
struct MakesInExit {
    drops: Arc<AtomicUsize>,
    out: mpsc::Sender<Made>,
}

impl Drop for MakesInExit {
    fn drop(&mut self) {
        let page = AtomicRc::with_mode(Probe::new(Page, &self.drops), Mode::Biased);
        let unit = AtomicRc::with_mode(Probe::new((), &self.drops), Mode::Biased);
        let zst = AtomicRc::with_mode((), Mode::Biased);
        let mode = AtomicRc::mode(&page);
        assert_eq!(AtomicRc::mode(&unit), mode);
        assert_eq!(AtomicRc::mode(&zst), mode);
        page.check();
        // One made and dropped here, through whichever path its mode takes.
        let gone = AtomicRc::with_mode(Probe::new(Line, &self.drops), Mode::Biased);
        let weak = AtomicRc::downgrade(&gone);
        if let Some(local) = AtomicRc::to_local(&gone) {
            drop(LocalRc::to_shared(&local));
        }
        drop(gone);
        assert!(weak.upgrade().is_none());
        let _ = self
            .out
            .send((mode, page.clone(), unit.clone(), zst.clone()));
        drop((page, unit, zst));
    }
}

thread_local! {
    static MAKES_IN_EXIT: RefCell<Option<MakesInExit>> = const { RefCell::new(None) };
}

/// Biased objects of page-aligned, small and zero-sized values made in thread-local destructors
/// that run after the owner's exit merge (the fallback to atomic: a biased block freed with its
/// layout, then an atomic one), before it (registered, then merged by it), and on a thread
/// whose first biased object is made there (the owner's list made during the thread's exit).
/// The main thread gets them, checks them and frees them.
#[test]
fn objects_of_every_layout_made_in_thread_local_destructors() {
    let drops = Arc::new(AtomicUsize::new(0));
    let (tx, rx) = mpsc::channel();
    let rounds = iters(10, 1);
    let mut made = 0;
    for _ in 0..rounds {
        // 0: touched before the first biased object (its destructor runs after the exit merge);
        // 1: after it (runs before); 2: no biased object before the thread's exit.
        for order in 0..3 {
            let (drops, tx) = (Arc::clone(&drops), tx.clone());
            thread::spawn(move || {
                let install = || {
                    MAKES_IN_EXIT.with(|slot| {
                        *slot.borrow_mut() = Some(MakesInExit { drops, out: tx });
                    });
                };
                match order {
                    0 => {
                        install();
                        drop(AtomicRc::with_mode(1_u8, Mode::Biased));
                    }
                    1 => {
                        drop(AtomicRc::with_mode(1_u8, Mode::Biased));
                        install();
                    }
                    _ => install(),
                }
            })
            .join()
            .unwrap();
            made += 1;
        }
    }
    drop(tx);
    let got: Vec<Made> = rx.iter().collect();
    assert_eq!(got.len(), made);
    let modes: Vec<Mode> = got.iter().map(|m| m.0).collect();
    for (mode, page, unit, zst) in &got {
        page.check();
        unit.check();
        assert_eq!(AtomicRc::mode(page), *mode);
        assert_eq!(AtomicRc::mode(zst), *mode);
        // Their owners are gone: every one is merged (or atomic), counted in one word.
        assert_eq!(AtomicRc::strong_count(page), 1);
        assert!(AtomicRc::to_local(page).is_none());
    }
    eprintln!("modes of the objects made in thread-local destructors: {modes:?}");
    // Freed on a thread that owns none of them.
    thread::spawn(move || drop(got)).join().unwrap();
    // Per thread: `page`, `unit` and `gone` (the Line), once each.
    assert_eq!(drops.load(Ordering::Relaxed), 3 * made);
}

/// A page-aligned biased value whose `Drop` makes, clones, hands over and drops biased objects
/// of other layouts (zero-sized, page-aligned zero-sized, small), takes and drops local handles
/// of objects it holds, and drains the inbox: on the owner's fast free, the merge-path free, the
/// inbox drain, and the owner's exit (a copy handed over before it, and one held after it).
#[test]
fn destructors_make_and_drop_objects_of_other_layouts_on_every_free_path() {
    struct Nest {
        _align: Page,
        held: Vec<AtomicRc<Probe<Line>>>,
        drops: Arc<AtomicUsize>,
    }
    impl Drop for Nest {
        fn drop(&mut self) {
            for held in &self.held {
                held.check();
                if let Some(local) = AtomicRc::to_local(held) {
                    drop(local.clone());
                }
            }
            let zst = AtomicRc::with_mode(Page, Mode::Biased);
            let unit = AtomicRc::with_mode((), Mode::Biased);
            let small = AtomicRc::with_mode(Probe::new(Line, &self.drops), Mode::Biased);
            let weak = AtomicRc::downgrade(&small);
            let away = (small.clone(), zst.clone(), self.held[0].clone());
            // This may run inside the owner's exit, where spawning still works.
            thread::spawn(move || drop(away)).join().unwrap();
            merge_deferred();
            drop((zst, unit, small));
            merge_deferred();
            // Freed above, or (inside the owner's exit) an atomic object freed at its drop.
            assert!(weak.upgrade().is_none());
            self.held.clear();
            self.drops.fetch_add(1, Ordering::Relaxed);
        }
    }
    fn nest(drops: &Arc<AtomicUsize>) -> AtomicRc<Nest> {
        let held = (0..2)
            .map(|_| AtomicRc::with_mode(Probe::new(Line, drops), Mode::Biased))
            .collect();
        AtomicRc::with_mode(
            Nest {
                _align: Page,
                held,
                drops: Arc::clone(drops),
            },
            Mode::Biased,
        )
    }

    let drops = Arc::new(AtomicUsize::new(0));
    let kept = thread::spawn({
        let drops = Arc::clone(&drops);
        move || {
            // The owner's fast free: never shared, no `Weak`.
            drop(nest(&drops));
            // The merge-path free: a `Weak` keeps the fast path off.
            let n = nest(&drops);
            let weak = AtomicRc::downgrade(&n);
            drop(n);
            assert!(weak.upgrade().is_none());
            // The inbox: the last handle dies on another thread, the owner drains.
            let n = nest(&drops);
            let copy = n.clone();
            drop(n);
            thread::spawn(move || drop(copy)).join().unwrap();
            merge_deferred();
            // The owner's exit: a copy dropped elsewhere before it waits in the inbox, and the
            // exit frees it; another is held past the exit and freed by its last holder.
            let n = nest(&drops);
            let copy = n.clone();
            let _local = AtomicRc::to_local(&n);
            drop(n);
            thread::spawn(move || drop(copy)).join().unwrap();
            let n = nest(&drops);
            let kept = n.clone();
            let _local2 = AtomicRc::to_local(&n);
            drop(n);
            kept
        }
    })
    .join()
    .unwrap();
    assert_eq!(drops.load(Ordering::Relaxed), 4 * 4);
    drop(kept);
    // Each nest: its own drop, two held probes and one small probe.
    assert_eq!(drops.load(Ordering::Relaxed), 4 * 5);
}

/// A panicking destructor of a page-aligned (or zero-sized) value, in the atomic and biased
/// modes, with and without a `Weak` alive: the free's guard still deallocates, with the layout
/// of the object's mode (Miri checks it), and a `Weak` dropped later frees the block once.
#[test]
fn panicking_destructors_of_odd_layouts_free_with_their_layout() {
    static DROPS: AtomicUsize = AtomicUsize::new(0);
    #[repr(align(4096))]
    struct Bomb;
    impl Drop for Bomb {
        fn drop(&mut self) {
            DROPS.fetch_add(1, Ordering::Relaxed);
            panic!("a destructor that panics");
        }
    }
    struct UnitBomb;
    impl Drop for UnitBomb {
        fn drop(&mut self) {
            DROPS.fetch_add(1, Ordering::Relaxed);
            panic!("a destructor that panics");
        }
    }
    let mut expected = 0;
    for mode in [Mode::Atomic, Mode::Biased] {
        for keep_weak in [false, true] {
            let rc = AtomicRc::with_mode(Bomb, mode);
            let weak = keep_weak.then(|| AtomicRc::downgrade(&rc));
            assert!(catch_unwind(AssertUnwindSafe(|| drop(rc))).is_err());
            expected += 1;
            if let Some(weak) = weak {
                assert!(weak.upgrade().is_none());
                thread::spawn(move || drop(weak)).join().unwrap();
            }
            let rc = AtomicRc::with_mode(UnitBomb, mode);
            let local = AtomicRc::to_local(&rc);
            let weak = keep_weak.then(|| AtomicRc::downgrade(&rc));
            // The last handle is local for a biased object (`LocalRc::drop` frees): the
            // destructor panics inside whichever drop is the last.
            assert!(catch_unwind(AssertUnwindSafe(move || drop((rc, local)))).is_err());
            expected += 1;
            drop(weak);
            // The last drop on another thread, handed to this thread's inbox: the drain panics.
            let rc = AtomicRc::with_mode(Bomb, mode);
            let copy = rc.clone();
            drop(rc);
            let died =
                thread::spawn(move || catch_unwind(AssertUnwindSafe(|| drop(copy))).is_err())
                    .join()
                    .unwrap();
            assert_eq!(died, mode == Mode::Atomic);
            if mode == Mode::Biased {
                assert!(catch_unwind(merge_deferred).is_err());
            }
            expected += 1;
        }
    }
    assert_eq!(DROPS.load(Ordering::Relaxed), expected);
}

/// Local handles of page-aligned and zero-sized biased values: converted both ways, cloned,
/// counted across an in-thread merge (the owner's local count reaches 0 through a handle that
/// came back from a `Weak` while a `LocalRc` lives), with exact counts, and freed once.
#[test]
fn local_handles_of_odd_layouts_across_an_in_thread_merge() {
    let drops = Arc::new(AtomicUsize::new(0));
    let rc = AtomicRc::with_mode(Probe::new(Page, &drops), Mode::Biased);
    let weak = AtomicRc::downgrade(&rc);
    let upgraded = weak.upgrade().unwrap(); // counted in the shared word
    let local = AtomicRc::to_local(&rc).unwrap();
    assert_eq!(AtomicRc::strong_count(&rc), 3);
    drop(rc); // local 2 -> 1
    drop(upgraded); // local 1 -> 0 on a handle counted in the shared word: merged, shared 1
    assert!(AtomicRc::to_local(&LocalRc::to_shared(&local)).is_none());
    let copies: Vec<LocalRc<_>> = (0..3).map(|_| local.clone()).collect();
    for copy in &copies {
        copy.check();
    }
    let shared = LocalRc::to_shared(&copies[1]);
    assert_eq!(AtomicRc::strong_count(&shared), 5);
    let away = shared.clone();
    thread::spawn(move || {
        away.check();
        assert_eq!(AtomicRc::strong_count(&away), 6);
    })
    .join()
    .unwrap();
    drop(copies);
    drop(local);
    assert_eq!(drops.load(Ordering::Relaxed), 0);
    assert_eq!(weak.strong_count(), 1);
    drop(shared);
    assert_eq!(drops.load(Ordering::Relaxed), 1);
    assert!(weak.upgrade().is_none());

    // A zero-sized value: the same shapes.
    let unit = AtomicRc::with_mode((), Mode::Biased);
    let local = AtomicRc::to_local(&unit).unwrap();
    let weak = AtomicRc::downgrade(&unit);
    drop(unit);
    let again = weak.upgrade().unwrap();
    drop(local); // merged: the upgrade's handle is the last
    assert_eq!(AtomicRc::strong_count(&again), 1);
    assert!(AtomicRc::to_local(&again).is_none());
    drop(again);
    assert!(weak.upgrade().is_none());
}

/// Serializes the tests of this file that use the cycle collector, which sees every collected
/// object of the process.
static COLLECTOR: Mutex<()> = Mutex::new(());

/// A page-aligned collected node holding handles of every mode (one to another node, which forms
/// the cycle, and biased and immortal ones it only holds).
#[gilkit::atomic_rc(collect)]
#[repr(align(4096))]
struct PageNode {
    next: Mutex<Option<PageNodeRc>>,
    biased: Mutex<Option<AtomicRc<Probe<Page>>>>,
    immortal: AtomicRc<()>,
}

impl Trace for PageNode {
    fn trace(&self, visitor: &mut Visitor<'_>) {
        if let Some(next) = &*self.next.lock().unwrap() {
            visitor.visit(next);
        }
        if let Some(biased) = &*self.biased.lock().unwrap() {
            visitor.visit(biased); // not tracked: ignored
        }
        visitor.visit(&self.immortal);
    }
    fn clear(&self) {
        self.next.lock().unwrap().take();
        self.biased.lock().unwrap().take();
    }
}

/// A zero-sized collected value.
struct UnitLeaf;

impl Trace for UnitLeaf {
    fn trace(&self, _: &mut Visitor<'_>) {}
    fn clear(&self) {}
}

/// The cycle collector over page-aligned nodes that hold biased and immortal handles, and over
/// zero-sized leaves: a cycle made on another thread is collected on this one (clearing drops
/// the biased handles there, which go to their owner's inbox), the biased objects are freed
/// at the drain, and the collector's `Weak`-like entries release each block with its layout.
#[test]
fn the_collector_over_page_aligned_nodes_holding_every_mode() {
    let _alone = COLLECTOR
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    let drops = Arc::new(AtomicUsize::new(0));
    let immortal = AtomicRc::with_mode((), Mode::Immortal);
    let make = |drops: &Arc<AtomicUsize>| {
        PageNode {
            next: Mutex::new(None),
            biased: Mutex::new(Some(AtomicRc::with_mode(
                Probe::new(Page, drops),
                Mode::Biased,
            ))),
            immortal: immortal.clone(),
        }
        .into_handle()
    };
    let a = make(&drops);
    let b = make(&drops);
    *a.next.lock().unwrap() = Some(b.clone());
    *b.next.lock().unwrap() = Some(a.clone());
    let weak = AtomicRc::downgrade(&a);
    let leaves: Vec<_> = (0..3).map(|_| AtomicRc::new_collected(UnitLeaf)).collect();
    let leaf_weak = AtomicRc::downgrade(&leaves[0]);
    drop((a, b));
    assert_eq!(live::<PageNode>(), 2);
    // Collected on another thread: the biased probes are handed back to this thread.
    let cleared = thread::spawn(collect_cycles).join().unwrap();
    assert!(cleared >= 2, "{cleared}");
    assert!(weak.upgrade().is_none());
    assert_eq!(live::<PageNode>(), 0);
    merge_deferred();
    assert_eq!(drops.load(Ordering::Relaxed), 2);
    drop(leaves);
    assert!(leaf_weak.upgrade().is_none());
    assert_eq!(collect_cycles(), 0);
    drop(weak);
}

/// Many owner threads exchange biased objects of every layout through one pool: each takes the
/// others' objects, clones, downgrades, upgrades and drops them (hand-overs to live owners and,
/// once an owner has exited, counts below zero that its exit merge made up for), while the
/// owners drain with `merge_deferred` and then exit. Every value is dropped once.
#[test]
fn many_threads_exchange_objects_of_every_layout() {
    type Pool = Mutex<Vec<(AtomicRc<Probe<Page>>, AtomicRc<Probe<()>>, AtomicRc<Page>)>>;
    let drops = Arc::new(AtomicUsize::new(0));
    let pool: Arc<Pool> = Arc::new(Mutex::new(Vec::new()));
    let n = threads();
    let per = iters(30, 3);
    let start = Arc::new(Barrier::new(n));
    let workers: Vec<_> = (0..n)
        .map(|i| {
            let (drops, pool, start) = (Arc::clone(&drops), Arc::clone(&pool), Arc::clone(&start));
            thread::spawn(move || {
                start.wait();
                let mut mine = Vec::new();
                for k in 0..per {
                    let page = AtomicRc::with_mode(Probe::new(Page, &drops), Mode::Biased);
                    let unit = AtomicRc::with_mode(Probe::new((), &drops), Mode::Biased);
                    let zst = AtomicRc::with_mode(Page, Mode::Biased);
                    pool.lock()
                        .unwrap()
                        .push((page.clone(), unit.clone(), zst.clone()));
                    if k % 2 == 0 {
                        mine.push(AtomicRc::to_local(&page).unwrap());
                    }
                    drop((page, unit, zst));
                    let taken = pool.lock().unwrap().pop();
                    if let Some((page, unit, zst)) = taken {
                        page.check();
                        unit.check();
                        let weak = AtomicRc::downgrade(&page);
                        let again = weak.upgrade().expect("a pool entry keeps it");
                        drop((page, unit, zst.clone(), zst));
                        again.check();
                        drop(again);
                        drop(weak);
                    }
                    if k % 3 == i % 3 {
                        merge_deferred();
                    }
                }
                drop(mine);
            })
        })
        .collect();
    for w in workers {
        w.join().unwrap();
    }
    let left = std::mem::take(&mut *pool.lock().unwrap());
    for (page, unit, _) in &left {
        page.check();
        unit.check();
    }
    drop(left);
    assert_eq!(drops.load(Ordering::Relaxed), 2 * n * per);
}

/// Scoped threads own biased objects of every layout and hand copies to the scope's thread; the
/// scoped threads' exit merges may run after `scope` returns (their thread-local destructors),
/// and the parent then drops the copies while those merges may still run.
#[test]
fn scoped_threads_own_objects_of_every_layout() {
    let drops = Arc::new(AtomicUsize::new(0));
    let rounds = iters(10, 1);
    for _ in 0..rounds {
        let (tx, rx) = mpsc::channel();
        thread::scope(|s| {
            for _ in 0..threads().min(4) {
                let (tx, drops) = (tx.clone(), &drops);
                s.spawn(move || {
                    let page = AtomicRc::with_mode(Probe::new(Page, drops), Mode::Biased);
                    let unit = AtomicRc::with_mode(Probe::new((), drops), Mode::Biased);
                    let zst = AtomicRc::with_mode((), Mode::Biased);
                    tx.send((
                        page.clone(),
                        unit.clone(),
                        zst.clone(),
                        AtomicRc::downgrade(&page),
                    ))
                    .unwrap();
                    let _local = AtomicRc::to_local(&page).unwrap();
                });
            }
        });
        drop(tx);
        for (page, unit, zst, weak) in rx {
            page.check();
            unit.check();
            drop((page, unit, zst));
            // Freed here, or by the owner's exit merge if it had not run yet.
            let _ = weak.upgrade();
        }
    }
    // The merges that had not run by now run at the scoped threads' exits, which `scope` does
    // not wait for: wait for the count instead.
    let expected = 2 * threads().min(4) * rounds;
    let deadline = Instant::now() + Duration::from_secs(60);
    while drops.load(Ordering::Relaxed) != expected && Instant::now() < deadline {
        thread::yield_now();
    }
    assert_eq!(drops.load(Ordering::Relaxed), expected);
}

/// `#[atomic_rc]` on page-aligned and unit structs, in every mode: the attribute keeps the
/// `repr`, the handle's value is aligned, and live counts follow the objects.
#[test]
fn the_attribute_on_page_aligned_and_unit_structs() {
    #[gilkit::atomic_rc(biased)]
    #[repr(align(4096))]
    struct AlignedBiased {
        hits: AtomicUsize,
    }
    #[gilkit::atomic_rc(immortal)]
    struct UnitImmortal;
    #[gilkit::atomic_rc(biased)]
    struct UnitBiased;
    #[gilkit::atomic_rc]
    #[repr(align(4096))]
    struct AlignedAtomic {
        hits: AtomicUsize,
    }

    let a = AlignedBiased {
        hits: AtomicUsize::new(0),
    }
    .into_handle();
    assert_eq!(std::ptr::from_ref::<AlignedBiased>(&a) as usize % 4096, 0);
    let b = AlignedAtomic {
        hits: AtomicUsize::new(0),
    }
    .into_handle();
    assert_eq!(std::ptr::from_ref::<AlignedAtomic>(&b) as usize % 4096, 0);
    let u = UnitBiased.into_handle();
    let i = UnitImmortal.into_handle();
    assert_eq!(
        (
            AtomicRc::mode(&a),
            AtomicRc::mode(&b),
            AtomicRc::mode(&u),
            AtomicRc::mode(&i)
        ),
        (Mode::Biased, Mode::Atomic, Mode::Biased, Mode::Immortal)
    );
    assert_eq!(live::<AlignedBiased>(), 1);
    let sent = (a.clone(), b.clone(), u.clone(), i.clone());
    thread::spawn(move || {
        sent.0.hits.fetch_add(1, Ordering::Relaxed);
        sent.1.hits.fetch_add(1, Ordering::Relaxed);
        drop(sent);
    })
    .join()
    .unwrap();
    merge_deferred();
    assert_eq!(a.hits.load(Ordering::Relaxed), 1);
    drop((a, b, u, i));
    assert_eq!(live::<AlignedBiased>(), 0);
    assert_eq!(live::<AlignedAtomic>(), 0);
    assert_eq!(live::<UnitBiased>(), 0);
    assert_eq!(live::<UnitImmortal>(), 1);
}

/// Non-owners clone, drop (handing over to the owner's inbox), upgrade and count page-aligned
/// and zero-sized biased objects while their owner drains and then exits: the hand-overs race
/// the inbox's close, the exit merge reaches each prefix from the owner's list, and the last
/// drop, on whichever thread, frees each block once, with its biased layout. `strong_count` on
/// the non-owners reads only the shared word (the thread sanitizer would see a read of the
/// owner's count).
#[test]
fn non_owners_hand_over_while_the_owner_exits() {
    let drops = Arc::new(AtomicUsize::new(0));
    let rounds = iters(50, 2);
    let non_owners = if cfg!(miri) { 2 } else { 3 };
    for _ in 0..rounds {
        let start = Arc::new(Barrier::new(non_owners + 1));
        let (tx, rx) = mpsc::channel();
        let owner = {
            let (drops, start) = (Arc::clone(&drops), Arc::clone(&start));
            thread::spawn(move || {
                let page = AtomicRc::with_mode(Probe::new(Page, &drops), Mode::Biased);
                let zst = AtomicRc::with_mode(Page, Mode::Biased);
                let _local = AtomicRc::to_local(&page).unwrap();
                for _ in 0..non_owners {
                    tx.send((page.clone(), page.clone(), zst.clone(), zst.clone()))
                        .unwrap();
                }
                drop((page, zst));
                start.wait();
                merge_deferred();
                // Exits, with the local handle and the copies' counts still in `local`.
            })
        };
        let workers: Vec<_> = (0..non_owners)
            .map(|_| {
                let (got, start) = (rx.recv().unwrap(), Arc::clone(&start));
                thread::spawn(move || {
                    let (page, page2, zst, zst2) = got;
                    let weak = AtomicRc::downgrade(&page);
                    start.wait();
                    assert!(AtomicRc::strong_count(&page) >= 1);
                    drop(page2); // below zero: handed over, or counted below zero once closed
                    drop(zst2);
                    if let Some(again) = weak.upgrade() {
                        again.check();
                    }
                    assert!(AtomicRc::to_local(&page).is_none());
                    drop((page, zst));
                    weak
                })
            })
            .collect();
        let weaks: Vec<_> = workers.into_iter().map(|w| w.join().unwrap()).collect();
        owner.join().unwrap();
        for weak in &weaks {
            assert!(weak.upgrade().is_none());
        }
    }
    assert_eq!(drops.load(Ordering::Relaxed), rounds);
}
