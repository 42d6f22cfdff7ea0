// `crate = path` may name any module, also one with a `Gil` of its own that anyone can make. The
// generated `fields_mut` contains no `unsafe` block that trusts the token's type: it hands the
// token to the runtime's `fields_mut`, which takes only the real `Gil`.
mod forged {
    pub use gilkit::{DefaultDomain, GilCell, GilRc, __private};
    pub struct Gil<D = DefaultDomain>(std::marker::PhantomData<D>);
}

#[gilkit::global_lock(crate = forged)]
pub struct Shared {
    pub v: Vec<u64>,
}

fn main() {}
