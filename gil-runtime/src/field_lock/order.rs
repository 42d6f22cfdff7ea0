//! The lock-order validator, in the spirit of Linux lockdep and tracing-mutex.
//!
//! Each thread keeps a stack of the field locks it holds. A global graph records, for each pair of
//! classes, the first time one was taken while the other was held, and where. An acquisition that
//! would add an edge closing a cycle panics before it blocks, naming both classes and both
//! `#[track_caller]` locations: the order is wrong even if no deadlock happened in this run.
//!
//! Two locks of one class may nest only inside one ordered multi-lock (`lock_fields`, address
//! order) or as one step of a hand-over-hand walk (`lock_next`, link order), and a class may be
//! used in only one of the two ways: the two orders are unrelated, so mixing them could deadlock.
//!
//! It is compiled in for debug builds and out of release builds by the default feature
//! `debug-lock-order-validation` (off with `default-features = false`); the feature
//! `lock-order-validation` compiles it into every build. It is always off under `--cfg loom`:
//! loom reports real deadlocks itself, and the validator's own global lock would only multiply
//! the interleavings to explore.

use std::panic::Location;

use super::LockClass;

/// Whether the lock-order validator is compiled into this build.
///
/// ```
/// # use gil_runtime as gilkit;
/// if gilkit::field_lock::VALIDATION_ENABLED {
///     println!("lock orders are checked");
/// }
/// ```
pub const VALIDATION_ENABLED: bool = cfg!(all(
    not(loom),
    any(
        feature = "lock-order-validation",
        all(debug_assertions, feature = "debug-lock-order-validation")
    )
));

/// One acquisition, as the validator sees it.
#[allow(
    dead_code,
    reason = "only the validator reads it, and it may be compiled out"
)]
#[derive(Clone, Copy)]
pub(crate) struct Site {
    pub(crate) class: &'static LockClass,
    /// The address of the lock itself.
    pub(crate) lock: usize,
    /// The address of the object the lock is a field of (or of the lock, for a bare lock).
    pub(crate) object: usize,
    /// The ordered multi-lock call this acquisition belongs to; 0 for none.
    pub(crate) group: u64,
    /// The lock this acquisition is coupled to by `lock_next` (hand over hand); 0 for none.
    pub(crate) after: usize,
    pub(crate) at: &'static Location<'static>,
}

#[cfg(all(
    not(loom),
    any(
        feature = "lock-order-validation",
        all(debug_assertions, feature = "debug-lock-order-validation")
    )
))]
mod imp {
    use std::cell::{Cell, RefCell};
    use std::fmt::Write as _;
    use std::marker::PhantomData;
    use std::panic::Location;

    use super::Site;
    use crate::field_lock::LockClass;
    use crate::sync::{global, thread_local, Mutex};

    /// How many held locks a thread keeps in `HELD` before the rest go to `SPILLED`.
    const INLINE: usize = 8;

    /// No lock: what the unused places of `HELD` hold.
    const VACANT: Site = {
        const NONE: LockClass = LockClass::new("");
        Site {
            class: &NONE,
            lock: 0,
            object: 0,
            group: 0,
            after: 0,
            at: Location::caller(),
        }
    };

    /// The field locks a thread holds, oldest first: the first `INLINE` here, the rest in
    /// `SPILLED`. It needs no destructor, so reaching it takes no check of the thread's state:
    /// a lock taken and released with nothing else held costs the validator a copy of its `Site`
    /// and two writes of `len`, with no borrow flag and no allocation.
    struct Stack {
        len: Cell<usize>,
        inline: [Slot; INLINE],
        /// Whether `SPILLED` has registered its destructor: done at the thread's first field lock,
        /// so that a thread-local destructor registered after that lock sees `SPILLED` whole
        /// (destructors run newest first), however late the thread first holds more than
        /// `INLINE` locks.
        spill_ready: Cell<bool>,
    }

