#[gilkit::atomic_rc]
union Bits {
    int: u32,
    float: f32,
}

fn main() {}
