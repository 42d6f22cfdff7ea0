// The user shadows `Option`, `Result`, `Send`, `Sync`, `Sized`, `Box`, `Default`, `Drop`, `From`
// and a module `core`: the generated code names them by absolute paths.
#![deny(warnings)]
#![allow(dead_code, unused_macros)]

mod core {}
struct Option;
struct Result;
trait Send {}
trait Sync {}
trait Sized {}
struct Box;
trait Default {}
trait Drop {}
trait From {}
macro_rules! concat {
    ($($t:tt)*) => {
        "shadowed"
    };
}
macro_rules! module_path {
    () => {
        "shadowed"
    };
}

#[gilkit::global_lock]
pub struct G<T: ::std::marker::Send + ?::std::marker::Sized> {
    pub a: u64,
    pub b: T,
}

#[gilkit::per_field_lock(fields = FieldTwin)]
pub struct P {
    pub a: u64,
}

#[gilkit::global_lock(fields = GlobalTwin)]
pub struct H {
    pub a: u64,
}

#[gilkit::atomic_rc(immortal)]
pub struct A {
    pub a: u64,
}

fn main() {
    let g = G::new(1, 2_u8).into_handle();
    gilkit::with_gil(|t| assert_eq!(*g.b.get(t), 2));
    let p = P::new(3);
    assert!(p.a().class().name().ends_with("::P.a"));
    assert!(!p.a().class().name().contains("shadowed"));
    let a = A { a: 1 }.into_handle();
    assert_eq!(a.a, 1);
}