    /// One held lock's `Site`, a `Cell` per field. A `Cell<Site>` was written by a copy of the
    /// caller's `Site` in 16-byte loads, each over two of the 8-byte stores that had just built
    /// it, which the processor cannot forward: on this machine's AMD EPYC one field lock took
    /// 2.26x its time without the validator (1.0x on an Intel Xeon). Field by field, the
    /// compiler stores the values it built the `Site` from: 1.20x (`benches/ratios.rs`).
    struct Slot {
        class: Cell<&'static LockClass>,
        lock: Cell<usize>,
        object: Cell<usize>,
        group: Cell<u64>,
        after: Cell<usize>,
        at: Cell<&'static Location<'static>>,
    }

    impl Slot {
        const fn new(site: Site) -> Self {
            Self {
                class: Cell::new(site.class),
                lock: Cell::new(site.lock),
                object: Cell::new(site.object),
                group: Cell::new(site.group),
                after: Cell::new(site.after),
                at: Cell::new(site.at),
            }
        }

        #[inline]
        fn get(&self) -> Site {
            Site {
                class: self.class.get(),
                lock: self.lock.get(),
                object: self.object.get(),
                group: self.group.get(),
                after: self.after.get(),
                at: self.at.get(),
            }
        }

        #[inline]
        fn set(&self, site: Site) {
            self.class.set(site.class);
            self.lock.set(site.lock);
            self.object.set(site.object);
            self.group.set(site.group);
            self.after.set(site.after);
            self.at.set(site.at);
        }
    }

    thread_local! {
        /// The field locks this thread holds.
        static HELD: Stack = const {
            Stack {
                len: Cell::new(0),
                inline: [const { Slot::new(VACANT) }; INLINE],
                spill_ready: Cell::new(false),
            }
        };
        /// The held locks after the first `INLINE`, oldest first.
        static SPILLED: RefCell<Vec<Site>> = const { RefCell::new(Vec::new()) };
        static NEXT_GROUP: Cell<u64> = const { Cell::new(1) };
    }

    /// Runs `f` on the locks this thread holds, oldest first.
    #[inline]
    fn with_held<R>(f: impl FnOnce(&[Slot]) -> R) -> R {
        HELD.with(|held| {
            let len = held.len.get();
            if len <= INLINE {
                return f(&held.inline[..len]);
            }
            let spilled = SPILLED
                .try_with(|spilled| spilled.borrow().clone())
                .unwrap_or_default();
            let all: Vec<Slot> = held
                .inline
                .iter()
                .map(Slot::get)
                .chain(spilled)
                .map(Slot::new)
                .collect();
            f(&all)
        })
    }

    thread_local! {
        /// The class orders (`from`, `to`, by address) this thread knows are in the graph. The
        /// graph only grows, and each edge was checked for a cycle when it went in, so a known
        /// order needs neither the graph's lock, nor a search, nor an allocation (in the spirit
        /// of lockdep's chain cache).
        static EDGES_SEEN: RefCell<Vec<(usize, usize)>> = const { RefCell::new(Vec::new()) };
    }

    thread_local! {
        /// The uses of classes (kind, class) this thread has already entered in the graph.
        static USES_SEEN: RefCell<Vec<(Nesting, &'static LockClass)>> =
            const { RefCell::new(Vec::new()) };
    }

    /// `from` was held when `to` was taken, first observed at these two places.
    struct Edge {
        from: &'static LockClass,
        to: &'static LockClass,
        from_at: &'static Location<'static>,
        to_at: &'static Location<'static>,
    }

    /// How two locks of one class came to nest.
    #[derive(Clone, Copy, PartialEq, Eq)]
    enum Nesting {
        /// Both in one `lock_fields` call: taken in address order.
        Grouped,
        /// The second by `lock_next` on the guard of the first: taken in link order.
        Coupled,
    }

    /// The first place a class was nested one way.
    struct Use {
        nesting: Nesting,
        class: &'static LockClass,
        at: &'static Location<'static>,
    }

    /// The class order seen so far, and how each class was nested with itself.
    struct Graph {
        edges: Vec<Edge>,
        uses: Vec<Use>,
    }

    global! {
        fn graph() -> &'static Mutex<Graph> {
            Mutex::new(Graph { edges: Vec::new(), uses: Vec::new() })
        }
    }

