//! Unit tests of the count protocol; they also run under Miri (`scripts/miri.sh`).

use std::cell::Cell;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use super::{AtomicRc, Mode, Weak};

/// Counts its drops in a shared counter.
struct Probe(Arc<AtomicUsize>);

impl Drop for Probe {
    fn drop(&mut self) {
        self.0.fetch_add(1, Ordering::Relaxed);
    }
}

fn probe() -> (Probe, Arc<AtomicUsize>) {
    let drops = Arc::new(AtomicUsize::new(0));
    (Probe(drops.clone()), drops)
}

const THREADS_CLONES: usize = if cfg!(miri) { 8 } else { 200 };

#[test]
fn atomic_clones_and_drops_free_once() {
    let (value, drops) = probe();
    let rc = AtomicRc::new(value);
    std::thread::scope(|s| {
        for _ in 0..2 {
            let rc = rc.clone();
            s.spawn(move || {
                for _ in 0..THREADS_CLONES {
                    drop(rc.clone());
                }
            });
        }
    });
    assert_eq!(AtomicRc::strong_count(&rc), 1);
    assert_eq!(drops.load(Ordering::Relaxed), 0);
    drop(rc);
    assert_eq!(drops.load(Ordering::Relaxed), 1);
}

#[test]
fn weak_upgrades_until_the_last_strong_drop() {
    let (value, drops) = probe();
    let rc = AtomicRc::new(value);
    let weak = AtomicRc::downgrade(&rc);
    let weak2 = weak.clone();
    assert!(weak.ptr_eq(&weak2));
    assert_eq!(weak.strong_count(), 1);
    let again = weak.upgrade().unwrap();
    assert!(AtomicRc::ptr_eq(&rc, &again));
    drop((rc, again));
    assert_eq!(drops.load(Ordering::Relaxed), 1);
    assert!(weak.upgrade().is_none());
    assert_eq!(weak2.strong_count(), 0);
}

#[test]
fn biased_owner_drops_last() {
    let (value, drops) = probe();
    let rc = AtomicRc::with_mode(value, Mode::Biased);
    assert_eq!(AtomicRc::strong_count(&rc), 1);
    std::thread::scope(|s| {
        let borrowed = &rc;
        s.spawn(move || {
            let mine = borrowed.clone(); // a non-owner: counted in the shared word
            let more = mine.clone();
            drop((mine, more));
        });
    });
    assert_eq!(drops.load(Ordering::Relaxed), 0);
    drop(rc); // local 1 -> 0: the merge sees a shared count of 0 and frees
    assert_eq!(drops.load(Ordering::Relaxed), 1);
}

#[test]
fn biased_reference_that_dies_elsewhere_is_handed_to_the_owner() {
    let (value, drops) = probe();
    let rc = AtomicRc::with_mode(value, Mode::Biased);
    let sent = rc.clone(); // cloned on the owner: counted locally
                           // The other thread cannot count below zero, so it hands its reference to this (the owner)
                           // thread's inbox: only the owner can read its local count.
    std::thread::spawn(move || drop(sent)).join().unwrap();
    drop(rc); // local 2 -> 1: the handed reference is still counted locally
    assert_eq!(drops.load(Ordering::Relaxed), 0);
    super::merge_deferred(); // the owner drops it locally: 1 -> 0, merged, freed
    assert_eq!(drops.load(Ordering::Relaxed), 1);
}

#[test]
fn biased_owner_takes_back_handed_references_when_it_allocates() {
    let (value, drops) = probe();
    let first = AtomicRc::with_mode(value, Mode::Biased);
    std::thread::spawn(move || drop(first)).join().unwrap(); // handed to this thread
    assert_eq!(drops.load(Ordering::Relaxed), 0);
    let second = AtomicRc::with_mode(0_u8, Mode::Biased); // drains the inbox
    assert_eq!(drops.load(Ordering::Relaxed), 1);
    drop(second);
}

#[test]
fn biased_non_owner_drops_last_after_the_owner_merged() {
    let (value, drops) = probe();
    let rc = AtomicRc::with_mode(value, Mode::Biased);
    let (to_other, from_owner) = std::sync::mpsc::channel::<()>();
    let (to_owner, from_other) = std::sync::mpsc::channel::<AtomicRc<Probe>>();
    std::thread::scope(|s| {
        let borrowed = &rc;
        s.spawn(move || {
            to_owner.send(borrowed.clone()).unwrap(); // a non-owner clone: shared word
            from_owner.recv().unwrap();
        });
        let from_non_owner = from_other.recv().unwrap();
        drop(from_non_owner); // the owner drops a handle counted in shared: local stays 1
        to_other.send(()).unwrap();
    });
    let weak = AtomicRc::downgrade(&rc);
    let other = std::thread::spawn(move || weak.upgrade().unwrap()); // shared: +1
    let last = other.join().unwrap();
    drop(rc); // local 1 -> 0: merged, the shared word still counts `last`
    assert_eq!(drops.load(Ordering::Relaxed), 0);
    std::thread::spawn(move || drop(last)).join().unwrap(); // a non-owner drops last
    assert_eq!(drops.load(Ordering::Relaxed), 1);
}

