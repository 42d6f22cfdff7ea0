// A domain's state must be the same on every call, or two threads could hold "one" GIL; so the
// trait is `unsafe`, and only `gil::domain!` implements it without the caller writing `unsafe`.
pub enum Forged {}

impl gil::Domain for Forged {
    fn __state() -> &'static gil::__private::DomainState {
        Box::leak(Box::new(gil::__private::DomainState::new()))
    }
}

fn main() {}
