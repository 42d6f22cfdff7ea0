use gilkit::per_field_lock;

#[per_field_lock]
enum State {
    Idle,
    Busy(u32),
}

fn main() {}