    pub(crate) fn new_group() -> u64 {
        NEXT_GROUP.with(|n| {
            let group = n.get();
            n.set(group + 1);
            group
        })
    }

    /// Checks `site` against the locks this thread holds, before blocking on it.
    #[inline]
    pub(crate) fn check(site: &Site) {
        // The common case, inline: a thread that holds no field lock has nothing to check.
        HELD.with(|held| {
            if held.len.get() != 0 {
                check_nested(held, site);
            }
        });
    }

    /// `check`, for a thread that holds at least one field lock (`held`, this thread's `HELD`).
    /// The common case comes first: locks this thread has already seen in this order (outside
    /// `lock_next`), nothing new to check or record. It takes `HELD` from `check`, whose `with`
    /// is inlined there: a `with` of its own, here, was not (its closure holds this loop), and
    /// reached the thread-local through an indirect call.
    #[inline(never)]
    fn check_nested(held: &Stack, site: &Site) {
        let nothing_new = site.after == 0
            && held
                .inline
                .get(..held.len.get())
                .is_some_and(|held| held.iter().all(|h| settled(&h.get(), site)));
        if !nothing_new {
            check_held(site);
        }
    }

    /// Whether `check_held` would find nothing to report or record about the held lock `h`
    /// when `site` (not a step of `lock_next`) is taken, by what this thread has seen already.
    #[inline]
    fn settled(h: &Site, site: &Site) -> bool {
        let same_group = site.group != 0 && h.group == site.group;
        h.lock != site.lock
            && if h.class.is(site.class) {
                same_group && recent(use_key(site.class, Nesting::Grouped))
            } else {
                (same_group && h.object != site.object)
                    || recent((address(h.class), address(site.class)))
            }
    }

    /// The whole check, for an acquisition that may be new to this thread: reports a violation,
    /// and enters new class orders and uses in the graph.
    #[inline(never)]
    fn check_held(site: &Site) {
        let mut new_edges: Vec<Site> = Vec::new();
        let mut nesting = None;
        let conflict = with_held(|held| {
            let held = || held.iter().map(Slot::get);
            // A step of a walk: `site.after` is a held lock of the same class.
            let parent =
                held().find(|p| site.after != 0 && p.lock == site.after && p.class.is(site.class));
            if let Some(parent) = parent {
                let walk: Vec<Site> = held().filter(|h| h.class.is(site.class)).collect();
                if let Some(stray) = off_the_walk(&walk, parent.lock) {
                    return Some(format!(
                        "gil: lock order violation: `lock_next` at {} steps on from the guard of \
                         class {} taken at {}, but this thread also holds a lock of that class \
                         (taken at {}) that is not one of the consecutive steps leading to that \
                         guard; a walk holds a run of consecutive nodes, each taken by `lock_next` \
                         on the guard of the one before: step on from the newest, and release a \
                         lock only from the oldest end",
                        site.at, site.class, parent.at, stray.at
                    ));
                }
            }
            for h in held() {
                let same_group = site.group != 0 && h.group == site.group;
                if h.lock == site.lock {
                    return Some(format!(
                        "gil: lock order violation: this thread already holds {} (taken at {}) and \
                         tries to take the same lock again at {}; that deadlocks",
                        site.class, h.at, site.at
                    ));
                }
                if h.class.is(site.class) {
                    if same_group {
                        nesting = Some(Nesting::Grouped);
                        continue;
                    }
                    if parent.is_some() {
                        nesting = Some(Nesting::Coupled);
                        continue;
                    }
                    return Some(format!(
                        "gil: lock order violation: two locks of class {} nested outside the ordered \
                         multi-lock: the first taken at {}, the second at {}; take both with one \
                         `gilkit::field_lock::lock_fields` call or, to walk a linked structure hand \
                         over hand, take the second with `FieldGuard::lock_next` on the first's \
                         guard",
                        site.class, h.at, site.at
                    ));
                }
                // Inside one ordered call, fields of different objects come in address order,
                // which says nothing about the classes; fields of one object come in declaration
                // order, which is the canonical order, so record it.
                if same_group && h.object != site.object {
                    continue;
                }
                if !known(h.class, site.class) {
                    new_edges.push(h);
                }
            }
            None
        });
        if let Some(message) = conflict {
            panic!("{message}");
        }
        if let Some(nesting) = nesting {
            check_nesting(site, nesting);
        }
        record_edges(site, &new_edges);
    }

