use gil::per_field_lock;

#[per_field_lock]
#[gil::global_lock]
struct Counter {
    value: u64,
}

fn main() {}
