//! Field locks on cache lines of their own, for `#[per_field_lock(padded)]`.

use core::ops::{Deref, DerefMut};

/// A value aligned and padded to a cache line (128 bytes on `x86_64`, `aarch64` and `powerpc64`,
/// whose caches fetch or share lines in pairs; 64 elsewhere), so that two of them never share one,
/// as `crossbeam_utils::CachePadded`.
///
/// Two threads that each lock a different field of one `#[per_field_lock]` object write to the
/// same cache line if the two locks sit side by side, and the line bounces between their cores
/// (false sharing). `#[per_field_lock(padded)]` puts each field's lock and value in one of these:
/// the cost is memory, up to a line per field.
///
/// ```
/// # use gil_runtime as gilkit;
/// use gilkit::field_lock::{CachePadded, FieldLock};
///
/// let padded = CachePadded::new(FieldLock::new(0_u64));
/// assert!(std::mem::align_of_val(&padded) >= 64);
/// assert_eq!(CachePadded::into_inner(padded).into_inner(), 0);
/// ```
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(
    any(
        target_arch = "x86_64",
        target_arch = "aarch64",
        target_arch = "powerpc64"
    ),
    repr(align(128))
)]
#[cfg_attr(
    not(any(
        target_arch = "x86_64",
        target_arch = "aarch64",
        target_arch = "powerpc64"
    )),
    repr(align(64))
)]
pub struct CachePadded<T> {
    value: T,
}

impl<T> CachePadded<T> {
    /// Pads `value` to a cache line.
    pub const fn new(value: T) -> Self {
        Self { value }
    }

    /// The value, unpadded (an associated function, so that it never hides a method of `T`).
    pub fn into_inner(padded: Self) -> T {
        padded.value
    }
}

impl<T> Deref for CachePadded<T> {
    type Target = T;

    fn deref(&self) -> &T {
        &self.value
    }
}

impl<T> DerefMut for CachePadded<T> {
    fn deref_mut(&mut self) -> &mut T {
        &mut self.value
    }
}
