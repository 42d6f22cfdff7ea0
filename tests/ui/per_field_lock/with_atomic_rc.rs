use gilkit::per_field_lock;

// `#[atomic_rc]` is only looked at by name: the conflict is reported whether or not it resolves.
#[per_field_lock]
#[gilkit::atomic_rc]
struct Counter {
    value: u64,
}

fn main() {}