#[test]
fn biased_owner_exits_first() {
    let (value, drops) = probe();
    let handles = std::thread::spawn(move || {
        let rc = AtomicRc::with_mode(value, Mode::Biased);
        let weak = AtomicRc::downgrade(&rc);
        (rc.clone(), rc, weak) // all counted in the owner's local count
    })
    .join()
    .unwrap();
    let (a, b, weak) = handles;
    assert_eq!(AtomicRc::strong_count(&a), 2); // merged at the owner's exit
    let c = weak.upgrade().unwrap();
    drop((a, b));
    assert_eq!(drops.load(Ordering::Relaxed), 0);
    drop(c);
    assert_eq!(drops.load(Ordering::Relaxed), 1);
    assert!(weak.upgrade().is_none());
}

#[test]
fn biased_owner_exit_frees_what_died_elsewhere() {
    let (value, drops) = probe();
    let (tx, rx) = std::sync::mpsc::channel::<AtomicRc<Probe>>();
    let (done_tx, done_rx) = std::sync::mpsc::channel::<()>();
    let owner = std::thread::spawn(move || {
        let rc = AtomicRc::with_mode(value, Mode::Biased);
        tx.send(rc).unwrap(); // counted locally; dropped on the other thread
        done_rx.recv().unwrap();
    });
    drop(rx.recv().unwrap()); // the shared count goes negative: total zero, owner still alive
    assert_eq!(drops.load(Ordering::Relaxed), 0);
    done_tx.send(()).unwrap();
    owner.join().unwrap(); // its exit merges: the merge sees zero and frees
    assert_eq!(drops.load(Ordering::Relaxed), 1);
}

#[test]
fn biased_many_objects_keep_the_owner_list_consistent() {
    let (value, drops) = probe();
    let shared = Arc::new(value);
    let objects: Vec<_> = (0..5)
        .map(|_| AtomicRc::with_mode(shared.clone(), Mode::Biased))
        .collect();
    let mut kept = vec![objects[4].clone()];
    // Merge (drop to zero) in an order that moves entries around the owner's list.
    for (i, object) in objects.into_iter().enumerate() {
        if i % 2 == 1 {
            kept.push(object.clone());
        }
        drop(object);
    }
    assert_eq!(Arc::strong_count(&shared), 1 + 3);
    kept.reverse();
    drop(kept);
    assert_eq!(Arc::strong_count(&shared), 1);
    drop(shared);
    assert_eq!(drops.load(Ordering::Relaxed), 1);
}

/// Runs `case` of the test `test` in a child process, which finds the case in the environment
/// variable `var` and prints "reached {case}" right before the operation under test: if
/// `aborts`, the child must die of `SIGABRT` there; if not, it must finish, printing
/// "not aborted".
#[cfg(unix)]
fn run_case(test: &str, var: &str, case: &str, aborts: bool) {
    let child = std::process::Command::new(std::env::current_exe().unwrap())
        .args(["--exact", test, "--nocapture"])
        .env(var, case)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&child.stdout);
    assert!(
        stdout.contains(&format!("reached {case}")),
        "{case}: {stdout}"
    );
    if aborts {
        let signal = std::os::unix::process::ExitStatusExt::signal(&child.status);
        assert_eq!(signal, Some(6), "{case}: SIGABRT; {stdout}");
        assert!(
            !stdout.contains("not aborted"),
            "{case}: the operation itself aborts"
        );
    } else {
        assert!(
            child.status.success() && stdout.contains("not aborted"),
            "{case}: {stdout}"
        );
    }
}

