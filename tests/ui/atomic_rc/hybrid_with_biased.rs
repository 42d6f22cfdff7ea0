#[gilkit::atomic_rc(biased, hybrid)]
struct Shared {
    value: u32,
}

fn main() {}
