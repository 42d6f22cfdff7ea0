#[gil::global_lock(crate = "gil")]
struct Counter {
    value: u64,
}

fn main() {}