    /// Enters `site.class` after each class of `held` in the graph of class orders, unless this
    /// thread knows the order already; panics at the first order that closes a cycle.
    fn record_edges(site: &Site, held: &[Site]) {
        if held.is_empty() {
            return;
        }
        let mut graph = graph().lock();
        let edges = &mut graph.edges;
        for h in held {
            if edges
                .iter()
                .any(|e| e.from.is(h.class) && e.to.is(site.class))
            {
                continue;
            }
            if let Some(path) = find_path(edges, site.class, h.class) {
                let mut message = format!(
                    "gil: lock order cycle: taking {} at {} while holding {} (taken at {}), but the \
                     opposite order was seen before:",
                    site.class, site.at, h.class, h.at
                );
                for e in path {
                    let _ = write!(
                        message,
                        "\n  {} (taken at {}) was held while taking {} at {}",
                        e.from, e.from_at, e.to, e.to_at
                    );
                }
                message.push_str(
                    "\nthreads that take these locks in both orders can deadlock; take them in one \
                     order, or together with `gilkit::field_lock::lock_fields`",
                );
                drop(graph);
                panic!("{message}");
            }
            edges.push(Edge {
                from: h.class,
                to: site.class,
                from_at: h.at,
                to_at: site.at,
            });
        }
        drop(graph);
        let key = |h: &Site| (address(h.class), address(site.class));
        let _ = EDGES_SEEN.try_with(|seen| seen.borrow_mut().extend(held.iter().map(key)));
    }

    /// Whether this thread knows that the order `from` then `to` is in the graph.
    #[inline]
    fn known(from: &'static LockClass, to: &'static LockClass) -> bool {
        let key = (address(from), address(to));
        if recent(key) {
            return true;
        }
        let known = EDGES_SEEN
            .try_with(|seen| seen.borrow().contains(&key))
            .unwrap_or(false);
        if known {
            remember(key);
        }
        known
    }

    /// How many entries `RECENT` has.
    const RECENT_SLOTS: usize = 64;

    thread_local! {
        /// The class orders and uses this thread found last in `EDGES_SEEN` and `USES_SEEN`, each
        /// in the place its hash picks: a hit costs a load and a compare, with no check of the
        /// thread's state (the table needs no destructor). (0, 0) is no key.
        static RECENT: [Cell<(usize, usize)>; RECENT_SLOTS] =
            const { [const { Cell::new((0, 0)) }; RECENT_SLOTS] };
    }

