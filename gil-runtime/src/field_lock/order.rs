//! The lock-order validator, in the spirit of Linux lockdep and tracing-mutex.
//!
//! Each thread keeps a stack of the field locks it holds. A global graph records, for each pair of
//! classes, the first time one was taken while the other was held, and where. An acquisition that
//! would add an edge closing a cycle panics before it blocks, naming both classes and both
//! `#[track_caller]` locations: the order is wrong even if no deadlock happened in this run.
//!
//! It is compiled in for debug builds and out of release builds; the cargo features
//! `lock-order-validation` and `no-lock-order-validation` force it on or off (on wins if both are
//! set). It is always off under `--cfg loom`: loom reports real deadlocks itself, and the
//! validator's own global lock would only multiply the interleavings to explore.

use std::panic::Location;

use super::LockClass;

/// Whether the lock-order validator is compiled into this build.
///
/// ```
/// # use gil_runtime as gil;
/// if gil::field_lock::VALIDATION_ENABLED {
///     println!("lock orders are checked");
/// }
/// ```
pub const VALIDATION_ENABLED: bool = cfg!(all(
    not(loom),
    any(
        feature = "lock-order-validation",
        all(debug_assertions, not(feature = "no-lock-order-validation"))
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
    pub(crate) at: &'static Location<'static>,
}

#[cfg(all(
    not(loom),
    any(
        feature = "lock-order-validation",
        all(debug_assertions, not(feature = "no-lock-order-validation"))
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

    thread_local! {
        /// The field locks this thread holds, oldest first.
        static HELD: RefCell<Vec<Site>> = const { RefCell::new(Vec::new()) };
        static NEXT_GROUP: Cell<u64> = const { Cell::new(1) };
    }

    /// `from` was held when `to` was taken, first observed at these two places.
    struct Edge {
        from: &'static LockClass,
        to: &'static LockClass,
        from_at: &'static Location<'static>,
        to_at: &'static Location<'static>,
    }

    global! {
        fn graph() -> &'static Mutex<Vec<Edge>> { Mutex::new(Vec::new()) }
    }

    pub(crate) fn new_group() -> u64 {
        NEXT_GROUP.with(|n| {
            let group = n.get();
            n.set(group + 1);
            group
        })
    }

    /// Checks `site` against the locks this thread holds, before blocking on it.
    pub(crate) fn check(site: &Site) {
        let mut new_edges: Vec<Site> = Vec::new();
        let conflict = HELD.try_with(|held| {
            for h in held.borrow().iter() {
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
                        continue;
                    }
                    return Some(format!(
                        "gil: lock order violation: two locks of class {} nested outside the ordered \
                         multi-lock: the first taken at {}, the second at {}; take both with one \
                         `gil::field_lock::lock_fields` call",
                        site.class, h.at, site.at
                    ));
                }
                // Inside one ordered call, fields of different objects come in address order,
                // which says nothing about the classes; fields of one object come in declaration
                // order, which is the canonical order, so record it.
                if same_group && h.object != site.object {
                    continue;
                }
                new_edges.push(*h);
            }
            None
        });
        if let Ok(Some(message)) = conflict {
            panic!("{message}");
        }
        if new_edges.is_empty() {
            return;
        }
        let mut edges = graph().lock();
        for h in new_edges {
            if edges
                .iter()
                .any(|e| e.from.is(h.class) && e.to.is(site.class))
            {
                continue;
            }
            if let Some(path) = find_path(&edges, site.class, h.class) {
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
                     order, or together with `gil::field_lock::lock_fields`",
                );
                drop(edges);
                panic!("{message}");
            }
            edges.push(Edge {
                from: h.class,
                to: site.class,
                from_at: h.at,
                to_at: site.at,
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
    pub(crate) fn hold(site: &Site) -> Held {
        // `try_with`: while the thread's locals are torn down there is nothing left to check.
        let _ = HELD.try_with(|held| held.borrow_mut().push(*site));
        Held {
            lock: site.lock,
            _not_send: PhantomData,
        }
    }

    /// The number of field locks this thread holds.
    pub(crate) fn held_count() -> usize {
        HELD.try_with(|held| held.borrow().len()).unwrap_or(0)
    }

    /// Proof of one entry on this thread's stack of held locks; dropping it pops the entry.
    pub(crate) struct Held {
        lock: usize,
        _not_send: PhantomData<*const ()>,
    }

    impl Drop for Held {
        fn drop(&mut self) {
            // `try_with`: a guard may be dropped while the thread's locals are torn down.
            let _ = HELD.try_with(|held| {
                let mut held = held.borrow_mut();
                if let Some(i) = held.iter().rposition(|s| s.lock == self.lock) {
                    held.remove(i);
                }
            });
        }
    }
}

#[cfg(not(all(
    not(loom),
    any(
        feature = "lock-order-validation",
        all(debug_assertions, not(feature = "no-lock-order-validation"))
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

    pub(crate) fn held_count() -> usize {
        0
    }

    /// Nothing: the validator is compiled out.
    pub(crate) struct Held;
}

pub(crate) use imp::{check, hold, new_group, Held};

/// How many field locks this thread holds, as the validator counts them; always 0 when it is
/// compiled out ([`VALIDATION_ENABLED`]).
///
/// ```
/// # use gil_runtime as gil;
/// use gil::field_lock::{held_count, FieldLock, LockClass, VALIDATION_ENABLED};
///
/// static C: LockClass = LockClass::new("Doc.count");
/// let lock = FieldLock::new(1);
/// let guard = lock.lock(&C);
/// assert_eq!(held_count(), usize::from(VALIDATION_ENABLED));
/// drop(guard);
/// assert_eq!(held_count(), 0);
/// ```
#[must_use]
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
