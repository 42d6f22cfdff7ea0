#[gilkit::global_lock]
fn counter() -> u32 {
    0
}

fn main() {}