    /// The place of `key` in `RECENT`.
    #[allow(
        clippy::cast_possible_truncation,
        reason = "the top bits of a 64-bit hash, far below `usize::MAX`"
    )]
    #[inline]
    fn slot((a, b): (usize, usize)) -> usize {
        const MIX: u64 = 0x9e37_79b9_7f4a_7c15;
        let hash = ((a as u64).wrapping_mul(MIX) ^ b as u64).wrapping_mul(MIX);
        (hash >> 58) as usize % RECENT_SLOTS
    }

    /// The key of a use of `class` in `RECENT`.
    #[inline]
    fn use_key(class: &'static LockClass, nesting: Nesting) -> (usize, usize) {
        (address(class), nesting as usize + 1) // no class lives at 1 or 2
    }

    /// Whether `key` is in `RECENT`.
    #[inline]
    fn recent(key: (usize, usize)) -> bool {
        RECENT.with(|recent| recent[slot(key)].get() == key)
    }

    /// Keeps `key`, found in `EDGES_SEEN` or `USES_SEEN`, in `RECENT`.
    fn remember(key: (usize, usize)) {
        RECENT.with(|recent| recent[slot(key)].set(key));
    }

    /// A class's identity, for the per-thread cache.
    fn address(class: &'static LockClass) -> usize {
        std::ptr::from_ref(class) as usize
    }

    /// The held lock of `walk` (this thread's locks of one class, oldest first) that is not one of
    /// the consecutive steps ending at `parent`, if any: `parent` must be the newest, and each lock
    /// after the oldest must have been taken by `lock_next` on the guard of the one before it.
    fn off_the_walk(walk: &[Site], parent: usize) -> Option<Site> {
        let newest = walk.last()?;
        if newest.lock != parent {
            return Some(*newest);
        }
        walk.windows(2)
            .rev()
            .find(|w| w[1].after != w[0].lock)
            .map(|w| w[0])
    }

    /// Refuses a class nested with itself both ways, by `lock_fields` (address order) and by
    /// `lock_next` (link order): the orders are unrelated, so a thread in one call could hold what
    /// a thread in the other waits for, and the other way round.
    fn check_nesting(site: &Site, nesting: Nesting) {
        // Each thread enters a use in the graph once; whichever use comes second in the program
        // finds the first there, whatever thread made it.
        let key = use_key(site.class, nesting);
        if recent(key) {
            return;
        }
        let seen = USES_SEEN
            .try_with(|seen| {
                let mut seen = seen.borrow_mut();
                let known = seen.iter().any(|&(n, c)| n == nesting && c.is(site.class));
                if !known {
                    seen.push((nesting, site.class));
                }
                known
            })
            .unwrap_or(true);
        if seen {
            remember(key);
            return;
        }
        let mut graph = graph().lock();
        let other = graph
            .uses
            .iter()
            .find(|u| u.nesting != nesting && u.class.is(site.class))
            .map(|u| u.at);
        if let Some(other_at) = other {
            drop(graph);
            // Forget the use, so that the same call panics again next time.
            let _ = USES_SEEN.try_with(|seen| {
                seen.borrow_mut()
                    .retain(|&(n, c)| !(n == nesting && c.is(site.class)));
            });
            let (walk_at, group_at) = match nesting {
                Nesting::Coupled => (site.at, other_at),
                Nesting::Grouped => (other_at, site.at),
            };
            panic!(
                "gil: lock order violation: locks of class {} are taken hand over hand \
                 (`lock_next` at {walk_at}) and several at once by `lock_fields` (at {group_at}); \
                 the walk takes them in link order, `lock_fields` in address order, and threads \
                 taking them in the two orders can deadlock; use one of the two for this class",
                site.class
            );
        }
        if !graph
            .uses
            .iter()
            .any(|u| u.nesting == nesting && u.class.is(site.class))
        {
            graph.uses.push(Use {
                nesting,
                class: site.class,
                at: site.at,
            });
        }
    }

    /// The edges of a path `from ->* to`, if there is one (depth-first, the graph is small).
    fn find_path<'e>(
        edges: &'e [Edge],
        from: &'static LockClass,
        to: &'static LockClass,
    ) -> Option<Vec<&'e Edge>> {
        let mut stack: Vec<(&'static LockClass, Vec<&'e Edge>)> = vec![(from, Vec::new())];
        let mut seen: Vec<&'static LockClass> = vec![from];
        while let Some((class, path)) = stack.pop() {
            for e in edges.iter().filter(|e| e.from.is(class)) {
                let mut next = path.clone();
                next.push(e);
                if e.to.is(to) {
                    return Some(next);
                }
                if !seen.iter().any(|s| s.is(e.to)) {
                    seen.push(e.to);
                    stack.push((e.to, next));
                }
            }
        }
        None
    }

    /// Records that this thread now holds the lock of `site`, until the result is dropped.
    #[inline]
    pub(crate) fn hold(site: &Site) -> Held {
        HELD.with(|held| {
            let len = held.len.get();
            // A thread's first lock is taken with nothing held: a nested lock skips the flag
            // (two nested locks 1.50x their time without the validator, from 1.52-1.56x; see
            // docs/MEASUREMENTS.md).
            if len == 0 && !held.spill_ready.get() {
                prepare_spill(held);
            }
            match held.inline.get(len) {
                Some(place) => {
                    place.set(*site);
                    held.len.set(len + 1);
                }
                None => spill(held, site),
            }
        });
        Held {
            lock: site.lock,
            _not_send: PhantomData,
        }
    }

    /// Registers the destructor of `SPILLED`, once per thread.
    #[cold]
    #[inline(never)]
    fn prepare_spill(held: &Stack) {
        let _ = SPILLED.try_with(|_| ());
        held.spill_ready.set(true);
    }

    /// `hold`, beyond the first `INLINE` locks.
    #[inline(never)]
    fn spill(held: &Stack, site: &Site) {
        // `try_with`: while the thread's locals are torn down there is nothing left to check.
        if SPILLED
            .try_with(|spilled| spilled.borrow_mut().push(*site))
            .is_ok()
        {
            held.len.set(held.len.get() + 1);
        }
    }

    /// The number of field locks this thread holds.
    pub(crate) fn held_count() -> usize {
        HELD.with(|held| held.len.get())
    }

    /// Proof of one entry on this thread's stack of held locks; dropping it pops the entry.
    pub(crate) struct Held {
        lock: usize,
        /// Not `Send` (the drop pops this thread's stack), but `Sync`, as std's `MutexGuard`:
        /// sharing `&Held` only reads `lock`. So a guard is `Sync` in every build alike.
        _not_send: PhantomData<std::sync::MutexGuard<'static, ()>>,
    }

    impl Held {
        /// The address of the held lock.
        pub(crate) fn lock(&self) -> usize {
            self.lock
        }
    }

    impl Drop for Held {
        #[inline]
        fn drop(&mut self) {
            HELD.with(|held| {
                let len = held.len.get();
                // Guards mostly go in the reverse order of their locks: the newest on top.
                match len.checked_sub(1).and_then(|top| held.inline.get(top)) {
                    Some(top) if top.get().lock == self.lock => held.len.set(len - 1),
                    _ => release_below_top(held, self.lock),
                }
            });
        }
    }

    /// Takes the entry of `lock` off the stack, when it is not the top of `HELD`.
    #[inline(never)]
    fn release_below_top(held: &Stack, lock: usize) {
        let len = held.len.get();
        if len <= INLINE {
            let live = &held.inline[..len];
            if let Some(i) = live.iter().rposition(|s| s.get().lock == lock) {
                for pair in live[i..].windows(2) {
                    pair[0].set(pair[1].get());
                }
                held.len.set(len - 1);
            }
            return;
        }
        let mut all = with_held(|all| all.iter().map(Slot::get).collect::<Vec<_>>());
        let Some(i) = all.iter().rposition(|s| s.lock == lock) else {
            return; // not recorded: taken while the thread's locals were torn down
        };
        all.remove(i);
        held.len.set(all.len());
        for (place, site) in held.inline.iter().zip(&all) {
            place.set(*site);
        }
        let _ = SPILLED.try_with(|spilled| {
            let mut spilled = spilled.borrow_mut();
            spilled.clear();
            spilled.extend(all.iter().skip(INLINE));
        });
    }
}

