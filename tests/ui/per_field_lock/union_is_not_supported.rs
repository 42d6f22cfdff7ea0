use gilkit::per_field_lock;

#[per_field_lock]
union Bits {
    int: u32,
    float: f32,
}

fn main() {}
