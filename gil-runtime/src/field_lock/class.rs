use std::fmt;

/// The class of a lock, for the lock-order validator: `Type.field`.
///
/// The validator reasons about classes, not single locks: once it has seen `Account.balance`
/// taken while `Account.history` was held, taking them the other way round anywhere in the program
/// closes a cycle. `#[per_field_lock]` declares one class per field, named
/// `module::path::Type.field` so that two types with one name in two modules read apart in the
/// reports; for a hand-made [`FieldLock`](super::FieldLock), declare a `static`:
///
/// ```
/// # use gil_runtime as gilkit;
/// use gilkit::field_lock::{FieldLock, LockClass};
///
/// static TOTAL: LockClass = LockClass::new("Bank.total");
///
/// let total = FieldLock::new(0_u64);
/// *total.lock(&TOTAL) += 1;
/// assert_eq!(TOTAL.name(), "Bank.total");
/// ```
///
/// Two classes are the same class only if they are the same `static`, whatever their names.
pub struct LockClass {
    name: &'static str,
}

impl LockClass {
    /// A class named `name`, by convention `Type.field`.
    #[must_use]
    pub const fn new(name: &'static str) -> Self {
        Self { name }
    }

    /// The name given to [`LockClass::new`].
    ///
    /// ```
    /// # use gil_runtime as gilkit;
    /// static C: gilkit::field_lock::LockClass = gilkit::field_lock::LockClass::new("A.b");
    /// assert_eq!(C.name(), "A.b");
    /// ```
    #[must_use]
    pub const fn name(&self) -> &'static str {
        self.name
    }

    /// Whether `self` and `other` are the same class (the same `static`).
    #[allow(
        dead_code,
        reason = "only the validator compares classes, and it may be compiled out"
    )]
    pub(crate) fn is(&'static self, other: &'static LockClass) -> bool {
        std::ptr::eq(self, other)
    }
}

impl fmt::Debug for LockClass {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "LockClass({:?})", self.name)
    }
}

impl fmt::Display for LockClass {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "`{}`", self.name)
    }
}
