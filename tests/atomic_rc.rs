//! `#[atomic_rc]` and `gilkit::refcount`: the generated API, the modes, live counts.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;

use gilkit::refcount::{AtomicRc, LocalRc, Mode};

/// A documented struct: docs, derives and visibility pass through.
#[gilkit::atomic_rc]
#[derive(Debug)]
pub struct Account {
    /// The owner's name; shared immutably.
    pub name: String,
    /// Mutated through an atomic.
    pub balance: AtomicU64,
    history: Mutex<Vec<i64>>,
}

#[test]
fn handle_shares_fields_across_threads() {
    let account: AccountRc = Account {
        name: "ada".into(),
        balance: AtomicU64::new(0),
        history: Mutex::default(),
    }
    .into_handle();
    let workers: Vec<_> = (0..4)
        .map(|i| {
            let account = account.clone();
            std::thread::spawn(move || {
                account.balance.fetch_add(10, Ordering::Relaxed);
                account.history.lock().unwrap().push(i);
            })
        })
        .collect();
    for w in workers {
        w.join().unwrap();
    }
    assert_eq!(account.name, "ada");
    assert_eq!(account.balance.load(Ordering::Relaxed), 40);
    assert_eq!(account.history.lock().unwrap().len(), 4);
    assert_eq!(AtomicRc::strong_count(&account), 1);
    assert_eq!(AtomicRc::mode(&account), Mode::Atomic);
    assert!(format!("{account:?}").contains("ada"));
}

#[gilkit::atomic_rc]
struct Counted(u32);

#[test]
fn live_count_follows_objects_not_handles() {
    assert_eq!(gilkit::stats::live::<Counted>(), 0);
    let a = Counted(1).into_handle();
    let b = Counted(2).into_handle();
    let a2 = a.clone();
    assert_eq!(a2.0 + b.0, 3);
    assert_eq!(gilkit::stats::live::<Counted>(), 2);
    drop(a);
    assert_eq!(gilkit::stats::live::<Counted>(), 2);
    drop((a2, b));
    assert_eq!(gilkit::stats::live::<Counted>(), 0);
}

#[gilkit::atomic_rc(biased, handle = Local)]
struct Biased {
    value: u64,
}

#[test]
fn biased_handles_clone_locally_and_free_from_any_thread() {
    let rc: Local = Biased { value: 5 }.into_handle();
    assert_eq!(AtomicRc::mode(&rc), Mode::Biased);
    let clones: Vec<_> = (0..10).map(|_| rc.clone()).collect();
    assert_eq!(AtomicRc::strong_count(&rc), 11);
    drop(clones);
    let weak = AtomicRc::downgrade(&rc);
    // A thread that is not the owner upgrades and drops: counted in the shared word.
    std::thread::spawn(move || assert_eq!(weak.upgrade().unwrap().value, 5))
        .join()
        .unwrap();
    assert_eq!(gilkit::stats::live::<Biased>(), 1);
    drop(rc);
    assert_eq!(gilkit::stats::live::<Biased>(), 0);
}

#[gilkit::atomic_rc(biased)]
struct Orphan {
    value: u64,
}

#[test]
fn biased_objects_of_an_exited_owner_are_freed_by_the_last_holder() {
    let handles = std::thread::spawn(|| {
        let rc = Orphan { value: 9 }.into_handle();
        (rc.clone(), rc) // both counted in the owner's local count
    })
    .join()
    .unwrap(); // the owner exited: its exit merged the count
    assert_eq!(handles.0.value, 9);
    assert_eq!(gilkit::stats::live::<Orphan>(), 1);
    std::thread::spawn(move || drop(handles)).join().unwrap();
    assert_eq!(gilkit::stats::live::<Orphan>(), 0);
}

/// Program-wide settings: never freed.
#[gilkit::atomic_rc(immortal)]
pub struct Config {
    /// Print more.
    pub verbose: bool,
}