#[cfg(not(all(
    not(loom),
    any(
        feature = "lock-order-validation",
        all(debug_assertions, feature = "debug-lock-order-validation")
    )
)))]
mod imp {
    use super::Site;

    #[inline]
    pub(crate) fn new_group() -> u64 {
        0
    }

    #[inline]
    pub(crate) fn check(_site: &Site) {}

    #[inline]
    pub(crate) fn hold(_site: &Site) -> Held {
        Held
    }

    #[inline]
    pub(crate) fn held_count() -> usize {
        0
    }

    /// Nothing: the validator is compiled out.
    pub(crate) struct Held;

    impl Held {
        /// Nothing to tell: 0.
        #[inline]
        #[allow(
            clippy::unused_self,
            reason = "the same signature as the validator's `Held::lock`"
        )]
        pub(crate) fn lock(&self) -> usize {
            0
        }
    }
}

pub(crate) use imp::{check, hold, new_group, Held};

/// How many field locks this thread holds, as the validator counts them; always 0 when it is
/// compiled out ([`VALIDATION_ENABLED`]).
///
/// ```
/// # use gil_runtime as gilkit;
/// use gilkit::field_lock::{held_count, FieldLock, LockClass, VALIDATION_ENABLED};
///
/// static C: LockClass = LockClass::new("Doc.count");
/// let lock = FieldLock::new(1);
/// let guard = lock.lock(&C);
/// assert_eq!(held_count(), usize::from(VALIDATION_ENABLED));
/// drop(guard);
/// assert_eq!(held_count(), 0);
/// ```
#[must_use]
#[inline]
pub fn held_count() -> usize {
    imp::held_count()
}

