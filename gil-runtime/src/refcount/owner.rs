//! Owner threads of biased objects: ids that are never reused, the list of unmerged objects
//! that a thread merges when it exits, and the inbox where other threads hand it references.

use std::cell::{Cell, OnceCell, RefCell};
use std::ptr::NonNull;
use std::sync::Arc;

use super::header::{Header, Merge, LOCAL_MERGED};
use crate::sync::atomic::{AtomicBool, Ordering};
use crate::sync::{thread_local, Mutex};

/// The id of no thread: what `current` answers once this thread's locals are gone, and to every
/// thread started after the 2^32 - 2 ids ran out. Such a thread owns nothing: the biased objects
/// it makes are atomic.
const NO_THREAD: u32 = u32::MAX;

/// The next thread id. Ids start at 1, so 0 means "not assigned yet". 64 bits, so that it never
/// wraps around to an id given before; the ids that do not fit in 32 bits are all `NO_THREAD`.
/// `std`'s atomic also under loom, so that ids stay unique across executions (see `INBOXES`).
pub(super) static NEXT_ID: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(1);

#[cfg(not(loom))]
thread_local! {
    static THREAD_ID: Cell<u32> = const { Cell::new(0) };
}
#[cfg(loom)]
thread_local! {
    static THREAD_ID: Cell<u32> = Cell::new(0);
}

#[cfg(not(loom))]
thread_local! {
    /// The unmerged biased objects this thread owns; merged by its destructor at thread exit.
    static OWNED: Owned = const { Owned { list: RefCell::new(Vec::new()), inbox: OnceCell::new() } };
}
#[cfg(loom)]
thread_local! {
    static OWNED: Owned = Owned { list: RefCell::new(Vec::new()), inbox: OnceCell::new() };
}

/// This thread's id, assigned on first use. Never 0, and never reused but for `NO_THREAD`.
#[inline]
pub(crate) fn current() -> u32 {
    THREAD_ID
        .try_with(|id| match id.get() {
            0 => {
                let next = NEXT_ID.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                let fresh = u32::try_from(next).unwrap_or(NO_THREAD);
                id.set(fresh);
                fresh
            }
            known => known,
        })
        .unwrap_or(NO_THREAD)
}

/// Whether this thread can own objects: it has an id, which is not `NO_THREAD`.
pub(crate) fn can_own() -> bool {
    current() != NO_THREAD
}

/// Whether this thread is `owner`. No id is assigned here: a thread without one owns nothing.
#[inline]
pub(crate) fn is_current(owner: u32) -> bool {
    THREAD_ID.try_with(Cell::get).is_ok_and(|id| id == owner)
}

/// The inbox of every thread that owns biased objects, by thread id, from its first biased
/// object to its exit. A non-owner finds its owner's inbox here, on the rare hand-over, so that
/// no object needs a counted pointer to it (an RMW at each allocation and free).
///
/// `std`'s types also under loom, with no loom operation while the lock is held (so loom never
/// switches threads inside it): loom drops its own statics before the main thread's locals, whose
/// exit takes its inbox out of here. Thread ids are then unique across loom's executions too.
static INBOXES: std::sync::Mutex<Vec<(u32, Arc<Inbox>)>> = std::sync::Mutex::new(Vec::new());

fn inboxes() -> std::sync::MutexGuard<'static, Vec<(u32, Arc<Inbox>)>> {
    // Nothing panics while it is held: a poisoned lock still guards a whole list.
    INBOXES
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// Adds a new biased object of this thread to its list, and returns its slot there. `None` if
/// the thread is exiting (its list is gone) or the slot would not fit its 32 bits (the list
/// holds 2^32 objects already): the caller must then not make the object biased.
pub(crate) fn register(object: NonNull<Header>) -> Option<u32> {
    let id = current();
    if id == NO_THREAD {
        return None;
    }
    OWNED
        .try_with(|owned| {
            let mut list = owned.list.borrow_mut();
            let slot = u32::try_from(list.len()).ok()?;
            list.push(object);
            owned.inbox.get_or_init(|| {
                let inbox = Arc::new(Inbox::new());
                inboxes().push((id, Arc::clone(&inbox)));
                inbox
            });
            Some(slot)
        })
        .ok()
        .flatten()
}

