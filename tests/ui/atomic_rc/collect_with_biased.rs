#[gilkit::atomic_rc(biased, collect)]
struct Node {
    value: u32,
}

fn main() {}