#[test]
fn immortal_objects_are_never_freed() {
    let config = Config { verbose: true }.into_handle();
    assert_eq!(AtomicRc::mode(&config), Mode::Immortal);
    let copies: Vec<_> = (0..3).map(|_| config.clone()).collect();
    assert_eq!(AtomicRc::strong_count(&config), usize::MAX);
    let weak = AtomicRc::downgrade(&config);
    drop((config, copies));
    assert_eq!(gilkit::stats::live::<Config>(), 1); // still alive: it is never freed
    assert!(weak.upgrade().is_some_and(|config| config.verbose));
}

/// A generic struct: bounds and where clauses are kept; the handle alias takes the parameters.
#[gilkit::atomic_rc]
pub struct Pair<'a, T: Send + Sync, const N: usize>
where
    T: Clone,
{
    /// Generic.
    pub left: [T; N],
    /// Borrowed.
    pub right: &'a str,
}

#[test]
fn generic_structs_keep_their_parameters() {
    let pair: PairRc<'static, u8, 2> = Pair {
        left: [1, 2],
        right: "r",
    }
    .into_handle();
    let other = pair.clone();
    assert!(AtomicRc::ptr_eq(&pair, &other));
    assert_eq!(other.left, [1, 2]);
    assert_eq!(other.right, "r");
}

#[gilkit::atomic_rc]
struct Unit;

#[test]
fn unit_structs_are_fine() {
    let unit = Unit.into_handle();
    assert_eq!(gilkit::stats::live::<Unit>(), 1);
    drop(unit);
    assert_eq!(gilkit::stats::live::<Unit>(), 0);
}

mod private {
    /// Visibility is kept: the handle and `into_handle` are `pub(crate)` like the struct.
    #[gilkit::atomic_rc]
    pub(crate) struct Inner {
        pub(crate) id: u8,
    }
}

#[test]
fn visibility_is_kept() {
    let inner: private::InnerRc = private::Inner { id: 3 }.into_handle();
    assert_eq!(inner.id, 3);
}

#[test]
fn weak_breaks_a_cycle() {
    #[gilkit::atomic_rc]
    struct Node {
        parent: Mutex<Option<gilkit::refcount::Weak<Node>>>,
        child: Mutex<Option<NodeRc>>,
    }
    let parent = Node {
        parent: Mutex::new(None),
        child: Mutex::new(None),
    }
    .into_handle();
    let child = Node {
        parent: Mutex::new(None),
        child: Mutex::new(None),
    }
    .into_handle();
    *child.parent.lock().unwrap() = Some(AtomicRc::downgrade(&parent));
    *parent.child.lock().unwrap() = Some(child.clone());
    drop(child);
    assert_eq!(gilkit::stats::live::<Node>(), 2);
    drop(parent);
    assert_eq!(gilkit::stats::live::<Node>(), 0);
}

/// A node that the cycle collector tracks.
#[gilkit::atomic_rc(collect)]
struct Linked {
    next: Mutex<Vec<LinkedRc>>,
}

impl gilkit::refcount::Trace for Linked {
    fn trace(&self, visitor: &mut gilkit::refcount::Visitor<'_>) {
        for next in &*self.next.lock().unwrap() {
            visitor.visit(next);
        }
    }

    fn clear(&self) {
        self.next.lock().unwrap().clear();
    }
}

/// The only test in this file that runs the collector (it must not judge objects that other
/// tests are changing).
#[test]
fn the_cycle_collector_frees_a_collected_cycle_from_any_thread() {
    let a = Linked {
        next: Mutex::default(),
    }
    .into_handle();
    let b = Linked {
        next: Mutex::new(vec![a.clone()]),
    }
    .into_handle();
    a.next.lock().unwrap().push(b.clone());
    let held = Linked {
        next: Mutex::new(vec![a.clone()]),
    }
    .into_handle();
    drop((a, b));
    assert_eq!(gilkit::stats::live::<Linked>(), 3);
    assert_eq!(
        gilkit::refcount::collect_cycles(),
        0,
        "`held` reaches the cycle"
    );
    std::thread::spawn(move || drop(held)).join().unwrap();
    // `held` is freed by its count; the cycle it pointed to is garbage now.
    assert_eq!(gilkit::stats::live::<Linked>(), 2);
    let cleared = std::thread::spawn(gilkit::refcount::collect_cycles)
        .join()
        .unwrap();
    assert_eq!(cleared, 2);
    assert_eq!(gilkit::stats::live::<Linked>(), 0);
}

