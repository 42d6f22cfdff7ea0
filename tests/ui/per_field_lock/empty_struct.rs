use gilkit::per_field_lock;

#[per_field_lock]
struct Nothing {}

fn main() {}
