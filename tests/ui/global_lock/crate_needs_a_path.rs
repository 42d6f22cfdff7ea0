#[gilkit::global_lock(crate = "gilkit")]
struct Counter {
    value: u64,
}

fn main() {}
