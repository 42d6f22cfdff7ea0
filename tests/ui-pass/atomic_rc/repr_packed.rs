// Row 7: `#[atomic_rc]` never borrows a field in the code it writes, so a packed struct is fine.
#![deny(warnings)]

#[gilkit::atomic_rc]
#[repr(C, packed)]
pub struct G {
    pub a: u8,
    pub b: u64,
}

fn main() {
    let g = G { a: 1, b: 2 }.into_handle();
    let b = g.b;
    assert_eq!((g.a, b), (1, 2));
}
