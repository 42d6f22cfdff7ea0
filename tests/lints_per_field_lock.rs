//! The expansion of `#[per_field_lock]` compiles cleanly under strict lints in the user's crate.
//!
//! The accessors call the runtime in an `unsafe` block; written by the macro, it must not trip
//! the user's `forbid(unsafe_code)` nor any lint about unsafe code.
#![forbid(unsafe_code)]
#![deny(missing_docs, warnings, rust_2018_idioms, unreachable_pub)]
#![deny(unsafe_op_in_unsafe_fn, clippy::undocumented_unsafe_blocks)]
#![deny(clippy::all, clippy::pedantic)]

/// A documented generic struct with private, public and unlocked fields.
#[gilkit::per_field_lock]
#[derive(Debug, Default)]
pub struct Strict<T: Send> {
    /// A public field.
    pub count: u64,
    #[field(rw)]
    generic: Option<T>,
    /// Never changes.
    #[field(no_lock)]
    pub id: u32,
}

#[test]
fn strict_expansion_is_usable() {
    let s = Strict::<String>::new(1, None, 7).into_handle();
    let (mut generic, mut count) = gilkit::field_lock::lock_fields((s.generic(), s.count()));
    *count += 1;
    *generic = Some("x".to_owned());
    drop((generic, count));
    assert_eq!((*s.count().lock(), s.id), (2, 7));
}
