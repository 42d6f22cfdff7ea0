#[gilkit::atomic_rc]
#[gilkit::global_lock]
struct Shared {
    value: u32,
}

fn main() {}
