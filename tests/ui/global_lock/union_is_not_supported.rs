#[gilkit::global_lock]
union Bits {
    int: u32,
    float: f32,
}

fn main() {}
