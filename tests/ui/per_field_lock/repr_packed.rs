// Row 7: fields of a packed struct may be unaligned and cannot be borrowed.
#[gilkit::per_field_lock]
#[repr(C, packed)]
struct G {
    a: u8,
    b: u64,
}

fn main() {}
