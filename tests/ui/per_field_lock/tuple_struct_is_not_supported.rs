use gilkit::per_field_lock;

#[per_field_lock]
struct Pair(u32, u32);

fn main() {}
