#[gilkit::global_lock]
#[gilkit::global_lock]
struct Counter {
    value: u64,
}

fn main() {}
