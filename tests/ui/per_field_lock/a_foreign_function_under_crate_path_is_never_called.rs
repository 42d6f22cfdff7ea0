// `crate = my` names a module of stand-ins, with a foreign function (declared without the `unsafe`
// keyword, as edition 2021 allows) where the runtime's hidden accessor used to be: the generated
// `unsafe` block called it (a review turned that into a free of a stack address). The block now
// calls a method on the field's cell, which no stand-in has without `unsafe` code of its own.
#![forbid(unsafe_code)]

mod my {
    pub mod field_lock {
        pub struct FieldLock<T>(pub T);
        impl<T> FieldLock<T> {
            pub const fn new(v: T) -> Self {
                Self(v)
            }
        }
        pub struct FieldCell<T>(pub T);
        impl<T> FieldCell<T> {
            pub const fn new(v: T) -> Self {
                Self(v)
            }
        }
        pub struct RawFieldLock;
        impl RawFieldLock {
            pub const fn new() -> Self {
                Self
            }
        }
        pub struct RwFieldLock<T>(pub T);
        impl<T> RwFieldLock<T> {
            pub const fn new(v: T) -> Self {
                Self(v)
            }
        }
        pub struct LockClass(pub &'static str);
        impl LockClass {
            pub const fn new(s: &'static str) -> Self {
                Self(s)
            }
        }
        #[repr(C)]
        pub struct Field<'a, T>(pub [u8; 0], pub core::marker::PhantomData<&'a T>);
        pub type Handle<T> = std::sync::Arc<T>;
    }
    pub mod __private {
        pub mod field_lock {
            extern "C" {
                #[link_name = "free"]
                pub fn field(
                    cell: &super::super::field_lock::FieldCell<u64>,
                    lock: &super::super::field_lock::RawFieldLock,
                    class: &super::super::field_lock::LockClass,
                    object: &super::super::super::Victim,
                    index: u32,
                ) -> super::super::field_lock::Field<'static, u64>;
            }
        }
    }
}

#[gilkit::per_field_lock(crate = my)]
pub struct Victim {
    x: u64,
}

fn main() {
    let v = Victim::new(7);
    let _ = v.x();
}
