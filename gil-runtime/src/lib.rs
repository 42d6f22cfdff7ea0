//! The runtime of [`gilkit`](https://docs.rs/gilkit): the strategies behind its attributes.
//!
//! Use it through the `gilkit` facade. Every module gets its synchronization from the one `sync`
//! shim, so that the whole runtime can be model-checked with loom (`--cfg loom`).

#![cfg_attr(docsrs, feature(doc_cfg))]

#[allow(
    unused_imports,
    dead_code,
    reason = "the shim offers one whole API; each strategy uses part of it"
)]
mod sync;

pub mod field_lock;
pub mod gil;
pub mod model;
pub mod object;
pub mod refcount;
pub mod stats;

pub use gil::{
    acquire, acquire_gils, set_switch_interval, set_switch_policy, switch_interval, switch_policy,
    try_acquire, with_gil, with_gils, CellsMut, DefaultDomain, Domain, Gil, GilCell, GilGuard,
    GilRc, GilStats, SwitchPolicy, TryAcquireError, DEFAULT_SWITCH_INTERVAL,
};

/// Support for the code the macros generate. Not part of the API; it may change at any time.
#[doc(hidden)]
pub mod __private {
    #[cfg(loom)]
    pub use crate::gil::hooks;
    pub use crate::gil::DomainState;
    pub use crate::refcount::Mode;
    pub use crate::stats::{LiveCounter, Tracked};
    #[cfg(loom)]
    pub use crate::sync::Global;

    /// Implemented by every type that is `Send`: asserts a field of a `#[global_lock]` struct.
    #[diagnostic::on_unimplemented(
        message = "field type `{Self}` of a `#[global_lock]` struct is not `Send`",
        label = "this field is not `Send`",
        note = "whichever thread holds the GIL may touch the field, so its type must be `Send`; use `Arc` instead of `Rc`, or keep thread-bound data outside the struct"
    )]
    pub trait GlobalLockField {}
    impl<T: ?Sized + Send> GlobalLockField for T {}

    /// `GilRc::new` for the generated `into_handle`, with the same bounds. `T: Send + Sync` is
    /// phrased through a lifetime parameter (a tuple is `Send`/`Sync` exactly when its elements
    /// are) so that the compiler checks it where `into_handle` is called, not where it is defined:
    /// a struct with a non-`Send` field then gets one error, on the field.
    pub fn into_handle<'a, T: 'static, D: crate::Domain>(value: T) -> crate::GilRc<T, D>
    where
        (core::marker::PhantomData<&'a ()>, T): Send + Sync,
    {
        crate::GilRc::new_unbounded(value)
    }

    /// The cells of a `#[global_lock]` struct in domain `D`, borrowed for `'a`, for its
    /// `fields_mut`; the macro implements it for a private wrapper of `&'a Struct`.
    ///
    /// # Safety
    /// `__cells` returns cells that are distinct fields of one object: never one cell twice,
    /// never one inside another.
    pub unsafe trait GilFields<'a, D> {
        /// A tuple of `&'a GilCell<_, D>`s (nested past 12).
        type __Cells: crate::CellsMut<'a, D>;

        /// The cells.
        fn __cells(self) -> Self::__Cells;
    }

    /// A `Debug` value that formats with `write`: what `#[global_lock(debug)]`'s method returns.
    pub fn debug_fn<F>(write: F) -> impl core::fmt::Debug
    where
        F: Fn(&mut core::fmt::Formatter<'_>) -> core::fmt::Result,
    {
        struct DebugFn<F>(F);
        impl<F> core::fmt::Debug for DebugFn<F>
        where
            F: Fn(&mut core::fmt::Formatter<'_>) -> core::fmt::Result,
        {
            fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
                (self.0)(f)
            }
        }
        DebugFn(write)
    }

    /// `value`, where its type must be `Debug`: `#[global_lock(debug)]` calls it with each field's
    /// type, so that an error names the field, and a private type stays out of the method's
    /// signature.
    #[inline]
    pub fn debug_field<T: ?Sized + core::fmt::Debug>(value: &T) -> impl core::fmt::Debug + '_ {
        value
    }

    /// Names a lifetime in an `impl Trait` return type, so that the hidden type may capture it
    /// (edition 2021 captures only the lifetimes it names; `use<..>` needs Rust 1.82).
    pub trait Captures<T: ?Sized> {}
    impl<T: ?Sized, U: ?Sized> Captures<T> for U {}

    /// Every field of `object` borrowed mutably at once: what the generated `fields_mut` calls.
    pub fn fields_mut<'a, D: crate::Domain, F: GilFields<'a, D>>(
        gil: &'a mut crate::Gil<D>,
        fields: F,
    ) -> <F::__Cells as crate::CellsMut<'a, D>>::Mut {
        let _ = gil;
        // SAFETY: `gil` proves this thread holds the GIL and that no other borrow made through
        // the token is alive for `'a`; the cells are distinct fields of one object (the contract
        // of the `unsafe` trait), so no two of the `&mut` alias.
        unsafe { crate::CellsMut::__get_mut_unchecked(fields.__cells()) }
    }

    /// Checks at compile time that `D` is a [`crate::Domain`], for `#[global_lock(domain = D)]`.
    pub const fn assert_domain<D: crate::Domain>() {}

    /// Checks at compile time that `T` is a valid `#[global_lock]` field.
    pub const fn assert_global_lock_field<T: ?Sized + GlobalLockField>() {}

    /// Implemented by every `Send` type: asserts a field of an `#[atomic_rc]` struct. `Field` is
    /// a marker type named after the field, so that the error names it.
    #[diagnostic::on_unimplemented(
        message = "field `{Field}` of an `#[atomic_rc]` struct has type `{Self}`, which is not `Send`",
        label = "this field is not `Send`",
        note = "the last handle may drop the object on any thread, so every field must be `Send`; use an atomic or a lock (`std::sync::Mutex`, `parking_lot::Mutex`), or `Arc` instead of `Rc`"
    )]
    pub trait AtomicRcFieldSend<Field> {}
    impl<T: ?Sized + Send, Field> AtomicRcFieldSend<Field> for T {}

    /// Implemented by every `Sync` type: asserts a field of an `#[atomic_rc]` struct.
    #[diagnostic::on_unimplemented(
        message = "field `{Field}` of an `#[atomic_rc]` struct has type `{Self}`, which is not `Sync`",
        label = "this field is not `Sync`",
        note = "every thread with a handle reads the fields at once, so every field must be `Sync`; for interior mutability use an atomic (`AtomicU64`) or a lock (`Mutex`, `RwLock`) instead of `Cell` or `RefCell`"
    )]
    pub trait AtomicRcFieldSync<Field> {}
    impl<T: ?Sized + Sync, Field> AtomicRcFieldSync<Field> for T {}

    /// Checks at compile time that `T` is a valid type for the `#[atomic_rc]` field `Field`.
    pub const fn assert_atomic_rc_field<T, Field>()
    where
        T: ?Sized + AtomicRcFieldSend<Field> + AtomicRcFieldSync<Field>,
    {
    }
}
