// Under `crate = path`, stand-ins that `Deref` to a sibling field's real lock (`CachePadded` with
// `padded`, `RwFieldLock`) or to one of two real classes in turn (`LockClass`) gave one lock two
// order keys (two `lock_fields` calls then took the same two locks in opposite orders, and
// deadlocked) or two classes. The accessors take the field and its class again as generics that
// must be the real types, which no stand-in is.
#![forbid(unsafe_code)]

// ---------------------------------------------------------------------------------------------
// Shims for `crate = path`.
// ---------------------------------------------------------------------------------------------

/// A stand-in `CachePadded` that `Deref`s to its own value, or, once `to` is set, to another
/// real lock (a sibling field of the same object, reached through a `'static` borrow of a leaked
/// object). A `OnceLock` keeps it `Sync`.
mod padded_shim {
    pub mod field_lock {
        pub use gilkit::field_lock::*;

        pub struct CachePadded<L: 'static> {
            pub own: L,
            pub to: std::sync::OnceLock<&'static L>,
        }

        impl<L: 'static> CachePadded<L> {
            pub const fn new(own: L) -> Self {
                Self {
                    own,
                    to: std::sync::OnceLock::new(),
                }
            }

            pub fn into_inner(this: Self) -> L {
                this.own
            }
        }

        impl<L: 'static> std::ops::Deref for CachePadded<L> {
            type Target = L;
            fn deref(&self) -> &L {
                match self.to.get() {
                    Some(to) => to,
                    None => &self.own,
                }
            }
        }
    }
}

/// A stand-in `RwFieldLock` (for `#[field(rw)]`, no `padded`): as [`padded_shim`].
mod rw_shim {
    pub mod field_lock {
        pub use gilkit::field_lock::*;

        pub struct RwFieldLock<T: 'static> {
            pub own: gilkit::field_lock::RwFieldLock<T>,
            pub to: std::sync::OnceLock<&'static gilkit::field_lock::RwFieldLock<T>>,
        }

        impl<T: 'static> RwFieldLock<T> {
            pub const fn new(value: T) -> Self {
                Self {
                    own: gilkit::field_lock::RwFieldLock::new(value),
                    to: std::sync::OnceLock::new(),
                }
            }

            pub fn into_inner(self) -> T {
                self.own.into_inner()
            }
        }

        impl<T: 'static> std::ops::Deref for RwFieldLock<T> {
            type Target = gilkit::field_lock::RwFieldLock<T>;
            fn deref(&self) -> &Self::Target {
                match self.to.get() {
                    Some(to) => to,
                    None => &self.own,
                }
            }
        }
    }
}

/// A stand-in `LockClass` that `Deref`s (by deref coercion of `&__CLASS`) to one of two real
/// classes in turn.
mod class_shim {
    pub mod field_lock {
        pub use gilkit::field_lock::*;

        pub struct LockClass {
            one: gilkit::field_lock::LockClass,
            two: gilkit::field_lock::LockClass,
            flip: std::sync::atomic::AtomicBool,
        }

        impl LockClass {
            pub const fn new(name: &'static str) -> Self {
                Self {
                    one: gilkit::field_lock::LockClass::new(name),
                    two: gilkit::field_lock::LockClass::new(name),
                    flip: std::sync::atomic::AtomicBool::new(false),
                }
            }
        }

        impl std::ops::Deref for LockClass {
            type Target = gilkit::field_lock::LockClass;
            fn deref(&self) -> &Self::Target {
                if self.flip.fetch_xor(true, std::sync::atomic::Ordering::Relaxed) {
                    &self.two
                } else {
                    &self.one
                }
            }
        }
    }
}


#[gilkit::per_field_lock(crate = padded_shim, padded)]
pub struct Padded {
    p: u64,
    q: u64,
}

#[gilkit::per_field_lock(crate = rw_shim)]
pub struct Rw {
    #[field(rw)]
    p: u64,
}

#[gilkit::per_field_lock(crate = class_shim)]
pub struct Classy {
    x: u64,
}

fn main() {}
