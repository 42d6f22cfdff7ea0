#[gilkit::global_lock]
struct Nothing;

fn main() {}
