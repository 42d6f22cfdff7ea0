//! The cycle collector: see [`collect_cycles`].

use std::collections::HashMap;
use std::ptr::NonNull;

use super::header::Header;
use crate::sync::{global, Mutex};

/// A value whose handles the cycle collector can see and cut. Implement it for the values of
/// objects made with [`AtomicRc::new_collected`](super::AtomicRc::new_collected) (or with
/// `#[atomic_rc(collect)]`).
///
/// ```
/// # use gil_runtime as gilkit;
/// use std::sync::Mutex;
/// use gilkit::refcount::{AtomicRc, Trace, Visitor};
///
/// struct Node(Mutex<Option<AtomicRc<Node>>>);
///
/// impl Trace for Node {
///     fn trace(&self, visitor: &mut Visitor<'_>) {
///         if let Some(next) = &*self.0.lock().unwrap() {
///             visitor.visit(next);
///         }
///     }
///     fn clear(&self) {
///         self.0.lock().unwrap().take();
///     }
/// }
///
/// let a = AtomicRc::new_collected(Node(Mutex::new(None)));
/// let b = AtomicRc::new_collected(Node(Mutex::new(Some(a.clone()))));
/// *a.0.lock().unwrap() = Some(b.clone()); // a -> b -> a
/// let weak = AtomicRc::downgrade(&a);
/// drop((a, b));
/// assert!(weak.upgrade().is_some()); // the cycle keeps itself alive
/// assert_eq!(gilkit::refcount::collect_cycles(), 2);
/// assert!(weak.upgrade().is_none()); // collected
/// ```
#[diagnostic::on_unimplemented(
    message = "`{Self}` is collected (`#[atomic_rc(collect)]` or `new_collected`) but does not implement `gilkit::refcount::Trace`",
    label = "the cycle collector cannot see this value's handles",
    note = "implement `gilkit::refcount::Trace`: `trace` visits every `AtomicRc` the value holds, `clear` drops them"
)]
pub trait Trace: Send + Sync + 'static {
    /// Calls [`Visitor::visit`] with every strong handle this value holds.
    fn trace(&self, visitor: &mut Visitor<'_>);

    /// Drops the strong handles this value holds (for example, `take()`s them out of their
    /// `Mutex`), breaking the cycles through it. Called only on objects found unreachable.
    fn clear(&self);
}

/// Collects the handles that [`Trace::trace`] shows it.
///
/// ```
/// # use gil_runtime as gilkit;
/// use gilkit::refcount::{AtomicRc, Trace, Visitor};
///
/// struct Pair(AtomicRc<u8>, AtomicRc<u8>);
/// impl Trace for Pair {
///     fn trace(&self, visitor: &mut Visitor<'_>) {
///         visitor.visit(&self.0);
///         visitor.visit(&self.1);
///     }
///     fn clear(&self) {} // holds no cycle-forming handles it could drop
/// }
/// # let _ = AtomicRc::new_collected(Pair(AtomicRc::new(1), AtomicRc::new(2)));
/// ```
pub struct Visitor<'a> {
    edges: &'a mut Vec<NonNull<Header>>,
}

impl Visitor<'_> {
    /// Records that the traced value holds `handle`.
    pub fn visit<U>(&mut self, handle: &super::AtomicRc<U>) {
        self.edges.push(super::handle::header_of_handle(handle));
    }
}

/// One tracked object, holding one weak count (its memory, not its value).
pub(crate) struct Entry {
    pub(crate) object: NonNull<Header>,
    /// # Safety
    /// The object is alive (the caller holds a strong count).
    pub(crate) trace: unsafe fn(NonNull<Header>, &mut Visitor<'_>),
    /// # Safety
    /// As `trace`.
    pub(crate) clear: unsafe fn(NonNull<Header>),
    /// Gives up the entry's weak count. # Safety: once per entry.
    pub(crate) release_weak: unsafe fn(NonNull<Header>),
}

// SAFETY: entries are made only for `T: Trace`, which is `Send + Sync`, and carry a weak count,
// which any thread may give up.
unsafe impl Send for Entry {}

/// The tracked objects, and when to next sweep out the dead ones.
struct Registry {
    entries: Vec<Entry>,
    /// The length at which `track` drops the entries of freed objects.
    sweep_at: usize,
}

/// The fewest entries worth a sweep.
const MIN_SWEEP: usize = 1024;

global! {
    /// Every tracked object.
    fn registry() -> &'static Mutex<Registry> {
        Mutex::new(Registry { entries: Vec::new(), sweep_at: MIN_SWEEP })
    }
}

