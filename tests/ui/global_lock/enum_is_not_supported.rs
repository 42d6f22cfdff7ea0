#[gilkit::global_lock]
enum State {
    Idle,
    Busy(u32),
}

fn main() {}
