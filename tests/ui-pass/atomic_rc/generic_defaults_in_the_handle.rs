// Row 8: the handle alias keeps the struct's defaults, for type and const parameters.
#![deny(warnings)]

#[gilkit::atomic_rc]
pub struct Buf<T = u8, const N: usize = 4> {
    pub data: [T; N],
}

fn main() {
    let h: BufRc = Buf { data: [1, 2, 3, 4] }.into_handle();
    let w: BufRc<u16> = Buf { data: [1_u16; 4] }.into_handle();
    let s: BufRc<u32, 2> = Buf { data: [0_u32; 2] }.into_handle();
    assert_eq!((h.data[0], w.data[1], s.data.len()), (1, 1, 2));
}