pub(crate) fn track(entry: Entry) {
    let mut registry = registry().lock();
    registry.entries.push(entry);
    // An entry keeps its object's memory (not its value) after the free, until a collection or
    // this sweep: without it, a program that never collects would keep every object it made.
    // Sweeping when the list has doubled since the last sweep costs O(1) per object.
    if registry.entries.len() >= registry.sweep_at {
        registry.entries.retain(|entry| {
            // SAFETY: the entry's weak count keeps the header valid.
            let alive = unsafe { Header::strong_count(entry.object) } > 0;
            if !alive {
                // SAFETY: the entry gives up its weak count, once (it leaves the list).
                unsafe { (entry.release_weak)(entry.object) };
            }
            alive
        });
        registry.sweep_at = (registry.entries.len() * 2).max(MIN_SWEEP);
    }
}

/// Finds the reference cycles among the objects made with
/// [`AtomicRc::new_collected`](super::AtomicRc::new_collected) (or `#[atomic_rc(collect)]`)
/// that nothing outside them reaches, and clears them, so that their counts free them. Returns
/// how many objects it cleared. It is trial deletion, as in `CPython`'s `gc`.
///
/// Reference counting cannot free a cycle: each object in it keeps the next one's count above
/// zero. This finds such cycles among the tracked objects:
///
/// 1. it takes a temporary strong handle to every live tracked object, and copies its count
///    (minus that handle) into `gc_refs`;
/// 2. it [traces](Trace::trace) every object and subtracts one from `gc_refs` of each tracked
///    object it points to: what is left counts the references from *outside* the tracked set;
/// 3. everything reachable from an object with `gc_refs > 0` is alive;
/// 4. every other object is garbage held only by cycles: it is [cleared](Trace::clear), which
///    drops the handles it holds, and when the temporary handles go, the ordinary counts free
///    the whole cycle.
///
/// The collector never frees anything itself: objects are freed by their counts, as always, so
/// it cannot cause a use-after-free or a double free. Run it when the tracked objects are not
/// being changed by other threads (as `CPython` stops the world): a handle created or dropped
/// concurrently can make it misjudge an object, and then it clears the links of a live object
/// (a logic error, never undefined behaviour), or misses a cycle until the next run.
///
/// It calls [`Trace::trace`] and [`Trace::clear`] from the calling thread, so do not call it
/// while holding a lock that they take. Biased objects cannot be collected (only their owner can
/// read their count), nor immortal ones (they are never freed).
///
/// ```
/// # use gil_runtime as gilkit;
/// assert_eq!(gilkit::refcount::collect_cycles(), 0); // nothing tracked, nothing to do
/// ```
pub fn collect_cycles() -> usize {
    collect(true)
}

#[cfg(loom)]
/// Broken on purpose, for the loom negative controls only: a collector that skips step 3, so
/// it clears every tracked object, also those reachable from outside.
#[doc(hidden)]
pub fn __collect_cycles_ignoring_outside_references() -> usize {
    collect(false)
}

