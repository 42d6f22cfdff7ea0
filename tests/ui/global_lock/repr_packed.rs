// Row 7: fields of a packed struct may be unaligned and cannot be borrowed.
#[gilkit::global_lock]
#[repr(C, packed)]
struct G {
    a: u8,
    b: u64,
}

#[gilkit::global_lock]
#[cfg_attr(all(), repr(packed(2)))]
struct H(u8, u64);

fn main() {}