#[cfg(all(test, not(loom)))]
mod tests {
    use std::panic::{catch_unwind, AssertUnwindSafe};

    use super::VALIDATION_ENABLED;
    use crate::field_lock::{FieldLock, LockClass};

    fn panic_message(f: impl FnOnce()) -> Option<String> {
        let payload = catch_unwind(AssertUnwindSafe(f)).err()?;
        payload.downcast_ref::<String>().cloned()
    }

    #[test]
    fn a_cycle_through_three_classes_is_reported_with_its_whole_path() {
        static A: LockClass = LockClass::new("Three.a");
        static B: LockClass = LockClass::new("Three.b");
        static C: LockClass = LockClass::new("Three.c");
        let (a, b, c) = (FieldLock::new(()), FieldLock::new(()), FieldLock::new(()));
        {
            let _a = a.lock(&A);
            let _b = b.lock(&B);
        }
        {
            let _b = b.lock(&B);
            let _c = c.lock(&C);
        }
        let report = panic_message(|| {
            let _c = c.lock(&C);
            let _a = a.lock(&A);
        });
        if !VALIDATION_ENABLED {
            assert!(report.is_none());
            return;
        }
        let report = report.expect("c -> a closes a -> b -> c");
        assert!(report.contains("taking `Three.a`"), "{report}");
        assert!(report.contains("`Three.a` (taken at"), "{report}");
        assert!(report.contains("`Three.b` (taken at"), "{report}");
        assert_eq!(super::held_count(), 0);
    }

    #[test]
    fn more_locks_than_the_inline_stack_holds_are_checked_and_released_in_any_order() {
        static DEEP: [LockClass; 12] = [const { LockClass::new("Deep.n") }; 12];
        let locks: Vec<FieldLock<()>> = DEEP.iter().map(|_| FieldLock::new(())).collect();
        let mut guards: Vec<_> = locks
            .iter()
            .zip(&DEEP)
            .map(|(lock, class)| Some(lock.lock(class)))
            .collect();
        let held = usize::from(VALIDATION_ENABLED);
        assert_eq!(super::held_count(), 12 * held);
        if VALIDATION_ENABLED {
            // The newest lock lies beyond the inline stack: relocking it is still refused.
            let report = panic_message(|| drop(locks[11].lock(&DEEP[11])));
            assert!(report.expect("refused").contains("the same lock again"));
        }
        for (n, i) in [5, 11, 0, 9, 1, 10, 2, 8, 3, 7, 4, 6]
            .into_iter()
            .enumerate()
        {
            drop(guards[i].take());
            assert_eq!(super::held_count(), (11 - n) * held, "after dropping {i}");
        }
        // The order 0 then 11, recorded while 11 was beyond the inline stack, refuses 11 then 0.
        let report = panic_message(|| {
            let _eleven = locks[11].lock(&DEEP[11]);
            let _zero = locks[0].lock(&DEEP[0]);
        });
        if VALIDATION_ENABLED {
            assert!(report.expect("a cycle").contains("lock order cycle"));
        }
        assert_eq!(super::held_count(), 0);
    }

    #[test]
    fn the_same_lock_twice_is_refused_before_it_deadlocks() {
        static X: LockClass = LockClass::new("Twice.x");
        let x = FieldLock::new(0);
        let report = panic_message(|| {
            let _first = x.lock(&X);
            let second = x.try_lock(&X); // never blocks: allowed, and fails
            assert!(second.is_none());
            if VALIDATION_ENABLED {
                let _third = x.lock(&X);
            }
        });
        if VALIDATION_ENABLED {
            let report = report.expect("relocking refused");
            assert!(report.contains("the same lock again"), "{report}");
        }
    }
}
