// A domain's state must be the same on every call, or two threads could hold "one" GIL; so the
// trait is `unsafe`, and only `gilkit::domain!` implements it without the caller writing `unsafe`.
pub enum Forged {}

impl gilkit::Domain for Forged {
    fn __state() -> &'static gilkit::__private::DomainState {
        Box::leak(Box::new(gilkit::__private::DomainState::new()))
    }
}

fn main() {}
