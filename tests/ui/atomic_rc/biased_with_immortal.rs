#[gilkit::atomic_rc(biased, immortal)]
struct Shared {
    value: u32,
}

fn main() {}
