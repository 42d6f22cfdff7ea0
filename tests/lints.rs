//! The expansion of `#[global_lock]` compiles cleanly under strict lints in the user's crate.
#![forbid(unsafe_code)]
#![deny(missing_docs, warnings, rust_2018_idioms, unreachable_pub)]
#![deny(clippy::all, clippy::pedantic)]

/// A documented struct with private and public fields.
#[gilkit::global_lock]
#[derive(Debug, Default)]
pub struct Strict<T: Send> {
    /// A public field.
    pub count: u64,
    generic: Option<T>,
}

#[test]
fn strict_expansion_is_usable() {
    let s = Strict::<String>::new(1, None);
    gilkit::with_gil(|g| {
        let (count, generic) = s.fields_mut(g);
        *count += 1;
        *generic = Some("x".to_owned());
        assert_eq!(*s.count.get(g), 2);
    });
}
