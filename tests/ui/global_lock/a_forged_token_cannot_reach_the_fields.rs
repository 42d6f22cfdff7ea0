// `crate = path` may name any module, also one with a `Gil` of its own that anyone can make. The
// generated `fields_mut` contains no `unsafe`: it hands the token to `Gil::get_mut_many`, which a
// forged `Gil` does not have (and any it defines is safe code).
mod forged {
    pub use gil::{GilCell, GilRc, __private};
    pub struct Gil;
}

#[gil::global_lock(crate = forged)]
pub struct Shared {
    pub v: Vec<u64>,
}

fn main() {}
