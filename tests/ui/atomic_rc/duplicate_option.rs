#[gilkit::atomic_rc(biased, biased)]
struct Shared {
    value: u32,
}

fn main() {}
