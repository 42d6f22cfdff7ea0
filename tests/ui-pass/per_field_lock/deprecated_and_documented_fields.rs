// Row 3: a deprecated field that is never used compiles under `deny(warnings)`: the generated
// code allows it; its accessor is deprecated too (see the compile-fail case), and carries the
// field's docs.
#![deny(warnings, missing_docs)]
//! A crate.

/// A configuration.
#[gilkit::per_field_lock]
pub struct Config {
    /// The port.
    pub port: u16,
    /// The port, as it was called.
    #[deprecated(note = "use `port`")]
    pub old_port: u16,
    #[cfg_attr(all(), doc = "Documented under a condition.")]
    pub conditional: u8,
}

/// A configuration under the GIL.
#[gilkit::global_lock]
pub struct Global {
    /// The port.
    pub port: u16,
    /// Old.
    #[deprecated]
    pub old_port: u16,
}

/// A shared configuration.
#[gilkit::atomic_rc]
pub struct Shared {
    /// Old.
    #[deprecated]
    pub old_port: u16,
}

fn main() {
    let c = Config::new(80, 8080, 1);
    assert_eq!(*c.port().lock(), 80);
    assert_eq!(*c.conditional().lock(), 1);
    let g = Global::new(1, 2);
    gilkit::with_gil(|t| assert_eq!(*g.fields_mut(t).0, 1));
    let _ = Shared {
        #[allow(deprecated)]
        old_port: 1,
    }
    .into_handle();
}
