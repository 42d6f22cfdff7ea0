// Row 9: a field type made by a macro (`boxed!(T)`) that names a generic parameter: the scan
// looks into the macro's tokens, so no check of it is written outside the impl.
#![deny(warnings)]

macro_rules! boxed {
    ($t:ty) => {
        Box<$t>
    };
}

macro_rules! pair {
    ($a:lifetime, $t:ty) => {
        (&$a str, $t)
    };
}

#[gilkit::global_lock]
pub struct G<T: Send> {
    pub x: boxed!(T),
    pub n: boxed!(u8),
}

#[gilkit::atomic_rc]
pub struct A<'a, T: Send + Sync> {
    pub x: boxed!(T),
    pub p: pair!('a, u8),
}

#[gilkit::per_field_lock]
pub struct P<T: Send> {
    pub x: boxed!(T),
}

fn main() {
    let g = G::new(Box::new(1_u32), Box::new(2));
    gilkit::with_gil(|t| assert_eq!(**g.x.get(t), 1));
    let a = A {
        x: Box::new(1_u64),
        p: ("p", 2),
    }
    .into_handle();
    assert_eq!((*a.x, a.p.1), (1, 2));
    let p = P::new(Box::new('c'));
    assert_eq!(**p.x().lock(), 'c');
}
