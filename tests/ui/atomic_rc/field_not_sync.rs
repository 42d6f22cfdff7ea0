// A `Cell` mutates through `&`, so sharing it between threads would race: not `Sync`.
#[gilkit::atomic_rc]
struct Counter {
    name: String,
    hits: std::cell::Cell<u64>,
}

fn main() {}
