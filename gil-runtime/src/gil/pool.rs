//! The pending pool: decrefs of handles dropped by threads that did not hold the GIL.
//!
//! Only decrefs are ever deferred. Increfs need the token, so a count can never be too low while
//! a handle is alive (the lesson of the `py-clone` feature of `PyO3`).

use std::ptr::NonNull;

use super::{Domain, Gil};
use crate::sync::atomic::{AtomicBool, Ordering};
use crate::sync::Mutex;

/// One deferred decref: the object, and the function that decrements its count under the GIL.
pub(crate) struct Deferred {
    pub(crate) object: NonNull<()>,
    /// # Safety
    /// Called once per `Deferred`, on the `object` it was created with, with the GIL of the
    /// domain whose pool it was in held.
    pub(crate) decref: unsafe fn(NonNull<()>),
}

// SAFETY: a `Deferred` is created only by dropping a `GilRc<T>`, and `GilRc::new` requires
// `T: Send + Sync`, so the object may be decremented and dropped on any thread; the `Deferred`
// carries that handle's ownership of one count.
unsafe impl Send for Deferred {}

pub(crate) struct Pool {
    pending: Mutex<Vec<Deferred>>,
    /// Set after a push, so that acquiring the GIL costs one load when the pool is empty.
    dirty: AtomicBool,
}

impl Pool {
    #[cfg(not(loom))]
    pub(crate) const fn new() -> Self {
        Self {
            pending: Mutex::new(Vec::new()),
            dirty: AtomicBool::new(false),
        }
    }

    #[cfg(loom)]
    pub(crate) fn new() -> Self {
        Self {
            pending: Mutex::new(Vec::new()),
            dirty: AtomicBool::new(false),
        }
    }

    /// Queues decrefs for the next acquisition of the GIL.
    pub(crate) fn push(&self, deferred: impl IntoIterator<Item = Deferred>) {
        self.pending.lock().extend(deferred);
        self.dirty.store(true, Ordering::Release);
    }
}

/// Puts the unprocessed rest back if a destructor panics, so that no object is lost.
struct Requeue<'a>(&'a Pool, std::vec::IntoIter<Deferred>);
impl Drop for Requeue<'_> {
    fn drop(&mut self) {
        if self.1.len() > 0 {
            self.0.push(&mut self.1);
        }
    }
}

/// Applies every pending decref of domain `D`. Called right after its GIL is acquired: inline,
/// the check of a clean pool is one load on every acquisition.
#[inline]
pub(crate) fn drain<D: Domain>(g: &mut Gil<D>) {
    let pool = &super::state::<D>().pool;
    if pool.dirty.load(Ordering::Acquire) {
        drain_dirty(g, pool);
    }
}

/// The drain of a pool that had decrefs pushed, out of line.
#[cold]
#[inline(never)]
fn drain_dirty<D: Domain>(g: &mut Gil<D>, pool: &Pool) {
    if !pool.dirty.swap(false, Ordering::Acquire) {
        return;
    }
    let batch = std::mem::take(&mut *pool.pending.lock());
    let drained = batch.len() as u64;

    let mut rest = Requeue(pool, batch.into_iter());
    for d in rest.1.by_ref() {
        // SAFETY: each `Deferred` is taken out of the pool exactly once, and `g` proves the GIL
        // of the pool's domain.
        unsafe { (d.decref)(d.object) };
    }
    g.stats_mut(|s| s.deferred_decrefs_drained += drained);
}