/// The owner's local count is 32 bits and stops at `i32::MAX`: an increment past it aborts (it
/// would make the count negative, as the merged mark is), for a biased and a hybrid object
/// alike. Reaching it takes 2^31 clones, so the child process writes the count.
#[test]
#[cfg(unix)]
#[cfg_attr(miri, ignore = "spawns a process")]
fn an_owner_count_past_its_limit_aborts() {
    const CHILD: &str = "GILKIT_OWNER_COUNT_CHILD";
    let full = |mode: Mode| {
        let rc = AtomicRc::with_mode(0_u8, mode);
        let local = AtomicRc::to_local(&rc).expect("this thread made it");
        // SAFETY: this is the owner thread, the only one that touches the local count.
        unsafe {
            super::header::Header::local(super::handle::header_of_handle(&rc))
                .count
                .with_mut(|count| *count = i32::MAX.unsigned_abs());
        }
        println!("reached {}", std::env::var(CHILD).unwrap());
        std::io::Write::flush(&mut std::io::stdout()).unwrap();
        (rc, local)
    };
    if let Some(case) = std::env::var_os(CHILD) {
        match case.to_str() {
            Some("biased LocalRc::clone") => std::mem::forget(full(Mode::Biased).1.clone()),
            Some("biased AtomicRc::clone") => std::mem::forget(full(Mode::Biased).0.clone()),
            Some("biased to_local") => std::mem::forget(AtomicRc::to_local(&full(Mode::Biased).0)),
            Some("hybrid LocalRc::clone") => std::mem::forget(full(Mode::Hybrid).1.clone()),
            Some("hybrid to_local") => std::mem::forget(AtomicRc::to_local(&full(Mode::Hybrid).0)),
            _ => unreachable!(),
        }
        println!("not aborted");
        return;
    }
    for case in [
        "biased LocalRc::clone",
        "biased AtomicRc::clone",
        "biased to_local",
        "hybrid LocalRc::clone",
        "hybrid to_local",
    ] {
        run_case(
            "refcount::tests::an_owner_count_past_its_limit_aborts",
            CHILD,
            case,
            true,
        );
    }
}

/// An atomic or hybrid count aborts past `isize::MAX`, as `Arc`'s does, on a clone and on a
/// `Weak`'s upgrade. A biased object's shared word aborts when a non-owner's increment sets its
/// sign from the top of its range, when an upgrade finds it above `isize::MAX / 8`, and when the
/// owner's exit merge would add its count past the range (it wrapped, before that was checked,
/// and the count came round to free an object that handles still reached); and not when a count
/// just below the top is incremented, or one below zero, waiting for the owner's merge (the
/// controls). Each case runs in a child process, which writes the count, and must die of
/// `SIGABRT` after it says it got there, or, for a control, finish.
#[test]
#[cfg(all(unix, target_pointer_width = "64"))]
#[cfg_attr(miri, ignore = "spawns a process")]
fn a_shared_count_past_its_limit_aborts() {
    const CHILD: &str = "GILKIT_SHARED_COUNT_CHILD";
    if let Some(case) = std::env::var_os(CHILD) {
        shared_count_case(case.to_str().unwrap());
        println!("not aborted");
        return;
    }
    for (case, aborts) in [
        ("atomic clone", true),
        ("atomic clone at the limit", false),
        ("hybrid clone", true),
        ("atomic upgrade", true),
        ("biased clone at the top on another thread", true),
        ("biased clone to the top on another thread", false),
        ("biased clone below zero on another thread", false),
        ("biased upgrade", true),
        ("biased exit merge past the top", true),
    ] {
        run_case(
            "refcount::tests::a_shared_count_past_its_limit_aborts",
            CHILD,
            case,
            aborts,
        );
    }
}

