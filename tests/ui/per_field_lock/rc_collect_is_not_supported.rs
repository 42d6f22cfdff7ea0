use gilkit::per_field_lock;

#[per_field_lock(rc = collect)]
struct Node {
    value: u64,
}

fn main() {}
