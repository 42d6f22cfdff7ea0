#[gil::global_lock]
struct Nothing;

fn main() {}