/// One case of `a_shared_count_past_its_limit_aborts`, in its child process: it writes the
/// count, says it got there, and does the operation the case names.
#[cfg(all(unix, target_pointer_width = "64"))]
fn shared_count_case(case: &str) {
    let reached = || {
        println!("reached {case}");
        std::io::Write::flush(&mut std::io::stdout()).unwrap();
    };
    let set_word = |rc: &AtomicRc<u8>, word: usize| {
        // SAFETY: the handle keeps its header alive; only the atomic is borrowed.
        let strong = unsafe { &(*super::handle::header_of_handle(rc).as_ptr()).strong };
        strong.store(word, Ordering::Relaxed);
    };
    let with_word = |mode: Mode, word: usize| {
        let rc = AtomicRc::with_mode(0_u8, mode);
        set_word(&rc, word);
        rc
    };
    // A non-owner's clone; then the count as it was, so that this thread's exit merge adds to
    // what the case wrote, not to the top.
    let on_another_thread = |rc: AtomicRc<u8>, word: usize| {
        reached();
        std::thread::scope(|s| {
            s.spawn(|| std::mem::forget(rc.clone()));
        });
        set_word(&rc, word);
        std::mem::forget(rc);
    };
    #[allow(
        clippy::cast_sign_loss,
        reason = "a signed count, as the shared word holds it"
    )]
    let shared = |count: isize| (count << 2) as usize;
    let past_max = isize::MAX.unsigned_abs() + 1;
    let top = (1_isize << 61) - 1; // the most a shared word counts
    match case {
        "atomic clone" | "hybrid clone" | "atomic clone at the limit" => {
            let mode = if case == "hybrid clone" {
                Mode::Hybrid
            } else {
                Mode::Atomic
            };
            let limit = usize::from(case == "atomic clone at the limit");
            let rc = with_word(mode, past_max - limit);
            reached();
            std::mem::forget(rc.clone());
        }
        "atomic upgrade" | "biased upgrade" => {
            let (mode, word) = if case == "atomic upgrade" {
                (Mode::Atomic, past_max)
            } else {
                (Mode::Biased, shared((isize::MAX >> 3) + 1))
            };
            let rc = with_word(mode, word);
            let weak = AtomicRc::downgrade(&rc);
            reached();
            std::mem::forget(weak.upgrade());
            std::mem::forget(rc);
        }
        "biased clone at the top on another thread" => {
            on_another_thread(with_word(Mode::Biased, shared(top)), 0);
        }
        "biased clone to the top on another thread" => {
            on_another_thread(with_word(Mode::Biased, shared(top - 1)), 0);
        }
        "biased clone below zero on another thread" => {
            // The owner's local count 3 and a shared count of -2: two of the owner's handles
            // were given to other threads, which dropped them after its inbox closed.
            let rc = AtomicRc::with_mode(0_u8, Mode::Biased);
            std::mem::forget((rc.clone(), rc.clone()));
            set_word(&rc, shared(-2));
            on_another_thread(rc, shared(-1));
        }
        "biased exit merge past the top" => std::thread::scope(|s| {
            let handles = s.spawn(|| {
                let rc = AtomicRc::with_mode(0_u8, Mode::Biased);
                let kept = rc.clone(); // the owner's local count: 2, merged at its exit
                set_word(&rc, shared(top));
                reached();
                (rc, kept)
            });
            std::mem::forget(handles.join());
        }),
        _ => unreachable!("no case {case}"),
    }
}

/// Owner ids are 32 bits and never reused: a thread started after they ran out owns nothing,
/// so its biased and hybrid objects are atomic, and it never passes for the owner of another thread's
/// object. Running out takes 2^32 threads, so the child process skips the counter ahead.
#[test]
#[cfg_attr(miri, ignore = "spawns a process")]
fn threads_started_after_the_ids_ran_out_own_nothing() {
    const CHILD: &str = "GILKIT_OWNER_IDS_CHILD";
    if std::env::var_os(CHILD).is_some() {
        let next = u64::from(u32::MAX) - 1;
        super::owner::NEXT_ID.store(next, std::sync::atomic::Ordering::Relaxed);
        let (value, drops) = probe();
        // The last id: biased, as ever.
        let last = std::thread::spawn(move || {
            let rc = AtomicRc::with_mode(value, Mode::Biased);
            assert_eq!(AtomicRc::mode(&rc), Mode::Biased);
            assert!(AtomicRc::to_local(&rc).is_some());
            rc.clone()
        })
        .join()
        .unwrap();
        // Past it: every thread made now gets no id, and shares the other thread's object as
        // any non-owner does.
        for _ in 0..2 {
            let shared = last.clone();
            std::thread::spawn(move || {
                for mode in [Mode::Biased, Mode::Hybrid] {
                    let rc = AtomicRc::with_mode(1_u8, mode);
                    assert_eq!(AtomicRc::mode(&rc), Mode::Atomic);
                    assert!(AtomicRc::to_local(&rc).is_none());
                }
                assert!(AtomicRc::to_local(&shared).is_none());
                assert_eq!(AtomicRc::strong_count(&shared), 2);
            })
            .join()
            .unwrap();
        }
        drop(last);
        assert_eq!(drops.load(Ordering::Relaxed), 1);
        println!("child passed");
        return;
    }
    let child = std::process::Command::new(std::env::current_exe().unwrap())
        .args([
            "--exact",
            "refcount::tests::threads_started_after_the_ids_ran_out_own_nothing",
            "--nocapture",
        ])
        .env(CHILD, "1")
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&child.stdout);
    let stderr = String::from_utf8_lossy(&child.stderr);
    assert!(
        child.status.success() && stdout.contains("child passed"),
        "{stdout}{stderr}"
    );
}

