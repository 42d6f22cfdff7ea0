use std::rc::Rc;

#[gil::global_lock]
struct Shared {
    count: u64,
    name: Rc<String>,
}

fn main() {}
