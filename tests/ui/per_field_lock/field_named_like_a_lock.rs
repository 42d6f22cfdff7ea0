// The macro stores the lock of field `x` in a field `__gil_lock_x`: the prefix is its own.
#[gilkit::per_field_lock]
pub struct Shadow {
    x: u64,
    __gil_lock_x: u8,
}

fn main() {}
