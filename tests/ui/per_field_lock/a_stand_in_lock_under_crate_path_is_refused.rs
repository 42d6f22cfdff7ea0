// `crate = shim` with a stand-in `RawFieldLock` that derefs to one of two real locks, both inside
// the object, in turn: deref coercion would have paired the field's one cell with two locks (two
// guards of one value at once, from safe code). The accessor takes the lock as a generic that
// must be the real `RawFieldLock`, which no stand-in can claim to be.
#![forbid(unsafe_code)]

mod shim {
    pub mod field_lock {
        pub use gilkit::field_lock::*;

        pub struct RawFieldLock {
            one: gilkit::field_lock::RawFieldLock,
            two: gilkit::field_lock::RawFieldLock,
            flip: std::sync::atomic::AtomicBool,
        }

        impl RawFieldLock {
            pub const fn new() -> Self {
                Self {
                    one: gilkit::field_lock::RawFieldLock::new(),
                    two: gilkit::field_lock::RawFieldLock::new(),
                    flip: std::sync::atomic::AtomicBool::new(false),
                }
            }
        }

        impl std::ops::Deref for RawFieldLock {
            type Target = gilkit::field_lock::RawFieldLock;
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

#[gilkit::per_field_lock(crate = shim)]
pub struct TwoLocks {
    x: u64,
}

fn main() {
    let v = TwoLocks::new(0);
    let _a = v.x().lock();
    let _b = v.x().lock();
}
