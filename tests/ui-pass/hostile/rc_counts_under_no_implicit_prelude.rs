// `#[per_field_lock(rc = ..)]`'s `into_handle` under `#![no_implicit_prelude]`, beside user items
// named like the runtime's (`AtomicRc`, `Mode`, `refcount`, `Send`), with generic and const
// parameters.
#![deny(warnings)]
#![no_implicit_prelude]
#![allow(dead_code)]

extern crate gilkit;
extern crate std;

struct Send;
struct AtomicRc;
struct Mode;
mod refcount {}

#[gilkit::per_field_lock(rc = biased)]
pub struct Biased {
    pub hits: u64,
}

#[gilkit::per_field_lock(rc = immortal)]
pub struct Immortal<T: ::std::marker::Send + 'static> {
    pub value: T,
}

#[gilkit::per_field_lock(rc = atomic)]
pub struct Atomic<const N: usize> {
    pub bytes: [u8; N],
}

fn main() {
    let biased = Biased::new(0).into_handle();
    *biased.hits().lock() += 1;
    let immortal = Immortal::new(1_u8).into_handle();
    *immortal.value().lock() += 1;
    let atomic = Atomic::<2>::new([0; 2]).into_handle();
    atomic.bytes().lock()[0] = 1;
}
