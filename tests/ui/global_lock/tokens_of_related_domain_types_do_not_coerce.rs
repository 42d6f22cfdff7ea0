// Two domain types related by subtyping (aliases of higher-ranked function pointer types, with
// `Domain` implemented by hand, which needs `unsafe`): the guard, token, cell and handle types
// are invariant in the domain, so none of them converts from one domain to the other.
#![allow(coherence_leak_check)]
use gilkit::{Domain, GilCell, GilGuard, GilRc};

pub struct Tag<F>(std::marker::PhantomData<F>);
type Higher = Tag<for<'a> fn(&'a ())>;
type Static = Tag<fn(&'static ())>;

unsafe impl Domain for Higher {
    fn __state() -> &'static gilkit::__private::DomainState {
        static STATE: gilkit::__private::DomainState = gilkit::__private::DomainState::new();
        &STATE
    }
}

unsafe impl Domain for Static {
    fn __state() -> &'static gilkit::__private::DomainState {
        static STATE: gilkit::__private::DomainState = gilkit::__private::DomainState::new();
        &STATE
    }
}

fn main() {
    let guard: GilGuard<Static> = Higher::acquire();
    let cell: GilCell<u64, Static> = GilCell::<u64, Higher>::new_in(0);
    let handle: GilRc<u64, Static> = GilRc::<u64, Higher>::new_in(0);
}