mod renamed {
    /// The `crate = path` option names the gilkit crate for crates that rename it.
    #[gilkit::atomic_rc(crate = ::gilkit, handle = Shared)]
    pub struct Renamed(pub u8);
}

#[test]
fn the_crate_option_is_accepted() {
    let shared: renamed::Shared = renamed::Renamed(4).into_handle();
    assert_eq!(shared.0, 4);
}

/// Counts its drops, so that a test sees the object freed once.
struct DropCount(&'static AtomicU64);

impl Drop for DropCount {
    fn drop(&mut self) {
        self.0.fetch_add(1, Ordering::Relaxed);
    }
}

/// The owner's `LocalRc`s clone and drop beside shared handles on other threads, converting both
/// ways; the object is freed once, by whichever handle goes last.
#[test]
fn local_handles_count_with_the_shared_ones_and_free_once() {
    static DROPS: AtomicU64 = AtomicU64::new(0);
    let shared = AtomicRc::with_mode(DropCount(&DROPS), Mode::Biased);
    let local = AtomicRc::to_local(&shared).expect("this thread is the owner");
    let copies: Vec<LocalRc<DropCount>> = (0..100).map(|_| local.clone()).collect();
    let workers: Vec<_> = (0..2)
        .map(|_| {
            let mine = LocalRc::to_shared(&local);
            std::thread::spawn(move || {
                assert!(AtomicRc::to_local(&mine).is_none(), "not the owner");
                drop(mine.clone());
            })
        })
        .collect();
    drop(copies);
    drop(shared);
    for w in workers {
        w.join().expect("no panic");
    }
    assert_eq!(DROPS.load(Ordering::Relaxed), 0);
    drop(local); // the last handle: the owner's last local reference
    gilkit::refcount::merge_deferred();
    assert_eq!(DROPS.load(Ordering::Relaxed), 1);
}

/// Only a biased object's owner gets a local handle, and only until it merges.
#[test]
fn local_handles_are_refused_off_the_owner_or_its_mode_or_after_the_merge() {
    assert!(AtomicRc::to_local(&AtomicRc::new(1)).is_none());
    assert!(AtomicRc::to_local(&AtomicRc::with_mode(1, Mode::Immortal)).is_none());
    let biased = AtomicRc::with_mode(1, Mode::Biased);
    let elsewhere = biased.clone();
    std::thread::spawn(move || assert!(AtomicRc::to_local(&elsewhere).is_none()))
        .join()
        .expect("no panic");
    let from_another_owner = std::thread::spawn(|| AtomicRc::with_mode(2, Mode::Biased))
        .join()
        .expect("no panic");
    // Its owner exited and merged: nobody owns it any more.
    assert!(AtomicRc::to_local(&from_another_owner).is_none());
    assert_eq!(*AtomicRc::to_local(&biased).expect("the owner"), 1);
}

thread_local! {
    static KEPT: std::cell::RefCell<Option<LocalRc<DropCount>>> =
        const { std::cell::RefCell::new(None) };
}

/// A local handle kept in a thread-local is dropped while the thread exits, before or after the
/// exit merge (their order is not specified): the object is still freed once.
#[test]
fn a_local_handle_dropped_during_the_owners_exit_frees_once() {
    static DROPS: AtomicU64 = AtomicU64::new(0);
    let outside = std::thread::spawn(|| {
        let shared = AtomicRc::with_mode(DropCount(&DROPS), Mode::Biased);
        let local = AtomicRc::to_local(&shared).expect("the owner");
        KEPT.with(|k| *k.borrow_mut() = Some(local.clone()));
        drop(local);
        shared
    })
    .join()
    .expect("no panic");
    assert_eq!(DROPS.load(Ordering::Relaxed), 0);
    drop(outside);
    assert_eq!(DROPS.load(Ordering::Relaxed), 1);
}
