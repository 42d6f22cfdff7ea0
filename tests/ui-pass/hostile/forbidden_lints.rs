// `forbid` on the lints a generated `allow` could name: none is allowed where it is not needed
// (`deprecated` only when a field is deprecated), so `forbid` stays usable.
#![forbid(
    deprecated,
    unsafe_code,
    missing_docs,
    unreachable_pub,
    unused_qualifications,
    dead_code,
    non_snake_case,
    non_camel_case_types
)]
//! A crate that forbids.

/// Locked.
#[gilkit::per_field_lock]
pub struct P {
    /// A field.
    pub a: u64,
}

/// Global.
#[gilkit::global_lock]
pub struct G<T: Send> {
    /// A field.
    pub a: T,
}

/// Shared.
#[gilkit::atomic_rc(biased)]
pub struct R {
    /// A field.
    pub a: u64,
}

fn main() {
    let p = P::new(1).into_handle();
    assert_eq!(*p.a().lock(), 1);
    let g = G::new(2_u8);
    gilkit::with_gil(|t| assert_eq!(*g.fields_mut(t).0, 2));
    let r: RRc = R { a: 3 }.into_handle();
    assert_eq!(r.a, 3);
}
