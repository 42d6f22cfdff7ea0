#[gilkit::global_lock(constructor = "new")]
struct Counter {
    value: u64,
}

fn main() {}
