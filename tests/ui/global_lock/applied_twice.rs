#[gil::global_lock]
#[gil::global_lock]
struct Counter {
    value: u64,
}

fn main() {}
