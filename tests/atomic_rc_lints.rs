//! The expansion of `#[atomic_rc]` compiles cleanly under strict lints in the user's crate.
#![forbid(unsafe_code)]
#![deny(missing_docs, warnings, rust_2018_idioms, unreachable_pub)]
#![deny(clippy::all, clippy::pedantic)]

/// A documented struct with private and public fields.
#[gilkit::atomic_rc(biased)]
#[derive(Debug, Default)]
pub struct Strict<T: Send + Sync> {
    /// A public field.
    pub count: u64,
    generic: Option<T>,
}

/// A documented tuple struct.
#[gilkit::atomic_rc(immortal, handle = StrictTupleRef)]
pub struct StrictTuple(pub u8);

#[test]
fn strict_expansion_is_usable() {
    let s: StrictRc<String> = Strict {
        count: 1,
        generic: None,
    }
    .into_handle();
    assert_eq!(s.count, 1);
    assert!(s.generic.is_none());
    let t: StrictTupleRef = StrictTuple(2).into_handle();
    assert_eq!(t.0, 2);
}
