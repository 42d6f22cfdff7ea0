use gilkit::per_field_lock;

#[per_field_lock(rc = arc)]
struct Node {
    value: u64,
}

fn main() {}