#[test]
fn immortal_objects_are_never_counted_or_freed() {
    let (value, drops) = probe();
    let rc = AtomicRc::with_mode(value, Mode::Immortal);
    let clones: Vec<_> = (0..3).map(|_| rc.clone()).collect();
    assert_eq!(AtomicRc::strong_count(&rc), usize::MAX);
    let weak: Weak<Probe> = AtomicRc::downgrade(&rc);
    drop((rc, clones));
    assert_eq!(drops.load(Ordering::Relaxed), 0);
    assert!(weak.upgrade().is_some());
    assert_eq!(drops.load(Ordering::Relaxed), 0);
}

#[test]
fn counted_objects_update_their_live_counter() {
    static LIVE: crate::stats::LiveCounter = crate::stats::LiveCounter::new();
    struct Probe(#[allow(dead_code, reason = "only counted")] u8);
    impl crate::stats::Tracked for Probe {
        fn __live() -> &'static crate::stats::LiveCounter {
            &LIVE
        }
    }
    let a = AtomicRc::__with_mode_counted(Probe(1), Mode::Atomic);
    let b = AtomicRc::__with_mode_counted(Probe(2), Mode::Biased);
    let uncounted = AtomicRc::with_mode(Probe(3), Mode::Biased);
    assert_eq!(LIVE.get(), 2);
    let b2 = b.clone();
    drop((a, b, uncounted));
    assert_eq!(LIVE.get(), 1);
    // The last handle dropped on another thread: the owner frees it from its inbox, through the
    // type-erased `free`, which counts it too.
    std::thread::spawn(move || drop(b2)).join().unwrap();
    super::merge_deferred();
    assert_eq!(LIVE.get(), 0);
}

#[test]
fn a_drop_that_drops_handles_of_the_same_owner() {
    struct Chain(
        #[allow(dead_code, reason = "held to be dropped")] Option<AtomicRc<Chain>>,
        Cell<u8>,
    );
    let tail = AtomicRc::with_mode(Chain(None, Cell::new(0)), Mode::Biased);
    let head = AtomicRc::with_mode(Chain(Some(tail.clone()), Cell::new(1)), Mode::Biased);
    drop(tail);
    assert_eq!(head.1.get(), 1);
    drop(head); // frees head, whose drop frees tail: two merges, nested
}

/// A node whose `next` link the cycle collector can see and cut.
struct CcNode {
    next: std::sync::Mutex<Vec<AtomicRc<CcNode>>>,
    _probe: Probe,
}

impl super::Trace for CcNode {
    fn trace(&self, visitor: &mut super::Visitor<'_>) {
        for next in &*self.next.lock().unwrap() {
            visitor.visit(next);
        }
    }
    fn clear(&self) {
        self.next.lock().unwrap().clear();
    }
}

fn cc_node(drops: &Arc<AtomicUsize>) -> AtomicRc<CcNode> {
    AtomicRc::new_collected(CcNode {
        next: std::sync::Mutex::default(),
        _probe: Probe(drops.clone()),
    })
}

fn link(from: &AtomicRc<CcNode>, to: &AtomicRc<CcNode>) {
    from.next.lock().unwrap().push(to.clone());
}

/// It must not judge objects that other tests are changing at the same time: the tests that
/// make collected objects or collect take `COLLECTOR_TESTS`.
#[test]
fn cycle_collector_frees_unreachable_cycles_only() {
    let _alone = super::collect::COLLECTOR_TESTS
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    let drops = Arc::new(AtomicUsize::new(0));
    // A two-node cycle, a self-loop, and a cycle still held from outside.
    let (a, b) = (cc_node(&drops), cc_node(&drops));
    link(&a, &b);
    link(&b, &a);
    let selfish = cc_node(&drops);
    link(&selfish, &selfish);
    let (c, d) = (cc_node(&drops), cc_node(&drops));
    link(&c, &d);
    link(&d, &c);
    let tail = cc_node(&drops); // reachable only through the held cycle
    link(&d, &tail);
    drop((a, b, selfish, d, tail));
    assert_eq!(
        drops.load(Ordering::Relaxed),
        0,
        "cycles keep themselves alive"
    );
    assert_eq!(super::collect_cycles(), 3);
    assert_eq!(drops.load(Ordering::Relaxed), 3);
    assert_eq!(
        super::collect_cycles(),
        0,
        "`c` holds its cycle and the tail"
    );
    drop(c);
    assert_eq!(super::collect_cycles(), 3);
    assert_eq!(drops.load(Ordering::Relaxed), 6);
    assert_eq!(super::collect_cycles(), 0);
}
