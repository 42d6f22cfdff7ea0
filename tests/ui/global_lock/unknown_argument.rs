#[gilkit::global_lock(fair = true)]
struct Counter {
    value: u64,
}

fn main() {}