fn collect(respect_outside_references: bool) -> usize {
    // Work outside the lock: tracing, clearing and dropping run user code, which may track new
    // objects. What this takes from the registry, and the strong counts it takes, are held by
    // guards, so that a panic in `trace`, `clear` or a destructor loses nothing.
    let entries = std::mem::take(&mut registry().lock().entries);
    // 1. Temporary strong handles to the live objects; forget the dead ones.
    let mut temporary = Vec::with_capacity(entries.len());
    let mut live = Restore(Vec::with_capacity(entries.len()));
    for entry in entries {
        // SAFETY: the entry's weak count keeps the header valid.
        if unsafe { entry.object.as_ref() }.try_increment() {
            temporary.push(Temporary(entry.object));
            live.0.push(entry);
        } else {
            // SAFETY: the entry gives up its weak count, once.
            unsafe { (entry.release_weak)(entry.object) };
        }
    }
    let live = &live.0;
    let index: HashMap<NonNull<Header>, usize> = live
        .iter()
        .enumerate()
        .map(|(i, e)| (e.object, i))
        .collect();
    // 2. Subtract the references from inside the tracked set.
    let mut gc_refs: Vec<isize> = live
        .iter()
        .map(|e| {
            // SAFETY: we hold a strong count.
            let count = unsafe { Header::strong_count(e.object) };
            isize::try_from(count).unwrap_or(isize::MAX) - 1
        })
        .collect();
    let mut children: Vec<Vec<usize>> = Vec::with_capacity(live.len());
    for entry in live {
        let mut edges = Vec::new();
        // SAFETY: we hold a strong count.
        unsafe { (entry.trace)(entry.object, &mut Visitor { edges: &mut edges }) };
        let inside: Vec<usize> = edges.iter().filter_map(|e| index.get(e).copied()).collect();
        for &child in &inside {
            gc_refs[child] -= 1;
        }
        children.push(inside);
    }
    // 3. Everything reachable from outside is alive.
    let mut reachable = vec![false; live.len()];
    let mut work: Vec<usize> = (0..live.len())
        .filter(|&i| respect_outside_references && gc_refs[i] > 0)
        .collect();
    while let Some(i) = work.pop() {
        if !std::mem::replace(&mut reachable[i], true) {
            work.extend(children[i].iter().copied().filter(|&c| !reachable[c]));
        }
    }
    // 4. Clear the rest: their counts free them once the temporary handles go, when `live`
    //    has gone back to the registry (the guards drop in reverse order of declaration).
    let mut cleared = 0;
    for (entry, _) in live.iter().zip(&reachable).filter(|(_, &r)| !r) {
        // SAFETY: we hold a strong count.
        unsafe { (entry.clear)(entry.object) };
        cleared += 1;
    }
    cleared
}

/// Gives the taken entries back to the registry when dropped, also on unwind.
struct Restore(Vec<Entry>);

impl Drop for Restore {
    fn drop(&mut self) {
        registry().lock().entries.append(&mut self.0);
    }
}

/// A temporary strong count the collector holds: given up when dropped, also on unwind. In a
/// `Vec`, a panicking destructor (of an object this frees) does not stop the others' release.
struct Temporary(NonNull<Header>);

impl Drop for Temporary {
    fn drop(&mut self) {
        // SAFETY: the collector took this count with `try_increment` and gives it up once.
        unsafe { Header::release(self.0) };
    }
}

/// Serializes the unit tests that make collected objects or run the collector: the collector
/// misjudges objects that another test changes while it runs (as documented).
#[cfg(all(test, not(loom)))]
pub(crate) static COLLECTOR_TESTS: std::sync::Mutex<()> = std::sync::Mutex::new(());

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;

    struct Leaf;

    impl Trace for Leaf {
        fn trace(&self, _: &mut Visitor<'_>) {}
        fn clear(&self) {}
    }

    /// Objects made and dropped without a collection do not pile up in the registry: the sweep
    /// in `track` drops the entries of freed objects (and so their memory).
    #[test]
    fn freed_objects_leave_the_registry_without_a_collection() {
        let _alone = COLLECTOR_TESTS
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        for _ in 0..10 * MIN_SWEEP {
            drop(super::super::AtomicRc::new_collected(Leaf));
        }
        let left = registry().lock().entries.len();
        assert!(left <= 2 * MIN_SWEEP, "{left} entries left");
    }
}
