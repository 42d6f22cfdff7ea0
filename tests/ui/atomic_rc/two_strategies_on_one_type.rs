#[gil::atomic_rc]
#[gil::global_lock]
struct Shared {
    value: u32,
}

fn main() {}
