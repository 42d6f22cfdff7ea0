#[gilkit::atomic_rc(weak)]
struct Shared {
    value: u32,
}

fn main() {}
