//! Structs defined in a crate of their own, so that the UI tests can check what another crate
//! may do with the generated items: build a `#[non_exhaustive]` struct (no), use the methods of
//! a public struct with public fields (yes).

/// Public, with public fields: every generated method is public.
#[gilkit::global_lock]
pub struct Open {
    /// A field.
    pub a: u8,
}

/// Public, with public fields, `#[non_exhaustive]`: built and borrowed whole only here.
#[gilkit::global_lock]
#[non_exhaustive]
pub struct SealedGlobal {
    /// A field.
    pub a: u8,
}

/// Public, with public fields: every generated method is public.
#[gilkit::per_field_lock]
pub struct OpenLocked {
    /// A field.
    pub a: u8,
}

/// Public, with public fields, `#[non_exhaustive]`: built only here.
#[gilkit::per_field_lock]
#[non_exhaustive]
pub struct SealedLocked {
    /// A field.
    pub a: u8,
}

/// Shared, `#[non_exhaustive]`: `into_handle` hands out no field, so it stays public.
#[gilkit::atomic_rc]
#[non_exhaustive]
pub struct SealedShared {
    /// A field.
    pub a: u8,
}

/// The `#[non_exhaustive]` structs, built where they may be.
pub fn sealed() -> (SealedGlobal, SealedLocked, SealedShared) {
    (
        SealedGlobal::new(1),
        SealedLocked::new(2),
        SealedShared { a: 3 },
    )
}
