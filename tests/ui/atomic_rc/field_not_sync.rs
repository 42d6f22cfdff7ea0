// A `Cell` mutates through `&`, so sharing it between threads would race: not `Sync`.
#[gil::atomic_rc]
struct Counter {
    name: String,
    hits: std::cell::Cell<u64>,
}

fn main() {}
