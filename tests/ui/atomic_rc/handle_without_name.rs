#[gilkit::atomic_rc(handle = 7)]
struct Shared {
    value: u32,
}

fn main() {}