/// Hands one strong count of `object` to its owner thread's inbox. `false` (and nothing handed)
/// if the owner is exiting or gone, unless `merge` is the broken `IgnoreClosedInbox` of a negative
/// control.
///
/// # Safety
/// The caller owns one strong count of `object`, a biased object of thread `owner`, which this
/// takes over on `true`.
pub(crate) unsafe fn hand_over(owner: u32, object: NonNull<Header>, merge: Merge) -> bool {
    let inbox = inboxes()
        .iter()
        .find(|(id, _)| *id == owner)
        .map(|(_, inbox)| Arc::clone(inbox));
    // SAFETY: as the caller promises.
    inbox.is_some_and(|inbox| unsafe { inbox.push(object, merge) })
}

crate::sync::thread_local_const! {
    /// How many `HoldDrains` guards this thread has: while any, the inbox is not drained.
    static DRAIN_HELD_OFF: Cell<u32> = Cell::new(0);
}

/// Holds off this thread's inbox drains while it lives: handed-over destructors are user code,
/// and must not run while this thread holds an object's lock (`object::Locked::with`), where
/// one that locks would nest a lock in an order nobody wrote.
pub(crate) struct HoldDrains;

impl HoldDrains {
    #[inline]
    pub(crate) fn new() -> Self {
        DRAIN_HELD_OFF.with(|n| n.set(n.get() + 1));
        HoldDrains
    }
}

impl Drop for HoldDrains {
    #[inline]
    fn drop(&mut self) {
        DRAIN_HELD_OFF.with(|n| n.set(n.get() - 1));
    }
}

/// Takes the object at `slot` off this thread's list, moving the last one into its place.
pub(crate) fn unregister(slot: u32) {
    // A failure means the list is being destroyed; its destructor has merged every object, so
    // none can reach here. Nothing to do either way.
    let _ = OWNED.try_with(|owned| {
        let mut list = owned.list.borrow_mut();
        let index = slot as usize; // `register` made it from an index
        list.swap_remove(index);
        if let Some(moved) = list.get(index) {
            // SAFETY: objects on this list are biased and unmerged, hence alive, and owned by
            // this thread, the only one that touches their `slot`. The list holds the pointers
            // that `register` got, the handles' own.
            unsafe { Header::biased(*moved) }
                .slot
                .with_mut(|moved_slot| unsafe { *moved_slot = slot });
        }
    });
}

/// Drops, on this (the owner) thread, the references that other threads handed to its inbox,
/// if there are any. Cheap when there are none: one load.
///
/// If a destructor panics, the references not yet dropped go back to the inbox: none is lost.
pub(crate) fn drain_inbox() {
    if DRAIN_HELD_OFF.with(Cell::get) > 0 {
        return; // inside an object's lock: the next safe point drains
    }
    // The flag first: most calls find nothing, and must not pay for cloning the `Arc`.
    let Ok(Some(inbox)) = OWNED.try_with(|owned| {
        owned
            .inbox
            .get()
            .filter(|inbox| inbox.pending.load(Ordering::Acquire))
            .cloned()
    }) else {
        return;
    };
    let mut rest = Requeue(inbox.take().into_iter(), &inbox);
    for object in rest.0.by_ref() {
        // SAFETY: each entry carries one strong count, handed over by `Inbox::push`.
        unsafe { Header::release(object.0) };
    }
}

/// Puts the references not yet dropped back into the inbox, if a destructor panics.
struct Requeue<'a>(std::vec::IntoIter<Handed>, &'a Inbox);

impl Drop for Requeue<'_> {
    fn drop(&mut self) {
        if self.0.len() > 0 {
            let mut state = self.1.entries.lock();
            state.handed.extend(&mut self.0);
            self.1.pending.store(true, Ordering::Release);
        }
    }
}

/// A strong reference in transit to its owner thread.
pub(crate) struct Handed(NonNull<Header>);

// SAFETY: it stands for an `AtomicRc<T>`, which is `Send` (only `T: Send + Sync` handles exist
// for other threads to hand over).
unsafe impl Send for Handed {}

