//! Owner threads of biased objects: ids that are never reused, and the list of unmerged objects
//! that a thread merges when it exits.

use std::cell::{Cell, RefCell};
use std::ptr::NonNull;

use super::header::{Header, Merge, LOCAL_MERGED};
use crate::sync::atomic::{AtomicU64, Ordering};
use crate::sync::{global, thread_local};

/// The id of no thread: what `current` answers once this thread's locals are gone.
const NO_THREAD: u64 = u64::MAX;

global! {
    /// The next thread id. Ids start at 1, so 0 means "not biased".
    fn next_id() -> &'static AtomicU64 {
        AtomicU64::new(1)
    }
}

#[cfg(not(loom))]
thread_local! {
    static THREAD_ID: Cell<u64> = const { Cell::new(0) };
}
#[cfg(loom)]
thread_local! {
    static THREAD_ID: Cell<u64> = Cell::new(0);
}

#[cfg(not(loom))]
thread_local! {
    /// The unmerged biased objects this thread owns; merged by its destructor at thread exit.
    static OWNED: Owned = const { Owned(RefCell::new(Vec::new())) };
}
#[cfg(loom)]
thread_local! {
    static OWNED: Owned = Owned(RefCell::new(Vec::new()));
}

/// This thread's id, assigned on first use. Never 0 and never reused.
#[inline]
pub(crate) fn current() -> u64 {
    THREAD_ID
        .try_with(|id| match id.get() {
            0 => {
                let fresh = next_id().fetch_add(1, Ordering::Relaxed);
                id.set(fresh);
                fresh
            }
            known => known,
        })
        .unwrap_or(NO_THREAD)
}

/// Whether this thread is `owner`. No id is assigned here: a thread without one owns nothing.
#[inline]
pub(crate) fn is_current(owner: u64) -> bool {
    THREAD_ID.try_with(Cell::get).is_ok_and(|id| id == owner)
}

/// Adds a new biased object of this thread to its list. `None` if the thread is exiting (its list
/// is gone): the caller must then not make the object biased.
pub(crate) fn register(object: NonNull<Header>) -> Option<usize> {
    if current() == NO_THREAD {
        return None;
    }
    OWNED
        .try_with(|owned| {
            let mut list = owned.0.borrow_mut();
            list.push(object);
            list.len() - 1
        })
        .ok()
}

/// Takes the object at `slot` off this thread's list, moving the last one into its place.
pub(crate) fn unregister(slot: usize) {
    // A failure means the list is being destroyed; its destructor has merged every object, so
    // none can reach here. Nothing to do either way.
    let _ = OWNED.try_with(|owned| {
        let mut list = owned.0.borrow_mut();
        list.swap_remove(slot);
        if let Some(moved) = list.get(slot) {
            // SAFETY: objects on this list are unmerged, hence alive, and owned by this thread,
            // the only one that touches their `local`.
            unsafe { moved.as_ref() }
                .local
                .with_mut(|local| unsafe { (*local).slot = slot });
        }
    });
}

/// The unmerged objects of one thread. Dropped when the thread exits, and then merges them all.
struct Owned(RefCell<Vec<NonNull<Header>>>);

impl Drop for Owned {
    fn drop(&mut self) {
        let objects = std::mem::take(self.0.get_mut());
        // Merge everything first and free afterwards: freeing runs user `Drop`s, which may drop
        // handles of objects still on the list.
        let mut dead = Vec::new();
        for object in objects {
            // SAFETY: listed objects are unmerged, so alive, and owned by this thread.
            let header = unsafe { object.as_ref() };
            // SAFETY: this is the owner thread, the only one that touches `local`.
            let local = header
                .local
                .with_mut(|local| unsafe { std::mem::replace(&mut (*local).count, LOCAL_MERGED) });
            if header.merge(local, Merge::Correct) {
                dead.push(object);
            }
        }
        for object in dead {
            // SAFETY: the merge saw the count reach zero, so this thread frees it, once.
            unsafe { (object.as_ref().free)(object) };
        }
    }
}

/// Broken on purpose, for the loom negative controls only: forgets this thread's list of
/// unmerged objects, so that its exit merges nothing (they leak).
#[doc(hidden)]
pub fn __skip_exit_merge() {
    let _ = OWNED.try_with(|owned| owned.0.borrow_mut().clear());
}
