// `crate = shim` with a stand-in `FieldCell` that derefs to the real cell of another field of
// the same object: the method call on `self.y` would have reached `x`'s cell, paired with `y`'s
// lock while `x`'s accessor pairs it with `x`'s (two guards of one value at once, from safe
// code). The accessor also takes the field as a generic that must be the real `FieldCell`.
#![forbid(unsafe_code)]

mod shim {
    pub mod field_lock {
        pub use gilkit::field_lock::{Field, Handle, LockClass, RawFieldLock};

        pub struct FieldCell<T: 'static> {
            pub own: gilkit::field_lock::FieldCell<T>,
            pub target: std::sync::OnceLock<&'static gilkit::field_lock::FieldCell<T>>,
        }

        impl<T> FieldCell<T> {
            pub const fn new(value: T) -> Self {
                Self { own: gilkit::field_lock::FieldCell::new(value), target: std::sync::OnceLock::new() }
            }
        }

        impl<T> std::ops::Deref for FieldCell<T> {
            type Target = gilkit::field_lock::FieldCell<T>;
            fn deref(&self) -> &Self::Target {
                self.target.get().copied().unwrap_or(&self.own)
            }
        }
    }
}

#[gilkit::per_field_lock(crate = shim)]
pub struct Siblings {
    x: u64,
    y: u64,
}

fn main() {
    let v: &'static Siblings = Box::leak(Box::new(Siblings::new(0, 0)));
    let _ = v.y.target.set(&v.x.own);
    let _a = v.x().lock();
    let _b = v.y().lock();
}