/// Where other threads hand an owner thread the references they would otherwise count below zero.
pub(crate) struct Inbox {
    entries: Mutex<InboxState>,
    /// Whether `entries` may be non-empty: the owner checks this one load before locking.
    pending: AtomicBool,
}

struct InboxState {
    /// Cleared by the owner's exit, under the lock, before it merges its objects.
    open: bool,
    handed: Vec<Handed>,
}

impl Inbox {
    fn new() -> Self {
        Self {
            entries: Mutex::new(InboxState {
                open: true,
                handed: Vec::new(),
            }),
            pending: AtomicBool::new(false),
        }
    }

    /// Hands one strong count of `object` to the owner. `false` (and nothing handed) if the
    /// owner is exiting, unless `merge` is the broken `IgnoreClosedInbox` of a negative control.
    ///
    /// # Safety
    /// The caller owns one strong count of `object`, which this takes over on `true`.
    unsafe fn push(&self, object: NonNull<Header>, merge: Merge) -> bool {
        let mut state = self.entries.lock();
        if !state.open && merge != Merge::IgnoreClosedInbox {
            return false;
        }
        state.handed.push(Handed(object));
        self.pending.store(true, Ordering::Release);
        true
    }

    fn take(&self) -> Vec<Handed> {
        if !self.pending.load(Ordering::Acquire) {
            return Vec::new();
        }
        let mut state = self.entries.lock();
        self.pending.store(false, Ordering::Relaxed);
        std::mem::take(&mut state.handed)
    }

    fn close(&self) -> Vec<Handed> {
        let mut state = self.entries.lock();
        state.open = false;
        self.pending.store(false, Ordering::Relaxed);
        std::mem::take(&mut state.handed)
    }
}

/// The unmerged objects of one thread, and its inbox. Dropped when the thread exits: closes the
/// inbox, merges every object, and then drops the references handed over.
struct Owned {
    list: RefCell<Vec<NonNull<Header>>>,
    inbox: OnceCell<Arc<Inbox>>,
}

impl Drop for Owned {
    fn drop(&mut self) {
        #[cfg(loom)]
        if std::thread::panicking() {
            // A model failed, and loom drops its threads' locals outside the execution, where no
            // loom type may be touched: leak instead of merging.
            std::mem::forget(self.inbox.take());
            return;
        }
        // 1. No more hand-overs: from here on, other threads count below zero and this merge
        //    makes up for it. Closed first, then out of the registry (a non-owner that still
        //    finds it there finds it closed).
        let handed = self
            .inbox
            .get()
            .map(|inbox| {
                let handed = inbox.close();
                inboxes().retain(|(_, listed)| !Arc::ptr_eq(listed, inbox));
                handed
            })
            .unwrap_or_default();
        // 2. Merge everything, and free afterwards: freeing runs user `Drop`s, which may drop
        //    handles of objects still on the list.
        let objects = std::mem::take(self.list.get_mut());
        let mut dead = Vec::new();
        for object in objects {
            // SAFETY: listed objects are biased and unmerged, so alive, and owned by this thread,
            // the only one that touches `local`; the pointers are the handles' own.
            let local = unsafe { Header::local(object) }
                .count
                .with_mut(|local| unsafe { std::mem::replace(&mut *local, LOCAL_MERGED) });
            // SAFETY: as above; the object's local count is now merged and off the list.
            if unsafe { Header::merge(object, local, Merge::Correct) } {
                dead.push(object);
            }
        }
        // 3. The handed-over references, now all of merged objects: plain shared decrements.
        for object in handed {
            // SAFETY: each entry carries one strong count.
            unsafe { Header::release(object.0) };
        }
        for object in dead {
            // SAFETY: the merge saw the count reach zero, so this thread frees it, once.
            unsafe { Header::free_object(object) };
        }
    }
}

#[cfg(loom)]
/// Broken on purpose, for the loom negative controls only: forgets this thread's list of
/// unmerged objects and its inbox, so that its exit merges nothing (they leak).
#[doc(hidden)]
pub fn __skip_exit_merge() {
    let _ = OWNED.try_with(|owned| {
        owned.list.borrow_mut().clear();
        if let Some(inbox) = owned.inbox.get() {
            std::mem::forget(inbox.close());
        }
    });
}
