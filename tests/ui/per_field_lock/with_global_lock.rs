use gilkit::per_field_lock;

#[per_field_lock]
#[gilkit::global_lock]
struct Counter {
    value: u64,
}

fn main() {}
