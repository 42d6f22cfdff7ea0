#[gilkit::global_lock]
#[per_field_lock]
struct Counter {
    value: u64,
}

fn main() {}
