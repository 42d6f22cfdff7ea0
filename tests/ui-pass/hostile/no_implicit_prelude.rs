// `#![no_implicit_prelude]`: the generated code names nothing through the prelude.
#![deny(warnings)]
#![no_implicit_prelude]

extern crate gilkit;
extern crate std;

#[gilkit::global_lock(fields = GlobalTwin)]
pub struct G<T: ::std::marker::Send> {
    pub a: ::std::string::String,
    pub b: ::std::option::Option<T>,
}

#[gilkit::per_field_lock(fields = FieldTwin)]
pub struct P {
    pub a: ::std::vec::Vec<u8>,
    #[field(rw)]
    pub b: u64,
    #[field(no_lock)]
    pub c: u8,
}

#[gilkit::atomic_rc(biased)]
pub struct A {
    pub a: u64,
}

#[gilkit::atomic_rc(collect)]
pub struct C {
    pub a: u64,
}

impl gilkit::refcount::Trace for C {
    fn trace(&self, _: &mut gilkit::refcount::Visitor<'_>) {}
    fn clear(&self) {}
}

fn main() {
    let g = G::<u8>::new(::std::string::String::new(), ::std::option::Option::None);
    gilkit::with_gil(|t| ::std::assert!(g.fields_mut(t).1.is_none()));
    let p = P::new(::std::vec::Vec::new(), 1, 2);
    ::std::assert_eq!(*p.b().read(), 1);
    let a = A { a: 1 }.into_handle();
    let c = C { a: 2 }.into_handle();
    ::std::assert_eq!(a.a + c.a, 3);
}
