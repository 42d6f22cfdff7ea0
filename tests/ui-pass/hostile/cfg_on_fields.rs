// `#[cfg]` on fields gates every generated piece that names them: constructor parameters,
// accessors, checks, and the tuple of `fields_mut` (one per configuration).
#![deny(warnings)]

#[gilkit::global_lock]
pub struct G {
    pub a: u8,
    #[cfg(any())]
    pub gone: std::rc::Rc<u8>,
    #[cfg(all())]
    pub kept: u16,
    #[cfg(any())]
    #[cfg(all())]
    pub also_gone: u32,
}

#[gilkit::per_field_lock]
pub struct P {
    pub a: u8,
    #[cfg(any())]
    pub gone: u16,
    #[cfg(any())]
    #[cfg_attr(all(), field(rw))]
    pub gone_rw: u16,
    #[cfg(all())]
    #[field(rw)]
    pub kept: u16,
}

#[gilkit::atomic_rc]
pub struct A {
    #[cfg(any())]
    pub gone: std::cell::Cell<u8>,
    pub a: u8,
}

fn main() {
    let g = G::new(1, 2);
    gilkit::with_gil(|t| {
        let (a, kept) = g.fields_mut(t);
        assert_eq!((*a, *kept), (1, 2));
    });
    let p = P::new(1, 2);
    assert_eq!(*p.kept().read(), 2);
    let a = A { a: 1 }.into_handle();
    assert_eq!(a.a, 1);
}
